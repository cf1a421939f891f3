"""The cadre registry: roster per posyandu, profile, register, edit, move, deactivate.

A cadre is told apart from a namesake by the *cadre number* (:func:`cadre_number`), the
registry id written ``K-000123``: not personal data (unlike NIK, phone or birth date), the
same on every page, in the exports and in the activity import's "cadre ID" column.
"""

from __future__ import annotations


def cadre_number(cadre_id: int) -> str:
    """The registry number shown beside a cadre's name in lists: ``K-`` and the id on at
    least six digits (``K-000049``)."""
    return f"K-{cadre_id:06d}"


def cadre_label(name: str, cadre_id: int) -> str:
    """A cadre's name with the number, for option labels built in Python
    (``Wa Lina Saleh · K-000049``); templates use the ``cadre_name`` macro."""
    return f"{name} · {cadre_number(cadre_id)}"
