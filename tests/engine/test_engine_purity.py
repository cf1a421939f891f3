"""The engine stays pure: standard library and PyYAML only, small documented pieces."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "assessments"
MODULES = sorted(ENGINE.rglob("*.py"))
ALLOWED = set(sys.stdlib_module_names) | {"yaml"}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(module: ast.Module) -> set[str]:
    """Top-level names of every absolute import in the module (relative ones are internal)."""
    names = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_engine_has_modules() -> None:
    assert ENGINE / "__init__.py" in MODULES and len(MODULES) > 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_engine_module_imports_no_web_or_database_code(path: Path) -> None:
    names = imported(tree(path))
    assert not names & {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "ilp_training"}
    assert names <= ALLOWED, f"{path.name} imports {sorted(names - ALLOWED)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_engine_module_is_small_and_documented(path: Path) -> None:
    module = tree(path)
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300
    assert ast.get_docstring(module)
    public = [
        node for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    ]
    undocumented = [node.name for node in public if not ast.get_docstring(node)]
    assert undocumented == []
