"""Training events: plan, fill, record attendance and tests, finish (:mod:`.routes`);
the history per cadre and posyandu, the district view and planning (:mod:`.pages`).

One blueprint, defined here and filled by the two view modules (microblog's layout).
"""

from flask import Blueprint, abort
from flask_login import current_user

from ilp_training.models import TrainingEvent
from ilp_training.scope import get_scoped_or_404
from ilp_training.training.forms import label
from ilp_training.training.permissions import may_manage_event, may_record

bp = Blueprint("training", __name__)
bp.add_app_template_global(label, "training_label")


def manageable(event_id: int) -> TrainingEvent:
    """The event, if in scope (else 404) and changeable by the user (else 403)."""
    event = get_scoped_or_404(TrainingEvent, current_user, event_id)
    if not may_manage_event(current_user, event):
        abort(403)
    return event


def recordable(event_id: int) -> TrainingEvent:
    """The event, if in scope (else 404) and the user may record attendance and tests
    (else 403): its managers and the trainers who facilitate it."""
    event = get_scoped_or_404(TrainingEvent, current_user, event_id)
    if not may_record(current_user, event):
        abort(403)
    return event


from ilp_training.training import pages, routes  # noqa: E402  (they register their views on bp)

__all__ = ["bp", "pages", "routes"]
