from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from ilp_training.auth.services import ABOVE_DISTRICT
from ilp_training.core.forms import BaseForm
from ilp_training.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("District health office admin"),
    Role.COORDINATOR: _l("Puskesmas coordinator"),
    Role.TRAINER: _l("Trainer / assessor"),
    Role.VILLAGE_HEAD: _l("Village head"),
    Role.PROVINCE: _l("Province health office (read-only)"),
    Role.NATIONAL: _l("Ministry of Health (read-only)"),
}
LANGUAGE_CHOICES = [SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]


class UserForm(BaseForm):
    username = StringField(_l("Login name"), validators=[DataRequired(), Length(max=60)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()
                          if r not in ABOVE_DISTRICT],  # those: `flask users create`
        validators=[InputRequired()],
    )
    place = SelectField(
        _l("Place"), validators=[InputRequired()],
        description=_l("A district for an admin, a puskesmas for a coordinator or trainer, "
                       "a village for a village head."),
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create user"))


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Set password"))


class ConfirmForm(BaseForm):
    """An empty form: a POST with its CSRF token confirms an action."""

    submit = SubmitField(_l("Confirm"))
