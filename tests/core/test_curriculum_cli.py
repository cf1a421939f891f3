"""``flask curriculum check|show``, run with click's and Flask's CLI runners."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from ilp_training.core.curriculum_cli import curriculum_cli

ROOT = Path(__file__).resolve().parents[2]
CURRICULA = ROOT / "curricula"
NATIONAL = CURRICULA / "ilp-national-2024.yaml"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "curricula"


def check(*args: str):
    return CliRunner().invoke(curriculum_cli, ["check", *args])


def test_check_passes_a_valid_file_with_one_summary_line() -> None:
    result = check(str(NATIONAL))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"OK {NATIONAL}: ilp-national 2024.1, 5 packages, 25 skills, 111 indicators, "
        "levels purwa, madya, utama"
    ]


def test_check_passes_the_shipped_directory() -> None:
    result = check(str(CURRICULA))
    assert result.exit_code == 0
    assert all(line.startswith("OK ") for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("broken-points.yaml", "packages[0].skills[0].indicators[1].points: must be a whole "
                               "number of at least 1, got -1"),
        ("broken-unknown-package.yaml", "levels[0].rule.required[1]: unknown package 'F'"),
        ("broken-yaml.yaml", "bad YAML"),
    ],
)
def test_check_fails_with_the_problems(fixture: str, fragment: str) -> None:
    result = check(str(FIXTURES / fixture))
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert result.stderr.splitlines()[-1] == "1 problem(s) found."
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_check_lists_every_problem_of_a_file() -> None:
    result = check(str(FIXTURES / "broken-many.yaml"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "3 problem(s) found."


def test_check_of_a_directory_refuses_the_same_version_twice(tmp_path: Path) -> None:
    shutil.copy(NATIONAL, tmp_path / "a.yaml")
    shutil.copy(NATIONAL, tmp_path / "b.yaml")
    result = check(str(tmp_path))
    assert result.exit_code == 1
    assert "ilp-national 2024.1 is already defined in" in result.stderr


def test_check_of_an_empty_directory_fails(tmp_path: Path) -> None:
    result = check(str(tmp_path))
    assert (result.exit_code, result.stderr) == (1, f"{tmp_path}: no *.yaml files\n")


def test_check_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert check(str(tmp_path / "nope.yaml")).exit_code == 2


def app_with(curricula_dir: Path | None) -> Flask:
    """A bare Flask app with only the curriculum commands (independent of create_app)."""
    app = Flask(__name__)
    if curricula_dir is not None:
        app.config["CURRICULA_DIR"] = str(curricula_dir)
    app.cli.add_command(curriculum_cli)
    return app


def show(curricula_dir: Path | None, *args: str):
    return app_with(curricula_dir).test_cli_runner().invoke(args=["curriculum", "show", *args])


@pytest.mark.parametrize("folder", [CURRICULA, None], ids=["configured", "default"])
def test_show_lists_the_frameworks_of_the_curricula_directory(folder) -> None:
    result = show(folder)
    assert result.exit_code == 0
    assert result.output.startswith("ilp-national 2024.1 (in force from 2024-01-01): "
                                    "Basic Skills of ILP Posyandu Cadres; 5 packages")


def test_show_one_framework_in_indonesian_with_indicators() -> None:
    result = show(CURRICULA, "ilp-national", "--lang", "id", "--indicators")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "ilp-national 2024.1: Keterampilan Dasar Kader Posyandu ILP"
    assert "Package B: Bayi dan Balita" in lines
    b3 = "  B3 Menimbang dan mengukur panjang atau tinggi badan (5 indicators, 10 points)"
    assert b3 in lines
    assert any(line.startswith("    B3.2 [2 CRITICAL] Menimbang anak") for line in lines)
    assert "  madya Madya (Kuning #F9A825): A + B + 2 other package(s)" in lines


def test_show_a_version_and_an_overridden_pass_mark(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "mini.yaml", tmp_path)
    result = show(tmp_path, "mini", "--version", "1.0")
    assert "  A2 Skill A2 (2 indicators, 2 points) [pass at 50%]" in result.output.splitlines()
    assert result.exit_code == 0


def test_show_an_unknown_framework_fails() -> None:
    result = show(CURRICULA, "nope")
    assert result.exit_code == 1
    assert "No framework nope" in result.stderr and "ilp-national 2024.1" in result.stderr


def test_show_reports_a_broken_curricula_directory(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "broken-colour.yaml", tmp_path)
    result = show(tmp_path)
    assert result.exit_code == 1
    assert "levels[1].colour: 'grey' is not valid" in result.stderr
