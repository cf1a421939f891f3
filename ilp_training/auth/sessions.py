"""Server-side sign-in sessions: a sign-in lasts while its row in ``user_sessions`` does.

Flask keeps the session in a signed cookie, so without a server-side record a copied
cookie would open the site until it expired, whatever the user did. Each sign-in
therefore stores the SHA-256 of a random token (the token itself lives only in the
cookie), and the user loader accepts a cookie only while that row exists and is younger
than the maximum age. Signing out deletes the row; a password change or a deactivation
deletes the user's other rows.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ilp_training.core.database import changed_rows
from ilp_training.core.extensions import db
from ilp_training.models import User, UserSession, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Record a new sign-in of ``user``; returns the token for the session cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    db.session.flush()
    return token


def load_session_user(user_id: str, token: str | None, max_age: timedelta) -> User | None:
    """The user of a session cookie: ``user_id`` with a stored, unexpired ``token``.

    One query. ``None`` (signed out) when the token is missing, unknown, of another user
    or older than ``max_age``.
    """
    if not token or not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 18:
        return None
    stmt = (
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.token_hash == _digest(token),
               UserSession.created_at >= utcnow() - max_age)
    )
    return db.session.scalar(stmt)


def end_session(token: str | None) -> None:
    """End the sign-in of this token (signing out)."""
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_other_sessions(user: User, keep: str | None = None) -> int:
    """End every sign-in of ``user`` except the one of token ``keep`` (a password change
    keeps the browser that made it); returns how many were ended."""
    stmt = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.token_hash != _digest(keep))
    return changed_rows(stmt)


def prune_sessions(max_age: timedelta) -> int:
    """Delete the sign-ins older than ``max_age`` (no cookie can use them any more);
    returns how many."""
    stmt = sa.delete(UserSession).where(UserSession.created_at < utcnow() - max_age)
    return changed_rows(stmt)
