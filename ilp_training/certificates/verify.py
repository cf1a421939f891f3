"""The public authenticity check (*verifikasi keaslian*): no sign-in, rate-limited per
client, showing only the claim printed on the certificate and its status."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import TooManyRequests

from ilp_training.certificates.forms import CheckForm
from ilp_training.certificates.services.issuing import find_by_code, find_by_pdf, public_claim
from ilp_training.core import throttle
from ilp_training.core.database import begin_reads, begin_writes
from ilp_training.core.extensions import db
from ilp_training.credentials.downloads import credential_response

bp = Blueprint("verify", __name__)
MAX_UPLOAD = 10 * 1024 * 1024


@bp.before_request
def _rate_limit() -> None:
    """At most ``VERIFY_RATE_LIMIT`` requests per client per minute (429 with
    ``Retry-After`` beyond), counted like sign-ins (:func:`throttle.attempt`).

    Counting is a write, also on a GET: it is one short write transaction, and the
    page itself is then read as any other (``ilp_training/database.py``)."""
    begin_writes()
    key = f"verify:{request.remote_addr or 'unknown'}"
    counted = throttle.attempt([key], 60)
    wait = throttle.retry_after(counted, {key: current_app.config["VERIFY_RATE_LIMIT"]}, 60)
    db.session.commit()
    if wait:
        raise TooManyRequests(retry_after=wait)
    begin_reads()


@bp.get("/v/<code>")
def show(code: str) -> ResponseReturnValue:
    cert = find_by_code(code)
    if cert is None:
        abort(404)
    return render_template("verify/show.html", claim=public_claim(cert), code=code,
                           signed=cert.credential_jwt is not None)


@bp.get("/v/<code>.json")
def show_json(code: str) -> ResponseReturnValue:
    cert = find_by_code(code)
    if cert is None:
        abort(404)
    return jsonify(public_claim(cert))


@bp.get("/v/<code>/credential.jwt")
def credential(code: str) -> ResponseReturnValue:
    """The signed Open Badges credential (VC-JWT): the printed name, no other personal
    data (``credentials/services.py``)."""
    cert = find_by_code(code)
    if cert is None:
        abort(404)
    return credential_response(cert, decoded=False)


@bp.get("/v/<code>/credential.json")
def credential_json(code: str) -> ResponseReturnValue:
    cert = find_by_code(code)
    if cert is None:
        abort(404)
    return credential_response(cert, decoded=True)


@bp.route("/v/check", methods=["GET", "POST"])
def check() -> ResponseReturnValue:
    """Upload a PDF: genuine only when it is byte for byte an issued certificate."""
    form, result, status = CheckForm(), None, 200
    if form.validate_on_submit():
        data = form.document.data.read(MAX_UPLOAD + 1) if form.document.data else b""
        if not data.startswith(b"%PDF-") or len(data) > MAX_UPLOAD:
            form.document.errors = [*form.document.errors, _not_a_pdf()]
            status = 422
        else:
            cert = find_by_pdf(data)
            result = {"genuine": cert is not None,
                      "claim": public_claim(cert) if cert else None,
                      "code": cert.verify_code if cert else None}
    return render_template("verify/check.html", form=form, result=result), status


def _not_a_pdf() -> str:
    from flask_babel import gettext as _

    return _("This is not a PDF file (at most 10 MB).")
