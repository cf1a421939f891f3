"""Sign-in throttling cannot be turned into a lockout: a guesser is slowed on its own
(name, client) pair and its own client, the right password from another client still
signs in, the count holds under concurrency, and ``X-Forwarded-For`` is believed only
from the configured number of trusted proxies (``services/users.py``, ``throttle.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import FAST_HASH, make_app

from ilp_training.core.extensions import db
from ilp_training.models import RateEvent
from tests import live as live_module
from tests.factories import PASSWORD
from tests.helpers import sign_in
from tests.live import race

# The live tests sign in as the demo's trainer; the others as the factories' (fixture
# ``people``, on the empty database).
WRONG = {"username": "pelatih", "password": "wrong-password"}
RIGHT = {"username": "pelatih", "password": "pelatih-demo"}


@pytest.fixture
def client(empty_client):
    """The test client of the empty database, where ``people`` are."""
    return empty_client


def _wrong(people) -> dict[str, str]:
    return {"username": people.trainer, "password": "wrong-password"}


def _admin(people) -> dict[str, str]:
    return {"username": people.admin, "password": PASSWORD}


def _right(people) -> dict[str, str]:
    return {"username": people.trainer, "password": PASSWORD}


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _post_login(client, data: dict[str, str], address: str):
    return client.post("/login", data=data, **_from(address))


def _age_rate_events(seconds: int) -> None:
    """Move every stored attempt ``seconds`` into the past (as if time had passed)."""
    for event in db.session.scalars(sa.select(RateEvent)):
        event.at -= timedelta(seconds=seconds)
    db.session.commit()


def test_a_guesser_on_one_client_does_not_stop_the_right_password_from_another(client,
                                                                               people) -> None:
    for _ in range(5):
        assert _post_login(client, _wrong(people), "10.0.0.1").status_code == 401
    assert _post_login(client, _right(people), "10.0.0.1").status_code == 429
    assert _post_login(client, _right(people), "10.0.0.2").status_code == 302


def test_one_users_typos_do_not_lock_other_users_of_the_same_address(client, people) -> None:
    for _ in range(5):
        _post_login(client, _wrong(people), "10.0.0.1")
    response = _post_login(client, {"username": people.coordinator, "password": PASSWORD},
                           "10.0.0.1")
    assert response.status_code == 302


def test_a_client_guessing_many_names_is_stopped(client, people, empty_app) -> None:
    limit = empty_app.config["LOGIN_CLIENT_MAX_FAILURES"]
    for i in range(limit):
        response = _post_login(client, {"username": f"nobody{i}", "password": "x"}, "10.0.0.9")
        assert response.status_code == 401, i
    response = _post_login(client, _admin(people), "10.0.0.9")
    assert response.status_code == 429
    assert _post_login(client, _admin(people),
                       "10.0.0.8").status_code == 302


def test_the_refusal_says_when_to_try_again(client, people, empty_app) -> None:
    for _ in range(5):
        _post_login(client, _wrong(people), "10.0.0.1")
    with empty_app.app_context():
        _age_rate_events(600)
    response = _post_login(client, _wrong(people), "10.0.0.1")
    assert response.status_code == 429
    # Six attempts in the window (five ten minutes old, this one): the window frees a slot
    # when the second oldest leaves it, in 900 - 600 = 300 seconds.
    assert 295 <= int(response.headers["Retry-After"]) <= 301


def test_attempts_during_a_lock_count_so_a_persistent_guesser_stays_locked(
        client, people, empty_app) -> None:
    for _ in range(5):
        _post_login(client, _wrong(people), "10.0.0.1")
    with empty_app.app_context():
        _age_rate_events(600)
    for _ in range(5):
        assert _post_login(client, _wrong(people), "10.0.0.1").status_code == 429
    with empty_app.app_context():
        _age_rate_events(400)  # the first five have left the window, the refused have not
    assert _post_login(client, _right(people), "10.0.0.1").status_code == 429
    assert _post_login(client, _right(people), "10.0.0.3").status_code == 302


def test_a_name_guessed_from_many_clients_gets_one_try_per_client(
        client, people, empty_app) -> None:
    limit = empty_app.config["LOGIN_NAME_MAX_FAILURES"]
    for i in range(limit):
        _post_login(client, _wrong(people), f"10.1.{i // 5}.1")
    # a client that already failed on this name is refused; a fresh one gets its try
    assert _post_login(client, _right(people), "10.1.0.1").status_code == 429
    assert _post_login(client, _wrong(people), "10.2.0.1").status_code == 401
    assert _post_login(client, _right(people), "10.2.0.1").status_code == 429
    assert _post_login(client, _right(people), "10.2.0.2").status_code == 302


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, people) -> None:
    for i in range(5):
        client.post("/login", data=_wrong(people), headers={"X-Forwarded-For": f"192.0.2.{i}"},
                    **_from("10.0.0.1"))
    response = client.post("/login", data=_right(people), headers={"X-Forwarded-For": "192.0.2.99"},
                           **_from("10.0.0.1"))
    assert response.status_code == 429


def test_unknown_and_inactive_names_cost_one_password_hash_like_known_ones(
        client, people, monkeypatch) -> None:
    from ilp_training.auth import services as users

    checked: list[str] = []
    original = users.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return original(password_hash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    for name in (people.trainer, "no.such.user"):
        checked.clear()
        response = _post_login(client, {"username": name, "password": "wrong-pass"}, "10.0.0.4")
        assert response.status_code == 401
        assert len(checked) == 1, name
        assert checked[0].startswith(FAST_HASH + "$"), name  # the same method and cost


def test_change_password_is_throttled_like_sign_in(client, people) -> None:
    sign_in(client, people.trainer)
    data = {"current_password": "not-the-password", "password": "Another-long-pass-42",
            "confirm": "Another-long-pass-42"}
    for _ in range(5):
        assert client.post("/account/password", data=data).status_code == 200
    response = client.post("/account/password", data={**data, "current_password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    client.post("/logout")
    sign_in(client, people.trainer)  # the password was not changed


@pytest.fixture
def proxied_live(live_template: str) -> Iterator[live_module.LiveSite]:
    """A live site behind one trusted proxy: the client is the last X-Forwarded-For."""
    with live_module.live_site(live_template, make_app, TRUSTED_PROXIES=1) as site:
        yield site


def test_behind_a_trusted_proxy_one_users_typos_lock_no_one_else(proxied_live) -> None:
    browser = proxied_live.client()

    def post(data: dict[str, str], address: str):
        return browser.post("/login", data=data, headers={"X-Forwarded-For": address})

    for _ in range(6):
        post(WRONG, "198.51.100.1")
    assert post(RIGHT, "198.51.100.1").status_code == 429
    assert post(RIGHT, "198.51.100.2").status_code == 302
    other = proxied_live.client()
    response = other.post("/login", data={"username": "admin", "password": "admin-demo"},
                          headers={"X-Forwarded-For": "198.51.100.3"})
    assert response.status_code == 302


def test_thirty_guesses_at_once_check_at_most_five_passwords(live) -> None:
    browsers = [live.client() for _ in range(30)]
    responses = race(30, lambda i: browsers[i].post("/login", data=WRONG))
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes
    assert codes.count(401) <= 5, codes  # 401: the password was checked and was wrong
    assert codes.count(429) == 30 - codes.count(401), codes
    assert all("Retry-After" in r.headers for r in responses if r.status_code == 429)
    response = live.client().post("/login", data=RIGHT)
    assert response.status_code == 429  # the same client: still slowed down
