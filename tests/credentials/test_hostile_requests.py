"""Hostile requests to the public credential endpoints and the credential downloads:
every refusal is a 4xx with the JSON error body (a verifier reads these files, not a
person), never a 500 nor an HTML page; a credential of another district's cadre is a
404 for everyone outside its scope.

The tests build their records on the empty database (``tests/credentials/scene.py``)."""

from __future__ import annotations

import pytest

from ilp_training.core.extensions import db
from ilp_training.models import Certificate
from tests import factories as make
from tests.credentials.scene import Scene, issue, make_scene
from tests.helpers import sign_in


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(app, monkeypatch, tmp_path) -> Scene:
    return make_scene(app, monkeypatch, tmp_path)


def _assert_json_error(response, status: int) -> None:
    assert response.status_code == status, response.data[:300]
    assert response.is_json, (response.mimetype, response.data[:300])
    assert response.json["error"]["code"] == status
    assert response.json["error"]["message"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/credentials/issuers/{code}", 405),
    ("DELETE", "/credentials/status/{code}", 405),
    ("PUT", "/credentials/status/{code}", 405),
    ("POST", "/credentials/keys.json", 405),
    ("GET", "/credentials/issuers/", 404),
    ("GET", "/credentials/status/", 404),
    ("GET", "/credentials/status/{code}/..", 404),
    ("GET", "/credentials/issuers/..%2F..%2Fkeys.json%2F", 404),
    ("GET", "/credentials/issuers/a%2Fb", 404),
    ("GET", "/credentials/issuers/{code}%00", 400),
    ("GET", "/credentials/status/%F0%9F%98%80", 404),
    ("GET", "/credentials/status/" + "7" * 5000, 404),
    ("GET", "/credentials/issuers/99.99", 404),
    ("GET", "/v/nothing-here/credential.jwt", 404),
    ("GET", "/v/" + "x" * 5000 + "/credential.jwt", 404),
    ("GET", "/v/%00/credential.jwt", 400),
    ("POST", "/v/nothing-here/credential.jwt", 405),
    ("GET", "/v/nothing-here/credential.json", 404),
])
def test_every_refusal_of_a_credential_endpoint_is_a_json_error(client, scene, method, path,
                                                                status):
    response = client.open(path.format(code=scene.code), method=method)
    _assert_json_error(response, status)


def test_the_status_list_of_a_district_without_a_key_is_a_json_404(app, client, scene):
    with app.app_context():
        other = make.district()
        db.session.commit()
        code = other.code
    response = client.get(f"/credentials/status/{code}")
    _assert_json_error(response, 404)
    assert "signing key" in response.json["error"]["message"] or \
        "kunci" in response.json["error"]["message"]


def test_a_credential_of_another_districts_cadre_is_a_404_to_every_outsider(
        app, client, scene):
    coordinator = sign_in(app.test_client(), scene.coordinator)
    cert_id = issue(coordinator, scene.leveled[0])
    with app.app_context():
        elsewhere = make.puskesmas()
        outsiders = [make.admin(make.district_of(elsewhere)).username,
                     make.coordinator(elsewhere).username,
                     make.village_head(elsewhere.villages[0]).username,
                     make.province_user().username, make.national_user().username]
        db.session.commit()
        assert db.session.get(Certificate, cert_id).credential_jwt
    for username in outsiders:
        outsider = sign_in(app.test_client(), username)
        for suffix in ("credential.jwt", "credential.json"):
            response = outsider.get(f"/certificates/{cert_id}/{suffix}")
            _assert_json_error(response, 404)
            assert b"eyJ" not in response.data, username  # no token, no decoded payload
        assert outsider.get(f"/certificates/{cert_id}.pdf").status_code == 404
    # the same district's admin gets it
    admin = sign_in(app.test_client(), scene.admin)
    assert admin.get(f"/certificates/{cert_id}/credential.jwt").status_code == 200
