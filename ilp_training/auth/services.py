"""User accounts: sign-in with throttling, creation, deactivation and passwords."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ilp_training.auth import sessions
from ilp_training.core import audit, throttle
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    User,
    utcnow,
)

PlaceKind = Literal["nation", "province", "district", "puskesmas", "village"]
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,60}$")


@dataclass(frozen=True)
class LoginPolicy:
    """The sign-in throttle, per ``window_seconds`` (a sliding window):

    - ``max_failures`` attempts per (login name, client) that are not a success;
    - ``client_max_failures`` per client, whatever the names (one address guessing many);
    - once a name has ``name_max_failures`` wrong passwords from all clients (a guesser
      with many addresses), each client gets one attempt at that name instead of
      ``max_failures``: a slowdown, not a lock, so the owner still signs in from a
      client that has not failed.

    Refused attempts count too, so a guesser that keeps trying stays refused; a success
    takes back that (name, client)'s attempts. The client is ``request.remote_addr``
    (``TRUSTED_PROXIES`` decides whether that reads ``X-Forwarded-For``).
    """

    max_failures: int = 5
    window_seconds: int = 900
    password_method: str = "scrypt"
    client_max_failures: int = 30
    name_max_failures: int = 50


class LoginThrottled(ServiceError):
    """Too many failed attempts: the caller must wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(_l("Too many failed sign-ins. Try again in a few minutes."))
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignInAttempt:
    """A counted sign-in whose password is still to be checked (:func:`finish_sign_in`):
    the hash to check it against (the user's, or a dummy one of the same method for an
    unknown name) and the events that a success takes back."""

    user_id: int | None
    password_hash: str
    pair_key: str
    taken_back: tuple[int, ...]  # the events of this attempt against the client and name


def _login_key(kind: str, *parts: str) -> str:
    """A rate key of bounded length for any name or address (they come from the client)."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"login:{kind}:{digest[:40]}"


@cache
def dummy_password_hash(method: str) -> str:
    """A hash made with ``method`` that no password matches, checked for unknown names so
    that they take as long as known ones (the answer time does not tell which exist)."""
    return generate_password_hash(secrets.token_urlsafe(32), method=method)


def start_sign_in(username: str, client: str, policy: LoginPolicy) -> SignInAttempt:
    """Count a sign-in attempt for (name, client) and for the client before any password
    is checked (:func:`throttle.attempt`: concurrent attempts are counted one by one), and
    raise :class:`LoginThrottled` when a limit of ``policy`` is passed (the refused
    attempt stays counted: the caller commits it). An attempt let through also counts
    as a wrong password for the name until :func:`finish_sign_in` finds it right. The
    caller commits the count, then calls :func:`finish_sign_in` outside the transaction."""
    name = username.strip().lower()
    pair_key, client_key = _login_key("pair", name, client), _login_key("client", client)
    name_key = _login_key("name", name)
    counted = throttle.attempt([pair_key, client_key], policy.window_seconds,
                               also_count=[name_key])
    per_pair = (1 if counted.counts[name_key] >= policy.name_max_failures
                else policy.max_failures)
    wait = throttle.retry_after(
        counted, {pair_key: per_pair, client_key: policy.client_max_failures},
        policy.window_seconds)
    if wait:
        raise LoginThrottled(wait)
    # Counted as a wrong password now, so that a failure needs no second write.
    name_event = throttle.record(name_key)
    found = db.session.execute(sa.select(User.id, User.password_hash).where(
        User.username == name)).first()
    user_id, password_hash = found if found else (
        None, dummy_password_hash(policy.password_method))
    return SignInAttempt(user_id, password_hash, pair_key,
                         (counted.events[client_key], name_event))


def finish_sign_in(attempt: SignInAttempt, password: str) -> User | None:
    """Check the password of a counted attempt and return the active user it signs in, or
    ``None``. The hash is checked first, before any query (so no transaction is open
    while it runs), once for every name, known or not. A failure writes nothing more (it
    was counted as one); a success takes back the (name, client) attempts and this
    attempt's counts against the client and the name."""
    if not check_password_hash(attempt.password_hash, password) or attempt.user_id is None:
        return None
    user = db.session.get(User, attempt.user_id)
    if user is None or not user.active or user.password_hash != attempt.password_hash:
        return None  # deactivated, or the password changed, since the attempt began
    throttle.clear(attempt.pair_key)
    throttle.forget(attempt.taken_back)
    user.last_login_at = utcnow()
    return user


