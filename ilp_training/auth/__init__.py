"""Sign-in, sign-out, own password, and the role check used by the other blueprints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, user_logged_in, user_logged_out

from ilp_training.auth import sessions
from ilp_training.core import housekeeping
from ilp_training.core.extensions import login_manager
from ilp_training.models import Role, User

SESSION_TOKEN_KEY = "sid"  # the key of the sign-in's token in the Flask session

F = TypeVar("F", bound=Callable[..., Any])


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        max_age = timedelta(days=current_app.config["SESSION_MAX_AGE_DAYS"])
        return sessions.load_session_user(user_id, session.get(SESSION_TOKEN_KEY), max_age)

    # Every login_user() starts a server-side session and every logout_user() ends it,
    # whichever view calls them (see services/sessions.py).
    user_logged_in.connect(_started, app)
    user_logged_out.connect(_ended, app)
    housekeeping.add_pruner("user_sessions", _prune_sessions)


def _prune_sessions(config: Mapping[str, Any]) -> int:
    """The hourly housekeeping's part for sign-ins: those past ``SESSION_MAX_AGE_DAYS``."""
    return sessions.prune_sessions(timedelta(days=int(config["SESSION_MAX_AGE_DAYS"])))


def _started(app: Flask, user: User, **extra: Any) -> None:
    session[SESSION_TOKEN_KEY] = sessions.start_session(user)


def _ended(app: Flask, user: User, **extra: Any) -> None:
    sessions.end_session(session.pop(SESSION_TOKEN_KEY, None))


def session_token() -> str | None:
    """The token of the current request's sign-in (kept by a password change)."""
    return session.get(SESSION_TOKEN_KEY)


def signed_in_user() -> User | None:
    """The signed-in user of this request, or ``None``: anonymous, or no request at all
    (a PDF rendered by the worker), where Flask-Login's ``current_user`` is ``None``."""
    return current_user if getattr(current_user, "is_authenticated", False) else None


def permission_required(may: Callable[[User], bool]) -> Callable[[F], F]:
    """Allow the view to signed-in users for whom the area's rule ``may`` (a function of
    ``<area>/permissions.py``, e.g. ``may_manage_cadres``) holds; others get 403.

    The rule is asked before the view loads its records, so a user whose role may not do
    this gets 403 whatever the id; a permitted user asking for a record outside their
    scope gets the view's 404 (:func:`ilp_training.scope.get_scoped_or_404`)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not may(current_user):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)  # wraps() keeps the view's signature

    return decorator


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view to signed-in users with one of ``roles``; others get 403. The
    areas' views use :func:`permission_required` with a named rule instead."""
    return permission_required(lambda user: user.role in roles)
