"""The service layer reads no request state: its modules never take ``request``,
``session``, ``g`` or ``current_app`` from Flask (the views pass plain values in).

import-linter (``make lint``) checks the other layers on the import graph; a name taken
from ``flask`` is below what it sees, so this test reads the files with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ilp_training"
REQUEST_STATE = {"request", "session", "g", "current_app"}

# The service layer: the areas' services, permissions and rules, the competency rules,
# the scope filter.
SERVICE_MODULES = sorted({
    *PACKAGE.glob("*/services.py"), *PACKAGE.glob("*/services/*.py"),
    *PACKAGE.glob("*/permissions.py"), *PACKAGE.glob("*/rules.py"),
    PACKAGE / "scoring" / "competency.py", PACKAGE / "scoring" / "services_offline.py",
    PACKAGE / "scope.py",
})

# Known offenders, each to be removed with its fix (the test fails on a stale entry too).
KNOWN = {
    # verification_url reads PUBLIC_BASE_URL (else the request's address) itself; the
    # base would have to come down from both callers (the issue view and the bulk job).
    ("certificates/services/documents.py", "current_app"),
}


def request_state(source: str) -> set[str]:
    """The request-state names the module takes from Flask: ``from flask import request``
    (at any depth, renamed or not) or ``flask.request`` after ``import flask``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            names.update(alias.name for alias in node.names if alias.name in REQUEST_STATE)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "flask" and node.attr in REQUEST_STATE):
            names.add(node.attr)
    return names


def offenders() -> set[tuple[str, str]]:
    return {
        (path.relative_to(PACKAGE).as_posix(), name)
        for path in SERVICE_MODULES
        for name in request_state(path.read_text(encoding="utf-8"))
    }


def test_the_service_layer_is_found() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in SERVICE_MODULES}
    assert {"cadres/services.py", "training/services/events.py", "incentives/rules.py",
            "scoring/competency.py", "scope.py"} <= names
    assert len(names) > 20


@pytest.mark.parametrize(("source", "found"), [
    ("from flask import request", {"request"}),
    ("from flask import abort, current_app as app, g", {"current_app", "g"}),
    ("def f():\n    from flask import session\n    return session", {"session"}),
    ("import flask\nflask.request.args", {"request"}),
    ("from flask import abort, url_for", set()),
    ("from flask_babel import gettext as g", set()),
    ("request = None", set()),
])
def test_request_state_is_recognised(source: str, found: set[str]) -> None:
    assert request_state(source) == found


def test_services_read_no_request_state() -> None:
    assert offenders() - KNOWN == set(), "a service takes request state from flask"
    assert KNOWN - offenders() == set(), "fixed: remove the entry from KNOWN"
