"""Small factories: the records a rule test needs, built on the real session.

Plain functions. Each takes keyword overrides, fills the rest with sensible defaults
(a parent left out is made fresh: ``posyandu()`` alone builds its puskesmas, village,
kecamatan, district and province), adds the record, flushes and returns it. Records
whose rules live in a service are made through that service, so the rules run:
users through ``create_user`` (role bound to its place), cadres through
``register_cadre`` (NIK checked against birth date and sex), assessments through
``open_session`` + ``record_assessments`` (badges, level and level history follow),
trainings through ``create_event`` and the participation services, incentive schemes
through ``create_scheme``, activity through ``record_opening_day``/``set_home_visits``,
certificates through ``issue_certificate``.

Use them inside an app context on the empty database (fixtures ``db_session``, or
``empty_app`` + ``empty_client``; see ``conftest.py``); under ``empty_app`` commit before
the test's requests (the commit only releases a SAVEPOINT; the test's transaction is
rolled back afterwards), and keep ids rather than records across app contexts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from conftest import FAST_HASH
from flask import current_app, has_request_context

from assessments import Framework
from ilp_training.auth.services import UserData, create_user
from ilp_training.cadres.nik import PROVINCE_CODES
from ilp_training.cadres.services import CadreData, register_cadre
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import (
    Cadre,
    CertificateSettings,
    IncentiveScheme,
    Method,
    OpeningDay,
    Organiser,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    RegionLevel,
    Role,
    Setting,
    Sex,
    TrainingEvent,
    TrainingType,
    User,
)

PASSWORD = "kader-sehat-sejahtera"  # every factory user's password (sign_in uses it)

_WORDS = ("Alfa", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel",
          "Juliett", "Kilo", "Lima", "Mike", "November", "Oscar", "Papa", "Quebec",
          "Romeo", "Sierra", "Tango", "Uniform", "Victor", "Whiskey", "Xray", "Yankee",
          "Zulu")
_counter = itertools.count()


def _name(prefix: str) -> str:
    """A fresh readable name, e.g. ``Posyandu Kilo`` (then ``Posyandu Kilo 2`` …); no
    two names of a run are substrings of each other's word."""
    n = next(_counter)
    word = _WORDS[n % len(_WORDS)]
    return f"{prefix} {word}" if n < len(_WORDS) else f"{prefix} {word} {n // len(_WORDS) + 1}"


def _today(today: date | None) -> date:
    return today if today is not None else local_today()


# ---------------------------------------------------------------------------------------
# Places


def province(**overrides: Any) -> Region:
    """A province; its code is the first Kemendagri code not yet used (``74`` first)."""
    if "code" not in overrides:
        used = set(db.session.scalars(sa.select(Region.code).where(
            Region.level == RegionLevel.PROVINCE)))
        preferred = ["74", *sorted(PROVINCE_CODES - {"74"})]
        overrides["code"] = next(c for c in preferred if c not in used)
    return _region(RegionLevel.PROVINCE, None, "Provinsi", overrides)


def _child_code(parent: Region, level: RegionLevel) -> str:
    """The next code under ``parent``: ``74.01``, ``74.01.01``, ``74.01.01.2001`` (a
    village block starting with 2 is a desa)."""
    taken = set(db.session.scalars(sa.select(Region.code).where(Region.parent_id == parent.id)))
    for n in itertools.count(1):
        block = f"2{n:03d}" if level == RegionLevel.VILLAGE else f"{n:02d}"
        code = f"{parent.code}.{block}"
        if code not in taken:
            return code
    raise AssertionError("unreachable")


def _region(level: RegionLevel, parent: Region | None, prefix: str,
            overrides: dict[str, Any]) -> Region:
    values: dict[str, Any] = {"name": _name(prefix), "level": level, "parent": parent}
    values.update(overrides)
    if "code" not in values:
        assert parent is not None
        db.session.flush()
        values["code"] = _child_code(parent, level)
    region = Region(**values)
    db.session.add(region)
    db.session.flush()
    return region


def district(*, parent: Region | None = None, **overrides: Any) -> Region:
    """A kabupaten (regency) in ``parent`` (a new province by default)."""
    return _region(RegionLevel.REGENCY, parent or province(), "Kabupaten", overrides)


