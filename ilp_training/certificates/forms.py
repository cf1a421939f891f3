from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ilp_training.core.forms import BaseForm

LANGUAGE_CHOICES = [
    SelectChoice("id", _l("Indonesian, with English subtitles")),
    SelectChoice("en", _l("English, with Indonesian subtitles")),
]


class IssueForm(BaseForm):
    event = HiddenField()  # empty: the level certificate; else a training event's id
    language = SelectField(_l("Language of the certificate"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Issue certificate"))


class BulkForm(BaseForm):
    target = SelectField(_l("Issue every due certificate of"), validators=[InputRequired()])
    language = SelectField(_l("Language of the certificates"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Issue all"))


class RevokeForm(BaseForm):
    reason = StringField(
        _l("Reason for revoking"), validators=[DataRequired(), Length(max=300)],
        description=_l("Kept for the staff and in the audit log; the public check shows "
                       "only that the certificate was revoked, and when."))
    confirm = BooleanField(_l("I understand that revoking cannot be undone."), validators=[
        DataRequired(_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Revoke certificate"))


class SettingsForm(BaseForm):
    target = SelectField(_l("Settings for"), validators=[InputRequired()])
    issuer_name = StringField(_l("Issuer (printed at the top)"),
                              validators=[DataRequired(), Length(max=160)])
    signatory_name = StringField(_l("Signatory's name"),
                                 validators=[DataRequired(), Length(max=120)])
    signatory_title = StringField(_l("Signatory's title"),
                                  validators=[DataRequired(), Length(max=160)])
    signatory_nip = StringField(_l("Signatory's NIP (18 digits)"),
                                validators=[Optional(), Length(max=18)],
                                render_kw={"inputmode": "numeric"})
    place = StringField(_l("Place of signing"), validators=[DataRequired(), Length(max=80)])
    emblem = FileField(_l("Emblem (PNG or SVG, at most 512 KiB)"))
    remove_emblem = BooleanField(_l("Remove the current emblem"))
    submit = SubmitField(_l("Save settings"))


class CheckForm(BaseForm):
    document = FileField(_l("Certificate PDF"))
    submit = SubmitField(_l("Check"))
