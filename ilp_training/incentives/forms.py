"""Forms of the incentives area. Money is typed as whole rupiah (``250000``, ``250.000``,
``Rp 250.000``) and read by :func:`ilp_training.incentives.rules.parse_rupiah`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    MonthField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ilp_training.core.forms import BaseForm
from ilp_training.core.ids import coerce_id
from ilp_training.incentives.rules import PeriodKind, parse_rupiah
from ilp_training.incentives.services.activity import MAX_VISITS

MONEY = {"inputmode": "numeric", "autocomplete": "off"}


class RupiahField(StringField):
    """A whole, non-negative rupiah amount; ``data`` is an ``int`` (``None`` when empty)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        if not self.raw_text.strip():
            self.data = None
            return
        try:
            self.data = parse_rupiah(self.raw_text)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("An amount cannot be negative.") if str(exc) == "negative"
                             else _l("Enter whole rupiah, digits only (e.g. 250000 or "
                                     "250.000).")) from exc

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return "" if self.data is None else str(self.data)


class SchemeForm(BaseForm):
    region_id = SelectField(_l("Applies to"), coerce=coerce_id, validators=[InputRequired()])
    legal_basis = StringField(
        _l("Legal basis"), validators=[DataRequired(), Length(max=200)],
        description=_l("e.g. Perbup No. 12 Tahun 2024, Perdes No. 3 Tahun 2025"))
    valid_from = MonthField(_l("First month"), validators=[InputRequired()])
    valid_until = MonthField(_l("Last month"), validators=[Optional()],
                             description=_l("Leave empty while the scheme stays in force."))
    base_amount = RupiahField(_l("Base amount per active cadre per month (Rp)"),
                              validators=[InputRequired()], render_kw=MONEY)
    per_opening_day = RupiahField(_l("Per posyandu opening day served (Rp)"),
                                  validators=[Optional()], render_kw=MONEY)
    opening_day_cap = IntegerField(
        _l("Opening days paid per cadre per month, at most"),
        validators=[Optional(), NumberRange(min=0, max=31)], render_kw={"inputmode": "numeric"},
        description=_l("Leave empty for no cap."))
    per_home_visit = RupiahField(_l("Per home visit (Rp)"), validators=[Optional()],
                                 render_kw=MONEY)
    home_visit_cap = IntegerField(
        _l("Home visits paid per cadre per month, at most"),
        validators=[Optional(), NumberRange(min=0, max=MAX_VISITS)],
        render_kw={"inputmode": "numeric"}, description=_l("Leave empty for no cap."))
    operational_amount = RupiahField(_l("Operational amount per posyandu per month (Rp)"),
                                     validators=[Optional()], render_kw=MONEY)
    submit = SubmitField(_l("Save scheme"))

    level_fields: Sequence[tuple[str, str]] = ()  # (level code, field name)


def scheme_form(levels: Sequence[tuple[str, str]], **kwargs: Any) -> SchemeForm:
    """A :class:`SchemeForm` with one top-up field per curriculum level ``(code, name)``."""

    class _Form(SchemeForm):
        pass

    names = []
    for code, name in levels:
        field_name = f"level_{code}"
        setattr(_Form, field_name, RupiahField(
            _l("Top-up for level %(level)s per month (Rp)", level=name),
            validators=[Optional()], render_kw=MONEY))
        names.append((code, field_name))
    _Form.level_fields = tuple(names)
    return _Form(**kwargs)


class BudgetForm(BaseForm):
    budget = RupiahField(_l("Budget line in the APBDes (Rp)"), validators=[Optional()],
                         render_kw=MONEY,
                         description=_l("The allocation for cadre incentives in this period."))
    submit = SubmitField(_l("Save budget line"))


class ReasonForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Confirm"))


class ConfirmForm(BaseForm):
    """An empty form: a POST with its CSRF token confirms an action."""

    submit = SubmitField(_l("Confirm"))


class PeriodForm(BaseForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Period"), choices=[
        SelectChoice(PeriodKind.MONTH.value, _l("Month")),
        SelectChoice(PeriodKind.QUARTER.value, _l("Quarter")),
        SelectChoice(PeriodKind.YEAR.value, _l("Year"))], validators=[InputRequired()])
    month = MonthField(_l("Month (or a month in the quarter or year)"),
                       validators=[InputRequired()])
    submit = SubmitField(_l("Show"))


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OpeningDayForm(BaseForm):
    held_on = DateField(_l("Opening day"), validators=[InputRequired()])
    cadres = CheckboxesField(_l("Cadres who served"), coerce=coerce_id)
    submit = SubmitField(_l("Save opening day"))


def home_visits_form(cadre_ids: Sequence[int], **kwargs: Any) -> BaseForm:
    """One optional count field ``c<id>`` per cadre (0 to :data:`MAX_VISITS`)."""

    class _Form(BaseForm):
        submit = SubmitField(_l("Save home visits"))

    for cadre_id in cadre_ids:
        setattr(_Form, f"c{cadre_id}", IntegerField(
            _l("Home visits"), validators=[Optional(), NumberRange(min=0, max=MAX_VISITS)],
            render_kw={"inputmode": "numeric", "min": 0, "max": MAX_VISITS}))
    return _Form(**kwargs)


class ImportForm(BaseForm):
    file = FileField(_l("Workbook (.xlsx)"), validators=[
        FileRequired(), FileAllowed(["xlsx"], _l("Choose an Excel workbook (.xlsx)."))])
    submit = SubmitField(_l("Import"))
