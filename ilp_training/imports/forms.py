from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

from ilp_training.core.forms import BaseForm


class UploadForm(BaseForm):
    file = FileField(_l("Workbook (.xlsx)"), validators=[
        FileRequired(), FileAllowed(["xlsx"], _l("Choose an Excel workbook (.xlsx)."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Apply these changes"))
