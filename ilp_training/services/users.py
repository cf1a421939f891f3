"""User accounts: sign-in with throttling, creation, deactivation and passwords."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Puskesmas, Region, RegionLevel, Role, User, utcnow
from . import ServiceError, audit, sessions, throttle

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,60}$")


@dataclass(frozen=True)
class LoginPolicy:
    """At most ``max_failures`` failed sign-ins per name and per client in ``window_seconds``."""

    max_failures: int = 5
    window_seconds: int = 900
    password_method: str = "scrypt"


class LoginThrottled(ServiceError):
    """Too many failed sign-ins: the caller must wait."""


@dataclass(frozen=True)
class SignInCheck:
    """The outcome of checking a sign-in: the user if the credentials hold, and the
    throttle keys to count a failure under (name, client)."""

    user_id: int | None
    keys: tuple[str, str]


def check_credentials(username: str, password: str, client: str,
                      policy: LoginPolicy) -> SignInCheck:
    """Check a sign-in without writing anything (the slow part: the password hash).

    A name or client address with ``policy.max_failures`` failures inside the window is
    refused with :class:`LoginThrottled` before the password is even checked. Only an
    active user with a matching password passes. :func:`record_sign_in` then stores the
    outcome.
    """
    name = username.strip().lower()
    keys = (f"login:user:{name}", f"login:client:{client}")
    if any(throttle.is_limited(k, policy.max_failures, policy.window_seconds) for k in keys):
        raise LoginThrottled(_l("Too many failed sign-ins. Try again in a few minutes."))
    user = db.session.scalar(sa.select(User).where(User.username == name))
    if user is None or not user.active or not user.check_password(password):
        return SignInCheck(None, keys)
    return SignInCheck(user.id, keys)


def record_sign_in(check: SignInCheck) -> User | None:
    """Store a checked sign-in: a failure counts against the name and the client; a
    success clears the name's counter and stamps the time. Returns the user signed in,
    or ``None`` (also when the account was deactivated since the check)."""
    user = db.session.get(User, check.user_id) if check.user_id is not None else None
    if user is None or not user.active:
        for key in check.keys:
            throttle.hit(key)
        return None
    throttle.clear(check.keys[0])
    user.last_login_at = utcnow()
    return user


COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
_WRAPPING = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, lower case (source and licence:
    ``ilp_training/data/README.md``)."""
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split())


def check_new_password(password: str, username: str = "", user: User | None = None) -> None:
    """Refuse a weak new password (on the form's ``password`` field).

    A new password has at least ``MIN_PASSWORD_LENGTH`` characters; is not one character
    repeated; is not the login name ``username``, nor a common password (the shipped
    list), also not once the digits, punctuation and spaces around it are taken off and
    whatever the letter case (``Admin2026!`` is the name, ``Password123`` is common); and
    is not the current password of ``user`` (when given).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), "password"
        )
    if len(set(password)) == 1:
        raise ServiceError(_l("The password cannot be one character repeated."), "password")
    forms = {password.lower(), password.lower().strip(_WRAPPING)} - {""}
    if username and username.strip().lower() in forms:
        raise ServiceError(_l("The password cannot be the login name."), "password")
    if forms & common_passwords():
        raise ServiceError(
            _l("This password is one of the most common ones; choose another."), "password")
    if user is not None and user.check_password(password):
        raise ServiceError(
            _l("The new password must differ from the current one."), "password")


@dataclass(frozen=True)
class UserData:
    username: str
    display_name: str
    role: Role
    place_id: int
    locale: str | None = None


def _bind_place(user: User, role: Role, place_id: int) -> None:
    """Bind ``user`` to the place its role needs; raise if the place is of the wrong kind."""
    user.district_id = user.puskesmas_id = user.village_id = None
    if role == Role.ADMIN:
        region = db.session.get(Region, place_id)
        if region is None or region.level != RegionLevel.REGENCY:
            raise ServiceError(_l("Choose a district."), "place_id")
        user.district_id = region.id
    elif role in (Role.COORDINATOR, Role.TRAINER):
        if db.session.get(Puskesmas, place_id) is None:
            raise ServiceError(_l("Choose a puskesmas."), "place_id")
        user.puskesmas_id = place_id
    else:
        region = db.session.get(Region, place_id)
        if region is None or region.level != RegionLevel.VILLAGE:
            raise ServiceError(_l("Choose a village."), "place_id")
        user.village_id = region.id


def create_user(actor: User | None, data: UserData, password: str, method: str = "scrypt") -> User:
    """Create an active user; the login name is lower case, unique, 3–60 of ``a-z0-9._-``."""
    name = data.username.strip().lower()
    if not USERNAME_RE.match(name):
        raise ServiceError(
            _l("Use 3 to 60 lower-case letters, digits, dots, dashes or underscores."), "username"
        )
    if db.session.scalar(sa.select(User.id).where(User.username == name)) is not None:
        raise ServiceError(_l("This login name is taken."), "username")
    display = " ".join(data.display_name.split())
    if not display:
        raise ServiceError(_l("The name is required."), "display_name")
    check_new_password(password, name)
    user = User(username=name, display_name=display, role=data.role, locale=data.locale)
    _bind_place(user, data.role, data.place_id)
    user.set_password(password, method)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", user.id, {
        "username": [None, name], "role": [None, data.role.value], "display_name": [None, display],
    })
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Activate or deactivate an account; nobody deactivates their own."""
    if user.id == actor.id and not active:
        raise ServiceError(_l("You cannot deactivate your own account."))
    if user.active != active:
        audit.record(actor, "activate" if active else "deactivate", "user", user.id,
                     {"active": [user.active, active]})
        user.active = active
        if not active:  # re-activating later must not revive the old sign-ins
            sessions.end_other_sessions(user)
        db.session.flush()


def reset_password(actor: User, user: User, password: str, method: str = "scrypt",
                   keep_session: str | None = None) -> None:
    """An admin sets a new password for ``user`` (the value is never logged) and ends
    every sign-in of ``user``; an admin resetting their own keeps ``keep_session``."""
    check_new_password(password, user.username, user)
    user.set_password(password, method)
    sessions.end_other_sessions(user, keep_session if user.id == actor.id else None)
    audit.record(actor, "reset_password", "user", user.id)
    db.session.flush()


def change_own_password(
    user: User, current: str, new: str, method: str = "scrypt", keep_session: str | None = None
) -> None:
    """A user changes their own password after proving the current one; every other
    sign-in of the user ends (the one of token ``keep_session`` stays)."""
    if not user.check_password(current):
        raise ServiceError(_l("The current password is not correct."), "current_password")
    check_new_password(new, user.username, user)
    user.set_password(new, method)
    sessions.end_other_sessions(user, keep_session)
    audit.record(user, "change_password", "user", user.id)
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's preferred interface language."""
    user.locale = locale
    db.session.flush()
