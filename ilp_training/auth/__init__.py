"""Sign-in, sign-out, own password, and the role check used by the other blueprints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, user_logged_in, user_logged_out

from ilp_training.auth import sessions
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
    app.context_processor(role_flags)


def _started(app: Flask, user: User, **extra: Any) -> None:
    session[SESSION_TOKEN_KEY] = sessions.start_session(user)


def _ended(app: Flask, user: User, **extra: Any) -> None:
    sessions.end_session(session.pop(SESSION_TOKEN_KEY, None))


def session_token() -> str | None:
    """The token of the current request's sign-in (kept by a password change)."""
    return session.get(SESSION_TOKEN_KEY)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view to signed-in users with one of ``roles``; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)  # wraps() keeps the view's signature

    return decorator


MANAGERS = (Role.ADMIN, Role.COORDINATOR)
ASSESSORS = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)  # who may score cadres
INCENTIVE_VIEWERS = (Role.ADMIN, Role.COORDINATOR, Role.VILLAGE_HEAD)  # cadre welfare


def role_flags() -> dict[str, bool]:
    """What the signed-in user's role allows, for templates (which never test role names):
    ``is_admin`` (district office), ``is_manager`` (admin or coordinator),
    ``sees_incentives``."""
    role = getattr(current_user, "role", None)
    return {"is_admin": role == Role.ADMIN, "is_manager": role in MANAGERS,
            "sees_incentives": role in INCENTIVE_VIEWERS}
