"""The coordinator roster: level counts per posyandu, the cadre list and its filters,
scope, the skill-gap matrix, the district view, exports and the number of queries.

Each test builds its district with the factories (fixture ``scene``, on the empty
database): the counts it checks are those of the records it made, and the independent
counts are asked of the database."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from conftest import count_queries

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    CadreStatus,
    Outcome,
    Posyandu,
    Puskesmas,
    Sex,
    TrainingEvent,
    TrainingParticipant,
)
from ilp_training.rosters.services import _gap_row, year_before
from tests import factories as make
from tests.helpers import sign_in

CADRE_LINK = re.compile(r'href="/cadres/(\d+)"')

# Depends on the clock: CI runs it again at a month's last evening and a year ahead.
pytestmark = pytest.mark.dates


@dataclass(frozen=True)
class Scene:
    """A district with two puskesmas.

    Puskesmas ``ours`` serves two villages: posyandu ``home`` (first village) has 9
    cadres: 1 Utama, 2 Madya, 3 Purwa, 1 assessed without a level, 2 never assessed;
    ``second`` (same village) a Purwa and one never assessed; ``third`` (second village)
    a Madya and one never assessed. Puskesmas ``theirs`` has posyandu ``far`` with a
    Purwa and one never assessed. A finished training on package D (of ``ours``) was
    completed by two of home's Purwa and by second's unassessed cadre, not by the third
    Purwa (absent). Names are the records'; ids where a test needs them.
    """

    ours: tuple[int, str]
    theirs: tuple[int, str]
    home: tuple[int, str]
    second: tuple[int, str]
    third: tuple[int, str]
    far: tuple[int, str]
    home_cadres: tuple[int, ...]  # by id
    coordinator: str
    trainer: str
    head: str
    admin: str
    other_coordinator: str


def _build_scene() -> Scene:
    regency = make.district()
    kecamatan = make.subdistrict(parent=regency)
    first, second_village = make.village(parent=kecamatan), make.village(parent=kecamatan)
    ours = make.puskesmas(villages=[first, second_village])
    theirs = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
    trainer = make.trainer(ours)
    on = local_today() - timedelta(days=60)

    def staff(posyandu, levels: str, never: int) -> list:
        """Cadres at ``posyandu``: one per letter of ``levels`` (u/m/p/0: Utama, Madya,
        Purwa, assessed on package A only), then ``never`` not assessed."""
        names = {"u": "utama", "m": "madya", "p": "purwa", "0": None}
        made = [make.cadre_at_level(names[c], posyandu_=posyandu, assessor=trainer, on=on)
                for c in levels]
        return made + [make.cadre(posyandu_=posyandu) for _ in range(never)]

    home = make.posyandu(puskesmas_=ours, village_=first)
    second = make.posyandu(puskesmas_=ours, village_=first)
    third = make.posyandu(puskesmas_=ours, village_=second_village)
    far = make.posyandu(puskesmas_=theirs)
    home_cadres = staff(home, "ummppp0", 2)
    second_cadres = staff(second, "p", 1)
    staff(third, "m", 1)
    far_staff = make.trainer(theirs)
    make.cadre_at_level("purwa", posyandu_=far, assessor=far_staff, on=on)
    make.cadre(posyandu_=far)
    coordinator = make.coordinator(ours)
    purwa = home_cadres[3:6]
    make.finished_training([*purwa, second_cadres[1]], absent={purwa[2].id},
                           actor=coordinator, packages="D")
    return Scene(
        ours=(ours.id, ours.name), theirs=(theirs.id, theirs.name),
        home=(home.id, home.name), second=(second.id, second.name),
        third=(third.id, third.name), far=(far.id, far.name),
        home_cadres=tuple(c.id for c in home_cadres),
        coordinator=coordinator.username, trainer=trainer.username,
        head=make.village_head(first).username, admin=make.admin(regency).username,
        other_coordinator=make.coordinator(theirs).username)


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(app) -> Scene:
    with app.app_context():
        result = _build_scene()
        db.session.commit()
    return result


@pytest.fixture
def as_coordinator(client, scene):
    return sign_in(client, scene.coordinator)


@pytest.fixture
def as_admin(client, scene):
    return sign_in(client, scene.admin)


def _text(html: str) -> str:
    """The page's text: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _card(html: str, name: str) -> str:
    """The text of one place's card in the level summary."""
    match = re.search(r'<li>\s*<h3><a [^>]*>' + re.escape(name) + r"</a>.*?</li>", html, re.S)
    assert match, f"no card for {name}"
    return _text(match.group(0))


