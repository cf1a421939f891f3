"""The views' shared helper for running a service call for a form."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import StringField

from ilp_training.extensions import db
from ilp_training.models import Region
from ilp_training.services import ServiceError
from ilp_training.views import committed


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
