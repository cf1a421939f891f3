"""The views' shared helper for running a service call for a form."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import StringField

from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.core.views import CONFLICT_MESSAGE, committed
from ilp_training.models import Region


class _Form(FlaskForm):
    name = StringField()


def _rename(name: str, refuse: ServiceError | None = None) -> str:
    region = db.session.scalars(sa.select(Region).order_by(Region.id)).first()
    region.name = name
    db.session.flush()
    if refuse is not None:
        raise refuse
    return name


def _first_name() -> str:
    db.session.expire_all()
    return db.session.scalars(sa.select(Region.name).order_by(Region.id)).first()


def test_a_refusal_is_rolled_back_and_shown_on_its_field_or_the_form(app):
    with app.test_request_context(method="POST"):
        before = _first_name()
        form = _Form(meta={"csrf": False})
        assert committed(form, lambda: _rename("X", ServiceError("No.", "name"))) is None
        assert form.name.errors == ["No."] and _first_name() == before
        assert committed(form, lambda: _rename("Y", ServiceError("Not now."))) is None
        assert form.form_errors == ["Not now."] and _first_name() == before


def test_a_call_that_goes_through_is_committed_with_its_value(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        done = committed(form, lambda: _rename("Renamed"))
        assert done is not None and done.value == "Renamed" and not form.errors
        db.session.rollback()  # nothing left to undo: it was committed
        assert _first_name() == "Renamed"


def _take_a_used_code(calls: list[int]) -> str:
    """A write that a unique key refuses: the second region's code given to the first."""
    calls.append(1)
    first, second = db.session.scalars(sa.select(Region).order_by(Region.id).limit(2)).all()
    first.code = second.code
    db.session.flush()
    return "never"


def test_a_unique_key_conflict_is_retried_once_then_shown_and_logged(app, caplog):
    """A race's loser runs again (then the service's own checks answer); a conflict that
    persists is a form error, never a 500, and it is logged: a constraint that code keeps
    breaking must not hide behind the message for a race."""
    with app.test_request_context(method="POST"):
        before = _first_name()
        form, calls = _Form(meta={"csrf": False}), []
        with caplog.at_level("WARNING"):
            assert committed(form, lambda: _take_a_used_code(calls)) is None
        assert len(calls) == 2 and _first_name() == before
        assert form.form_errors == [str(CONFLICT_MESSAGE)]
        assert "unique or check constraint" in caplog.text


def test_an_unexpected_constraint_conflict_is_a_409_page_or_json(database_url):
    """A view that does not retry: the conflict changes nothing and answers 409, in the
    user's language or as JSON, never a 500."""
    from conftest import other_app

    with other_app(database_url) as site:
        @site.post("/probe/conflict")
        def conflict() -> str:
            calls: list[int] = []
            _take_a_used_code(calls)
            db.session.commit()
            return "stored"

        client = site.test_client()
        page = client.post("/probe/conflict")
        assert page.status_code == 409 and "pada saat yang sama" in page.get_data(as_text=True)
        answer = client.post("/probe/conflict", headers={"Accept": "application/json"})
        assert answer.status_code == 409 and answer.json["error"]["code"] == 409
        with site.app_context():
            assert len(set(db.session.scalars(sa.select(Region.code)).all())) == \
                db.session.scalar(sa.select(sa.func.count()).select_from(Region))