def _listed_ids(client, query: str = "") -> set[int]:
    return {int(i) for i in CADRE_LINK.findall(client.get(f"/roster?{query}").text)}


def _scope_cadres(puskesmas_id: int, *where) -> set[int]:
    """The independent count: cadres of one puskesmas matching ``where``."""
    return set(db.session.scalars(
        sa.select(Cadre.id).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Posyandu.puskesmas_id == puskesmas_id, *where)))


@pytest.fixture
def big_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1000)


@pytest.fixture
def seed_puskesmas(scene) -> int:
    return scene.ours[0]


def test_a_posyandu_card_shows_its_levels(as_coordinator, scene):
    card = _card(as_coordinator.get("/roster").text, scene.home[1])
    for expected in ("1 Utama", "2 Madya", "3 Purwa"):
        assert re.search(rf"(?<!\d){expected}\b", card), (expected, card)
    assert re.search(r"(?<!\d)3 [a-z]", card)  # without a level: one assessed, two never
    assert re.search(r"(?<!\d)9 ", card)  # 9 active cadres


def test_the_level_summary_adds_up_to_the_active_cadres(as_coordinator, app, seed_puskesmas):
    page = _text(as_coordinator.get("/roster").text)
    with app.app_context():
        counts = dict(db.session.execute(
            sa.select(Cadre.level_code, sa.func.count()).join(Posyandu)
            .where(Posyandu.puskesmas_id == seed_puskesmas,
                   Cadre.status == CadreStatus.ACTIVE)
            .group_by(Cadre.level_code)).all())
    for name, code in (("Utama", "utama"), ("Madya", "madya"), ("Purwa", "purwa")):
        assert f"{counts.get(code, 0)} {name}" in page


@pytest.mark.usefixtures("big_pages")
@pytest.mark.parametrize(("query", "where"), [
    ("", lambda ids: [Cadre.status == CadreStatus.ACTIVE]),
    ("posyandu={anggrek}", lambda ids: [Cadre.posyandu_id == ids["anggrek"],
                                        Cadre.status == CadreStatus.ACTIVE]),
    ("level=madya", lambda ids: [Cadre.level_code == "madya",
                                 Cadre.status == CadreStatus.ACTIVE]),
    ("level=none", lambda ids: [Cadre.level_code.is_(None),
                                Cadre.status == CadreStatus.ACTIVE]),
    ("assessed=never", lambda ids: [Cadre.last_assessed_on.is_(None),
                                    Cadre.status == CadreStatus.ACTIVE]),
    ("status=all", lambda ids: []),
    ("posyandu={anggrek}&level=purwa", lambda ids: [
        Cadre.posyandu_id == ids["anggrek"], Cadre.level_code == "purwa",
        Cadre.status == CadreStatus.ACTIVE]),
])
def test_each_filter_lists_what_the_database_holds(as_coordinator, app, scene,
                                                   seed_puskesmas, query, where):
    with app.app_context():
        ids = {"anggrek": scene.home[0]}
        expected = _scope_cadres(seed_puskesmas, *where(ids))
    listed = _listed_ids(as_coordinator, query.format(**ids))
    assert listed == expected
    if query and "status" not in query:  # a filter narrows the list
        assert len(listed) < len(_listed_ids(as_coordinator))


