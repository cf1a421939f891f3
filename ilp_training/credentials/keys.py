"""The issuers' signing keys: Ed25519, kept outside the database and the repository.

The issuer of every credential is a district health office, named by its regency's
official code (``74.14``; ``7414`` is read the same). Its id is the URL
``{PUBLIC_BASE_URL}/credentials/issuers/<code>`` (:func:`issuer_id`).

Storage (``CREDENTIAL_KEYS_DIR``, default ``instance/keys/``):

- ``<kid>.jwk``: one private JWK per key (mode 0600), written once by ``flask credentials
  keygen`` / ``rotate``, never rewritten or deleted by the site.
- ``<code>.issuer.json``: the issuer's public metadata, every key it ever had: ``kid``,
  the public JWK, ``created``, the signing window ``not_before``/``not_after`` (UTC, ISO
  8601; ``not_after`` is null while the key is current) and ``retired_at``.
- Alternatively the private JWKs come from the environment setting
  ``CREDENTIAL_PRIVATE_KEYS`` (a JSON list of private JWKs, each with its ``kid``); the
  metadata file still names the keys and their windows.

Rules:

- A key signs only inside its window: ``not_before <= moment < not_after``. The current
  key of an issuer is the newest one whose window holds now.
- Rotation opens a new key from now and closes the old one's window at now; the old key
  stays published and verifies what it signed inside its window; a credential whose
  signing time lies outside the window of its key is refused ("key expired").
- A missing private key file is reported by ``flask credentials check`` and refuses
  signing with a clear :class:`KeyUnavailable`; its public half stays in the metadata,
  so what it signed still verifies.
- ``kid`` is ``<code without dot>-<yyyymmdd>-<4 hex>`` (``7414-20261201-3fa9``): short,
  since the QR payload carries it, and stable.

Public API (other areas rely on it; change it only with a note in the commit message):
:func:`signing_key`, :func:`sign_compact`, :func:`public_jwks`, :func:`verification_key`,
:func:`issuer_id`, :func:`status_list_url`, :data:`JWS_REGISTRY`, :func:`normalise_code`.

Signatures use JWS ``alg: EdDSA`` (RFC 8037), what today's verifiers (jose, step,
jwcrypto, PyJWT) accept. RFC 9864 names the fully specified ``Ed25519`` and deprecates
``EdDSA``; joserfc warns on every use, so :data:`JWS_REGISTRY` registers EdDSA without
the warning (Ed25519 keys only) and also accepts ``Ed25519`` when verifying.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from joserfc import jws
from joserfc._rfc8037.jws_eddsa import EdDSAAlgorithm
from joserfc._rfc9864.jws_eddsa import Ed25519
from joserfc.errors import InvalidKeyCurveError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from ilp_training.core.i18n import local_now


class KeyUnavailable(LookupError):
    """No key can sign for this issuer now (none made, window closed, or file lost)."""


class _EdDSA(EdDSAAlgorithm):
    """RFC 8037 EdDSA limited to Ed25519 keys, without joserfc's RFC 9864 warning."""

    security_warning = ""  # falsy: no warning

    def check_key(self, key: OKPKey) -> None:
        super().check_key(key)
        if key.curve_name != "Ed25519":
            raise InvalidKeyCurveError("only Ed25519 keys sign credentials")


class _Registry(JWSRegistry):
    algorithms = {"EdDSA": _EdDSA(), "Ed25519": Ed25519}  # as the base class declares them
    recommended = ["EdDSA", "Ed25519"]
    max_payload_length = 256_000


#: The registry every signature of this area goes through (``jws.serialize_compact(...,
#: registry=JWS_REGISTRY)``): EdDSA and Ed25519, nothing else.
JWS_REGISTRY = _Registry(algorithms=["EdDSA", "Ed25519"])

_CODE = re.compile(r"^(\d{2})\.?(\d{2})$")


def normalise_code(code: str) -> str:
    """A regency code as Kemendagri writes it (``74.14``), from ``74.14`` or ``7414``;
    ``ValueError`` for anything else."""
    match = _CODE.match((code or "").strip())
    if not match:
        raise ValueError(f"not a regency code: {code!r} (e.g. 74.14)")
    return f"{match[1]}.{match[2]}"


def issuer_id(code: str, base_url: str | None = None) -> str:
    """The issuer's id: ``{PUBLIC_BASE_URL}/credentials/issuers/<code>`` (without the
    setting, the request's own address; outside a request it must be set)."""
    return _public_url("issuers", normalise_code(code), base_url)