def subdistrict(*, parent: Region | None = None, **overrides: Any) -> Region:
    """A kecamatan in ``parent`` (a new district by default)."""
    return _region(RegionLevel.SUBDISTRICT, parent or district(), "Kecamatan", overrides)


def village(*, parent: Region | None = None, **overrides: Any) -> Region:
    """A desa in ``parent`` (a new kecamatan by default)."""
    return _region(RegionLevel.VILLAGE, parent or subdistrict(), "Desa", overrides)


def puskesmas(*, subdistrict_: Region | None = None, villages: Sequence[Region] | None = None,
              **overrides: Any) -> Puskesmas:
    """A puskesmas in a kecamatan (new by default) whose catchment is ``villages`` (one
    new village of that kecamatan by default)."""
    kec = subdistrict_ or (villages[0].parent if villages else None) or subdistrict()
    if villages is None:
        villages = [village(parent=kec)]
    values: dict[str, Any] = {"name": _name("Puskesmas"), "district_id": kec.parent_id,
                              "subdistrict": kec, "villages": list(villages)}
    values.update(overrides)
    record = Puskesmas(**values)
    db.session.add(record)
    db.session.flush()
    return record


def pustu(*, puskesmas_: Puskesmas | None = None, village_: Region | None = None,
          **overrides: Any) -> Pustu:
    """A Pustu of a puskesmas (new by default), in its first village by default."""
    owner = puskesmas_ or puskesmas()
    values: dict[str, Any] = {"name": _name("Pustu"), "puskesmas": owner,
                              "village": village_ or owner.villages[0]}
    values.update(overrides)
    record = Pustu(**values)
    db.session.add(record)
    db.session.flush()
    return record


def posyandu(*, puskesmas_: Puskesmas | None = None, village_: Region | None = None,
             **overrides: Any) -> Posyandu:
    """A posyandu served by a puskesmas (new by default), in ``village_`` (by default the
    puskesmas's first village; a village given without a puskesmas gets one covering it)."""
    if puskesmas_ is None:
        puskesmas_ = puskesmas(villages=[village_]) if village_ is not None else puskesmas()
    values: dict[str, Any] = {"name": _name("Posyandu"), "puskesmas": puskesmas_,
                              "village": village_ or puskesmas_.villages[0]}
    values.update(overrides)
    record = Posyandu(**values)
    db.session.add(record)
    db.session.flush()
    return record


def district_of(place: Puskesmas | Posyandu | Region) -> Region:
    """The regency a place belongs to."""
    if isinstance(place, Posyandu):
        place = place.puskesmas
    if isinstance(place, Puskesmas):
        return db.session.get(Region, place.district_id)
    while place.level != RegionLevel.REGENCY:
        place = place.parent
    return place


# ---------------------------------------------------------------------------------------
# People


def user(role: Role = Role.COORDINATOR, place: Region | Puskesmas | None = None, *,
         username: str | None = None, display_name: str | None = None,
         password: str = PASSWORD, locale: str | None = None,
         actor: User | None = None) -> User:
    """A user of ``role`` bound to ``place`` (through ``create_user``, so the role-to-place
    rule runs): a province for a province user, a district for an admin, a puskesmas for
    a coordinator or trainer, a village for a village head (a new place of that kind by
    default); a national user to none."""
    if place is None and role != Role.NATIONAL:
        place = {Role.ADMIN: district, Role.VILLAGE_HEAD: village,
                 Role.PROVINCE: province}.get(role, puskesmas)()
    username = username or _name(role.value).lower().replace(" ", ".").replace("_", "-")
    return create_user(actor, UserData(username=username,
                                       display_name=display_name or username.title(),
                                       role=role, place_id=place.id if place else None,
                                       locale=locale),
                       password, FAST_HASH)


def admin(place: Region | None = None, **overrides: Any) -> User:
    return user(Role.ADMIN, place, **overrides)


def coordinator(place: Puskesmas | None = None, **overrides: Any) -> User:
    return user(Role.COORDINATOR, place, **overrides)


def trainer(place: Puskesmas | None = None, **overrides: Any) -> User:
    return user(Role.TRAINER, place, **overrides)


def village_head(place: Region | None = None, **overrides: Any) -> User:
    return user(Role.VILLAGE_HEAD, place, **overrides)