@pytest.mark.usefixtures("big_pages")
def test_package_filter_keeps_cadres_missing_a_skill_of_it(as_coordinator, app,
                                                          seed_puskesmas):
    with app.app_context():
        framework = framework_on(local_today())
        skills = set(framework.package("C").skill_codes)
        active = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE)
        have: dict[int, set[str]] = {}
        for cadre_id, code in db.session.execute(sa.select(CadreSkill.cadre_id,
                                                           CadreSkill.skill_code)):
            have.setdefault(cadre_id, set()).add(code)
        expected = {c for c in active if not skills <= have.get(c, set())}
    listed = _listed_ids(as_coordinator, "package=C")
    assert listed == expected and 0 < len(listed) < len(active)


@pytest.mark.usefixtures("big_pages")
def test_stale_filter_takes_never_and_older_than_a_year(as_coordinator, app, scene,
                                                       seed_puskesmas):
    with app.app_context():
        anggrek = [db.session.get(Cadre, i) for i in scene.home_cadres]
        cutoff = year_before(local_today())
        anggrek[0].last_assessed_on = date(2024, 5, 1)  # long ago: stale
        anggrek[1].last_assessed_on = cutoff.replace(day=1) if cutoff.day > 1 else date(
            cutoff.year - 1, 12, 1)  # before the cut-off: stale
        anggrek[2].last_assessed_on = cutoff  # exactly a year ago: not yet stale
        db.session.commit()
        stale = {anggrek[0].id, anggrek[1].id}
        never = _scope_cadres(seed_puskesmas, Cadre.last_assessed_on.is_(None),
                              Cadre.status == CadreStatus.ACTIVE)
    assert len(never) == 4  # two at home, one at second, one at third
    assert _listed_ids(as_coordinator, "assessed=stale") == never | stale
    assert _listed_ids(as_coordinator, "assessed=never") == never


@pytest.mark.usefixtures("big_pages")
def test_inactive_cadres_are_listed_only_on_request(as_coordinator, app, scene):
    with app.app_context():
        cadre = db.session.get(Cadre, scene.home_cadres[0])
        cadre.status, cadre.inactive_since = CadreStatus.INACTIVE, date(2026, 1, 5)
        db.session.commit()
        cadre_id = cadre.id
    assert cadre_id not in _listed_ids(as_coordinator)
    assert _listed_ids(as_coordinator, "status=inactive") == {cadre_id}
    card = _card(as_coordinator.get("/roster").text, scene.home[1])
    assert re.search(r"(?<!\d)8 ", card)  # 8 active cadres left


def test_unknown_filter_values_are_ignored(as_coordinator):
    plain = _listed_ids(as_coordinator)
    assert _listed_ids(as_coordinator, "level=paripurna&package=Z&assessed=x&status=y") == plain


@pytest.mark.parametrize("query", [
    "posyandu=%C2%B2", "posyandu=abc", "posyandu=999999", "puskesmas=%C2%B2", "puskesmas=1",
    "page=abc", "page=0", "page=-3", "page=99999999999999999999",
])
def test_bad_query_values_never_break_the_roster_or_its_exports(as_coordinator, query):
    for url in ("/roster", "/roster/export.csv", "/roster/export.xlsx", "/roster/gaps"):
        assert as_coordinator.get(f"{url}?{query}").status_code == 200, url


def test_list_shows_no_personal_data(as_coordinator, app):
    page = as_coordinator.get("/roster").text
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.nik.is_not(None))
                                   .order_by(Cadre.id)).first()
    assert not re.search(r"\d{12,}", _text(page))
    assert cadre.nik not in page and cadre.phone not in page


def test_empty_results_say_so(as_coordinator):
    page = as_coordinator.get("/roster?level=utama&assessed=never").text
    assert 'class="empty"' in page and not CADRE_LINK.search(page)


