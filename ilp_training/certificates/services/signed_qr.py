"""The signed QR code of a certificate: the verification address, then ``#``, then a
compact JWS (``alg`` EdDSA, an Ed25519 key) of the claim a verifier needs, signed with the issuing
district's key (``credentials.keys.signing_key``) when the certificate is rendered and
frozen in its PDF like everything else on it.

``https://host/v/<code>#<JWS>``: a plain camera app opens the public page (a browser never
sends the fragment to the server); the offline verifier (``/verify/``) reads the JWS and
checks it with the district's public key alone. See ``docs/credentials.md``, "Signed QR".

The claim names are one letter, the JSON has no spaces, so the QR code stays small
enough for a phone camera at the size printed (version and module size in the doc):

====  ==========================================================================
n     the name as printed
l     the level as printed (Indonesian name), for a level certificate
t     the training's title (at most :data:`TITLE_MAX` characters), for a training
d     the issue date (ISO 8601), which must lie in the key's signing window
i     the issuer: the district code without dots (``7414``), as in the serial
s     the serial number
x     the certificate's index in its issuer's status list
      (``<site>/credentials/status/<i>``)
v     the verification address, which must equal the QR's text before ``#``
====  ==========================================================================

Ed25519 signatures are deterministic: the same claim signed with the same key gives the
same JWS, so a certificate drafted before the write lock and rendered again under it
(``issuing.draft_certificate``) compares equal.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jws

from ilp_training.credentials.keys import JWS_REGISTRY, signing_key

TITLE_MAX = 60
# RFC 8037's EdDSA (Ed25519 keys only), through the credentials area's registry as every
# signature of the site; the offline page also accepts RFC 9864's "Ed25519".
ALG = "EdDSA"


def issuer_code(claim: dict[str, Any]) -> str:
    """The issuing district's code without dots, the serial's first part."""
    return str(claim["serial"]).split("-", 1)[0]


def qr_claims(claim: dict[str, Any], status_index: int, verify_url: str) -> dict[str, Any]:
    """The short claims of a certificate's signed QR code (see the module's table)."""
    short: dict[str, Any] = {"n": claim["holder_name"]}
    if claim.get("kind") == "training":
        title = " ".join(str(claim["event"]["title"]).split())
        short["t"] = title if len(title) <= TITLE_MAX else title[:TITLE_MAX - 1] + "…"
    else:
        short["l"] = claim["level"]["name"]["id"]
    short.update({"d": claim["issued_on"], "i": issuer_code(claim), "s": claim["serial"],
                  "x": status_index, "v": verify_url})
    return short


def sign_qr(claim: dict[str, Any], status_index: int, verify_url: str) -> str:
    """The QR code's text: ``verify_url#<compact JWS of qr_claims>``."""
    kid, key = signing_key(issuer_code(claim))
    payload = json.dumps(qr_claims(claim, status_index, verify_url), ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8")
    token = jws.serialize_compact({"alg": ALG, "kid": kid}, payload, key,
                                  registry=JWS_REGISTRY)
    return f"{verify_url}#{token}"
