"""Error pages in the user's language; JSON bodies for JSON clients."""

from __future__ import annotations

from typing import NoReturn

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask.sansio.app import App
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ilp_training.core.extensions import db
from ilp_training.core.request_log import request_id

#: Paths whose errors are JSON whoever asks: the machine-readable files (``….json``, and
#: ``….jwt``, a signed credential) and the API; an area adds its own prefix with
#: :func:`json_errors_under`.
JSON_SUFFIXES = (".json", ".jwt")
_PREFIXES = "json_error_prefixes"


def json_errors_under(app: App, prefix: str) -> None:
    """Answer every error of a path under ``prefix`` with the JSON body, also those the
    router gives before any view runs (a path that names nothing, a 405, a NUL's 400)."""
    app.extensions.setdefault(_PREFIXES, []).append(prefix)


def _wants_json() -> bool:
    path = request.path
    prefixes = ("/api/", *current_app.extensions.get(_PREFIXES, ()))
    return path.endswith(JSON_SUFFIXES) or path.startswith(prefixes) or (
        request.accept_mimetypes.best == "application/json"
    )


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Sign-in needed"), _("Please sign in again.")),
        403: (_("Not allowed"), _("Your role does not allow this page.")),
        404: (_("Not found"), _("This page does not exist, or it is outside your area.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        409: (_("Changed at the same moment"),
              _("Someone changed the same record at the same moment. Nothing was saved; "
                "please check the page and try again.")),
        413: (_("File too large"),
              _("The file sent is larger than the site accepts. Please send a smaller file.")),
        422: (_("Not accepted"), _("The request does not fit the API's schema.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong"), _("The error was logged. Please try again later.")),
    }


def json_error(code: int, detail: str | None = None) -> Response:
    """The JSON error body for ``code`` (``{"error": {"code", "title", "message",
    "request_id"}}``), with ``detail`` instead of the usual text, as a response of that
    status. The request id (``core/request_log.py``) is the one a user quotes."""
    title, text = _messages().get(code, (_("Error"), _("The request failed.")))
    response = jsonify(error={"code": code, "title": title, "message": detail or text,
                              "request_id": request_id()})
    response.status_code = code
    return response


def error_response(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    """The error page (or JSON body) for ``code``, with ``detail`` instead of the usual text."""
    title, text = _messages().get(code, (_("Error"), _("The request failed.")))
    if _wants_json():
        return json_error(code, detail), code
    return render_template("errors/error.html", code=code, title=title, text=detail or text,
                           request_id=request_id()), code


def refuse(code: int, detail: str) -> NoReturn:
    """Stop the request with the error page (or JSON body) of ``code`` saying ``detail``
    (translated), e.g. what a query parameter takes. ``abort(code, detail)`` would lose
    it: the handler below shows each code's own text, never an exception's description
    (Werkzeug's are English and technical)."""
    body, status = error_response(code, detail)
    abort(make_response(body, status))


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return error_response(400, _("The form has expired. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        body, code = error_response(exc.code or 500)
        # keep what the exception tells the client, e.g. Retry-After of a 429
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, code, headers

    @app.errorhandler(IntegrityError)
    def _conflict(exc: IntegrityError) -> ResponseReturnValue:
        # A unique or check constraint refused a write that a view did not expect to
        # conflict (a race it does not retry): the request changed nothing.
        db.session.rollback()
        app.logger.warning("integrity conflict (request %s): %s", request_id(), exc.orig)
        return error_response(409)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unhandled error (request %s)", request_id())
        return error_response(500)