# --- scope ---------------------------------------------------------------------------


def test_coordinator_does_not_see_another_puskesmas(as_coordinator, app, scene):
    far_id, far = scene.far
    with app.app_context():
        far_cadres = set(db.session.scalars(
            sa.select(Cadre.id).where(Cadre.posyandu_id == far_id)))
    for url in ("/roster", f"/roster?posyandu={far_id}", "/roster/gaps"):
        page = as_coordinator.get(url).text
        assert far not in page and scene.theirs[1] not in page
        assert not far_cadres & {int(i) for i in CADRE_LINK.findall(page)}


def test_other_coordinator_does_not_see_ours(client, scene):
    home_id, home = scene.home
    sign_in(client, scene.other_coordinator)
    for url in ("/roster", f"/roster?posyandu={home_id}", "/roster/gaps",
                f"/roster/export.csv?posyandu={home_id}"):
        body = client.get(url).get_data(as_text=True)
        assert home not in body and scene.second[1] not in body
    assert scene.far[1] in client.get("/roster/gaps").text


def test_village_head_sees_only_the_village(client, scene):
    sign_in(client, scene.head)
    page = client.get("/roster").text
    names = set(re.findall(r"<li>\s*<h3><a [^>]*>([^<]+)</a>", page))
    assert names == {scene.home[1], scene.second[1]}
    assert scene.third[1] not in client.get("/roster/gaps").text


def test_district_view_is_for_admins(as_coordinator):
    assert as_coordinator.get("/roster/district").status_code == 403


def test_district_view_shows_every_puskesmas(as_admin, app):
    page = as_admin.get("/roster/district").text
    with app.app_context():
        names = db.session.scalars(sa.select(Puskesmas.name)).all()
        active = db.session.scalar(sa.select(sa.func.count(Cadre.id))
                                   .where(Cadre.status == CadreStatus.ACTIVE))
    assert len(names) == 2 and all(name in page for name in names)
    assert f">{active}<" in page  # the district total


def test_admin_roster_summarises_per_puskesmas(as_admin, scene):
    page = as_admin.get("/roster").text
    assert re.search(r"(?<!\d)13 ", _card(page, scene.ours[1]))  # active cadres
    assert re.search(r"(?<!\d)2 ", _card(page, scene.theirs[1]))


@pytest.mark.parametrize("url", ["/roster", "/roster/gaps", "/roster/district",
                                 "/roster/export.csv", "/roster/export.xlsx"])
def test_roster_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_trainer_and_village_head_may_read_the_roster(client, scene):
    for username in (scene.trainer, scene.head):
        sign_in(client, username)
        assert client.get("/roster").status_code == 200
        assert client.get("/roster/gaps").status_code == 200
        client.post("/logout")


# --- the skill-gap matrix --------------------------------------------------------------


def _gap_cells(html: str, place: str) -> list[tuple[int, int]]:
    """(mastered, share) of each skill cell in one place's row of the matrix."""
    row = re.search(r"<tr><th scope=\"row\" class=\"place\"><a [^>]*>" + re.escape(place)
                    + r"</a>.*?</tr>", html, re.S)
    assert row, f"no matrix row for {place}"
    return [(int(n), int(p)) for n, p in
            re.findall(r'<td class="heat[^"]*">(\d+)<small>(\d+)%</small>', row.group(0))]


