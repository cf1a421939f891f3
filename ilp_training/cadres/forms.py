from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ilp_training.core.forms import BaseForm
from ilp_training.core.ids import coerce_id

SEX_CHOICES = [SelectChoice("F", _l("Female")), SelectChoice("M", _l("Male"))]


class CadreForm(BaseForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    nik = StringField(
        _l("NIK (16 digits)"), validators=[Optional(), Length(max=20)],
        description=_l("Optional: leave empty if the cadre has no NIK yet."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    sex = RadioField(_l("Sex"), choices=SEX_CHOICES, validators=[InputRequired()])
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"}
    )
    start_date = DateField(_l("Cadre since"), validators=[Optional()])
    bpjs_tk_enrolled = BooleanField(_l("Enrolled in BPJS Ketenagakerjaan"))
    bpjs_tk_number = StringField(
        _l("BPJS Ketenagakerjaan number"), validators=[Optional(), Length(max=30)],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Save"))


class MoveForm(BaseForm):
    posyandu = SelectField(_l("New posyandu"), coerce=coerce_id, validators=[InputRequired()])
    on = DateField(_l("Date of the move"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Move cadre"))


class DeactivateForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
    on = DateField(_l("Inactive since"), validators=[InputRequired()])
    submit = SubmitField(_l("Deactivate cadre"))


class ReactivateForm(BaseForm):
    on = DateField(_l("Active again from"), validators=[InputRequired()])
    submit = SubmitField(_l("Reactivate cadre"))
