"""Demo trainings of Puskesmas Mawasangka Tengah: two finished (a refresher on package D
for cadres of Anggrek and Melati, an orientation on package A for Mawar and Cempaka) and
one planned (package E, still empty, to fill from the planning page).

Built through the services, so the records, outcomes and audit entries are what the site
itself would write. Deterministic: no random draws.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreSkill,
    Organiser,
    Posyandu,
    Puskesmas,
    TrainingType,
    User,
)
from ilp_training.training.services import events
from ilp_training.training.services import participation as service


def _cadres(puskesmas_id: int, name: str, without: str, limit: int) -> list[Cadre]:
    """The first ``limit`` cadres of a posyandu without any skill of package ``without``."""
    has_package = sa.select(CadreSkill.cadre_id).where(CadreSkill.skill_code.startswith(without))
    return list(db.session.scalars(
        sa.select(Cadre).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Posyandu.puskesmas_id == puskesmas_id, Posyandu.name == name,
               Cadre.id.not_in(has_package))
        .order_by(Cadre.id).limit(limit)))


def _puskesmas(coordinator: User) -> Puskesmas:
    puskesmas = coordinator.puskesmas
    if puskesmas is None:
        raise ValueError("the demo's coordinator works at a puskesmas")
    return puskesmas


def _run(coordinator: User, framework: Framework, data: events.EventData,
         cadres: list[Cadre], absent_day2: int, scores: list[tuple[int, int]],
         today: date) -> int:
    puskesmas = _puskesmas(coordinator)
    event = events.create_event(coordinator, puskesmas.district, puskesmas, data, framework)
    added = service.add_participants(coordinator, event, [c.id for c in cadres]).added
    ids = [p.id for p in added]
    for index, day in enumerate(event.days):
        present = ids if index == 0 else [i for n, i in enumerate(ids) if n != absent_day2]
        service.record_attendance(coordinator, event, day, set(present), today)
    service.record_scores(coordinator, event, {
        pid: scores[n % len(scores)] for n, pid in enumerate(ids)})
    return service.finish_event(coordinator, event, today)


def load_demo_trainings(framework: Framework, coordinator: User, trainer: User,
                        today: date) -> int:
    """Add the demo trainings (the caller commits); returns the number of events."""
    puskesmas = _puskesmas(coordinator)
    pid = puskesmas.id
    package = framework.package
    refresher = events.EventData(
        type=TrainingType.REFRESHER, title="Penyegaran Paket D: Usia Sekolah dan Remaja",
        organiser=Organiser.PUSKESMAS, venue="Aula Puskesmas Mawasangka Tengah",
        start_date=today - timedelta(days=60), end_date=today - timedelta(days=59),
        capacity=20, pass_mark=70, skill_codes=package("D").skill_codes,
        facilitator_ids=(trainer.id,), outside_facilitators=("Bidan Wa Ode Salma",))
    _run(coordinator, framework, refresher,
         _cadres(pid, "Anggrek", "D", 6) + _cadres(pid, "Melati", "D", 4), absent_day2=3,
         scores=[(45, 80), (60, 85), (52, 75), (40, 78), (55, 65), (70, 90)], today=today)
    orientation = events.EventData(
        type=TrainingType.ORIENTATION, title="Orientasi ILP: Pengelolaan Posyandu",
        organiser=Organiser.PUSKESMAS, venue="Balai Desa Lantongau",
        start_date=today - timedelta(days=120), end_date=today - timedelta(days=120),
        capacity=15, pass_mark=60, skill_codes=package("A").skill_codes,
        facilitator_ids=(coordinator.id,))
    _run(coordinator, framework, orientation,
         _cadres(pid, "Mawar", "A", 4) + _cadres(pid, "Cempaka", "A", 4), absent_day2=-1,
         scores=[(50, 72), (38, 66), (62, 80), (45, 58)], today=today)
    events.create_event(coordinator, puskesmas.district, puskesmas, events.EventData(
        type=TrainingType.BASIC, title="Pelatihan Paket E: Usia Dewasa dan Lansia",
        organiser=Organiser.PUSKESMAS, venue="Aula Puskesmas Mawasangka Tengah",
        start_date=today + timedelta(days=21), end_date=today + timedelta(days=23),
        capacity=25, pass_mark=70, skill_codes=package("E").skill_codes,
        facilitator_ids=(trainer.id,)), framework)
    return 3
