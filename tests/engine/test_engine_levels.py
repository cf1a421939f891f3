"""determine_level and mastered_packages: the level rules and the way to the next level."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessments import (
    GradingError,
    PackageGap,
    determine_level,
    load_framework,
    mastered_packages,
    regrade,
)

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = load_framework(ROOT / "curricula" / "ilp-national-2024.yaml")
MINI = load_framework(ROOT / "tests" / "fixtures" / "curricula" / "mini.yaml")


def skills(packages: str = "", *extra: str, without: tuple[str, ...] = ()) -> set[str]:
    """All national skills of ``packages`` (e.g. "ABD"), plus ``extra``, minus ``without``."""
    codes = {code for p in packages for code in NATIONAL.package(p).skill_codes}
    return (codes | set(extra)) - set(without)


def codes(package: str) -> tuple[str, ...]:
    return NATIONAL.package(package).skill_codes


@pytest.mark.parametrize(
    ("mastered", "level", "next_level", "missing"),
    [
        (skills(), None, "purwa", codes("A") + codes("B") + codes("D")),
        (skills("AB"), None, "purwa", codes("D")),
        (skills("ABC", without=("A1",)), None, "purwa", ("A1",)),
        (skills("AB", "C1", "C2", "C3", "C4", "C5", "E1"), None, "purwa", ("C6",)),
        (skills("ABC"), "purwa", "madya", codes("D")),
        (skills("ABD"), "purwa", "madya", codes("E")),
        (skills("ABE"), "purwa", "madya", codes("D")),
        (skills("ABCD"), "madya", "utama", codes("E")),
        (skills("ABCE"), "madya", "utama", codes("D")),
        (skills("ABDE", "C2"), "madya", "utama", ("C1", "C3", "C4", "C5", "C6")),
        (skills("ABCDE"), "utama", None, ()),
        (skills("CDE"), None, "purwa", codes("A") + codes("B")),
        (skills("BCDE", without=("E5",)), None, "purwa", codes("A")),
    ],
)
def test_national_levels(mastered, level, next_level, missing) -> None:
    result = determine_level(NATIONAL, mastered)
    assert (result.level, result.next_level, result.missing) == (level, next_level, missing)
    assert result.badges == len(mastered)
    assert (result.framework_id, result.framework_version) == ("ilp-national", "2024.1")


def test_the_explanation_lists_required_gaps_and_the_other_packages_to_choose_from() -> None:
    result = determine_level(NATIONAL, skills("A", "B1", "B2", "C1"))
    assert result.required_gaps == (PackageGap("B", ("B3", "B4", "B5", "B6", "B7")),)
    assert result.choose == 1
    assert result.options == (
        PackageGap("D", codes("D")),
        PackageGap("C", ("C2", "C3", "C4", "C5", "C6")),  # ties with E: listed first
        PackageGap("E", codes("E")),
    )
    assert result.missing == ("B3", "B4", "B5", "B6", "B7", "D1", "D2", "D3")


def test_equally_cheap_alternatives_are_all_offered_the_first_listed_first() -> None:
    result = determine_level(NATIONAL, skills("AB", "C1", "C2", "C3", "C4", "C5", "D1", "D2"))
    assert [(gap.package, len(gap.skills)) for gap in result.options] == [
        ("C", 1), ("D", 1), ("E", 5),
    ]
    assert result.missing == ("C6",)


def test_no_options_when_no_other_package_is_needed() -> None:
    result = determine_level(NATIONAL, skills("ABCD"))
    assert (result.choose, result.options) == (0, ())
    assert result.required_gaps == (PackageGap("E", codes("E")),)


def test_repeated_skill_codes_count_once() -> None:
    assert determine_level(NATIONAL, ["A1", "A1", "A2"]).badges == 2


@pytest.mark.parametrize("bad", [["Z1"], ["A1", "a2"], ["B8"]])
def test_unknown_skills_are_refused(bad) -> None:
    with pytest.raises(GradingError, match="unknown skill"):
        determine_level(NATIONAL, bad)
    with pytest.raises(GradingError, match="unknown skill"):
        mastered_packages(NATIONAL, bad)


@pytest.mark.parametrize(
    ("mastered", "packages"),
    [
        (set(), frozenset()),
        ({"A1", "A2", "A3"}, frozenset()),
        (skills("A"), frozenset("A")),
        (skills("AD", "E1"), frozenset("AD")),
        (skills("ABCDE"), frozenset("ABCDE")),
    ],
)
def test_a_package_is_mastered_when_all_its_skills_are(mastered, packages) -> None:
    assert mastered_packages(NATIONAL, mastered) == packages


# mini: bronze = A + 1 other, silver = A + 2 others, gold = A + B + C + D.
# Packages: A = A1, A2; B = B1, B2; C = C1; D = D1.
@pytest.mark.parametrize(
    ("mastered", "level", "missing"),
    [
        ({"B1", "B2", "C1", "D1"}, None, ("A1", "A2")),
        ({"A1", "A2"}, None, ("C1",)),
        ({"A1", "A2", "B1"}, None, ("B2",)),  # B2 and C1 cost the same: B is listed first
        ({"A1", "A2", "C1"}, "bronze", ("D1",)),
        ({"A1", "A2", "B1", "B2"}, "bronze", ("C1",)),
        ({"A1", "A2", "C1", "D1"}, "silver", ("B1", "B2")),
        ({"A1", "A2", "B1", "B2", "C1", "D1"}, "gold", ()),
    ],
)
def test_level_rules_are_data(mastered, level, missing) -> None:
    result = determine_level(MINI, mastered)
    assert (result.level, result.missing) == (level, missing)


def test_regrading_is_explicit_and_keeps_both_versions(tmp_path: Path) -> None:
    text = (ROOT / "curricula" / "ilp-national-2024.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2024.1"', 'version: "2025.1"')
    # Version 2025.1: Purwa = A + B, Madya = A + B + one other package.
    text = text.replace("min_others: 1", "min_others: 0").replace("min_others: 2", "min_others: 1")
    (tmp_path / "newer.yaml").write_text(text, encoding="utf-8")
    newer = load_framework(tmp_path / "newer.yaml")
    mastered = skills("ABD") | {"F1"}  # F1: a skill of some other framework
    before = determine_level(NATIONAL, mastered - {"F1"})
    change = regrade(newer, before, mastered)
    assert (change.before.level, change.after.level, change.changed) == ("purwa", "madya", True)
    assert change.dropped_skills == ("F1",)
    assert (before.framework_version, change.after.framework_version) == ("2024.1", "2025.1")
    same = regrade(NATIONAL, before, mastered - {"F1"})
    assert (same.changed, same.dropped_skills) == (False, ())
