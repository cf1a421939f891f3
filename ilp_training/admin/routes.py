"""Admin pages: user accounts and the audit log of the admin's district."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ilp_training.admin.forms import (
    ROLE_LABELS,
    ConfirmForm,
    ResetPasswordForm,
    UserForm,
)
from ilp_training.auth import roles_required, session_token
from ilp_training.auth import services as service
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.core.views import committed, paginate
from ilp_training.models import (
    AuditEntry,
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    User,
)
from ilp_training.scope import get_scoped_or_404, scoped

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _place_choices(admin: User) -> list[SelectChoice]:
    """Places in the admin's district as ``kind:id`` values for the user form."""
    district = admin.district
    assert district is not None
    puskesmas = db.session.scalars(
        sa.select(Puskesmas).where(Puskesmas.district_id == district.id).order_by(Puskesmas.name)
    ).all()
    villages = db.session.scalars(
        sa.select(Region)
        .where(Region.level == RegionLevel.VILLAGE, Region.code.startswith(district.code + "."))
        .order_by(Region.name)
    ).all()
    return (
        [SelectChoice(f"district:{district.id}", district.name, optgroup=_("District"))]
        + [SelectChoice(f"puskesmas:{p.id}", p.name, optgroup=_("Puskesmas")) for p in puskesmas]
        + [SelectChoice(f"village:{v.id}", v.name, optgroup=_("Village")) for v in villages]
    )


ROLE_PLACE = {Role.ADMIN: "district", Role.COORDINATOR: "puskesmas",
              Role.TRAINER: "puskesmas", Role.VILLAGE_HEAD: "village"}


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    page = paginate(scoped(User, current_user).order_by(User.role, User.username))
    return render_template("admin/users.html", page=page, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> ResponseReturnValue:
    form = UserForm()
    form.place.choices = _place_choices(current_user)
    if form.validate_on_submit():
        role = Role(form.role.data)
        kind, _sep, place_id = (form.place.data or "").partition(":")

        def create() -> User:
            if kind != ROLE_PLACE[role]:
                raise ServiceError(_("This place does not fit the role."), "place")
            try:
                return service.create_user(
                    current_user,
                    service.UserData(form.username.data or "", form.display_name.data or "",
                                     role, int(place_id), form.locale.data),
                    form.password.data or "", current_app.config["PASSWORD_HASH_METHOD"],
                )
            except ServiceError as exc:
                if exc.field == "place_id":
                    exc.field = "place"
                raise

        if done := committed(form, create):
            flash(_("User %(name)s created.", name=done.value.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
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
@roles_required(Role.ADMIN)
def set_active(user_id: int, active: int) -> ResponseReturnValue:
    user = get_scoped_or_404(User, current_user, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.set_user_active(current_user, user, bool(active))
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Account activated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    visible = scoped(User, current_user).with_only_columns(User.id)
    stmt = (
        sa.select(AuditEntry)
        .where(sa.or_(AuditEntry.user_id.in_(visible), AuditEntry.user_id.is_(None)))
        .options(sa.orm.selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return render_template("admin/audit.html", page=paginate(stmt))