def _password_change_key(user: User) -> str:
    return f"password:user:{user.id}"


def start_password_change(user: User, policy: LoginPolicy) -> None:
    """Count an attempt of ``user`` to change their password before the current one is
    checked, like a sign-in: at most ``policy.max_failures`` attempts that did not
    succeed per window (a refused new password counts too: it was compared with the
    current one), else :class:`LoginThrottled`. The caller commits the count first."""
    key = _password_change_key(user)
    counted = throttle.attempt([key], policy.window_seconds)
    wait = throttle.retry_after(counted, {key: policy.max_failures}, policy.window_seconds)
    if wait:
        raise LoginThrottled(wait)


COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
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
    place_id: int | None  # None for a national user, bound to no place
    locale: str | None = None


PLACE_OF_ROLE: dict[Role, PlaceKind] = {
    Role.NATIONAL: "nation", Role.PROVINCE: "province",
    Role.ADMIN: "district", Role.COORDINATOR: "puskesmas", Role.TRAINER: "puskesmas",
    Role.VILLAGE_HEAD: "village",
}

# Read-only roles above the district: created from the command line only (``flask users
# create``), since no user of the site may grant more than their own district.
ABOVE_DISTRICT = (Role.PROVINCE, Role.NATIONAL)


def place_kind(role: Role) -> PlaceKind:
    """The kind of place a user of ``role`` is bound to (the one rule; a CHECK constraint
    on ``users`` holds it too): a national user to the whole country (no place), a
    province user to a province, an admin to a district (regency), a coordinator or a
    trainer to a puskesmas, a village head to a village. Their scope follows that place
    (:mod:`ilp_training.scope`)."""
    return PLACE_OF_ROLE[role]


def _region_of_level(place_id: int | None, level: RegionLevel) -> Region | None:
    region = db.session.get(Region, place_id) if place_id is not None else None
    return region if region is not None and region.level == level else None


def _bind_place(user: User, role: Role, place_id: int | None) -> None:
    """Bind ``user`` to the place its role needs (:func:`place_kind`); raise (on the form's
    ``place``) if ``place_id`` is not a place of that kind (a national user takes none)."""
    user.district_id = user.puskesmas_id = user.village_id = user.province_id = None
    kind = place_kind(role)
    if kind == "nation":
        if place_id is not None:
            raise ServiceError(_l("A national user is bound to no place."), "place")
    elif kind == "province":
        province = _region_of_level(place_id, RegionLevel.PROVINCE)
        if province is None:
            raise ServiceError(_l("Choose a province."), "place")
        user.province_id = province.id
    elif kind == "district":
        region = _region_of_level(place_id, RegionLevel.REGENCY)
        if region is None:
            raise ServiceError(_l("Choose a district."), "place")
        user.district_id = region.id
    elif kind == "puskesmas":
        if place_id is None or db.session.get(Puskesmas, place_id) is None:
            raise ServiceError(_l("Choose a puskesmas."), "place")
        user.puskesmas_id = place_id
    else:
        region = _region_of_level(place_id, RegionLevel.VILLAGE)
        if region is None:
            raise ServiceError(_l("Choose a village."), "place")
        user.village_id = region.id


def create_user(actor: User | None, data: UserData, password: str, method: str = "scrypt") -> User:
    """Create an active user; the login name is lower case, unique, 3–60 of ``a-z0-9._-``.
    ``actor`` is the admin creating it, or ``None`` for the command line (``flask users
    create``), the only way to create the read-only users above the district
    (:data:`ABOVE_DISTRICT`): an admin grants no more than their own district."""
    if actor is not None and data.role in ABOVE_DISTRICT:
        raise ServiceError(_l("This role is created from the command line only."), "role")
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
    """A user changes their own password after proving the current one (the attempt
    counted first by :func:`start_password_change`); every other sign-in of the user
    ends (the one of token ``keep_session`` stays)."""
    if not user.check_password(current):
        raise ServiceError(_l("The current password is not correct."), "current_password")
    check_new_password(new, user.username, user)
    user.set_password(new, method)
    sessions.end_other_sessions(user, keep_session)
    throttle.clear(_password_change_key(user))
    audit.record(user, "change_password", "user", user.id)
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's preferred interface language."""
    user.locale = locale
    db.session.flush()