def test_gap_matrix_counts_match_the_database(as_coordinator, app, scene):
    page = as_coordinator.get("/roster/gaps").text
    with app.app_context():
        framework = framework_on(local_today())
        codes = [s.code for s in framework.skills]
        for posyandu_id, name in (scene.home, scene.third):
            posyandu = db.session.get(Posyandu, posyandu_id)
            active = db.session.scalar(sa.select(sa.func.count(Cadre.id)).where(
                Cadre.posyandu_id == posyandu.id, Cadre.status == CadreStatus.ACTIVE))
            cells = _gap_cells(page, name)
            assert len(cells) == len(codes) == 25
            for code in ("A1", "C3", "D2", "E5"):
                mastered = db.session.scalar(
                    sa.select(sa.func.count()).select_from(CadreSkill)
                    .join(Cadre, Cadre.id == CadreSkill.cadre_id)
                    .where(Cadre.posyandu_id == posyandu.id, CadreSkill.skill_code == code,
                           Cadre.status == CadreStatus.ACTIVE))
                assert cells[codes.index(code)] == (mastered, mastered * 100 // active)


def test_weakest_cells_are_marked_in_words_not_colour_alone(as_coordinator, app, scene):
    page = as_coordinator.get("/roster/gaps").text
    anggrek, name = scene.home
    row = re.search(r"<tr><th scope=\"row\" class=\"place\"><a [^>]*>" + re.escape(name)
                    + r"</a>.*?</tr>", page, re.S).group(0)
    with app.app_context():
        codes = [s.code for s in framework_on(local_today()).skills]
        have = dict(db.session.execute(
            sa.select(CadreSkill.skill_code, sa.func.count()).join(Cadre)
            .where(Cadre.posyandu_id == anggrek).group_by(CadreSkill.skill_code)).all())
    lowest = min(have.get(code, 0) for code in codes)
    cells = re.findall(r'<td class="heat heat-\d( weakest)?">(\d+)<small>', row)
    assert len(cells) == 25
    marked = [int(n) for weakest, n in cells if weakest]
    assert marked and set(marked) == {lowest}
    assert marked == [n for n in (have.get(c, 0) for c in codes) if n == lowest]
    assert row.count("▼") == row.count('class="sr"') == len(marked)
    assert 'class="table-wrap gap-wrap"' in page


@pytest.mark.parametrize(("counts", "active", "weakest"), [
    ([5, 0, 0, 10], 10, [False, True, True, False]),  # ties are all marked
    ([10, 10], 10, [False, False]),  # everyone has everything: nothing to mark
    ([0, 0], 0, [False, False]),  # no active cadre: no share
    ([3, 4], 9, [True, False]),  # 33 % and 44 %
])
def test_weakest_is_the_lowest_share_of_a_row(counts, active, weakest):
    codes = [f"S{i}" for i in range(len(counts))]
    row = _gap_row(None, active, dict(zip(codes, counts, strict=True)), codes)
    assert [c.weakest for c in row.cells] == weakest


@pytest.mark.parametrize(("share", "band"), [(0, 0), (24, 0), (25, 1), (74, 2), (75, 3),
                                             (100, 3)])
def test_heat_bands_are_quarters(share, band):
    row = _gap_row(None, 100, {"S": share}, ["S"])
    assert row.cells[0].band == band and row.cells[0].share == share


def test_year_before_handles_leap_days():
    assert year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert year_before(date(2026, 11, 23)) == date(2025, 11, 23)


# --- exports ---------------------------------------------------------------------------


def test_xlsx_has_the_filtered_cadres_and_the_gaps(as_coordinator, app, scene, seed_puskesmas):
    anggrek = scene.home[0]
    with app.app_context():
        active = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE)
        madya = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE,
                              Cadre.level_code == "madya")
        posyandu = db.session.scalar(sa.select(sa.func.count(Posyandu.id))
                                     .where(Posyandu.puskesmas_id == seed_puskesmas))
    response = as_coordinator.get("/roster/export.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cadres, levels, gaps = book.worksheets
    assert cadres.max_row == 1 + len(active)
    assert len(cadres[1]) == 8 and cadres["C1"].value == "Posyandu"
    assert cadres["B1"].value == "Nomor kader" and cadres["B2"].value.startswith("K-")
    assert gaps.max_row == 1 + posyandu + 1 and gaps.max_column == 3 + 25
    assert levels.max_row == 1 + posyandu + 1
    anggrek_row = next(r for r in gaps.iter_rows(values_only=True) if r[0] == scene.home[1])
    assert anggrek_row[2] == 9
    filtered = openpyxl.load_workbook(io.BytesIO(as_coordinator.get(
        f"/roster/export.xlsx?level=madya&posyandu={anggrek}").data)).worksheets[0]
    assert filtered.max_row == 1 + 2
    assert 1 + len(madya) > filtered.max_row


def test_csv_parses_with_the_same_columns(as_coordinator, app, seed_puskesmas):
    with app.app_context():
        active = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE)
        nik = db.session.scalar(sa.select(Cadre.nik).where(Cadre.id.in_(active),
                                                           Cadre.nik.is_not(None)).limit(1))
    response = as_coordinator.get("/roster/export.csv?level=purwa")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows[0]) == 8 and all(len(r) == 8 for r in rows)
    levels = {r[4] for r in rows[1:]}
    assert levels == {"Purwa"}
    everything = as_coordinator.get("/roster/export.csv").data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(everything)))) == 1 + len(active)
    assert nik not in everything


