"""Who sees which roster view: every "may" rule of the rosters area. The rows themselves
are filtered by :mod:`ilp_training.scope`."""

from __future__ import annotations

from ilp_training.models import Role, User


def may_see_district(user: User) -> bool:
    """Whether ``user`` sees the district view (levels and gaps per puskesmas) and gets
    summaries with one row per puskesmas: the district's admins; everyone else gets one
    row per posyandu of their scope."""
    return user.role == Role.ADMIN
