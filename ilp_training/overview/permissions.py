"""Who sees what on the overview pages: every "may" rule of the overview area. Which
places' counts a user sees is :func:`ilp_training.scope.place_scope` (a place outside it
is a 404); the pages change nothing, so there is no rule to change anything here."""

from __future__ import annotations

from ilp_training.models import User
from ilp_training.scope import sees_people


def may_see_overview(user: User) -> bool:
    """Whether ``user`` has the overview pages in the menu: everyone signed in (each role
    sees the counts of its own place and below)."""
    return user.is_active


def may_open_posyandu_records(user: User) -> bool:
    """Whether a posyandu's overview links to the posyandu's own page (its cadres by
    name): for those who see people there today (:func:`ilp_training.scope.sees_people`;
    the posyandu of their place scope are those of their records' scope). Province and
    national users see counts, never a name."""
    return sees_people(user)
