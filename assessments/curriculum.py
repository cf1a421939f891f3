"""Load and validate curriculum files (one YAML file per framework version).

The format is documented in ``curricula/README.md``. Loading never shows a traceback for a
bad file: it raises :class:`CurriculumError` listing every problem, each with the file,
the line, the place (``packages[1].skills[2].indicators[0].points``) and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from .checks import check_cross_references
from .errors import CurriculumError, Problem
from .model import (
    Framework,
    Indicator,
    Level,
    LevelRule,
    Package,
    PassRule,
    Scale,
    ScaleOption,
    Skill,
    Text,
)
from .reader import Reader, describe, join

SCHEMA = 1
TOP_KEYS = ("schema", "framework", "version", "effective_date", "title", "description",
            "scale", "pass_rule", "packages", "levels")
FRAMEWORK_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
VERSION = r"[0-9]+(?:\.[0-9]+)*"
PACKAGE_CODE = r"[A-Z][A-Z0-9]*"
SKILL_CODE = r"[A-Z][A-Z0-9]*[0-9]"
INDICATOR_CODE = r"[A-Z][A-Z0-9]*[0-9]\.[0-9]+"
LEVEL_CODE = r"[a-z][a-z0-9_-]*"
COLOUR = r"#[0-9A-Fa-f]{6}"


def load_framework(path: str | Path) -> Framework:
    """Load one curriculum file; :class:`CurriculumError` lists every problem if it is invalid."""
    reader, framework = _read_file(Path(path))
    if framework is None:
        raise CurriculumError(reader.problems)
    return framework


def check_framework(path: str | Path) -> list[Problem]:
    """Every problem in one curriculum file; an empty list means it loads."""
    return _read_file(Path(path))[0].problems


def parse_framework(text: str, source: str = "<text>") -> Framework:
    """Load a framework from YAML text (e.g. an upload); problems name ``source`` as the file."""
    reader, framework = _read_text(Reader(source), text)
    if framework is None:
        raise CurriculumError(reader.problems)
    return framework


def load_frameworks(directory: str | Path) -> dict[tuple[str, str], Framework]:
    """Load every ``*.yaml``/``*.yml`` file directly inside ``directory``.

    Returns ``{(id, version): framework}`` ordered by id, then effective date. Raises
    :class:`CurriculumError` with the problems of all files if any file is invalid or two
    files define the same id and version.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise CurriculumError([Problem(str(folder), "", "is not a directory")])
    problems: list[Problem] = []
    found: dict[tuple[str, str], Framework] = {}
    for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        reader, framework = _read_file(file)
        problems += reader.problems
        if framework is None:
            continue
        if framework.key in found:
            other = found[framework.key].source
            message = f"{framework.id} {framework.version} is already defined in {other}"
            problems.append(Problem(str(file), "version", message, reader.lines.get("version")))
        else:
            found[framework.key] = framework
    if problems:
        raise CurriculumError(problems)
    ordered = sorted(found.values(), key=lambda f: (f.id, f.effective_date, version_key(f)))
    return {framework.key: framework for framework in ordered}


def framework_in_force(
    frameworks: Mapping[tuple[str, str], Framework] | Iterable[Framework],
    framework_id: str,
    on: date | None = None,
) -> Framework:
    """The version of ``framework_id`` in force on day ``on`` (default: the latest).

    Rule: among the versions whose effective date is not after ``on``, the one with the
    latest effective date; ties go to the higher version number. ``LookupError`` if none.
    """
    pool = frameworks.values() if isinstance(frameworks, Mapping) else frameworks
    candidates = [
        f for f in pool if f.id == framework_id and (on is None or f.effective_date <= on)
    ]
    if not candidates:
        when = f" on {on.isoformat()}" if on else ""
        raise LookupError(f"no version of framework {framework_id!r} is in force{when}")
    return max(candidates, key=lambda f: (f.effective_date, version_key(f)))


def version_key(framework: Framework) -> tuple[int, ...]:
    """Version ``2024.10`` as ``(2024, 10)``, so that it sorts after ``2024.9``."""
    return tuple(int(part) for part in framework.version.split("."))