def test_exports_keep_formulas_as_text(as_coordinator, app, scene):
    with app.app_context():
        cadre = db.session.get(Cadre, scene.home_cadres[0])
        cadre.full_name = '=HYPERLINK("http://x.example","klik")'
        db.session.commit()
    rows = list(csv.reader(io.StringIO(
        as_coordinator.get("/roster/export.csv").data.decode("utf-8-sig"))))
    assert ["'=HYPERLINK" in r[0] for r in rows].count(True) == 1
    sheet = openpyxl.load_workbook(io.BytesIO(
        as_coordinator.get("/roster/export.xlsx").data)).worksheets[0]
    cell = next(c for c in sheet["A"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


# --- the number of queries does not grow with the number of cadres ---------------------


def _add_cadres(app, posyandu_id: int, count: int) -> None:
    """``count`` cadres with a few mastered skills, who all completed a training,
    written directly."""
    with app.app_context():
        posyandu = db.session.get(Posyandu, posyandu_id)
        assessment_id = db.session.scalar(sa.select(Assessment.id).limit(1))
        event_id = db.session.scalar(sa.select(TrainingParticipant.event_id).where(
            TrainingParticipant.outcome == Outcome.COMPLETED).limit(1))
        for i in range(count):
            cadre = Cadre(full_name=f"Kader Uji {i:02d}", sex=Sex.FEMALE,
                          posyandu_id=posyandu.id, level_code="purwa" if i % 2 else None,
                          badge_count=3, last_assessed_on=date(2026, 6, 1))
            db.session.add(cadre)
            db.session.flush()
            db.session.add_all(CadreSkill(cadre_id=cadre.id, skill_code=code,
                                          assessment_id=assessment_id,
                                          mastered_on=date(2026, 6, 1))
                               for code in ("A1", "A2", "B1"))
            db.session.add(TrainingParticipant(event_id=event_id, cadre_id=cadre.id,
                                               posyandu_id=posyandu.id, pre_score=50,
                                               post_score=90, outcome=Outcome.COMPLETED))
        db.session.commit()


@pytest.mark.usefixtures("big_pages")  # every cadre on one page: a per-row query shows
def test_roster_queries_do_not_grow_with_cadres(as_coordinator, app, scene):
    urls = ["/roster", "/roster/gaps", "/roster?package=B&assessed=stale",
            "/roster?assessed=trained", "/roster/export.csv", "/roster/export.xlsx"]
    home_id, home = scene.home
    a1_before = _gap_cells(as_coordinator.get("/roster/gaps").text, home)[0][0]
    waiting_before = len(_listed_ids(as_coordinator, "assessed=trained"))
    before = {}
    for url in urls:
        with count_queries(app) as statements:
            assert as_coordinator.get(url).status_code == 200
        before[url] = len(statements)
    _add_cadres(app, home_id, 30)
    for url in urls:
        with count_queries(app) as statements:
            assert as_coordinator.get(url).status_code == 200
        assert len(statements) == before[url], (url, statements)
        assert before[url] <= 10
    assert re.search(r"(?<!\d)39 ", _card(as_coordinator.get("/roster").text, home))
    assert _gap_cells(as_coordinator.get("/roster/gaps").text, home)[0][0] == a1_before + 30
    assert len(_listed_ids(as_coordinator, "assessed=trained")) == waiting_before + 30


# --- trained but not yet assessed ----------------------------------------------------


def _awaiting_in_python(puskesmas_id: int) -> set[int]:
    """The independent rule: active cadres of the puskesmas with a completed training
    covering a skill they have not been assessed in since the training's last day."""
    events = {e.id: e for e in db.session.scalars(sa.select(TrainingEvent))}
    active = _scope_cadres(puskesmas_id, Cadre.status == CadreStatus.ACTIVE)
    dates: dict[tuple[int, str], list[date]] = {}
    for cadre_id, code, on in db.session.execute(
            sa.select(Assessment.cadre_id, Assessment.skill_code, Assessment.assessed_on)):
        dates.setdefault((cadre_id, code), []).append(on)
    waiting = set()
    for p in db.session.scalars(sa.select(TrainingParticipant)):
        if p.cadre_id not in active or p.outcome != Outcome.COMPLETED:
            continue
        event = events[p.event_id]
        if any(not any(on >= event.end_date for on in dates.get((p.cadre_id, code), []))
               for code in event.skill_codes):
            waiting.add(p.cadre_id)
    return waiting


@pytest.mark.usefixtures("big_pages")
def test_trained_filter_lists_who_waits_for_an_assessment(as_coordinator, app,
                                                         seed_puskesmas):
    with app.app_context():
        expected = _awaiting_in_python(seed_puskesmas)
        not_completed = set(db.session.scalars(sa.select(TrainingParticipant.cadre_id).where(
            TrainingParticipant.outcome == Outcome.NOT_COMPLETED)))
    assert len(expected) == 3, "two of home's Purwa and second's new cadre wait"
    assert len(not_completed - expected) == 1, "home's third Purwa did not complete"
    assert _listed_ids(as_coordinator, "assessed=trained") == expected
    page = as_coordinator.get("/roster").text
    assert "assessed=trained" in page  # each card links to its waiting cadres


@pytest.mark.usefixtures("big_pages")
def test_assessing_every_trained_skill_ends_the_wait(client, app, scene, seed_puskesmas):
    sign_in(client, scene.trainer)
    with app.app_context():
        waiting = _awaiting_in_python(seed_puskesmas)
        cadre = db.session.scalars(sa.select(Cadre).where(
            Cadre.id.in_(waiting), Cadre.posyandu_id == scene.home[0])
            .order_by(Cadre.id)).first()
        event = db.session.scalars(
            sa.select(TrainingEvent).join(TrainingParticipant)
            .where(TrainingParticipant.cadre_id == cadre.id,
                   TrainingParticipant.outcome == Outcome.COMPLETED)).first()
        cadre_id, posyandu_id, skills = cadre.id, cadre.posyandu_id, event.skill_codes
        today = local_today().isoformat()
        indicators = {code: [i.code for i in framework_on(local_today()).skill(code).indicators]
                      for code in skills}
    response = client.post(f"/posyandu/{posyandu_id}/assessments/new", data={
        "assessed_on": today, "setting": "posyandu_day",
        "method": "observation", "cadres": [cadre_id]})
    assert response.status_code == 302
    session_url = response.location
    for n, code in enumerate(skills):
        url = f"{session_url}/skills/{code}"
        key = re.search(r'name="submission_key" type="hidden" value="(\w+)"',
                        client.get(url).text).group(1)
        scores = {f"score-{cadre_id}-{i}": "0" for i in indicators[code]}  # not yet competent
        assert client.post(url, data={"submission_key": key, **scores}).status_code == 302
        listed = _listed_ids(client, "assessed=trained")
        if n < len(skills) - 1:  # a skill of the training still not assessed
            assert cadre_id in listed
    assert cadre_id not in listed
    with app.app_context():
        assert listed == _awaiting_in_python(seed_puskesmas)


def _posyandu_options(html: str) -> set[int]:
    select = re.search(r'<select id="f-posyandu".*?</select>', html, re.S).group(0)
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select)}


