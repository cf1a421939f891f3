"""The second, independent JOSE implementation (jwcrypto) the tests verify and forge
with, and the status list's bits read by hand."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from jwcrypto import jwk, jws

# -- jwcrypto: the independent verifier ---------------------------------------------


def published_key(client, kid: str) -> jwk.JWK:
    """The key ``kid`` as /credentials/keys.json publishes it, read by jwcrypto."""
    found = [k for k in client.get("/credentials/keys.json").json["keys"] if k["kid"] == kid]
    assert len(found) == 1, kid
    return jwk.JWK(**{k: v for k, v in found[0].items() if k in ("kty", "crv", "x", "kid")})


def jwcrypto_verify(client, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of ``token`` once jwcrypto has checked its signature against
    the published key its header names (raises otherwise)."""
    parsed = jws.JWS()
    parsed.deserialize(token)
    header = parsed.jose_header
    parsed.verify(published_key(client, header["kid"]), alg=header["alg"])
    return header, json.loads(parsed.payload)


def jwcrypto_sign(payload: dict[str, Any], key: jwk.JWK, kid: str) -> str:
    """A VC-JWT made by jwcrypto (not joserfc)."""
    token = jws.JWS(json.dumps(payload).encode())
    token.add_signature(key, alg="EdDSA",
                        protected=json.dumps({"alg": "EdDSA", "typ": "vc+jwt", "kid": kid}))
    return token.serialize(compact=True)


def private_key(directory: Path, kid: str) -> jwk.JWK:
    return jwk.JWK(**json.loads((directory / f"{kid}.jwk").read_text()))


def status_bits(encoded: str) -> bytes:
    assert encoded.startswith("u")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
