"""Sign-in, sign-out and the user's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from ilp_training.auth import session_token
from ilp_training.auth.forms import ChangePasswordForm, LoginForm
from ilp_training.auth.services import (
    LoginPolicy,
    LoginThrottled,
    change_own_password,
    finish_sign_in,
    start_password_change,
    start_sign_in,
)
from ilp_training.core.extensions import db
from ilp_training.core.views import committed

bp = Blueprint("auth", __name__)


def _policy() -> LoginPolicy:
    cfg = current_app.config
    return LoginPolicy(
        cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_SECONDS"], cfg["PASSWORD_HASH_METHOD"],
        cfg["LOGIN_CLIENT_MAX_FAILURES"], cfg["LOGIN_NAME_MAX_FAILURES"],
    )


def _client() -> str:
    """The client's address (``X-Forwarded-For`` only through ``TRUSTED_PROXIES``)."""
    return request.remote_addr or "unknown"


def _throttled(template: str, form: FlaskForm, exc: LoginThrottled) -> ResponseReturnValue:
    """The form again with the refusal, as 429 with the seconds to wait."""
    db.session.commit()  # the refused attempt counts too
    form.form_errors.append(str(exc.message))
    return render_template(template, form=form), 429, {"Retry-After": str(exc.retry_after)}


def _safe_next(target: str | None) -> str:
    """Only a path on this site is followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            attempt = start_sign_in(form.username.data or "", _client(), _policy())
        except LoginThrottled as exc:
            return _throttled("auth/login.html", form, exc)
        db.session.commit()  # counted first; the password is checked outside any transaction
        user = finish_sign_in(attempt, form.password.data or "")
        if user is not None:
            login_user(user)
        db.session.commit()  # the sign-in (a failure was counted as one already)
        if user is not None:
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_("Wrong login name or password."))
        status = 401
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()  # also ends the sign-in on the server (auth.init_login)
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            start_password_change(current_user, _policy())
        except LoginThrottled as exc:
            return _throttled("auth/password.html", form, exc)
        db.session.commit()  # counted before the current password is checked
        ok = committed(form, lambda: change_own_password(
            current_user, form.current_password.data or "", form.password.data or "",
            current_app.config["PASSWORD_HASH_METHOD"], keep_session=session_token()))
        if ok:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
