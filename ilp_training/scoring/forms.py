from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length

from ilp_training.core.forms import BaseForm, FrameworkDateField
from ilp_training.core.ids import coerce_id
from ilp_training.models import Method, Setting

SETTING_LABELS = {
    Setting.POSYANDU_DAY: _l("Posyandu opening day"),
    Setting.HOME_VISIT: _l("Home visit"),
    Setting.SIMULATION: _l("Simulation after training"),
    Setting.PAPER: _l("Not recorded (paper record)"),
}
METHOD_LABELS = {
    Method.OBSERVATION: _l("Observation checklist"),
    Method.PRACTICE: _l("Practice / simulation"),
    Method.QUESTIONS: _l("Questions"),
    Method.PAPER: _l("Transferred from paper records"),
}


class CheckboxListField(SelectMultipleField):
    """Several choices as check boxes (easier to tap on a phone than a multi-select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SessionForm(BaseForm):
    assessed_on = FrameworkDateField(_l("Date of the assessment"), validators=[InputRequired()])
    setting = RadioField(
        _l("Where"), validators=[InputRequired()],
        choices=[SelectChoice(s.value, label) for s, label in SETTING_LABELS.items()
                 if s != Setting.PAPER],
    )
    method = RadioField(
        _l("Method"), validators=[InputRequired()],
        choices=[SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()
                 if m != Method.PAPER],
    )
    cadres = CheckboxListField(_l("Cadres present"), coerce=coerce_id)
    submit = SubmitField(_l("Start assessing"))


class ScoresForm(BaseForm):
    """The fixed part of a scoring form; the scores themselves are read by parsing.py."""

    submission_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    submit = SubmitField(_l("Save scores"))


class CorrectionForm(ScoresForm):
    reason = StringField(_l("Reason for the correction"),
                         validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Save correction"))
