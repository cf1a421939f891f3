"""The public endpoints of signed credentials: no sign-in, no personal data.

- ``GET /credentials/keys.json``: every issuer's public keys (JWK Set), cacheable.
- ``GET /credentials/issuers/<district>``: the issuer's OB 3.0 Profile.
- ``GET /credentials/status/<district>``: the issuer's Bitstring Status List credential
  (VC-JWT), built from the database on each request so that a revocation shows at once;
  ``Cache-Control: no-cache`` with an ETag of its content (a cache asks again each time,
  cheaply).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, make_response, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ilp_training.core.errors import json_error, json_errors_under
from ilp_training.credentials import keys
from ilp_training.credentials.issuers import issuer_profile, regency
from ilp_training.credentials.services import MEDIA_TYPE, status_list_credential

bp = Blueprint("credentials", __name__, url_prefix="/credentials")

KEYS_MAX_AGE = 3600  # a rotated key appears within the hour; old keys never disappear


@bp.record_once
def _json_errors(state: BlueprintSetupState) -> None:
    """Every refusal under ``/credentials/`` is JSON, also a path that names nothing or a
    method the endpoint does not take (the router's, before any view): a verifier reads
    these documents, not a person."""
    json_errors_under(state.app, f"{bp.url_prefix}/")


@bp.get("/keys.json")
def jwks() -> ResponseReturnValue:
    response = jsonify(keys.public_jwks())
    response.mimetype = "application/jwk-set+json"
    response.cache_control.public = True
    response.cache_control.max_age = KEYS_MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/issuers/<district>")
def issuer(district: str) -> ResponseReturnValue:
    region = regency(district)
    if region is None:
        return json_error(404)
    response = jsonify(issuer_profile(region))
    response.mimetype = "application/ld+json"
    response.cache_control.public = True
    response.cache_control.max_age = KEYS_MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/status/<district>")
def status_list(district: str) -> ResponseReturnValue:
    region = regency(district)
    if region is None:
        return json_error(404)
    try:
        signed = status_list_credential(region)
    except keys.KeyUnavailable:
        return json_error(404, _("This district has no signing key, so no status list."))
    if signed.etag in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(signed.token)
        response.mimetype = MEDIA_TYPE
    response.set_etag(signed.etag)
    response.cache_control.public = True
    response.cache_control.no_cache = True
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