def test_admin_picks_a_puskesmas_before_its_posyandu(as_admin, app, seed_puskesmas):
    with app.app_context():
        own = set(db.session.scalars(sa.select(Posyandu.id).where(
            Posyandu.puskesmas_id == seed_puskesmas)))
    assert _posyandu_options(as_admin.get("/roster").text) == set()
    assert _posyandu_options(as_admin.get(f"/roster?puskesmas={seed_puskesmas}").text) == own
    one = min(own)
    assert _posyandu_options(as_admin.get(f"/roster?posyandu={one}").text) == {one}


def test_admin_export_summarises_per_puskesmas(as_admin, app):
    with app.app_context():
        puskesmas = db.session.scalars(sa.select(Puskesmas.name)).all()
        active = db.session.scalar(sa.select(sa.func.count(Cadre.id))
                                   .where(Cadre.status == CadreStatus.ACTIVE))
    response = as_admin.get("/roster/export.xlsx")
    assert response.status_code == 200
    cadres, levels, gaps = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
    assert cadres.max_row == 1 + active
    assert levels["A1"].value == gaps["A1"].value == "Puskesmas"
    assert {r[0] for r in levels.iter_rows(min_row=2, values_only=True)} == {*puskesmas, "Total"}
    assert gaps.cell(gaps.max_row, 3).value == active  # the district's active cadres


