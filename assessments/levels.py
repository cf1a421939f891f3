"""From mastered skills to packages and the proficiency level, with what to master next.

Rules (all data in the framework file): a package is mastered when every one of its
skills is mastered; a level's rule is met when every ``required`` package is mastered and
at least ``min_others`` other packages are; a cadre's level is the highest level whose
rule is met, or ``None`` ("belum berjenjang") when no rule is met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import GradingError
from .model import Framework, LevelRule, Package


@dataclass(frozen=True, slots=True)
class PackageGap:
    """A package not yet mastered and the skills (codes, framework order) it still lacks."""

    package: str
    skills: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LevelResult:
    """A cadre's level under one framework version, and the way to the next level.

    ``level``: code, or ``None`` (belum berjenjang). ``badges``: mastered skills.
    ``next_level``: the level just above (``None`` at the top). To reach it the cadre must
    complete every package in ``required_gaps`` and ``choose`` more packages from
    ``options`` (cheapest first). ``missing`` is the cheapest such path as skill codes in
    framework order: required gaps plus the first ``choose`` options. When other options
    cost the same, they are equally cheap alternatives.
    """

    level: str | None
    mastered_packages: frozenset[str]
    badges: int
    next_level: str | None
    missing: tuple[str, ...]
    required_gaps: tuple[PackageGap, ...]
    choose: int
    options: tuple[PackageGap, ...]
    framework_id: str
    framework_version: str


def mastered_packages(framework: Framework, mastered_skills: Iterable[str]) -> frozenset[str]:
    """The codes of the packages whose skills are all in ``mastered_skills``.

    Unknown skill codes raise :class:`GradingError`.
    """
    return _packages(framework, _known(framework, mastered_skills))


def determine_level(framework: Framework, mastered_skills: Iterable[str]) -> LevelResult:
    """The level reached with ``mastered_skills`` (codes; repeats count once).

    Rule: the highest level whose rule is met (module docstring). The explanation names
    the skills to master for the next level along the cheapest path: fewest skills; ties
    go to the package listed first. Unknown skill codes raise :class:`GradingError`.
    """
    skills = _known(framework, mastered_skills)
    packages = _packages(framework, skills)
    rank = -1
    for index, level in enumerate(framework.levels):
        if level.rule.is_met(packages):
            rank = index
    above = framework.levels[rank + 1] if rank + 1 < len(framework.levels) else None
    required_gaps, choose, options = (
        _gaps(framework, skills, packages, above.rule) if above else ((), 0, ())
    )
    path = {code for gap in (*required_gaps, *options[:choose]) for code in gap.skills}
    return LevelResult(
        level=framework.levels[rank].code if rank >= 0 else None,
        mastered_packages=packages,
        badges=len(skills),
        next_level=above.code if above else None,
        missing=tuple(s.code for s in framework.skills if s.code in path),
        required_gaps=required_gaps,
        choose=choose,
        options=options,
        framework_id=framework.id,
        framework_version=framework.version,
    )


def _known(framework: Framework, skill_codes: Iterable[str]) -> frozenset[str]:
    codes = frozenset(skill_codes)
    unknown = sorted(code for code in codes if not framework.has_skill(code))
    if unknown:
        raise GradingError(
            f"unknown skill {', '.join(map(repr, unknown))} in {framework.id} {framework.version}"
        )
    return codes


def _packages(framework: Framework, skills: frozenset[str]) -> frozenset[str]:
    return frozenset(
        p.code for p in framework.packages if all(code in skills for code in p.skill_codes)
    )


def _gap(package: Package, skills: frozenset[str]) -> PackageGap:
    return PackageGap(package.code, tuple(c for c in package.skill_codes if c not in skills))


def _gaps(
    framework: Framework, skills: frozenset[str], packages: frozenset[str], rule: LevelRule
) -> tuple[tuple[PackageGap, ...], int, tuple[PackageGap, ...]]:
    """What a rule still needs: unmastered required packages, how many others, candidates."""
    required = set(rule.required)
    required_gaps = tuple(
        _gap(p, skills) for p in framework.packages if p.code in required - packages
    )
    choose = max(0, rule.min_others - len(packages - required))
    candidates = [
        _gap(p, skills)
        for p in framework.packages
        if p.code not in required and p.code not in packages
    ]
    options = tuple(sorted(candidates, key=lambda gap: len(gap.skills))) if choose else ()
    return required_gaps, choose, options
