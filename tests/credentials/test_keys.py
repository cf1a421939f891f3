"""The issuers' keys (issue 19, item 1): made and rotated by commands, stored outside the
database with private files readable by the owner only, published as a JWK Set that
keeps retired keys, and a lost key file reported, never silent."""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path

import pytest
import sqlalchemy as sa
from jwcrypto import jwk, jws

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_now
from ilp_training.credentials import keys
from ilp_training.models import AuditEntry


@pytest.fixture
def own_keys(app, monkeypatch, tmp_path) -> Path:
    """The demo app on an empty key directory of this test's own."""
    directory = tmp_path / "keys"
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(directory))
    return directory


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["credentials", *args])


def _at(app, monkeypatch, moment: str) -> None:
    monkeypatch.setitem(app.config, "TODAY", moment)


def test_keygen_writes_a_private_file_for_the_owner_and_public_metadata(app, own_keys):
    result = _run(app, "keygen", "--district", "7414")
    assert result.exit_code == 0, result.output
    (private,) = own_keys.glob("*.jwk")
    assert private.stat().st_mode & 0o777 == 0o600
    assert json.loads(private.read_text())["d"]  # the private half
    metadata = json.loads((own_keys / "7414.issuer.json").read_text())
    (entry,) = metadata["keys"]
    assert entry["kid"] == private.stem and "d" not in entry["public_jwk"]
    assert entry["not_after"] is None and entry["retired_at"] is None
    with app.app_context():
        day = local_now().astimezone(UTC).strftime("%Y%m%d")  # the site's clock, in UTC
    assert private.stem.startswith(f"7414-{day}-") and len(private.stem) == 18
    with app.app_context():
        kid, key = keys.signing_key("74.14")
    assert kid == private.stem and key.is_private
    again = _run(app, "keygen", "--district", "74.14")
    assert again.exit_code == 1 and "rotate" in again.output


def test_keygen_refuses_an_unknown_district(app, own_keys):
    result = _run(app, "keygen", "--district", "99.99")
    assert result.exit_code == 2 and "99.99" in result.output
    assert not own_keys.exists()


def test_no_key_is_a_clear_refusal(app, own_keys):
    with app.app_context(), pytest.raises(keys.KeyUnavailable, match="keygen"):
        keys.signing_key("74.14")


def test_rotation_keeps_the_old_key_published_with_its_window(app, own_keys, monkeypatch,
                                                               client):
    _at(app, monkeypatch, "2026-06-01T10:00")
    assert _run(app, "keygen", "--district", "74.14").exit_code == 0
    with app.app_context():
        old, _key = keys.signing_key("74.14")
    _at(app, monkeypatch, "2026-12-01T10:00")
    result = _run(app, "rotate", "--district", "74.14")
    assert result.exit_code == 0 and "retired" in result.output, result.output
    with app.app_context():
        new, _key = keys.signing_key("74.14")
        retired = keys.verification_key(old)
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "issuer").order_by(AuditEntry.id)).all()
    assert new != old and len(list(own_keys.glob("*.jwk"))) == 2
    assert retired is not None and retired.not_after is not None
    assert retired.retired_at == retired.not_after
    assert [(e.action, e.changes["kid"]) for e in entries] == [
        ("key_created", [None, old]), ("key_rotated", [old, new])]

    response = client.get("/credentials/keys.json")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    assert "max-age=3600" in response.headers["Cache-Control"]
    published = {k["kid"]: k for k in response.json["keys"]}
    assert set(published) == {old, new}
    assert all("d" not in k for k in published.values())
    assert published[old]["exp"] == published[new]["nbf"]
    assert "exp" not in published[new]
    assert published[old]["iss"].endswith("/credentials/issuers/74.14")
    # a second JOSE implementation reads the published keys and checks a signature
    with app.app_context():
        _kid, token = keys.sign_compact("74.14", b"hello", "JWT")
    verified = jws.JWS()
    verified.deserialize(token)
    verified.verify(jwk.JWK(**{k: v for k, v in published[new].items()
                               if k in ("kty", "crv", "x", "kid")}))
    assert verified.payload == b"hello"


def test_a_lost_private_key_is_reported_and_refuses_signing(app, own_keys):
    assert _run(app, "keygen", "--district", "74.14").exit_code == 0
    assert _run(app, "check").exit_code == 0
    (private,) = own_keys.glob("*.jwk")
    os.remove(private)
    report = _run(app, "check")
    assert report.exit_code == 1 and f"MISSING {private.stem}" in report.output
    with app.app_context(), pytest.raises(keys.KeyUnavailable, match="missing"):
        keys.signing_key("74.14")
    with app.app_context():  # its public half still verifies what it signed
        assert keys.verification_key(private.stem) is not None


def test_private_keys_may_come_from_the_environment_setting(app, own_keys, monkeypatch):
    assert _run(app, "keygen", "--district", "74.14").exit_code == 0
    (private,) = own_keys.glob("*.jwk")
    monkeypatch.setitem(app.config, "CREDENTIAL_PRIVATE_KEYS",
                        json.dumps([json.loads(private.read_text()) | {"kid": private.stem}]))
    os.remove(private)
    with app.app_context():
        kid, _key = keys.signing_key("74.14")
    assert kid == private.stem


def test_the_issuer_profile_is_public(client):
    response = client.get("/credentials/issuers/74.14")
    assert response.status_code == 200
    profile = response.json
    assert profile["type"] == ["Profile"]
    assert profile["id"].endswith("/credentials/issuers/74.14")
    assert profile["name"] == "Dinas Kesehatan Kabupaten Buton Tengah"
    assert client.get("/credentials/issuers/99.99").status_code == 404
    assert client.get("/credentials/issuers/nonsense").status_code == 404
