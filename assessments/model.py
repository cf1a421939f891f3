"""The curriculum as frozen dataclasses: a :class:`Framework` and its parts.

Built by :mod:`assessments.curriculum` from a validated file; never mutated. Codes are the
stable identifiers stored with assessments (package ``B``, skill ``B3``, indicator
``B3.2``, level ``madya``); texts are :class:`Text` in Indonesian and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import date

from .errors import GradingError
from .tables import LevelTable, build_level_table


@dataclass(frozen=True, slots=True)
class Text:
    """A curriculum text in Indonesian (``id``) and English (``en``)."""

    id: str
    en: str

    def get(self, locale: object = None) -> str:
        """The English text for a locale starting with ``en`` (``en``, ``en_GB``), else Indonesian.

        ``locale`` is a code or anything whose ``str()`` is one (a Babel ``Locale``).
        Indonesian is the platform's default language, so it is also the fallback.
        """
        if locale is not None and str(locale).lower().startswith("en"):
            return self.en
        return self.id

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class ScaleOption:
    """One score an assessor can give an indicator, e.g. ``2`` = "Ya" / "Yes"."""

    value: int
    label: Text


@dataclass(frozen=True, slots=True)
class Scale:
    """The scoring scale: options with values 0, 1, …, max in order.

    An indicator is *met* when it is scored at the scale's maximum.
    """

    options: tuple[ScaleOption, ...]

    @property
    def max(self) -> int:
        """The top score, which means "met"."""
        return self.options[-1].value

    @property
    def values(self) -> tuple[int, ...]:
        """All allowed scores, ascending."""
        return tuple(option.value for option in self.options)

    def label(self, value: int) -> Text:
        """The label of a score; ``KeyError`` when the scale has no such value."""
        for option in self.options:
            if option.value == value:
                return option.label
        raise KeyError(value)


@dataclass(frozen=True, slots=True)
class PassRule:
    """When a skill is *kompeten*: points ≥ ``min_percent`` % and, if ``all_critical``, every
    critical indicator met. ``min_percent`` is a whole number from 0 to 100."""

    min_percent: int
    all_critical: bool = True


@dataclass(frozen=True, slots=True)
class Indicator:
    """A rubric line an assessor can observe: code ``B3.2``, text, points (≥ 1), critical flag."""

    code: str
    text: Text
    points: int
    critical: bool = False


@dataclass(frozen=True, slots=True)
class Skill:
    """One basic skill (``B3``) of a package, its indicators and its (resolved) pass rule."""

    code: str
    package: str
    name: Text
    indicators: tuple[Indicator, ...]
    pass_rule: PassRule

    @property
    def max_points(self) -> int:
        """Sum of the indicators' points."""
        return sum(indicator.points for indicator in self.indicators)

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code; ``KeyError`` when the skill has none."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class Package:
    """A skill package (``A``–``E``); mastered when every one of its skills is mastered."""

    code: str
    name: Text
    skills: tuple[Skill, ...]

    @property
    def skill_codes(self) -> tuple[str, ...]:
        """The codes of its skills, in order."""
        return tuple(skill.code for skill in self.skills)


@dataclass(frozen=True, slots=True)
class LevelRule:
    """Met by a set of mastered packages that holds every ``required`` package and at least
    ``min_others`` packages outside ``required``."""

    required: tuple[str, ...]
    min_others: int = 0

    def is_met(self, mastered_packages: Set[str]) -> bool:
        """Whether these mastered packages meet the rule (see the class docstring)."""
        required = set(self.required)
        return required <= mastered_packages and (
            len(mastered_packages - required) >= self.min_others
        )


@dataclass(frozen=True, slots=True)
class Level:
    """A proficiency level (*tingkat kecakapan*): code, name, pin colour and its rule."""

    code: str
    name: Text
    colour: str
    colour_name: Text
    rule: LevelRule


@dataclass(frozen=True, slots=True)
class Framework:
    """One version of a competency framework, e.g. ``ilp-national`` ``2024.1``.

    ``packages`` and ``levels`` keep the file's order (levels low → high); ``skills`` lists
    all skills in package order. Bit ``i`` of a skill mask (:meth:`mask`) is ``skills[i]``.
    Equality compares content, not the file it came from (``source``). Build frameworks
    with :mod:`assessments.curriculum`, which validates them; constructing one directly
    (as tests do) trusts the caller, e.g. that levels are ordered low → high.
    """

    id: str
    version: str
    effective_date: date
    title: Text
    description: Text
    scale: Scale
    pass_rule: PassRule
    packages: tuple[Package, ...]
    levels: tuple[Level, ...]
    source: str = field(default="", compare=False)
    skills: tuple[Skill, ...] = field(init=False, repr=False, compare=False)
    table: LevelTable = field(init=False, repr=False, compare=False)
    _skills: dict[str, Skill] = field(init=False, repr=False, compare=False)
    _packages: dict[str, Package] = field(init=False, repr=False, compare=False)
    _levels: dict[str, Level] = field(init=False, repr=False, compare=False)
    _bits: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        skills = tuple(skill for package in self.packages for skill in package.skills)
        package_bits = {package.code: 1 << j for j, package in enumerate(self.packages)}
        rules = [
            (sum(package_bits[code] for code in level.rule.required), level.rule.min_others)
            for level in self.levels
        ]
        table = build_level_table(
            [len(package.skills) for package in self.packages],
            rules,
            [level.code for level in self.levels],
        )
        derived = {
            "skills": skills,
            "table": table,
            "_skills": {skill.code: skill for skill in skills},
            "_packages": {package.code: package for package in self.packages},
            "_levels": {level.code: level for level in self.levels},
            "_bits": {skill.code: 1 << i for i, skill in enumerate(skills)},
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    @property
    def key(self) -> tuple[str, str]:
        """``(id, version)``, the identity stored with every result."""
        return (self.id, self.version)

    def skill(self, code: str) -> Skill:
        """The skill with this code; ``KeyError`` when the framework has none."""
        return self._skills[code]

    def package(self, code: str) -> Package:
        """The package with this code; ``KeyError`` when the framework has none."""
        return self._packages[code]

    def level(self, code: str) -> Level:
        """The level with this code; ``KeyError`` when the framework has none."""
        return self._levels[code]

    def rank(self, level_code: str | None) -> int:
        """Position of a level in ``levels`` (0 = lowest); -1 for ``None`` ("belum berjenjang")."""
        if level_code is None:
            return -1
        return self.levels.index(self._levels[level_code])

    def has_skill(self, code: str) -> bool:
        """Whether the framework defines a skill with this code."""
        return code in self._skills

    def mask(self, skill_codes: Iterable[str]) -> int:
        """The skill bitmask of these skill codes (bit ``i`` = ``skills[i]``).

        Repeated codes count once; an unknown code raises :class:`GradingError`.
        """
        bits = self._bits
        mask = 0
        for code in skill_codes:
            try:
                mask |= bits[code]
            except KeyError:
                raise GradingError(
                    f"unknown skill {code!r} in {self.id} {self.version}"
                ) from None
        return mask

    def skill_codes(self, mask: int) -> tuple[str, ...]:
        """The skill codes of a bitmask, in framework order (the inverse of :meth:`mask`)."""
        return tuple(skill.code for i, skill in enumerate(self.skills) if mask >> i & 1)
