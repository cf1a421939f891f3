"""Checks across a whole curriculum file: unique codes, sizes, level rules and their order."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from .model import Level, Package
from .reader import Reader
from .tables import CHUNK_BITS

MAX_PACKAGES = 16
MAX_SKILLS_PER_PACKAGE = CHUNK_BITS


def check_cross_references(
    reader: Reader, packages: Sequence[Package], levels: Sequence[Level]
) -> None:
    """Record problems that no single entry shows.

    Rules: package, skill, indicator and level codes are unique in the file; at most
    16 packages and 16 skills per package (the size of the bulk-grading tables); a level
    rule names only known packages and can be met; levels go from lowest to highest, each
    met only by package sets that also meet the one before, and never by exactly the same.
    """
    skills = [
        (f"packages[{i}].skills[{j}].code", skill.code)
        for i, package in enumerate(packages)
        for j, skill in enumerate(package.skills)
    ]
    indicators = [
        (f"packages[{i}].skills[{j}].indicators[{k}].code", indicator.code)
        for i, package in enumerate(packages)
        for j, skill in enumerate(package.skills)
        for k, indicator in enumerate(skill.indicators)
    ]
    _unique(reader, "package", [(f"packages[{i}].code", p.code) for i, p in enumerate(packages)])
    _unique(reader, "skill", skills)
    _unique(reader, "indicator", indicators)
    _unique(reader, "level", [(f"levels[{i}].code", lv.code) for i, lv in enumerate(levels)])
    _check_sizes(reader, packages)
    _check_rules(reader, packages, levels)
    codes = [package.code for package in packages]
    if not reader.has_problem("levels") and all(codes) and len(codes) <= MAX_PACKAGES:
        _check_order(reader, codes, levels)


def _unique(reader: Reader, what: str, places: Sequence[tuple[str, str]]) -> None:
    first: dict[str, str] = {}
    for where, code in places:
        if not code:  # already reported as missing or malformed
            continue
        if code in first:
            reader.add(where, f"duplicate {what} code {code!r} (also at {first[code]})")
        else:
            first[code] = where


def _check_sizes(reader: Reader, packages: Sequence[Package]) -> None:
    if len(packages) > MAX_PACKAGES:
        reader.add("packages", f"has {len(packages)} packages; the engine takes at most "
                               f"{MAX_PACKAGES}")
    for i, package in enumerate(packages):
        if len(package.skills) > MAX_SKILLS_PER_PACKAGE:
            reader.add(f"packages[{i}].skills", f"has {len(package.skills)} skills; the engine "
                       f"takes at most {MAX_SKILLS_PER_PACKAGE} per package (split the package)")


def _check_rules(reader: Reader, packages: Sequence[Package], levels: Sequence[Level]) -> None:
    codes = [package.code for package in packages]
    known = ", ".join(codes)
    for i, level in enumerate(levels):
        where, required = f"levels[{i}].rule", level.rule.required
        if reader.has_problem(f"levels[{i}]"):
            continue  # not read in full: its rule would only give follow-on messages
        for j, code in enumerate(required):
            if code not in codes and "" not in codes:
                reader.add(f"{where}.required[{j}]",
                           f"unknown package {code!r}; the packages are {known}")
        if len(set(required)) != len(required):
            reader.add(f"{where}.required", "lists the same package more than once")
        others = len(set(codes) - set(required))
        if level.rule.min_others > others:
            reader.add(f"{where}.min_others",
                       f"asks for {level.rule.min_others} other packages, but only {others} "
                       "packages are not in 'required', so no cadre could reach this level")
        if not required and level.rule.min_others == 0:
            reader.add(where, "is met with no package mastered; name required packages or "
                              "set min_others")


def _check_order(reader: Reader, codes: Sequence[str], levels: Sequence[Level]) -> None:
    """Each level's package sets must be a strict subset of the previous level's."""
    sets = [frozenset(c) for n in range(len(codes) + 1) for c in combinations(codes, n)]
    met = [{s for s in sets if level.rule.is_met(s)} for level in levels]
    for i in range(1, len(levels)):
        lower, higher = levels[i - 1].code, levels[i].code
        escaped = met[i] - met[i - 1]
        if escaped:
            smallest = min(escaped, key=lambda s: (len(s), sorted(map(codes.index, s))))
            example = ", ".join(c for c in codes if c in smallest) or "none"
            reader.add(f"levels[{i}]",
                       f"level {higher!r} can be reached without {lower!r} (for example with "
                       f"packages {example}); list levels from lowest to highest, each at "
                       "least as demanding as the one before")
        elif met[i] == met[i - 1]:
            reader.add(f"levels[{i}]",
                       f"level {higher!r} is met by exactly the same packages as {lower!r}, "
                       f"so {lower!r} could never be awarded")
