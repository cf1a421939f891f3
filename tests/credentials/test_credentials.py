"""Open Badges 3.0 credentials and the status list (issue 19, items 2 and 3), verified
with jwcrypto, a JOSE implementation other than the one that signs (joserfc); and the
site's own verifier's refusals, each with its reason."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from jsonschema import Draft201909Validator
from jwcrypto import jwk

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_now
from ilp_training.credentials import keys
from ilp_training.credentials.verification import verify_credential
from ilp_training.models import Cadre, Certificate
from tests.credentials.jose_tools import (
    bit,
    jwcrypto_sign,
    jwcrypto_verify,
    private_key,
    status_bits,
)
from tests.credentials.scene import BASE, Scene, issue, make_scene
from tests.helpers import sign_in

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# 1EdTech's own JSON Schema of an OB 3.0 AchievementCredential (tests/vendor/openbadges)
OB_SCHEMA = json.loads((Path(__file__).parents[1] / "vendor" / "openbadges"
                        / "ob_v3p0_achievementcredential_schema.json").read_text())


def assert_valid_open_badge(vc: dict[str, Any]) -> None:
    """``vc`` (a decoded payload) is valid against 1EdTech's OB 3.0 schema, formats
    (date, date-time) checked too; every error is listed with its path."""
    validator = Draft201909Validator(OB_SCHEMA,
                                     format_checker=Draft201909Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(vc)]
    assert errors == []


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(app, monkeypatch, tmp_path) -> Scene:
    return make_scene(app, monkeypatch, tmp_path)


@pytest.fixture
def as_coordinator(client, scene):
    return sign_in(client, scene.coordinator)


def _verify(app, token: str):
    with app.app_context():
        return verify_credential(token)


def _credential(app, cert_id: int) -> tuple[Certificate, str]:
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert is not None
        return cert, cert.credential_jwt


def test_an_issued_level_certificate_carries_a_signed_open_badge(app, as_coordinator,
                                                                 client, scene):
    cert_id = issue(as_coordinator, scene.leveled[0])
    cert, token = _credential(app, cert_id)
    download = as_coordinator.get(f"/certificates/{cert_id}/credential.jwt")
    assert download.status_code == 200 and download.mimetype == "application/vc+jwt"
    assert download.data.decode() == token
    header, vc = jwcrypto_verify(client, token)  # jwcrypto, against the published key
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    assert header["kid"].startswith(scene.code.replace(".", "") + "-")
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == f"{BASE}/v/{cert.verify_code}"
    assert vc["issuer"]["id"] == vc["iss"] == f"{BASE}/credentials/issuers/{scene.code}"
    assert vc["issuer"]["type"] == ["Profile"]
    assert vc["validFrom"] == f"{cert.issued_on.isoformat()}T00:00:00+08:00"
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [{"type": "IdentityObject", "identityType": "name",
                                      "hashed": False, "identityHash": cert.holder_name}]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Kader ILP tingkat Madya / ILP cadre, Madya level"
    assert achievement["inLanguage"] == "id"
    assert achievement["description"].startswith("Menguasai ")
    assert "\n\nMastered " in achievement["description"]
    assert vc["name"] == f"Sertifikat {cert.serial} / Certificate {cert.serial}"
    assert_valid_open_badge(vc)
    skills = [s for p in cert.claim["packages"] for s in p["skills"]]
    assert len(skills) == cert.claim["badges"] >= 19
    for skill in skills:  # the criteria list every mastered skill, in both languages
        assert f"- {skill['code']} {skill['name']['id']}" in achievement["criteria"]["narrative"]
        assert f"- {skill['code']} {skill['name']['en']}" in achievement["criteria"]["narrative"]
    status = vc["credentialStatus"]
    assert status == {
        "id": f"{BASE}/credentials/status/{scene.code}#{cert.status_index}",
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(cert.status_index),
        "statusListCredential": f"{BASE}/credentials/status/{scene.code}"}
    assert _verify(app, token).valid
    # the signed-in page offers it; the decoded view shows the same payload
    assert f"/certificates/{cert_id}/credential.jwt" in as_coordinator.get(
        f"/certificates/{cert_id}").text
    decoded = as_coordinator.get(f"/certificates/{cert_id}/credential.json").json
    assert decoded["payload"] == vc and decoded["header"] == header


def test_the_public_page_serves_the_same_credential_without_sign_in(app, as_coordinator,
                                                                    scene):
    cert_id = issue(as_coordinator, scene.leveled[1])
    cert, token = _credential(app, cert_id)
    public = app.test_client()
    page = public.get(f"/v/{cert.verify_code}")
    assert f"/v/{cert.verify_code}/credential.jwt" in page.text
    download = public.get(f"/v/{cert.verify_code}/credential.jwt")
    assert download.status_code == 200 and download.mimetype == "application/vc+jwt"
    assert download.data.decode() == token
    assert public.get(f"/v/{cert.verify_code}/credential.json").json["payload"]["id"] \
        == f"{BASE}/v/{cert.verify_code}"
    assert public.get("/v/nothing-here/credential.jwt").status_code == 404
    # the signed-in download is not public
    assert public.get(f"/certificates/{cert_id}/credential.jwt").status_code == 302


def test_no_personal_data_is_in_a_credential(app, as_coordinator, scene):
    cert_id = issue(as_coordinator, scene.leveled[2])
    _cert, token = _credential(app, cert_id)
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    with app.app_context():
        cadre = db.session.get(Cadre, scene.leveled[2])
        assert cadre.nik and cadre.phone and cadre.birth_date
        secrets = [cadre.nik, cadre.phone, cadre.birth_date.isoformat(),
                   cadre.birth_date.strftime("%d%m%y"), cadre.posyandu.name]
    for value in secrets:
        assert value not in payload, value
    assert cadre.full_name in payload


def test_a_training_certificate_carries_its_training(app, as_coordinator, client, scene):
    cert_id = issue(as_coordinator, scene.trained, scene.event)
    cert, token = _credential(app, cert_id)
    _header, vc = jwcrypto_verify(client, token)
    subject = vc["credentialSubject"]
    event = cert.claim["event"]
    assert subject["achievement"]["achievementType"] == "Course"
    assert subject["achievement"]["name"] == event["title"]
    assert "\n\nCompleted the " in subject["achievement"]["description"]
    assert_valid_open_badge(vc)
    assert subject["activityStartDate"].startswith(event["start_date"])
    assert subject["activityEndDate"].startswith(event["end_date"])
    for skill in cert.claim["skills"]:
        assert skill["name"]["en"] in subject["achievement"]["criteria"]["narrative"]
    assert _verify(app, token).valid


def test_the_status_list_is_signed_and_shows_a_revocation_at_once(app, as_coordinator,
                                                                  client, scene):
    first = issue(as_coordinator, scene.leveled[0])
    second = issue(as_coordinator, scene.leveled[1])
    cert, token = _credential(app, first)
    other, _other_token = _credential(app, second)
    assert {cert.status_index, other.status_index} == {0, 1}

    url = f"/credentials/status/{scene.code}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    assert "no-cache" in response.headers["Cache-Control"]
    header, listed = jwcrypto_verify(client, response.text)
    assert header["typ"] == "vc+jwt"
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == f"{BASE}{url}"
    assert listed["issuer"] == f"{BASE}/credentials/issuers/{scene.code}"
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    bits = status_bits(subject["encodedList"])
    assert len(bits) * 8 == 131_072 and not any(bits)
    etag = response.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    admin = sign_in(app.test_client(), scene.admin)
    revoked = admin.post(f"/certificates/{first}/revoke",
                         data={"reason": "Data penilaian keliru", "confirm": "y"})
    assert revoked.status_code == 302, revoked.text[:300]
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    bits = status_bits(jwcrypto_verify(client, after.text)[1]["credentialSubject"]["encodedList"])
    assert bit(bits, cert.status_index) and not bit(bits, other.status_index)
    result = _verify(app, token)
    assert (result.valid, result.reason) == (False, "revoked")
    assert "revoked" in result.message
    assert client.get("/credentials/status/99.99").status_code == 404


def test_tampered_unknown_key_and_expired_key_are_refused_with_their_reason(
        app, as_coordinator, monkeypatch, scene):
    cert_id = issue(as_coordinator, scene.leveled[0])
    _cert, token = _credential(app, cert_id)
    head, body, signature = token.split(".")
    claim = json.loads(base64.urlsafe_b64decode(body + "=="))
    with app.app_context():
        assert verify_credential(token).valid

        # tampered: another name, the signature kept
        claim["credentialSubject"]["identifier"][0]["identityHash"] = "Orang Lain"
        forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).rstrip(b"=").decode()
        assert verify_credential(f"{head}.{forged}.{signature}").reason == "bad_signature"

        # an unknown key: jwcrypto signs with a key the site never published
        stranger = jwk.JWK.generate(kty="OKP", crv="Ed25519")
        made = jwcrypto_sign(claim, stranger, "7414-20260101-abcd")
        assert verify_credential(made).reason == "unknown_key"

        # jwcrypto signing with the district's real key: accepted (same format)
        kid = json.loads(base64.urlsafe_b64decode(head + "=="))["kid"]
        genuine = jwcrypto_sign(claim, private_key(scene.keys, kid), kid)
        result = verify_credential(genuine)
        assert result.valid and result.claim == claim

        # rotated: the old key verifies what it signed in its window, not after it
        later = local_now() + timedelta(days=19)
        monkeypatch.setitem(app.config, "TODAY", later.isoformat())
    result = app.test_cli_runner().invoke(args=["credentials", "rotate", "--district",
                                                scene.code])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert verify_credential(token).valid  # signed before the rotation
        late = {**claim, "iat": claim["iat"] + 30 * 86400}  # "signed" after it
        expired = verify_credential(jwcrypto_sign(late, private_key(scene.keys, kid), kid))
        assert (expired.valid, expired.reason) == (False, "key_expired")
        assert verify_credential("not a token").reason == "malformed"
        assert verify_credential(f"{head}.{body}").reason == "malformed"


def test_without_a_key_the_certificate_is_issued_and_its_credential_signed_later(
        app, as_coordinator, client, monkeypatch, scene, tmp_path):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(tmp_path / "none"))
    cert_id = issue(as_coordinator, scene.leveled[0])
    cert, token = _credential(app, cert_id)
    assert token is None and cert.status_index == 0 and cert.serial  # pending, issued
    assert "credential.jwt" not in as_coordinator.get(f"/certificates/{cert_id}").text
    pending = as_coordinator.get(f"/certificates/{cert_id}/credential.jwt")
    assert pending.status_code == 404 and pending.json["error"]["message"]

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["credentials", "issue-missing"])
    assert refused.exit_code == 1 and "still pending" in refused.output
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(scene.keys))
    done = runner.invoke(args=["credentials", "issue-missing"])
    assert done.exit_code == 0 and "Signed 1" in done.output, done.output
    cert, token = _credential(app, cert_id)
    assert token and cert.status_index == 0
    jwcrypto_verify(client, token)
    with app.app_context():
        assert verify_credential(token).valid


def test_a_bulk_job_issues_credentials_too(app, as_coordinator, client, scene):
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{scene.home}", "language": "id"})
    assert response.status_code == 302  # the job ran (HUEY_IMMEDIATE)
    with app.app_context():
        certs = db.session.scalars(sa.select(Certificate).where(
            Certificate.bulk_job_id.is_not(None))).all()
        tokens = [(c.status_index, c.credential_jwt) for c in certs]
    assert len(tokens) == 3
    assert sorted(index for index, _t in tokens) == [0, 1, 2]
    for index, token in tokens:
        _header, vc = jwcrypto_verify(client, token)
        assert vc["credentialStatus"]["statusListIndex"] == str(index)
        assert_valid_open_badge(vc)


def test_the_status_list_grows_past_its_minimum_length(app, scene):
    from ilp_training.credentials import services

    with app.app_context():
        assert services.allocate_status_indexes(scene.code, 131_072) == list(range(131_072))
        assert services.allocate_status_indexes(scene.code, 2) == [131_072, 131_073]
        from ilp_training.credentials.issuers import regency

        with app.test_request_context():
            signed = services.status_list_credential(regency(scene.code))
    payload = json.loads(base64.urlsafe_b64decode(signed.token.split(".")[1] + "=="))
    assert len(status_bits(payload["credentialSubject"]["encodedList"])) * 8 == 2 * 131_072


def test_signing_keys_are_never_in_the_database_or_the_credential(app, as_coordinator,
                                                                  scene):
    cert_id = issue(as_coordinator, scene.leveled[0])
    _cert, token = _credential(app, cert_id)
    (private,) = [p for p in os.listdir(scene.keys) if p.endswith(".jwk")]
    secret = json.loads((scene.keys / private).read_text())["d"]
    assert secret not in token
    with app.app_context():
        assert keys.verification_key(private[:-4]) is not None
