"""Who may change the cadre registry: every "may" rule of the cadres area. Which cadres
and posyandu a user sees (everyone signed in sees the rosters and profiles of their
scope) is :mod:`ilp_training.scope`."""

from __future__ import annotations

from ilp_training.models import Role, User

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def may_manage_cadres(user: User) -> bool:
    """Whether ``user`` may register, edit, move, deactivate and reactivate the cadres of
    the posyandu they see: admins and coordinators (trainers and village heads only
    view)."""
    return user.role in MANAGERS
