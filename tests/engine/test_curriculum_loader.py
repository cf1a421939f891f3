"""Curriculum files: the shipped ones load and say what DOMAIN.md says; broken ones explain."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from assessments import (
    CurriculumError,
    Text,
    check_framework,
    determine_level,
    framework_in_force,
    load_framework,
    load_frameworks,
)

ROOT = Path(__file__).resolve().parents[2]
CURRICULA = ROOT / "curricula"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "curricula"
NATIONAL = CURRICULA / "ilp-national-2024.yaml"
SHIPPED = sorted(CURRICULA.glob("*.yaml"))
BROKEN = sorted(FIXTURES.glob("broken-*.yaml"))


def expectations(path: Path) -> list[str]:
    """The ``# expect:`` lines of a broken fixture: fragments its error must contain."""
    prefix = "# expect: "
    return [line[len(prefix):] for line in path.read_text().splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_curriculum_loads_without_problems(path: Path) -> None:
    assert check_framework(path) == []
    assert load_framework(path).source == str(path)


def test_the_curricula_directory_loads_as_a_whole() -> None:
    frameworks = load_frameworks(CURRICULA)
    assert ("ilp-national", "2024.1") in frameworks
    assert len(frameworks) == len(SHIPPED)


def test_national_framework_has_the_25_skills_in_5_packages() -> None:
    framework = load_framework(NATIONAL)
    packages = {p.code: (p.name.id, p.skill_codes) for p in framework.packages}
    assert packages == {
        "A": ("Pengelolaan Posyandu", ("A1", "A2", "A3", "A4")),
        "B": ("Bayi dan Balita", tuple(f"B{i}" for i in range(1, 8))),
        "C": ("Ibu Hamil dan Menyusui", tuple(f"C{i}" for i in range(1, 7))),
        "D": ("Usia Sekolah dan Remaja", ("D1", "D2", "D3")),
        "E": ("Usia Dewasa dan Lansia", tuple(f"E{i}" for i in range(1, 6))),
    }
    assert len(framework.skills) == 25
    assert (framework.id, framework.version) == ("ilp-national", "2024.1")


@pytest.mark.parametrize("skill", load_framework(NATIONAL).skills, ids=lambda s: s.code)
def test_each_national_skill_has_an_assessable_rubric(skill) -> None:
    assert 3 <= len(skill.indicators) <= 6
    assert any(indicator.critical for indicator in skill.indicators)
    for indicator in skill.indicators:
        assert indicator.text.id != indicator.text.en
        assert indicator.text.en[-1] in ".)" and indicator.text.id[-1] in ".)"


def test_national_indicator_texts_are_not_repeated() -> None:
    texts = [i.text.en for s in load_framework(NATIONAL).skills for i in s.indicators]
    assert len(texts) == len(set(texts))


def test_national_scale_pass_rule_and_levels() -> None:
    framework = load_framework(NATIONAL)
    assert [(o.value, o.label.id, o.label.en) for o in framework.scale.options] == [
        (0, "Belum", "Not yet"), (1, "Sebagian", "Partly"), (2, "Ya", "Yes"),
    ]
    assert (framework.pass_rule.min_percent, framework.pass_rule.all_critical) == (80, True)
    rules = [(lv.code, lv.name.id, lv.rule.required, lv.rule.min_others)
             for lv in framework.levels]
    assert rules == [
        ("purwa", "Purwa", ("A", "B"), 1),
        ("madya", "Madya", ("A", "B"), 2),
        ("utama", "Utama", ("A", "B", "C", "D", "E"), 0),
    ]
    assert framework.level("madya").colour_name.en == "Yellow"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_a_broken_file_is_refused_with_a_clear_message(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    with pytest.raises(CurriculumError) as caught:
        load_framework(path)
    message = str(caught.value)
    for fragment in expected:
        assert str(path) + fragment in message
    assert "Traceback" not in message
    assert all(line.startswith(str(path)) for line in message.splitlines())
    assert [str(p) for p in check_framework(path)] == message.splitlines()


def test_the_mini_fixture_is_valid() -> None:
    framework = load_framework(FIXTURES / "mini.yaml")
    assert [s.code for s in framework.skills] == ["A1", "A2", "B1", "B2", "C1", "D1"]
    assert framework.skill("A2").pass_rule.min_percent == 50
    assert framework.skill("A1").pass_rule == framework.pass_rule


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot be read"),
        (b"\xff\xfe\x00bad", "is not UTF-8 text"),
        (b"framework: [unclosed", "bad YAML"),
    ],
    ids=["missing", "not-utf8", "unclosed"],
)
def test_unreadable_files_are_reported_not_raised(tmp_path: Path, content, fragment) -> None:
    path = tmp_path / "x.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CurriculumError, match=fragment) as caught:
        load_framework(path)
    assert str(caught.value).startswith(str(path))
    assert isinstance(caught.value, ValueError)


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def national_data() -> dict:
    return yaml.load(NATIONAL.read_text(encoding="utf-8"), Loader=LOADER)


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_district_adds_a_level_and_changes_rules_without_code(tmp_path: Path) -> None:
    data = national_data()
    data.update(framework="ilp-buton-tengah", version="2025.1", effective_date="2025-07-01")
    purwa, madya, utama = data["levels"]
    purwa["rule"], madya["rule"], utama["rule"] = (
        {"required": ["A", "B"]},
        {"required": ["A", "B"], "min_others": 1},
        {"required": ["A", "B"], "min_others": 2},
    )
    data["levels"].append({
        "code": "paripurna", "name": {"id": "Paripurna", "en": "Paripurna"},
        "colour": "#1565C0", "colour_name": {"id": "Biru", "en": "Blue"},
        "rule": {"required": ["A", "B", "C", "D", "E"]},
    })
    district = load_framework(write(tmp_path, "district.yaml", data))
    everything = [skill.code for skill in district.skills]
    assert [level.code for level in district.levels] == ["purwa", "madya", "utama", "paripurna"]
    assert determine_level(district, everything).level == "paripurna"
    assert determine_level(district, [c for c in everything if c[0] != "E"]).level == "utama"


