"""Forms of the training pages, the labels of the training enums, and the reading of
the pre/post-test grid (scores are per participant, so they are parsed, not declared)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput, TextInput

from ilp_training.core.forms import BaseForm, DateField, FrameworkDateField
from ilp_training.core.ids import coerce_id
from ilp_training.core.input_policy import ascii_int
from ilp_training.models import (
    Organiser,
    Outcome,
    OutcomeReason,
    TrainingStatus,
    TrainingType,
)
from ilp_training.scoring.forms import CheckboxListField

LABELS = {
    TrainingType.BASIC: _l("Basic skills training"),
    TrainingType.REFRESHER: _l("Refresher (penyegaran)"),
    TrainingType.ORIENTATION: _l("Orientation"),
    TrainingType.FIELD_PRACTICE: _l("Field practice (PKL)"),
    TrainingType.ON_THE_JOB: _l("On-the-job training"),
    Organiser.DISTRICT: _l("District health office"),
    Organiser.PUSKESMAS: _l("Puskesmas"),
    Organiser.PARTNER: _l("Partner organisation"),
    TrainingStatus.PLANNED: _l("planned"),
    TrainingStatus.RUNNING: _l("running"),
    TrainingStatus.FINISHED: _l("finished"),
    TrainingStatus.CANCELLED: _l("cancelled"),
    Outcome.COMPLETED: _l("completed"),
    Outcome.NOT_COMPLETED: _l("not completed"),
    OutcomeReason.MISSED_DAYS: _l("missed a day"),
    OutcomeReason.NO_POST_TEST: _l("no post-test"),
    OutcomeReason.BELOW_PASS_MARK: _l("post-test below the pass mark"),
}


def label(value: object) -> object:
    """The translated label of a training enum value (the value itself if unknown)."""
    return LABELS.get(value, value)  # type: ignore[call-overload]  # any value may be asked


def _number(label_text: object, low: int, high: int, **kwargs: object) -> IntegerField:
    return IntegerField(label_text, validators=[InputRequired(), NumberRange(low, high)],
                        widget=TextInput(), render_kw={"inputmode": "numeric"}, **kwargs)


class EventForm(BaseForm):
    type = RadioField(_l("Type of training"), validators=[InputRequired()],
                      choices=[SelectChoice(t.value, LABELS[t]) for t in TrainingType])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    organiser = RadioField(_l("Organised by"), validators=[InputRequired()],
                           choices=[SelectChoice(o.value, LABELS[o]) for o in Organiser])
    partner_name = StringField(
        _l("Partner"), validators=[Optional(), Length(max=120)],
        description=_l("Only for a partner's training, e.g. an NGO or a university."))
    puskesmas = SelectField(_l("For the cadres of"), coerce=int)
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=160)])
    start_date = FrameworkDateField(_l("First day"), validators=[InputRequired()])
    end_date = FrameworkDateField(_l("Last day"), validators=[InputRequired()])
    capacity = _number(_l("Places"), 1, 500)
    pass_mark = _number(_l("Post-test pass mark (0–100)"), 0, 100,
                        description=_l("A participant completes the training when present on "
                                       "every day and scoring at least this on the post-test."))
    # Choices are checked by the service (with a translated message), not by WTForms.
    skills = CheckboxListField(_l("Skills covered"), validate_choice=False)
    facilitators = CheckboxListField(_l("Facilitators from this site"), coerce=coerce_id,
                                     validate_choice=False)
    outside_facilitators = TextAreaField(
        _l("Other facilitators"), validators=[Optional(), Length(max=1300)],
        description=_l("One name per line, e.g. a midwife or a partner's trainer."))
    submit = SubmitField(_l("Save"))


class AddCadresForm(BaseForm):
    cadres = CheckboxListField(_l("Cadres"), coerce=coerce_id, validate_choice=False)
    submit = SubmitField(_l("Add the chosen cadres"))


class AddPosyanduForm(BaseForm):
    posyandu = SelectField(_l("Posyandu"), coerce=coerce_id, validators=[InputRequired()])
    submit_posyandu = SubmitField(_l("Add all its active cadres"))


class AttendanceForm(BaseForm):
    day = DateField(validators=[InputRequired()], widget=HiddenInput())
    present = CheckboxListField(_l("Present"), coerce=coerce_id, validate_choice=False)
    submit = SubmitField(_l("Save attendance"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Confirm"))


class ScoresForm(BaseForm):
    submit = SubmitField(_l("Save scores"))


class FillForm(BaseForm):
    event = SelectField(_l("Planned training"), coerce=coerce_id, validators=[InputRequired()],
                        validate_choice=False)
    cadres = CheckboxListField(_l("Cadres"), coerce=coerce_id, validate_choice=False)
    puskesmas = HiddenField()
    submit = SubmitField(_l("Add these cadres"))


@dataclass
class ParsedScores:
    """Scores per participant id, the raw values to show again, and errors by field."""

    scores: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _score(raw: str) -> int | None:
    """A score 0–100 from the text entered; ``None`` for empty; ``ValueError`` otherwise."""
    text = raw.strip()
    if not text:
        return None
    score = ascii_int(text)
    if score is None or not 0 <= score <= 100:
        raise ValueError(text)
    return score


def parse_scores(data: Mapping[str, str], participant_ids: Iterable[int]) -> ParsedScores:
    """Read ``pre-<id>`` and ``post-<id>`` of the participants the form holds (one added
    meanwhile is left alone): empty is "not taken", anything but a whole number from 0
    to 100 is an error on that field."""
    parsed = ParsedScores()
    for pid in participant_ids:
        if f"pre-{pid}" not in data and f"post-{pid}" not in data:
            continue
        pair: list[int | None] = []
        for kind in ("pre", "post"):
            name = f"{kind}-{pid}"
            raw = parsed.values[name] = (data.get(name) or "")[:10]
            try:
                pair.append(_score(raw))
            except ValueError:
                parsed.errors[name] = str(_l("Enter a whole number from 0 to 100."))
                pair.append(None)
        parsed.scores[pid] = (pair[0], pair[1])
    return parsed