def _read_file(path: Path) -> tuple[Reader, Framework | None]:
    reader = Reader(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        reader.add("", "is not UTF-8 text")
        return reader, None
    except OSError as exc:
        reader.add("", f"cannot be read: {exc.strerror or exc}")
        return reader, None
    return _read_text(reader, text)


def _read_text(reader: Reader, text: str) -> tuple[Reader, Framework | None]:
    data = reader.parse(text)
    if data is None and reader.problems:
        return reader, None
    if not isinstance(data, dict):
        reader.add("", f"must hold a mapping (framework: ..., version: ...), got {describe(data)}")
        return reader, None
    framework = _read_framework(reader, data, reader.file)
    return reader, (None if reader.problems else framework)


def _read_framework(reader: Reader, value: dict[str, Any], source: str) -> Framework | None:
    data = reader.mapping(value, "", TOP_KEYS) or {}
    if reader.required(data, "schema", "") and data["schema"] != SCHEMA:
        reader.add("schema", f"this engine reads schema {SCHEMA}, got {data['schema']!r}")
    framework_id = reader.string(data, "framework", "", FRAMEWORK_ID, "ilp-national")
    version = reader.string(data, "version", "", VERSION, "2024.1")
    effective_date = reader.day(data, "effective_date", "")
    title, description = reader.text(data, "title", ""), reader.text(data, "description", "")
    scale = _read_scale(reader, data)
    default_rule = _read_pass_rule(reader, data, "", None)
    packages = tuple(
        _read_package(reader, item, where, default_rule)
        for where, item in reader.items(data, "packages", "")
    )
    levels = tuple(
        _read_level(reader, item, where) for where, item in reader.items(data, "levels", "")
    )
    check_cross_references(reader, packages, levels)
    if reader.problems:
        return None
    return Framework(framework_id, version, effective_date, title, description, scale,
                     default_rule, packages, levels, source=source)


def _read_scale(reader: Reader, data: Mapping[str, Any]) -> Scale:
    if not reader.required(data, "scale", ""):
        return Scale(())
    scale = reader.mapping(data["scale"], "scale", ("options",))
    if scale is None:
        return Scale(())
    options = []
    for where, item in reader.items(scale, "options", "scale"):
        option = reader.mapping(item, where, ("value", "label"))
        if option is None:
            continue
        value = reader.integer(option, "value", where, 0)
        options.append(ScaleOption(value, reader.text(option, "label", where)))
    values = [option.value for option in options]
    if len(values) == 1:
        reader.add("scale.options", "needs at least two options, e.g. 0 = not yet and 1 = yes")
    elif values != list(range(len(values))):
        got = ", ".join(str(v) for v in values)
        reader.add("scale.options", f"values must be 0, 1, 2, … in this order; got {got}")
    return Scale(tuple(options))


def _read_pass_rule(
    reader: Reader, data: Mapping[str, Any], parent: str, base: PassRule | None
) -> PassRule:
    """The file's default rule (``base`` is None: required) or a skill's override of ``base``."""
    if base is None and not reader.required(data, "pass_rule", parent):
        return PassRule(0)
    where = join(parent, "pass_rule")
    rule = reader.mapping(data["pass_rule"], where, ("min_percent", "all_critical"))
    if rule is None:
        return base or PassRule(0)
    percent = reader.integer(
        rule, "min_percent", where, 0, 100, default=None if base is None else base.min_percent
    )
    all_critical = reader.boolean(
        rule, "all_critical", where, True if base is None else base.all_critical
    )
    if percent == 0 and not all_critical and not reader.has_problem(where):
        reader.add(where, "passes everyone: set min_percent above 0 or all_critical: true")
    return PassRule(percent, all_critical)


def _read_package(reader: Reader, item: object, where: str, rule: PassRule) -> Package:
    data = reader.mapping(item, where, ("code", "name", "skills"))
    if data is None:
        return Package("", Text("", ""), ())
    code = reader.string(data, "code", where, PACKAGE_CODE, "B")
    name = reader.text(data, "name", where)
    skills = tuple(
        _read_skill(reader, skill, place, code, rule)
        for place, skill in reader.items(data, "skills", where)
    )
    return Package(code, name, skills)


def _read_skill(reader: Reader, item: object, where: str, package: str, rule: PassRule) -> Skill:
    data = reader.mapping(item, where, ("code", "name", "pass_rule", "indicators"))
    if data is None:
        return Skill("", package, Text("", ""), (), rule)
    code = reader.string(data, "code", where, SKILL_CODE, "B3")
    if code and package and not re.fullmatch(re.escape(package) + r"[0-9]+", code):
        reader.add(join(where, "code"),
                   f"{code!r} must be its package code {package!r} and a number, e.g. {package}1")
    name = reader.text(data, "name", where)
    if "pass_rule" in data:
        rule = _read_pass_rule(reader, data, where, rule)
    indicators = tuple(
        _read_indicator(reader, indicator, place, code)
        for place, indicator in reader.items(data, "indicators", where)
    )
    return Skill(code, package, name, indicators, rule)


def _read_indicator(reader: Reader, item: object, where: str, skill: str) -> Indicator:
    data = reader.mapping(item, where, ("code", "text", "points", "critical"))
    if data is None:
        return Indicator("", Text("", ""), 1)
    code = reader.string(data, "code", where, INDICATOR_CODE, "B3.2")
    if code and skill and not re.fullmatch(re.escape(skill) + r"\.[0-9]+", code):
        reader.add(join(where, "code"),
                   f"{code!r} must be its skill code {skill!r}, a dot and a number, e.g. {skill}.1")
    text = reader.text(data, "text", where)
    points = reader.integer(data, "points", where, 1)
    return Indicator(code, text, points, reader.boolean(data, "critical", where, False))


def _read_level(reader: Reader, item: object, where: str) -> Level:
    data = reader.mapping(item, where, ("code", "name", "colour", "colour_name", "rule"))
    if data is None:
        return Level("", Text("", ""), "", Text("", ""), LevelRule(()))
    code = reader.string(data, "code", where, LEVEL_CODE, "madya")
    name = reader.text(data, "name", where)
    colour = reader.string(data, "colour", where, COLOUR, "#F9A825")
    colour_name = reader.text(data, "colour_name", where)
    rule = LevelRule(())
    if reader.required(data, "rule", where):
        place = join(where, "rule")
        rule_data = reader.mapping(data["rule"], place, ("required", "min_others")) or {}
        required = rule_data.get("required", [])
        if not isinstance(required, list) or not all(isinstance(c, str) for c in required):
            reader.add(join(place, "required"), "must be a list of package codes, e.g. [A, B]")
            required = []
        min_others = reader.integer(rule_data, "min_others", place, 0, default=0)
        rule = LevelRule(tuple(required), min_others)
    return Level(code, name, colour, colour_name, rule)
