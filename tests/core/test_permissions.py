"""Every "may" rule of every area (``ilp_training/<area>/permissions.py``), asked directly
with a user of each role; the rules about a record (a training event, a scheme's owner, a
village's summary, a place to plan for) with users in and out of its place. The views
that use these rules are covered by the route tests of each area and by
``test_route_guards.py``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from conftest import user_named
from flask import Flask

from ilp_training.admin import permissions as admin
from ilp_training.auth.services import place_kind
from ilp_training.cadres import permissions as cadres
from ilp_training.certificates import permissions as certificates
from ilp_training.core.extensions import db
from ilp_training.incentives import permissions as incentives
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    TrainingEvent,
    TrainingFacilitator,
    User,
)
from ilp_training.rosters import permissions as rosters
from ilp_training.scope import district_villages
from ilp_training.scoring import permissions as scoring
from ilp_training.training import permissions as training

# One demo user per role (ilp_training/demo/seed.py DEMO_USERS): the admin of Buton
# Tengah, the coordinator and the trainer of Puskesmas Mawasangka Tengah, the head of
# Desa Lalibo (served by that puskesmas), and the read-only users above the district (the
# province of Sulawesi Tenggara, the nation), whom no rule allows anything.
ROLE_USERS = {Role.ADMIN: "admin", Role.COORDINATOR: "koordinator", Role.TRAINER: "pelatih",
              Role.VILLAGE_HEAD: "kades.lalibo", Role.PROVINCE: "dinkes.sultra",
              Role.NATIONAL: "kemenkes"}

# The rules that depend on the role alone (the record's place is the scope's business):
# rule → the roles it allows.
ROLE_RULES: list[tuple[Callable[[User], bool], set[Role]]] = [
    (cadres.may_manage_cadres, {Role.ADMIN, Role.COORDINATOR}),
    (scoring.may_score, {Role.ADMIN, Role.COORDINATOR, Role.TRAINER}),
    (rosters.may_see_district, {Role.ADMIN}),
    (training.may_plan_trainings, {Role.ADMIN, Role.COORDINATOR}),
    (training.may_choose_puskesmas, {Role.ADMIN}),
    (certificates.may_issue_certificates, {Role.ADMIN, Role.COORDINATOR}),
    (certificates.may_revoke_certificates, {Role.ADMIN}),
    (certificates.may_configure_certificates, {Role.ADMIN}),
    (incentives.may_see_incentives, {Role.ADMIN, Role.COORDINATOR, Role.VILLAGE_HEAD}),
    (incentives.may_see_district_overview, {Role.ADMIN}),
    (incentives.may_record_activity, {Role.COORDINATOR, Role.VILLAGE_HEAD}),
    (incentives.may_edit_schemes, {Role.ADMIN, Role.VILLAGE_HEAD}),
    (incentives.may_review_summaries, {Role.VILLAGE_HEAD}),
    (admin.may_manage_users, {Role.ADMIN}),
    (admin.may_read_audit_log, {Role.ADMIN}),
]


@pytest.mark.parametrize(("rule", "allowed"), ROLE_RULES,
                         ids=[f"{r.__module__.split('.')[1]}.{r.__name__}" for r, _a in ROLE_RULES])
def test_each_role_rule_allows_exactly_its_roles(app: Flask, rule, allowed):
    with app.app_context():
        granted = {role for role, name in ROLE_USERS.items() if rule(user_named(name))}
    assert granted == allowed


def _puskesmas(name: str) -> Puskesmas:
    return db.session.scalars(sa.select(Puskesmas).where(Puskesmas.name == name)).one()


def _village(name: str) -> Region:
    return db.session.scalars(sa.select(Region).where(
        Region.name == name, Region.level == RegionLevel.VILLAGE)).one()


def _other_district() -> Region:
    """A district that is not the demo's (never stored: the rules only read it)."""
    return Region(id=10**6, code="99.99", name="Elsewhere", level=RegionLevel.REGENCY)


