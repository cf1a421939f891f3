"""The offline verifier (``/verify/``): a public page that a phone keeps (its service
worker, ``/verify/sw.js``, scope ``/verify/``) and that checks a certificate's signed QR
code without the site: it scans the code with the camera (or reads a photo of it),
checks the Ed25519 signature against the issuers' public keys it holds (from
``/credentials/keys.json``, refreshed whenever it is online) and, when online, reads the
revocation bit from the issuer's status list. Everything happens in the browser
(``static/js/verify.js``); see ``docs/credentials.md``, "Signed QR".

No sign-in and nothing personal: the page is the same for everyone, so it counts no
rate events (the public page ``/v/…`` does)."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from ilp_training.core.service_worker import worker_script

bp = Blueprint("verify_offline", __name__, url_prefix="/verify")


@bp.get("/")
def page() -> ResponseReturnValue:
    # the status list's address with a placeholder the script replaces by the issuer
    return render_template("verify/offline.html", keys_url=url_for("credentials.jwks"),
                           status_url=url_for("credentials.status_list", district="ISSUER"))


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker, served from /verify/ so that its scope is this page only
    (``core/service_worker.py``)."""
    return worker_script("verify-sw.js")
