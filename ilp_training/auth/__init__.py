"""Sign-in, sign-out, own password, and the role check used by the other blueprints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db, login_manager
from ..models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view to signed-in users with one of ``roles``; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


MANAGERS = (Role.ADMIN, Role.COORDINATOR)
ASSESSORS = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)  # who may score cadres
INCENTIVE_VIEWERS = (Role.ADMIN, Role.COORDINATOR, Role.VILLAGE_HEAD)  # cadre welfare