def test_a_directory_refuses_two_files_with_the_same_version(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", national_data())
    write(tmp_path, "b.yaml", national_data())
    with pytest.raises(CurriculumError, match=r"b\.yaml:\d+: version: ilp-national 2024\.1 is "
                                              r"already defined in .*a\.yaml"):
        load_frameworks(tmp_path)


def test_a_directory_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text((FIXTURES / "broken-points.yaml").read_text())
    (tmp_path / "two.yml").write_text((FIXTURES / "broken-colour.yaml").read_text())
    with pytest.raises(CurriculumError) as caught:
        load_frameworks(tmp_path)
    assert [p.file for p in caught.value.problems] == [
        str(tmp_path / "one.yaml"), str(tmp_path / "two.yml"),
    ]


def test_load_frameworks_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CurriculumError, match="is not a directory"):
        load_frameworks(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 12, 31), None),
        (date(2024, 1, 1), "2024.1"),
        (date(2025, 6, 30), "2024.1"),
        (date(2025, 7, 1), "2025.1"),
        (None, "2025.1"),
    ],
)
def test_the_version_in_force_is_the_latest_effective_one(tmp_path: Path, on, expected) -> None:
    write(tmp_path, "a.yaml", national_data())
    newer = national_data() | {"version": "2025.1", "effective_date": "2025-07-01"}
    write(tmp_path, "b.yaml", newer)
    frameworks = load_frameworks(tmp_path)
    if expected is None:
        with pytest.raises(LookupError, match="no version of framework 'ilp-national'"):
            framework_in_force(frameworks, "ilp-national", on)
    else:
        assert framework_in_force(frameworks, "ilp-national", on).version == expected


def test_versions_compare_as_numbers_not_text(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", national_data() | {"version": "2024.9"})
    write(tmp_path, "b.yaml", national_data() | {"version": "2024.10"})
    frameworks = load_frameworks(tmp_path)
    assert list(frameworks) == [("ilp-national", "2024.9"), ("ilp-national", "2024.10")]
    assert framework_in_force(frameworks.values(), "ilp-national").version == "2024.10"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("id", "Ya"), ("en", "Yes"), ("en_GB", "Yes"), ("EN", "Yes"), ("id_ID", "Ya"),
     (None, "Ya"), ("fr", "Ya")],
)
def test_text_picks_english_only_for_english_locales(locale, expected) -> None:
    assert Text("Ya", "Yes").get(locale) == expected
