"""Lookup tables for bulk grading: skill bitmask → mastered packages → level.

Bit ``i`` of a skill mask stands for the ``i``-th skill of the framework (package order,
then skill order), so every package owns a contiguous run of bits. Packages are grouped,
in order, into chunks of at most :data:`CHUNK_BITS` bits. One table per chunk maps the
chunk's bits to the bits of the packages fully mastered in it (bit ``j`` = ``j``-th
package); one table maps such a package mask to the level. Grading a cadre is then a few
shifts and list look-ups, with no loop over packages or rules.

Sizes are bounded by the loader (at most 16 packages, at most 16 skills per package), so
no table has more than 65,536 entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHUNK_BITS = 16


@dataclass(frozen=True, slots=True)
class Chunk:
    """One run of skill bits: ``table[(mask >> shift) & width_mask]`` = its mastered packages."""

    shift: int
    width_mask: int
    table: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LevelTable:
    """Precomputed look-ups of one framework (see the module docstring)."""

    chunks: tuple[Chunk, ...]
    codes: tuple[str | None, ...]
    ranks: tuple[int, ...]
    full_mask: int


def build_level_table(
    package_sizes: Sequence[int],
    rules: Sequence[tuple[int, int]],
    level_codes: Sequence[str],
) -> LevelTable:
    """Build the tables for packages of ``package_sizes`` skills and level ``rules``.

    ``rules[r]`` is ``(required_package_mask, min_others)`` of level ``r`` (low → high). The
    level of a package mask is the highest level whose rule it meets: every required
    package mastered and at least ``min_others`` other packages mastered. ``ranks`` holds
    that level's index, -1 when no rule is met; ``codes`` its code or ``None``.
    """
    chunks = tuple(_chunks(package_sizes))
    ranks = tuple(_rank(mask, rules) for mask in range(1 << len(package_sizes)))
    codes = tuple(level_codes[rank] if rank >= 0 else None for rank in ranks)
    return LevelTable(chunks, codes, ranks, (1 << sum(package_sizes)) - 1)


def _rank(package_mask: int, rules: Sequence[tuple[int, int]]) -> int:
    rank = -1
    for index, (required, min_others) in enumerate(rules):
        if package_mask & required == required and (
            (package_mask & ~required).bit_count() >= min_others
        ):
            rank = index
    return rank


def _chunks(package_sizes: Sequence[int]) -> list[Chunk]:
    """Group packages greedily into chunks of at most CHUNK_BITS bits."""
    chunks: list[Chunk] = []
    parts: list[tuple[int, int, int]] = []  # (offset in chunk, size, package index)
    shift = width = 0
    for index, size in enumerate(package_sizes):
        if parts and width + size > CHUNK_BITS:
            chunks.append(_chunk(shift, width, parts))
            shift, width, parts = shift + width, 0, []
        parts.append((width, size, index))
        width += size
    if parts:
        chunks.append(_chunk(shift, width, parts))
    return chunks


def _chunk(shift: int, width: int, parts: Sequence[tuple[int, int, int]]) -> Chunk:
    table = [0] * (1 << width)
    for offset, size, index in parts:
        full, bit = ((1 << size) - 1) << offset, 1 << index
        table = [t | bit if v & full == full else t for v, t in enumerate(table)]
    return Chunk(shift, (1 << width) - 1, tuple(table))
