"""Whatever a curriculum file holds, loading gives a framework or a CurriculumError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import CurriculumError, Framework, parse_framework

MINI_TEXT = (Path(__file__).parents[1] / "fixtures" / "curricula" / "mini.yaml").read_text()
MINI = yaml.load(MINI_TEXT, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=False) | TEXT
VALUES = st.recursive(
    SCALARS | st.sampled_from(["A", "A1", "A1.1", "#FFFFFF", "2025-01-01", "1.0"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


def places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) inside the parsed mini framework."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += places(value, (*path, index))
    return found


PLACES = places(MINI)[1:]


def outcome(text: str) -> Framework | CurriculumError:
    try:
        return parse_framework(text, "fuzz.yaml")
    except CurriculumError as error:
        assert error.problems and all(str(p).startswith("fuzz.yaml") for p in error.problems)
        return error


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PLACES), VALUES, st.booleans()), min_size=1,
                max_size=3))
def test_a_damaged_framework_is_reported_not_crashed(edits) -> None:
    data = copy.deepcopy(MINI)
    for path, value, delete in edits:
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if delete:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this place
    outcome(yaml.dump(data, Dumper=DUMPER, allow_unicode=True))


@given(st.text(max_size=200) | VALUES.map(lambda v: yaml.dump(v, Dumper=DUMPER)))
def test_any_text_is_reported_not_crashed(text) -> None:
    outcome(text)


def test_the_mini_text_parses() -> None:
    assert isinstance(outcome(MINI_TEXT), Framework)
