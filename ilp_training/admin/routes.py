"""Admin pages: user accounts and the audit log of the admin's district; the background
workers' heartbeats."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ilp_training.admin import services as admin_service
from ilp_training.admin.forms import (
    ROLE_LABELS,
    ConfirmForm,
    ResetPasswordForm,
    UserForm,
)
from ilp_training.admin.permissions import (
    may_manage_users,
    may_read_audit_log,
    may_see_workers,
)
from ilp_training.auth import permission_required, session_token, signed_in_user
from ilp_training.auth import services as service
from ilp_training.core import heartbeat
from ilp_training.core.service import ServiceError
from ilp_training.core.views import committed, flash_refusal, paginate
from ilp_training.models import Role, User, utcnow
from ilp_training.scope import get_scoped_or_404, scoped

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers (every page): the accounts and the audit log, to those
    who may manage and read them."""
    user = signed_in_user()
    return {"may_manage_users": user is not None and may_manage_users(user),
            "may_read_audit_log": user is not None and may_read_audit_log(user),
            "may_see_workers": user is not None and may_see_workers(user)}


def _place_choices(admin: User) -> list[SelectChoice]:
    """Places in the admin's district as ``kind:id`` values for the user form."""
    places = admin_service.district_places(admin)
    district = places.district
    return (
        [SelectChoice(f"district:{district.id}", district.name, optgroup=_("District"))]
        + [SelectChoice(f"puskesmas:{p.id}", p.name, optgroup=_("Puskesmas"))
           for p in places.puskesmas]
        + [SelectChoice(f"village:{v.id}", v.name, optgroup=_("Village"))
           for v in places.villages]
    )


@bp.get("/users")
@permission_required(may_manage_users)
def users() -> ResponseReturnValue:
    page = paginate(scoped(User, current_user).order_by(User.role, User.username))
    return render_template("admin/users.html", page=page, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(may_manage_users)
def new_user() -> ResponseReturnValue:
    form = UserForm()
    form.place.choices = _place_choices(current_user)
    if form.validate_on_submit():
        role = Role(form.role.data)
        kind, _sep, place_id = (form.place.data or "").partition(":")

        def create() -> User:
            if kind != service.place_kind(role):  # "kind:id" names the place's table
                raise ServiceError(_("This place does not fit the role."), "place")
            return service.create_user(
                current_user,
                service.UserData(form.username.data or "", form.display_name.data or "",
                                 role, int(place_id), form.locale.data),
                form.password.data or "", current_app.config["PASSWORD_HASH_METHOD"],
            )

        if done := committed(form, create):
            flash(_("User %(name)s created.", name=done.value.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(may_manage_users)
def user_detail(user_id: int) -> ResponseReturnValue:
    user = get_scoped_or_404(User, current_user, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.reset_password(
            current_user, user, form.password.data or "",
            current_app.config["PASSWORD_HASH_METHOD"], keep_session=session_token()))
        if ok:
            flash(_("The password of %(name)s was reset.", name=user.username), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, form=form,
                           confirm=ConfirmForm(), role_labels=ROLE_LABELS)


@bp.post("/users/<int:user_id>/active/<int(min=0, max=1):active>")
@permission_required(may_manage_users)
def set_active(user_id: int, active: int) -> ResponseReturnValue:
    user = get_scoped_or_404(User, current_user, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if committed(form, lambda: service.set_user_active(current_user, user, bool(active))):
            flash(_("Account activated.") if active else _("Account deactivated."), "success")
        else:
            flash_refusal(form)
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.get("/audit")
@permission_required(may_read_audit_log)
def audit_log() -> ResponseReturnValue:
    return render_template("admin/audit.html",
                           page=paginate(admin_service.audit_entries(current_user)))


@bp.get("/workers")
@permission_required(may_see_workers)
def workers() -> ResponseReturnValue:
    """Each background worker's last heartbeat; a warning for those gone silent."""
    stale = heartbeat.stale_after(current_app.config)
    states = heartbeat.worker_states(utcnow(), stale)
    return render_template("admin/workers.html", workers=states,
                           stale_minutes=max(1, int(stale.total_seconds() // 60)),
                           running=[w for w in states if w.stopped_at is None and not w.stale])
