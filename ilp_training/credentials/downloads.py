"""The credential of a certificate as a download (``application/vc+jwt``) or as its
decoded JSON (header and payload), for the certificate's page and the public page."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from flask import Response, jsonify, send_file
from flask_babel import gettext as _

from ilp_training.core.errors import json_error
from ilp_training.credentials.services import MEDIA_TYPE
from ilp_training.models import Certificate


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS, not verified (for display)."""
    header, payload, _sig = token.split(".")

    def part(text: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    return part(header), part(payload)


def credential_response(cert: Certificate, decoded: bool) -> Response:
    """The certificate's signed credential: the VC-JWT as a file, or decoded as JSON;
    404 (JSON) while it is pending."""
    token = cert.credential_jwt
    if not token:
        return json_error(404, _("The signed credential of this certificate is not ready "
                                 "yet: the district has no signing key."))
    if decoded:
        header, payload = decode_unverified(token)
        return jsonify(header=header, payload=payload)
    return send_file(io.BytesIO(token.encode()), mimetype=MEDIA_TYPE, as_attachment=True,
                     download_name=f"{cert.serial}.jwt")