def test_pages_of_the_list_and_a_page_past_the_end(as_coordinator, app, seed_puskesmas,
                                                   monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 5)
    with app.app_context():
        active = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE)
    size = app.config["PAGE_SIZE"]
    pages = -(-len(active) // size)
    assert pages > 1, "the puskesmas fills more than one page"
    seen: set[int] = set()
    for n in range(1, pages + 1):
        ids = _listed_ids(as_coordinator, f"page={n}")
        assert ids and not ids & seen
        seen |= ids
    assert seen == active
    past = as_coordinator.get(f"/roster?page={pages + 5}").text
    assert {int(i) for i in CADRE_LINK.findall(past)} == _listed_ids(as_coordinator,
                                                                     f"page={pages}")


def test_admin_puskesmas_filter_lists_its_active_cadres(as_admin, app, seed_puskesmas,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1000)
    with app.app_context():
        expected = _scope_cadres(seed_puskesmas, Cadre.status == CadreStatus.ACTIVE)
    assert _listed_ids(as_admin, f"puskesmas={seed_puskesmas}") == expected
    rows = list(csv.reader(io.StringIO(as_admin.get(
        f"/roster/export.csv?puskesmas={seed_puskesmas}").data.decode("utf-8-sig"))))
    assert len(rows) - 1 == len(expected)


@pytest.mark.parametrize(("lang", "title"), [("id", "Kader"), ("en", "Cadres")])
def test_export_headings_follow_the_language(as_coordinator, lang, title):
    as_coordinator.post("/language", data={"lang": lang})
    book = openpyxl.load_workbook(io.BytesIO(as_coordinator.get("/roster/export.xlsx").data))
    assert book.worksheets[0].title == title
    heading = next(csv.reader(io.StringIO(
        as_coordinator.get("/roster/export.csv").data.decode("utf-8-sig"))))
    assert heading[0] == ("Nama" if lang == "id" else "Name")