def status_list_url(code: str, base_url: str | None = None) -> str:
    """The issuer's status list: ``{PUBLIC_BASE_URL}/credentials/status/<code>``."""
    return _public_url("status", normalise_code(code), base_url)


def _public_url(kind: str, code: str, base_url: str | None) -> str:
    base = (base_url if base_url is not None
            else current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    if base:
        return f"{base}/credentials/{kind}/{code}"
    from flask import has_request_context, request

    if not has_request_context():
        raise RuntimeError("set PUBLIC_BASE_URL: credential ids are URLs of the public site")
    return f"{request.url_root.rstrip('/')}/credentials/{kind}/{code}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


@dataclass(frozen=True)
class IssuerKey:
    """One key of an issuer as its metadata states it (public half only)."""

    kid: str
    issuer: str  # regency code, 74.14
    public_jwk: dict[str, Any]
    created: datetime
    not_before: datetime
    not_after: datetime | None
    retired_at: datetime | None

    @property
    def key(self) -> OKPKey:
        """The public key, for verifying."""
        return OKPKey.import_key(self.public_jwk)

    def signs_at(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the signing window ``[not_before, not_after)``."""
        return self.not_before <= moment and (self.not_after is None or moment < self.not_after)

    def as_metadata(self) -> dict[str, Any]:
        return {"kid": self.kid, "public_jwk": self.public_jwk, "created": _iso(self.created),
                "not_before": _iso(self.not_before), "not_after": _iso(self.not_after),
                "retired_at": _iso(self.retired_at)}

    @classmethod
    def from_metadata(cls, issuer: str, data: dict[str, Any]) -> IssuerKey:
        created = _parse(data["created"])
        not_before = _parse(data["not_before"])
        assert created is not None and not_before is not None
        return cls(data["kid"], issuer, dict(data["public_jwk"]), created, not_before,
                   _parse(data.get("not_after")), _parse(data.get("retired_at")))


class KeyStore:
    """The keys under one directory (and the private keys of the environment setting)."""

    def __init__(self, directory: str | os.PathLike[str], env_private: str = "") -> None:
        self.directory = Path(directory)
        self._env: dict[str, dict[str, Any]] = {}
        if env_private.strip():
            for jwk in json.loads(env_private):
                self._env[jwk["kid"]] = jwk

    # -- reading ----------------------------------------------------------------------
    def issuers(self) -> list[str]:
        """The regency codes that have metadata, in code order."""
        if not self.directory.is_dir():
            return []
        return sorted(normalise_code(p.name.removesuffix(".issuer.json"))
                      for p in self.directory.glob("*.issuer.json"))

    def keys_of(self, code: str) -> list[IssuerKey]:
        """The issuer's keys, oldest first."""
        path = self._metadata_path(code)
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return [IssuerKey.from_metadata(normalise_code(code), k) for k in data["keys"]]

    def all_keys(self) -> list[IssuerKey]:
        return [k for code in self.issuers() for k in self.keys_of(code)]

    def find(self, kid: str) -> IssuerKey | None:
        match = re.match(r"^(\d{4})-\d{8}-[0-9a-f]{4}$", kid or "")
        if not match:
            return None
        return next((k for k in self.keys_of(match[1]) if k.kid == kid), None)

    def current(self, code: str, moment: datetime) -> IssuerKey | None:
        """The newest key whose signing window holds ``moment``."""
        open_keys = [k for k in self.keys_of(code) if k.signs_at(moment)]
        return max(open_keys, key=lambda k: k.not_before) if open_keys else None

    def private_key(self, kid: str) -> OKPKey | None:
        """The private key of ``kid`` (the environment setting first), or ``None``."""
        jwk = self._env.get(kid)
        if jwk is None:
            path = self.directory / f"{kid}.jwk"
            if not path.exists():
                return None
            jwk = json.loads(path.read_text(encoding="utf-8"))
        return _cached_key(json.dumps(jwk, sort_keys=True))

    # -- writing (the CLI) ------------------------------------------------------------
    def create(self, code: str, now: datetime) -> IssuerKey:
        """A new key for the issuer, signing from ``now``; the issuer's other open keys
        close their window at ``now`` (retired, kept for verification)."""
        code = normalise_code(code)
        kid = f"{code.replace('.', '')}-{now.astimezone(UTC):%Y%m%d}-{secrets.token_hex(2)}"
        while self.find(kid) is not None or (self.directory / f"{kid}.jwk").exists():
            kid = f"{kid[:-4]}{secrets.token_hex(2)}"
        private = OKPKey.generate_key("Ed25519", {"kid": kid}, private=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        fd = os.open(self.directory / f"{kid}.jwk", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(private.as_dict(private=True), handle)
        public = {k: v for k, v in private.as_dict(private=False).items()
                  if k in ("kty", "crv", "x", "kid")}
        public.update(kid=kid, use="sig", alg="EdDSA")
        keys = [k if k.not_after is not None and k.not_after <= now
                else IssuerKey(k.kid, k.issuer, k.public_jwk, k.created, k.not_before, now,
                               k.retired_at or now)
                for k in self.keys_of(code)]
        new = IssuerKey(kid, code, public, now, now, None, None)
        self._write_metadata(code, [*keys, new])
        return new

    def _metadata_path(self, code: str) -> Path:
        return self.directory / f"{normalise_code(code).replace('.', '')}.issuer.json"

    def _write_metadata(self, code: str, keys: list[IssuerKey]) -> None:
        data = {"issuer": normalise_code(code), "keys": [k.as_metadata() for k in keys]}
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self._metadata_path(code))


_KEY_CACHE: dict[str, OKPKey] = {}


def _cached_key(jwk_json: str) -> OKPKey:
    """Parsed keys by their JWK text: the key file is read each time (a lost or replaced
    file is seen at once), the key object is made once."""
    key = _KEY_CACHE.get(jwk_json)
    if key is None:
        key = OKPKey.import_key(json.loads(jwk_json))
        if len(_KEY_CACHE) > 256:
            _KEY_CACHE.clear()
        _KEY_CACHE[jwk_json] = key
    return key


def store() -> KeyStore:
    """The app's key store (``CREDENTIAL_KEYS_DIR``, ``CREDENTIAL_PRIVATE_KEYS``)."""
    config = current_app.config
    return KeyStore(config["CREDENTIAL_KEYS_DIR"], config.get("CREDENTIAL_PRIVATE_KEYS", ""))


def signing_key(district_code: str) -> tuple[str, OKPKey]:
    """``(kid, private key)`` of the issuer's current key (the site's clock, ``TODAY``
    included); :class:`KeyUnavailable` (a ``LookupError``) with the reason when none
    can sign now."""
    keys = store()
    now = local_now()
    current = keys.current(district_code, now)
    if current is None:
        raise KeyUnavailable(f"no signing key for {normalise_code(district_code)} now: "
                             "run flask credentials keygen (or rotate)")
    private = keys.private_key(current.kid)
    if private is None:
        raise KeyUnavailable(f"the private key file of {current.kid} is missing: "
                             "flask credentials check; rotate to a new key")
    return current.kid, private


def sign_compact(district_code: str, payload: bytes, typ: str,
                 extra_header: dict[str, Any] | None = None) -> tuple[str, str]:
    """``(kid, compact JWS)`` of ``payload`` signed with the issuer's current key,
    header ``{"alg": "EdDSA", "typ": typ, "kid": kid, **extra_header}``."""
    kid, key = signing_key(district_code)
    header = {"alg": "EdDSA", "typ": typ, "kid": kid, **(extra_header or {})}
    return kid, jws.serialize_compact(header, payload, key, registry=JWS_REGISTRY)


def verification_key(kid: str) -> IssuerKey | None:
    """The published key ``kid`` (current or retired) with its issuer and window, or
    ``None`` for a key this site never had. ``.key`` is the public :class:`OKPKey`."""
    return store().find(kid)


def public_jwks(base_url: str | None = None) -> dict[str, Any]:
    """Every issuer's current and retired public keys as a JWK Set. Each key has
    ``kid``, ``iss`` (the issuer id), ``nbf`` and, once its window closed, ``exp``
    (its signing window, seconds since the epoch), ``use: sig``, ``alg: EdDSA``."""
    out = []
    for key in store().all_keys():
        jwk = {**key.public_jwk, "iss": issuer_id(key.issuer, base_url),
               "nbf": int(key.not_before.timestamp())}
        if key.not_after is not None:
            jwk["exp"] = int(key.not_after.timestamp())
        out.append(jwk)
    return {"keys": out}
