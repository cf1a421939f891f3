"""Who may score cadres: every "may" rule of the scoring area. Which posyandu, sittings
and assessments a user sees is :mod:`ilp_training.scope`."""

from __future__ import annotations

from ilp_training.models import Cadre, Role, User

ASSESSORS = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)


def may_score(user: User) -> bool:
    """Whether ``user`` may open assessment sittings, score cadres and correct assessments
    at the posyandu they see: the assessors (admins, coordinators and trainers); village
    heads never score."""
    return user.role in ASSESSORS


def may_assess_cadre(user: User, cadre: Cadre) -> bool:
    """Whether ``user`` may assess ``cadre`` (a cadre they see): an assessor, and the
    cadre is active (an inactive cadre is not assessed)."""
    return may_score(user) and cadre.is_active
