"""A request id for every request, and one access line per request in the log.

**The id.** A proxy in front of several app servers can name each request (nginx's
``$request_id``, sent as ``X-Request-ID``); the app keeps that name when it is
well-formed (1 to 64 of ``A-Z a-z 0-9 . _ -``: nothing that could break a log line or a
header), else makes its own (32 hex digits, as nginx does). It goes back in the
``X-Request-ID`` response header, into the access line, into the log of an unexpected
error, and onto the error pages and JSON errors, so that a user can quote it and the one
line in the logs of many servers be found.

**The access line** (logger ``ilp_training.access``, level INFO), one per request, after
the response is made::

    request_id=3f2a… method=GET path=/roster?q=…&page=… status=200 ms=12.4 user=7

The query's values are never logged (a search may hold a name or a NIK), only its
parameter names; the path is quoted, so no control character reaches the log. ``user`` is
the signed-in user's id when the request loaded one (``-`` otherwise: no query is made
for the log). Under gunicorn, ``gunicorn.conf.py`` sends the ``ilp_training`` loggers to
its error log; elsewhere Flask's own handler (stderr) writes them.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import quote

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")
PATH_LIMIT = 300  # characters of the path in a log line
ACCESS_LOGGER = "ilp_training.access"
_SAFE_PATH = "/:@!$&'()*+,;=-._~"  # RFC 3986 path characters kept as they are

access_log = logging.getLogger(ACCESS_LOGGER)


def request_id() -> str:
    """The current request's id (chosen once per request); ``-`` outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if WELL_FORMED.fullmatch(given) else secrets.token_hex(16)
    return str(g.request_id)


def logged_path() -> str:
    """The request's path, quoted and bounded, with its query's parameter names only."""
    path = quote(request.path, safe=_SAFE_PATH)[:PATH_LIMIT]
    names = list(dict.fromkeys(request.args.keys()))
    if names:
        path += "?" + "&".join(f"{quote(name, safe='')[:40]}=…" for name in names[:20])
    return path


def _user_id() -> str:
    # Flask-Login keeps the user it loaded for this request in g._login_user; the log
    # reads it there rather than loading one (a query) for a request that needed none.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return "-"
    return str(user.get_id())


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    rid = request_id()
    response.headers[HEADER] = rid
    started = g.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    access_log.info("request_id=%s method=%s path=%s status=%d ms=%.1f user=%s", rid,
                    request.method, logged_path(), response.status_code, elapsed, _user_id())
    return response


def init_app(app: Flask) -> None:
    """Install the hooks: first of the ``before_request`` hooks (a request refused by a
    later one is still timed and logged) and an ``after_request`` hook, which also runs
    for error pages. The access logger logs INFO lines whatever the root level is."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
    app.logger  # noqa: B018 (made now: Flask gives it a handler unless logging has one)
