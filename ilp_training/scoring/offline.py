"""The offline scoring app: one page (``/offline/``) that a phone keeps, its service
worker and web app manifest. The page is a shell: its script keeps the posyandu made
available offline, the sittings and their entries in the phone's storage (IndexedDB),
and sends them through the API (``scoring/api.py``) when there is a connection. The
scoring pages of the site work as before, without any script."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ilp_training.auth import permission_required
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.service_worker import worker_script
from ilp_training.models import Posyandu
from ilp_training.scope import scoped
from ilp_training.scoring.forms import METHOD_LABELS, SETTING_LABELS
from ilp_training.scoring.permissions import may_score

bp = Blueprint("offline", __name__, url_prefix="/offline")


@bp.get("/")
@permission_required(may_score)
def app_shell() -> ResponseReturnValue:
    places = db.session.scalars(scoped(Posyandu, current_user)
                                .order_by(Posyandu.name, Posyandu.id)).all()
    return render_template("scoring/offline.html", places=places, today=local_today(),
                           setting_labels=SETTING_LABELS, method_labels=METHOD_LABELS)


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker, served from /offline/ so that its scope is the offline app
    only (``core/service_worker.py``)."""
    return worker_script("offline-sw.js")


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    body = {
        "name": _("ILP Training: scoring offline"), "short_name": _("ILP scoring"),
        "start_url": "/offline/", "scope": "/offline/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0b6e4f", "lang": "id",
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response