def province_user(place: Region | None = None, **overrides: Any) -> User:
    """A read-only user of a province (Dinkes Provinsi; a new province by default)."""
    return user(Role.PROVINCE, place, **overrides)


def national_user(**overrides: Any) -> User:
    """A read-only national user (Kemenkes), bound to no place."""
    return user(Role.NATIONAL, None, **overrides)


_nik_sequence = itertools.count(1)


def nik_for(place: Posyandu, birth_date: date, sex: Sex, sequence: int | None = None) -> str:
    """A valid NIK for someone born on ``birth_date`` registered in the kecamatan of
    ``place``: region block, DDMMYY (day + 40 for women), a sequence number."""
    region = place.village.code.replace(".", "")[:6]
    day = birth_date.day + (40 if sex == Sex.FEMALE else 0)
    seq = sequence if sequence is not None else next(_nik_sequence) % 9999 + 1
    return f"{region}{day:02d}{birth_date:%m%y}{seq:04d}"


def cadre(*, posyandu_: Posyandu | None = None, full_name: str | None = None,
          sex: Sex = Sex.FEMALE, birth_date: date | None = date(1985, 3, 14),
          nik: str | bool | None = True, phone: str | None = "081234567890",
          start_date: date | None = None, bpjs_tk_enrolled: bool = False,
          bpjs_tk_number: str | None = None, today: date | None = None,
          actor: User | None = None) -> Cadre:
    """An active cadre at a posyandu (new by default), registered through
    ``register_cadre``; ``nik=True`` makes a valid NIK agreeing with the birth date and
    sex, ``None`` leaves it out, a string is used as given."""
    today = _today(today)
    place = posyandu_ or posyandu()
    if nik is True:
        nik = nik_for(place, birth_date, sex) if birth_date else None
    data = CadreData(full_name=full_name or _name("Kader"), sex=sex, nik=nik or None,
                     birth_date=birth_date, phone=phone,
                     start_date=start_date or today - timedelta(days=365),
                     bpjs_tk_enrolled=bpjs_tk_enrolled,
                     bpjs_tk_number=bpjs_tk_number or ("12345678901" if bpjs_tk_enrolled
                                                       else None))
    return register_cadre(actor, place, data, today)


def cadres(count: int, **overrides: Any) -> list[Cadre]:
    """``count`` cadres with the same overrides (one posyandu: pass ``posyandu_``)."""
    if "posyandu_" not in overrides:
        overrides["posyandu_"] = posyandu()
    return [cadre(**overrides) for _ in range(count)]


# ---------------------------------------------------------------------------------------
# Assessments and levels


def framework(on: date | None = None) -> Framework:
    """The curriculum in force on ``on`` (today by default)."""
    return framework_on(_today(on))


def skills_of(packages: str, fw: Framework | None = None) -> list[str]:
    """The skill codes of the given packages, e.g. ``skills_of("AB")``."""
    fw = fw or framework()
    return [s.code for p in packages for s in fw.package(p).skills]


LEVEL_PACKAGES = {"purwa": "ABC", "madya": "ABCD", "utama": "ABCDE"}
"""Packages whose mastery gives each level under the national framework."""


def assess(cadre_: Cadre, mastered: Iterable[str] = (), *, not_yet: Iterable[str] = (),
           assessor: User | None = None, on: date | None = None,
           setting: Setting = Setting.POSYANDU_DAY, method: Method = Method.OBSERVATION,
           today: date | None = None, key: str | None = None, fw: Framework | None = None
           ) -> list:
    """Assess ``cadre_`` in one sitting through the scoring services: full marks on each
    skill of ``mastered`` (codes), a critical indicator missed on each of ``not_yet``;
    the cadre's badges, level and level history follow. Returns the assessments."""
    from ilp_training.scoring.services import SkillEntry, open_session, record_assessments

    today = _today(today)
    on = on or today
    fw = fw or framework(on)
    assessor = assessor or trainer(cadre_.posyandu.puskesmas)
    sitting = open_session(assessor, cadre_.posyandu, on, setting, method, [cadre_], fw, today)
    top = fw.scale.max
    entries = []
    for skill in fw.skills:
        scores = {i.code: top for i in skill.indicators}
        if skill.code in set(mastered):
            entries.append(SkillEntry(cadre_.id, skill.code, scores))
        elif skill.code in set(not_yet):
            scores[skill.indicators[0].code] = 0
            entries.append(SkillEntry(cadre_.id, skill.code, scores, "Perlu latihan lagi"))
    recorded = record_assessments(assessor, sitting, entries, key or f"factory-{next(_counter)}",
                                  fw)
    return list(recorded.assessments)


