"""Verifying a credential (a VC-JWT) as a third party would, with the site's keys.

The checks, in order; the first that fails is the reason:

1. ``malformed``: not a JOSE compact serialization with ``typ: vc+jwt``, a ``kid`` and
   ``alg`` EdDSA (or Ed25519), or a payload that is not a credential.
2. ``unknown_key``: no issuer of this site ever published the ``kid``.
3. ``bad_signature``: the signature does not match (a changed credential).
4. ``wrong_issuer``: the key belongs to another issuer than the credential names.
5. ``key_expired``: the signing time (``iat``, else ``validFrom``) lies outside the
   key's signing window (``not_before <= t < not_after``).
6. ``revoked``: the bit of ``credentialStatus.statusListIndex`` is set in the issuer's
   status list (read from the database the list is built from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from joserfc import jws
from joserfc.errors import JoseError

from ilp_training.credentials import keys
from ilp_training.credentials.services import revoked_indexes

REASONS = {
    "malformed": _l("This is not a credential of this site's format."),
    "unknown_key": _l("It is signed with a key no issuer of this site published."),
    "bad_signature": _l("The signature does not match: the credential was changed."),
    "wrong_issuer": _l("The key that signed it belongs to another issuer."),
    "key_expired": _l("It was signed outside the signing period of its key."),
    "revoked": _l("The issuer has revoked this credential."),
}


@dataclass(frozen=True)
class VerificationResult:
    """``valid`` with the decoded ``claim`` (the credential), or the ``reason`` (a key of
    :data:`REASONS`) it is refused for; ``claim`` is also set when the signature held."""

    valid: bool
    reason: str | None
    claim: dict[str, Any] | None
    kid: str | None = None

    @property
    def message(self) -> str:
        return str(REASONS[self.reason]) if self.reason else ""


def _refused(reason: str, claim: dict[str, Any] | None = None,
             kid: str | None = None) -> VerificationResult:
    return VerificationResult(False, reason, claim, kid)


def verify_credential(token: str) -> VerificationResult:
    """Check a VC-JWT of this site (module rules); never raises on bad input."""
    try:
        parsed = jws.extract_compact(token.strip().encode(), registry=keys.JWS_REGISTRY)
        header = parsed.headers()
    except (JoseError, ValueError, UnicodeError):
        return _refused("malformed")
    kid = header.get("kid")
    if (header.get("typ") != "vc+jwt" or header.get("alg") not in ("EdDSA", "Ed25519")
            or not isinstance(kid, str)):
        return _refused("malformed")
    published = keys.verification_key(kid)
    if published is None:
        return _refused("unknown_key", kid=kid)
    try:
        verified = jws.deserialize_compact(token.strip(), published.key,
                                           algorithms=["EdDSA", "Ed25519"],
                                           registry=keys.JWS_REGISTRY)
    except JoseError:
        return _refused("bad_signature", kid=kid)
    try:
        claim = json.loads(verified.payload)
        issuer = claim["issuer"]["id"] if isinstance(claim["issuer"], dict) else claim["issuer"]
        signed_at = _signing_time(claim)
    except (ValueError, KeyError, TypeError):
        return _refused("malformed", kid=kid)
    if not str(issuer).endswith(f"/credentials/issuers/{published.issuer}"):
        return _refused("wrong_issuer", claim, kid)
    if not published.signs_at(signed_at):
        return _refused("key_expired", claim, kid)
    status = claim.get("credentialStatus")
    if isinstance(status, dict) and status.get("statusPurpose") == "revocation":
        try:
            index = int(status["statusListIndex"])
        except (KeyError, ValueError, TypeError):
            return _refused("malformed", claim, kid)
        if index in set(revoked_indexes(published.issuer)):
            return _refused("revoked", claim, kid)
    return VerificationResult(True, None, claim, kid)


def _signing_time(claim: dict[str, Any]) -> datetime:
    if "iat" in claim:
        return datetime.fromtimestamp(int(claim["iat"]), UTC)
    moment = datetime.fromisoformat(str(claim["validFrom"]))
    if moment.tzinfo is None:
        raise ValueError("validFrom without a time zone")
    return moment
