"""The site's JSON API, version 1 (``/api/v1``): documented by an OpenAPI document at
``/api/v1/openapi.json``, made by flask-smorest from the blueprints' marshmallow schemas.

Signed in with the site's own session cookie; every writing request carries the CSRF
token (header ``X-CSRFToken``, from ``GET /api/v1/session``), checked by Flask-WTF as
for the forms. A refusal is a 4xx with a JSON body ``{"error": {"code", "title",
"message", "request_id"}}`` (``core.errors``; a body that does not fit the schema adds
``"fields"``).
Each area adds its endpoints as a blueprint registered in :func:`init_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import marshmallow as ma
from flask import Flask, abort, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint
from werkzeug.exceptions import UnprocessableEntity

from ilp_training.core.errors import json_error
from ilp_training.core.ids import IdConverter
from ilp_training.models import User

PREFIX = "/api/v1"
F = TypeVar("F", bound=Callable[..., Any])


class ErrorDetail(ma.Schema):
    code = ma.fields.Integer(required=True, metadata={"description": "the HTTP status"})
    title = ma.fields.String(required=True)
    message = ma.fields.String(required=True, metadata={"description": "in the user's language"})
    per_field = ma.fields.Dict(data_key="fields", metadata={
        "description": "per input field, what is wrong (422)"})
    request_id = ma.fields.String(metadata={
        "description": "the request's id (also the X-Request-ID header), to quote when "
                       "reporting the error"})


class ErrorBody(ma.Schema):
    error = ma.fields.Nested(ErrorDetail, required=True)


class Api(_SmorestApi):
    """flask-smorest's Api, minus its app-wide error handler: the site's own handlers
    (``core.errors``) already answer JSON under ``/api/``, and the HTML pages keep theirs."""

    ERROR_SCHEMA = ErrorBody
    DEFAULT_ERROR_RESPONSE_NAME = None  # every response an endpoint gives is listed

    def _register_error_handlers(self) -> None:
        pass


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A blueprint of the API under ``/api/v1`` whose schema refusals (422) say per field
    what is wrong."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX, description=description)
    blueprint.register_error_handler(UnprocessableEntity, _unprocessable)
    return blueprint


def init_app(app: Flask) -> None:
    """Bind the API and register its blueprints (after ``ids.init_app``)."""
    defaults = {
        "API_V1_API_TITLE": "ILP Training API",
        "API_V1_API_VERSION": "1",
        "API_V1_OPENAPI_VERSION": "3.0.3",
        "API_V1_OPENAPI_URL_PREFIX": PREFIX,
        "API_V1_OPENAPI_JSON_PATH": "openapi.json",
        "API_V1_API_SPEC_OPTIONS": {
            "info": {"description": __doc__},
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}}},
            "security": [{"session": []}],
        },
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    api = Api(app, config_prefix="API_V1")  # one per app: it holds the app's document
    api.register_converter(IdConverter, lambda converter: {
        "type": "integer", "minimum": 1, "maximum": converter.max})

    from ilp_training.api.session import bp as session_bp
    from ilp_training.scoring.api import bp as scoring_bp

    api.register_blueprint(session_bp)
    api.register_blueprint(scoring_bp)


def _unprocessable(exc: UnprocessableEntity) -> ResponseReturnValue:
    """A body or query that does not fit the schema: 422 with what is wrong per field."""
    fields = (getattr(exc, "data", None) or {}).get("messages", {})
    body = json_error(422, _("The request does not fit the API's schema."))
    code = body.status_code
    payload = body.get_json()
    payload["error"]["fields"] = fields.get("json", fields.get("query", fields))
    return jsonify(payload), code


def refuse(code: int, message: str | None = None) -> NoReturn:
    """End the request with the site's JSON error body."""
    abort(json_error(code, message))


def signed_in(rule: Callable[[User], bool] | None = None) -> Callable[[F], F]:
    """Signed-in users whom ``rule`` (an area's "may" rule, if given) allows: else 401
    (sign in again) or 403, as JSON (never the redirect to the sign-in page a page would
    get)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                refuse(401, _("Please sign in again."))
            if rule is not None and not rule(current_user):
                refuse(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


UNAUTHORIZED = {"description": "Not signed in, or the sign-in has ended: sign in again.",
                "schema": ErrorBody}
FORBIDDEN = {"description": "The user's role may not do this.", "schema": ErrorBody}
NOT_FOUND = {"description": "No such record in the user's area.", "schema": ErrorBody}
BAD_CSRF = {"description": "The CSRF token is missing or has expired.", "schema": ErrorBody}

__all__ = ["BAD_CSRF", "FORBIDDEN", "NOT_FOUND", "UNAUTHORIZED", "ErrorBody", "api_blueprint",
           "init_app", "refuse", "signed_in"]