def _event(district_id: int, puskesmas: Puskesmas | None,
           facilitators: tuple[User, ...] = ()) -> TrainingEvent:
    """An event of ``puskesmas`` (``None``: district-wide), never stored."""
    return TrainingEvent(district_id=district_id,
                         puskesmas_id=puskesmas.id if puskesmas else None,
                         facilitators=[TrainingFacilitator(user_id=u.id) for u in facilitators])


def test_who_may_manage_and_record_a_training_event(app: Flask):
    with app.app_context():
        users = {role: user_named(name) for role, name in ROLE_USERS.items()}
        district = users[Role.ADMIN].district_id
        own, other = _puskesmas("Mawasangka Tengah"), _puskesmas("Lakudo")
        events = {
            "own puskesmas": _event(district, own),
            "other puskesmas": _event(district, other),
            "district-wide": _event(district, None),
            "other district": _event(_other_district().id, None),
            "facilitated by the trainer": _event(district, other, (users[Role.TRAINER],)),
        }
        manage = {where: {r for r, u in users.items() if training.may_manage_event(u, e)}
                  for where, e in events.items()}
        record = {where: {r for r, u in users.items() if training.may_record(u, e)}
                  for where, e in events.items()}
        everyone = {where: {r for r, u in users.items() if training.sees_all_participants(u, e)}
                    for where, e in events.items()}
    assert manage == {
        "own puskesmas": {Role.ADMIN, Role.COORDINATOR},
        "other puskesmas": {Role.ADMIN},
        "district-wide": {Role.ADMIN},
        "other district": set(),
        "facilitated by the trainer": {Role.ADMIN},
    }
    # a trainer records the events they facilitate, wherever they are
    assert record == {**manage, "facilitated by the trainer": {Role.ADMIN, Role.TRAINER}}
    # and sees every participant of their own puskesmas's events
    assert everyone == {**record, "own puskesmas": {Role.ADMIN, Role.COORDINATOR,
                                                    Role.TRAINER}}


def test_the_manageable_clause_agrees_with_the_rule_out_of_place(app: Flask):
    """The SQL form of may_manage_event for a coordinator and an admin of elsewhere: the
    demo's events are none of theirs, in Python and in SQL."""
    with app.app_context():
        elsewhere = _other_district()
        outsiders = [User(role=Role.ADMIN, district_id=elsewhere.id),
                     User(role=Role.COORDINATOR, puskesmas_id=10**6),
                     User(role=Role.TRAINER, puskesmas_id=_puskesmas("Mawasangka Tengah").id)]
        for user in outsiders:
            events = db.session.scalars(sa.select(TrainingEvent)).all()
            assert events and not any(training.may_manage_event(user, e) for e in events)
            assert db.session.scalars(sa.select(TrainingEvent.id).where(
                training.manageable_clause(user))).all() == []


def test_who_may_plan_a_training_for_which_place(app: Flask):
    with app.app_context():
        users = {role: user_named(name) for role, name in ROLE_USERS.items()}
        district = users[Role.ADMIN].district
        own, other = _puskesmas("Mawasangka Tengah"), _puskesmas("Lakudo")
        places = {"own puskesmas": (district, own), "other puskesmas": (district, other),
                  "whole district": (district, None), "other district": (_other_district(), None)}
        allowed = {where: {r for r, u in users.items() if training.may_plan_at(u, *place)}
                   for where, place in places.items()}
    assert allowed == {"own puskesmas": {Role.ADMIN, Role.COORDINATOR},
                       "other puskesmas": {Role.ADMIN}, "whole district": {Role.ADMIN},
                       "other district": set()}


def test_who_may_assess_a_cadre(app: Flask):
    with app.app_context():
        users = {role: user_named(name) for role, name in ROLE_USERS.items()}
        active = db.session.scalars(sa.select(Cadre).where(
            Cadre.status == CadreStatus.ACTIVE)).first()
        inactive = Cadre(full_name="Tidak Aktif", status=CadreStatus.INACTIVE)
        assessors = {r for r, u in users.items() if scoring.may_assess_cadre(u, active)}
        assert not any(scoring.may_assess_cadre(u, inactive) for u in users.values())
    assert assessors == {Role.ADMIN, Role.COORDINATOR, Role.TRAINER}


