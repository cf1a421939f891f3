"""Bulk grading: the level of many cadres at once, from skill bitmasks.

Same rule as :func:`assessments.levels.determine_level` (the highest level whose rule is
met), computed through the framework's lookup tables (:mod:`assessments.tables`): per
cadre, one table look-up per chunk of skill bits and one for the level. No explanation
is built; call ``determine_level`` for the cadres whose explanation you show.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import GradingError
from .model import Framework
from .tables import Chunk


def grade_masks(framework: Framework, masks: Iterable[int]) -> list[str | None]:
    """The level code (or ``None``) of each skill bitmask, in input order.

    Bit ``i`` of a mask is ``framework.skills[i]`` (build masks with ``framework.mask``).
    A negative mask or one with bits beyond the framework's skills raises
    :class:`GradingError`.
    """
    values = masks if isinstance(masks, list) else list(masks)
    table = framework.table
    if values and (min(values) < 0 or max(values) > table.full_mask):
        raise GradingError(
            f"skill mask out of range for {framework.id} {framework.version}: "
            f"allowed 0 to {table.full_mask}"
        )
    codes, chunks = table.codes, table.chunks
    if len(chunks) == 1:
        (only,) = chunks
        single = only.table
        return [codes[single[m]] for m in values]
    if len(chunks) == 2:
        low, high = chunks
        low_table, low_mask, high_table, shift = low.table, low.width_mask, high.table, high.shift
        return [codes[low_table[m & low_mask] | high_table[m >> shift]] for m in values]
    return [codes[_packages(chunks, m)] for m in values]


def _packages(chunks: tuple[Chunk, ...], mask: int) -> int:
    packages = 0
    for chunk in chunks:
        packages |= chunk.table[(mask >> chunk.shift) & chunk.width_mask]
    return packages


def grade_many(framework: Framework, cadres: Iterable[Iterable[str]]) -> list[str | None]:
    """The level code (or ``None``) of each cadre given as mastered skill codes.

    Same rule and errors as :func:`grade_masks`; unknown skill codes raise
    :class:`GradingError`.
    """
    return grade_masks(framework, [framework.mask(skills) for skills in cadres])
