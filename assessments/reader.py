"""Read YAML into checked values, recording every problem with its place and line.

A :class:`Reader` never raises on bad input: each read returns a value of the right type
(a placeholder such as ``""`` or ``0`` when the input is wrong) and records a
:class:`~assessments.errors.Problem`. The caller builds nothing from the values unless
``reader.problems`` is empty.

YAML is read with two deliberate changes to PyYAML's YAML 1.1 rules: only ``true`` and
``false`` are booleans (so ``en: Yes`` stays text), and dates stay text, checked here as
``YYYY-MM-DD`` so a bad date gets a clear message instead of a crash.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem
from .model import Text

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


# libyaml's parser when installed: ten times faster than the pure-Python one.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """SafeLoader without YAML 1.1 yes/no/on/off booleans and without implicit dates."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def join(parent: str, key: str | int) -> str:
    """The path of a child: ``join("a", "b") == "a.b"``, ``join("a", 0) == "a[0]"``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def describe(value: object) -> str:
    """How a wrong value reads in a message: ``a number (2024.1)``, ``a list``…"""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value if len(value) <= 40 else value[:37] + '...'!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return type(value).__name__


@dataclass
class Reader:
    """Collects problems for one file while its parts are read."""

    file: str
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str, line: int | None = None) -> None:
        """Record a problem at ``where``; the line is looked up unless given."""
        self.problems.append(Problem(self.file, where, message, line or self._line(where)))

    def has_problem(self, where: str) -> bool:
        """Whether a problem was recorded at ``where`` or inside it."""
        return any(
            p.where == where or p.where.startswith((where + ".", where + "["))
            for p in self.problems
        )

    def _line(self, where: str) -> int | None:
        """The line of ``where``, or of its nearest parent that has one."""
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[: max(where.rfind("."), where.rfind("["), 0)]
        return self.lines.get("")

    def parse(self, text: str) -> Any:
        """Parse YAML text and index the line of every place; ``None`` after a problem."""
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                self.add("", "the file is empty")
                return None
            self._index(node, "", set())
            return loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = exc.problem or exc.context or "cannot be read"
            column = f" (column {mark.column + 1})" if mark else ""
            self.add("", f"bad YAML: {what}{column}", mark.line + 1 if mark else None)
        except yaml.YAMLError as exc:
            self.add("", f"bad YAML: {exc}")
        finally:
            loader.dispose()
        return None

    def _index(self, node: yaml.Node, where: str, seen_nodes: set[int]) -> None:
        """Record the line of each place and report duplicate keys (aliases: once)."""
        self.lines.setdefault(where, node.start_mark.line + 1)
        if id(node) in seen_nodes:  # an alias, possibly of itself: already indexed
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.add(
                        join(where, key),
                        f"duplicate key {key!r} (first on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                        line,
                    )
                seen.setdefault(key, line)
                self._index(value_node, join(where, key), seen_nodes)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, join(where, index), seen_nodes)

    def mapping(
        self, value: object, where: str, allowed: Collection[str]
    ) -> dict[str, Any] | None:
        """``value`` as a mapping, reporting keys not in ``allowed``; ``None`` if no mapping.

        Callers stop reading an entry that is not a mapping, so one mistake gives one message.
        """
        if not isinstance(value, dict):
            self.add(where, f"must be a mapping (key: value), got {describe(value)}")
            return None
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                expected = ", ".join(sorted(allowed))
                self.add(join(where, str(key)), f"unknown key {key!r}{hint}; known: {expected}")
        return value

    def required(self, data: Mapping[str, Any], key: str, parent: str) -> bool:
        """Whether ``key`` is present; records "missing" when not."""
        if key in data:
            return True
        self.add(join(parent, key), f"is missing (every {_noun(parent)} needs {key!r})")
        return False

    def string(
        self, data: Mapping[str, Any], key: str, parent: str, pattern: str, example: str
    ) -> str:
        """A required text value matching the regular expression ``pattern``."""
        if not self.required(data, key, parent):
            return ""
        value, where = data[key], join(parent, key)
        if not isinstance(value, str):
            self.add(where, f"must be text like {example!r}, got {describe(value)}{_quote(value)}")
            return ""
        if not re.fullmatch(pattern, value):
            self.add(where, f"{value!r} is not valid; write it like {example!r}")
            return ""
        return value

    def text(self, data: Mapping[str, Any], key: str, parent: str) -> Text:
        """A required ``{id: ..., en: ...}`` text, both translations present and not blank."""
        if not self.required(data, key, parent):
            return Text("", "")
        where, value = join(parent, key), data[key]
        if not isinstance(value, dict):
            self.add(where, "must give the text in both languages as {id: ..., en: ...}, "
                            f"got {describe(value)}")
            return Text("", "")
        self.mapping(value, where, ("id", "en"))
        parts = []
        for lang, language in (("id", "Indonesian"), ("en", "English")):
            part = value.get(lang)
            if lang not in value:
                self.add(join(where, lang), f"missing translation: the {language} text ({lang})")
            elif not isinstance(part, str) or not part.strip():
                got = "blank text" if isinstance(part, str) else describe(part) + _quote(part)
                self.add(join(where, lang), f"must be {language} text, got {got}")
            parts.append(part.strip() if isinstance(part, str) else "")
        return Text(parts[0], parts[1])

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        parent: str,
        low: int,
        high: int | None = None,
        default: int | None = None,
    ) -> int:
        """A whole number from ``low`` to ``high`` (inclusive); ``default`` when absent."""
        if key not in data and default is not None:
            return default
        if not self.required(data, key, parent):
            return low
        value, where = data[key], join(parent, key)
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(where, f"must be a whole number {bounds}, got {describe(value)}")
            return low
        if value < low or (high is not None and value > high):
            self.add(where, f"must be a whole number {bounds}, got {value}")
            return low
        return value

    def boolean(self, data: Mapping[str, Any], key: str, parent: str, default: bool) -> bool:
        """``true`` or ``false``; ``default`` when absent."""
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, bool):
            self.add(join(parent, key), f"must be true or false, got {describe(value)}")
            return default
        return value

    def day(self, data: Mapping[str, Any], key: str, parent: str) -> date:
        """A required date written ``YYYY-MM-DD``."""
        if not self.required(data, key, parent):
            return date.min
        value, where = data[key], join(parent, key)
        try:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, f"must be a date written YYYY-MM-DD, got {describe(value)}")
            return date.min

    def items(self, data: Mapping[str, Any], key: str, parent: str) -> list[tuple[str, Any]]:
        """A required, non-empty list, as ``(place, item)`` pairs."""
        if not self.required(data, key, parent):
            return []
        value, where = data[key], join(parent, key)
        if not isinstance(value, list) or not value:
            got = "an empty list" if value == [] else describe(value)
            self.add(where, f"must be a list with at least one entry, got {got}")
            return []
        return [(join(where, index), item) for index, item in enumerate(value)]


def _noun(parent: str) -> str:
    """``packages[0].skills[1]`` → ``skill``; the file itself → ``framework file``."""
    if not parent:
        return "framework file"
    last = re.sub(r"\[\d+\]$", "", parent.rsplit(".", 1)[-1])
    return {"packages": "package", "skills": "skill", "indicators": "indicator",
            "levels": "level", "options": "scale option"}.get(last, last)


def _quote(value: object) -> str:
    """A hint for a value YAML read as a number or boolean where text was meant."""
    if isinstance(value, bool | int | float):
        return "; put it in quotes so YAML reads it as text"
    return ""