def test_who_may_approve_a_village_summary(app: Flask):
    """Only the village's own head: not the head of another village, never the offices
    that see the summary."""
    with app.app_context():
        users = {role: user_named(name) for role, name in ROLE_USERS.items()}
        lalibo = _village("Lalibo")
        other = db.session.scalars(sa.select(Region).where(
            Region.level == RegionLevel.VILLAGE, Region.id != lalibo.id)).first()
        approvers = {r for r, u in users.items() if incentives.may_approve_summary(u, lalibo)}
        assert not any(incentives.may_approve_summary(u, other) for u in users.values())
        head_elsewhere = User(role=Role.VILLAGE_HEAD, village_id=other.id)
        assert incentives.may_approve_summary(head_elsewhere, other)
        assert not incentives.may_approve_summary(head_elsewhere, lalibo)
    assert approvers == {Role.VILLAGE_HEAD}


def test_who_may_set_a_scheme_for_which_owner(app: Flask):
    with app.app_context():
        users = {role: user_named(name) for role, name in ROLE_USERS.items()}
        district = users[Role.ADMIN].district
        lalibo = _village("Lalibo")
        other_village = db.session.scalars(sa.select(Region).where(
            Region.level == RegionLevel.VILLAGE, Region.id != lalibo.id)).first()
        kecamatan = lalibo.parent
        owners = {"district": district, "own village": lalibo,
                  "another village": other_village, "a kecamatan": kecamatan,
                  "another district": _other_district()}
        allowed = {where: {r for r, u in users.items() if incentives.may_manage_scheme(u, o)}
                   for where, o in owners.items()}
        # the list form gives the same places, and nothing for the other roles
        for role, user in users.items():
            listed = incentives.scheme_owners(user)
            assert all(incentives.may_manage_scheme(user, o) for o in listed), role
            assert {o.id for o in listed} >= {o.id for o in owners.values()
                                               if o.id and incentives.may_manage_scheme(user, o)}
    assert kecamatan.level == RegionLevel.SUBDISTRICT
    assert allowed == {"district": {Role.ADMIN}, "own village": {Role.ADMIN, Role.VILLAGE_HEAD},
                       "another village": {Role.ADMIN}, "a kecamatan": set(),
                       "another district": set()}


def test_each_role_is_bound_to_one_kind_of_place(app: Flask):
    with app.app_context():
        bound = {role: place_kind(role) for role in ROLE_USERS}
        for role, name in ROLE_USERS.items():  # the demo users hold the place of that kind
            user = user_named(name)
            held = {"province": user.province_id, "district": user.district_id,
                    "puskesmas": user.puskesmas_id, "village": user.village_id}
            expected = [] if bound[role] == "nation" else [bound[role]]
            assert [k for k, v in held.items() if v is not None] == expected
    assert bound == {Role.ADMIN: "district", Role.COORDINATOR: "puskesmas",
                     Role.TRAINER: "puskesmas", Role.VILLAGE_HEAD: "village",
                     Role.PROVINCE: "province", Role.NATIONAL: "nation"}
    assert set(bound) == set(Role)


def test_the_villages_of_a_district_are_villages_under_its_code(app: Flask):
    """scope.district_villages: the villages only (no kecamatan), every one whose code
    starts with the district's, and nothing for a district that does not exist."""
    with app.app_context():
        district = user_named("admin").district
        ids = set(db.session.scalars(district_villages(district.id)))
        regions = db.session.scalars(sa.select(Region).where(
            Region.code.startswith(district.code + "."))).all()
        villages = {r.id for r in regions if r.level == RegionLevel.VILLAGE}
        assert ids == villages and len(villages) > 1
        assert any(r.level == RegionLevel.SUBDISTRICT for r in regions)  # left out
        assert set(db.session.scalars(district_villages(10**6))) == set()
        # every posyandu of the district stands in one of them
        posyandu_villages = set(db.session.scalars(sa.select(Posyandu.village_id)))
        assert posyandu_villages <= ids
