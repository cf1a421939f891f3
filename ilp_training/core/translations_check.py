"""Checks that the translation catalogs are complete and keep their placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A message's id or translation as its forms: one, or one per plural form."""
    if value is None or isinstance(value, str):
        return (value or "",)
    return tuple(value)


def check_catalogs(directory: Path, extracted: Path | None = None) -> list[str]:
    """Every problem in the ``.po`` files under ``directory``, one line each.

    A message is a problem when it has no translation, is fuzzy, or its named
    placeholders differ from those of the source text; and, given ``extracted`` (a
    ``.pot`` just extracted from the code and templates), when the code says it and a
    catalog does not hold it.
    """
    problems: list[str] = []
    wanted: list[str] = []
    if extracted is not None:
        with extracted.open("rb") as handle:
            wanted = [_forms(m.id)[0] for m in read_po(handle) if m.id]
    for path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        held = {_forms(m.id)[0] for m in catalog if m.id}
        problems.extend(f"{path.parent.parent.name}: {msgid!r} is not in the catalog "
                        "(make update-translations)" for msgid in wanted if msgid not in held)
        for message in catalog:
            if not message.id:
                continue
            ids, strings = _forms(message.id), _forms(message.string)
            label = f"{path.parent.parent.name}: {ids[0]!r}"
            if message.fuzzy:
                problems.append(f"{label} is fuzzy")
            if not all(strings):
                problems.append(f"{label} has no translation")
                continue
            if any(_placeholders(s) != _placeholders(ids[-1]) for s in strings):
                problems.append(f"{label} has different placeholders")
    return problems