def cadre_at_level(level: str | None, **overrides: Any) -> Cadre:
    """A cadre assessed to ``level`` (``purwa``, ``madya``, ``utama``; ``None`` for a
    cadre assessed on package A only, without a level). ``assessor``, ``on`` and
    ``today`` go to :func:`assess`, the rest to :func:`cadre`."""
    assess_args = {k: overrides.pop(k) for k in ("assessor", "on") if k in overrides}
    if "today" in overrides:
        assess_args["today"] = overrides["today"]
    record = cadre(**overrides)
    packages = LEVEL_PACKAGES[level] if level else "A"
    assess(record, skills_of(packages), **assess_args)
    return record


# ---------------------------------------------------------------------------------------
# Trainings


def training(*, coordinator_: User | None = None, puskesmas_: Puskesmas | None = None,
             packages: str = "D", start: date | None = None, days: int = 2,
             type: TrainingType = TrainingType.REFRESHER, organiser: Organiser | None = None,
             capacity: int = 20, pass_mark: int = 70, title: str | None = None,
             facilitator_ids: tuple[int, ...] = (), district_wide: bool = False,
             today: date | None = None) -> TrainingEvent:
    """A planned training on ``packages`` through ``create_event``: by a coordinator of
    ``puskesmas_`` (both new by default; an admin of the district when
    ``district_wide``), starting ``start`` (a week ahead by default) for ``days`` days."""
    from ilp_training.training.services.events import EventData, create_event

    today = _today(today)
    start = start or today + timedelta(days=7)
    if coordinator_ is None:
        owner = puskesmas_ or puskesmas()
        coordinator_ = admin(district_of(owner)) if district_wide else coordinator(owner)
    place = None if district_wide else (puskesmas_ or coordinator_.puskesmas)
    region = (db.session.get(Region, coordinator_.district_id) if district_wide
              else district_of(place))
    organiser = organiser or (Organiser.DISTRICT if district_wide else Organiser.PUSKESMAS)
    fw = framework(start)
    data = EventData(type=type, title=title or _name("Pelatihan"), organiser=organiser,
                     venue="Aula", start_date=start, end_date=start + timedelta(days=days - 1),
                     capacity=capacity, pass_mark=pass_mark,
                     skill_codes=tuple(skills_of(packages, fw)),
                     facilitator_ids=facilitator_ids)
    return create_event(coordinator_, region, place, data, fw)


def finished_training(participants: Sequence[Cadre], *, scores: Mapping[int, tuple[int, int]]
                      | None = None, absent: Iterable[int] = (), actor: User | None = None,
                      today: date | None = None, **overrides: Any) -> TrainingEvent:
    """A training held in the past with ``participants`` (cadre records), everyone
    present every day except that the cadre ids in ``absent`` missed the last day,
    scores ``(pre, post)`` by cadre id (``(50, 80)`` by default), then finished
    (outcomes set: a missed day or a post-test below the pass mark does not complete)."""
    from ilp_training.training.services import participation

    today = _today(today)
    days = overrides.get("days", 2)
    overrides.setdefault("start", today - timedelta(days=days + 7))
    if actor is None and "coordinator_" not in overrides and participants:
        overrides.setdefault("puskesmas_", participants[0].posyandu.puskesmas)
    if actor is not None:
        overrides["coordinator_"] = actor
    event = training(today=today, **overrides)
    actor = actor or db.session.get(User, event.created_by_id)
    added = participation.add_participants(actor, event, [c.id for c in participants]).added
    by_cadre = {p.cadre_id: p.id for p in added}
    absent = set(absent)
    for day in event.days:
        present = {pid for cid, pid in by_cadre.items()
                   if cid not in absent or day != event.days[-1]}
        participation.record_attendance(actor, event, day, present, today)
    scores = scores or {}
    participation.record_scores(actor, event, {
        pid: scores.get(cid, (50, 80)) for cid, pid in by_cadre.items()})
    participation.finish_event(actor, event, today)
    return event


