"""``/api/v1/session``: who is signed in, and a fresh CSRF token for writing requests.

A phone that comes back online asks here first: a 401 means the sign-in ended while it
was offline (sign in again; nothing it keeps is lost), else it gets the token to send
with its sync."""

from __future__ import annotations

import marshmallow as ma
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ilp_training.api import UNAUTHORIZED, api_blueprint, signed_in

bp = api_blueprint("api_session", __name__, "The signed-in user and the CSRF token.")


class SessionSchema(ma.Schema):
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    csrf_token = ma.fields.String(required=True, metadata={
        "description": "send it as the X-CSRFToken header of POST requests"})


@bp.get("/session")
@bp.response(200, SessionSchema)
@bp.alt_response(401, **UNAUTHORIZED)
@signed_in()
def session() -> ResponseReturnValue:
    """The signed-in user and a CSRF token."""
    return {"username": current_user.username, "display_name": current_user.display_name,
            "role": current_user.role.value, "csrf_token": generate_csrf()}
