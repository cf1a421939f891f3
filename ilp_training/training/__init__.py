"""Training events: plan, fill, record attendance and tests, finish (:mod:`.routes`);
the history per cadre and posyandu, the district view and planning (:mod:`.pages`).

One blueprint, defined here and filled by the two view modules (microblog's layout).
"""

from flask import Blueprint

from .forms import label

bp = Blueprint("training", __name__)
bp.add_app_template_global(label, "training_label")

from . import pages, routes  # noqa: E402  (they register their views on bp)

__all__ = ["bp", "pages", "routes"]