# ---------------------------------------------------------------------------------------
# Incentives


def scheme(owner: Region | None = None, *, actor: User | None = None,
           valid_from: date | None = None, valid_until: date | None = None,
           base_amount: int = 250_000, per_opening_day: int = 25_000,
           opening_day_cap: int | None = 2, per_home_visit: int = 10_000,
           home_visit_cap: int | None = 8, operational_amount: int = 400_000,
           level_top_ups: Mapping[str, int] | None = None,
           legal_basis: str = "Perbup No. 1 (uji)", today: date | None = None
           ) -> IncentiveScheme:
    """An incentive scheme of ``owner`` (a district, new by default) through
    ``create_scheme``, valid from January of last year by default, with the demo's
    rates unless overridden."""
    from ilp_training.incentives.services.schemes import SchemeData, create_scheme

    today = _today(today)
    owner = owner or district()
    actor = actor or admin(owner if owner.level == RegionLevel.REGENCY else district_of(owner))
    data = SchemeData(
        region_id=owner.id, legal_basis=legal_basis,
        valid_from=valid_from or date(today.year - 1, 1, 1), valid_until=valid_until,
        base_amount=base_amount, per_opening_day=per_opening_day,
        opening_day_cap=opening_day_cap, per_home_visit=per_home_visit,
        home_visit_cap=home_visit_cap, operational_amount=operational_amount,
        level_top_ups=dict(level_top_ups if level_top_ups is not None
                           else {"madya": 50_000, "utama": 100_000}))
    return create_scheme(actor, data, level_codes=("purwa", "madya", "utama"))


def opening_day(posyandu_: Posyandu, held_on: date, served: Iterable[Cadre], *,
                actor: User | None = None, today: date | None = None) -> OpeningDay:
    """A posyandu opening day attended by ``served`` through ``record_opening_day``."""
    from ilp_training.incentives.services.activity import record_opening_day

    actor = actor or coordinator(posyandu_.puskesmas)
    return record_opening_day(actor, posyandu_, held_on, [c.id for c in served], _today(today))


def home_visits(posyandu_: Posyandu, month: date, counts: Mapping[Cadre, int], *,
                actor: User | None = None, today: date | None = None) -> None:
    """Home-visit counts of a month (any day in it) through ``set_home_visits``."""
    from ilp_training.incentives.services.activity import set_home_visits

    actor = actor or coordinator(posyandu_.puskesmas)
    set_home_visits(actor, posyandu_, month.replace(day=1),
                    {c.id: n for c, n in counts.items()}, _today(today))


# ---------------------------------------------------------------------------------------
# Certificates


def certificate_settings(district_: Region | None = None, *,
                         puskesmas_: Puskesmas | None = None,
                         **overrides: Any) -> CertificateSettings:
    """Issuer settings of a district (or one of its puskesmas); no emblem."""
    district_ = district_ or (district_of(puskesmas_) if puskesmas_ else district())
    values: dict[str, Any] = {
        "district": district_, "puskesmas": puskesmas_,
        "issuer_name": f"Dinas Kesehatan {district_.name}",
        "signatory_name": "dr. Penandatangan Uji", "signatory_title": "Kepala Dinas",
        "signatory_nip": "197501012005012001", "place": "Labungkari"}
    values.update(overrides)
    record = CertificateSettings(**values)
    db.session.add(record)
    db.session.flush()
    return record


def certificate(cadre_: Cadre, *, actor: User | None = None, event: TrainingEvent | None = None,
                language: str = "id", today: date | None = None) -> Any:
    """The cadre's level certificate (or of ``event``), issued through
    ``issue_certificate`` (rendered); settings are made for the district if it has none."""
    from ilp_training.certificates.services.issuing import issue_certificate, settings_for

    place = cadre_.posyandu.puskesmas
    if settings_for(place) is None:
        certificate_settings(district_of(place))
    actor = actor or coordinator(place)
    today = _today(today)
    # the verification address in the PDF comes from the request (no PUBLIC_BASE_URL)
    request = nullcontext() if has_request_context() else current_app.test_request_context(
        method="POST")
    with request:
        return issue_certificate(actor, cadre_, framework(today), language, today, event
                                 ).certificate


def count(model: type, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
