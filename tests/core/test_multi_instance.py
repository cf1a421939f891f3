"""Two app servers on one database and one Redis, as the README's Production section runs
them (issue 18, item 6): two gunicorn instances on different ports, started with the
repository's ``gunicorn.conf.py``, and one ``flask worker``, on a copy of the demo
database (``tests/live.py``) and the Redis of ``TEST_REDIS_URL`` (emptied before and
after).

What must hold between them: a sign-in made on one is valid on the other (and a
sign-out on one ends it on both); a bulk certificate job started on one shows its
progress on the other; failed sign-ins sent to both in turn are refused at the same
count as on one; both answer ``/healthz`` and name each request in their log. A third
instance with a wrong database URL answers ``/healthz`` with 503.

Redis is needed: without it the module is skipped, unless ``REQUIRE_SYSTEM_TOOLS`` is
set (as CI does), which makes it fail.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import TODAY

from tests.live import clone_database, drop_database, is_postgres, next_tag

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE = "https://ilp.example.go.id"
TIMEOUT = 30  # seconds for one request
PASSWORDS = {"koordinator": "koordinator-demo", "pelatih": "pelatih-demo",
             "kades.lalibo": "kades-demo", "admin": "admin-demo"}


def _redis_url() -> str:
    """``TEST_REDIS_URL`` (default database 13 on 127.0.0.1) when a Redis answers there;
    else the module is skipped, or fails under ``REQUIRE_SYSTEM_TOOLS``."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # ImportError (no redis extra) or no server
        reason = f"two app servers share a Redis; none answers at {url} ({exc})"
        if os.environ.get("REQUIRE_SYSTEM_TOOLS"):
            pytest.fail(reason + "; REQUIRE_SYSTEM_TOOLS is set")
        pytest.skip(reason)
    return url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    """A server or worker started for the test, in a process group of its own."""

    name: str
    popen: subprocess.Popen
    log: Path
    base_url: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)


def _start(name: str, command: list[str], env: dict[str, str], folder: Path,
           base_url: str = "") -> Process:
    log = folder / f"{name}.log"
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    return Process(name, popen, log, base_url)


def _app_server(name: str, env: dict[str, str], folder: Path, workers: int = 2) -> Process:
    """``gunicorn -w N -b 127.0.0.1:PORT app:app`` with the repository's config."""
    port = _free_port()
    return _start(name, [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                         "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
                  env, folder, f"http://127.0.0.1:{port}")


def _wait_until_up(server: Process, seconds: float = 90) -> requests.Response:
    """Poll ``/healthz`` until the server answers at all (any status); its answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.popen.poll() is None, f"{server.name} stopped:\n{server.log_text()[-3000:]}"
        try:
            return requests.get(server.base_url + "/healthz", timeout=5)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{server.name} did not answer:\n{server.log_text()[-3000:]}")


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    """The one set of settings every server and the worker get (README, Production)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HUEY_", "FLASK_", "GUNICORN_"))}
    env.update(DATABASE_URL=database_url, HUEY_REDIS_URL=redis_url,
               SECRET_KEY="one-key-for-every-server", PUBLIC_BASE_URL=BASE, TODAY=TODAY,
               BULK_PART_SIZE="5", BULK_TEST_DELAY_MS="150", WORKER_HEARTBEAT_SECONDS="2",
               PYTHONUNBUFFERED="1")
    return env


@dataclass
class Cluster:
    a: Process
    b: Process
    worker: Process


@contextmanager
def _running(processes: list[Process]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.stop()


@pytest.fixture(scope="module")
def cluster(live_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    redis_url = _redis_url()
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    folder = tmp_path_factory.mktemp("cluster")
    url = clone_database(live_template, next_tag())
    env = _env(url, redis_url)
    processes: list[Process] = []
    try:
        with _running(processes):
            processes.append(_app_server("a", env, folder))
            processes.append(_app_server("b", env, folder))
            processes.append(_start("worker", [str(BIN / "flask"), "--app", "app", "worker",
                                               "--workers", "2"], env, folder))
            a, b, worker = processes
            for server in (a, b):
                assert _wait_until_up(server).status_code == 200, server.log_text()[-3000:]
            _wait_for_worker(a, worker)
            yield Cluster(a, b, worker)
    finally:
        drop_database(url)
        store.flushdb()


def _wait_for_worker(server: Process, worker: Process, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.popen.poll() is None, worker.log_text()[-3000:]
        if requests.get(server.base_url + "/healthz", timeout=TIMEOUT).json()["worker"] == "ok":
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker never beat:\n{worker.log_text()[-3000:]}")


def _csrf(response: requests.Response) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text)
    assert found, response.text[:500]
    return found.group(1)


def _sign_in(browser: requests.Session, form_from: Process, post_to: Process,
             username: str, password: str | None = None) -> requests.Response:
    """Load the sign-in form from one server and send it to another (CSRF included)."""
    token = _csrf(browser.get(form_from.base_url + "/login", timeout=TIMEOUT))
    return browser.post(post_to.base_url + "/login", allow_redirects=False, timeout=TIMEOUT,
                        data={"username": username, "csrf_token": token,
                              "password": password or PASSWORDS[username]})


def _get(browser: requests.Session, server: Process, path: str) -> requests.Response:
    return browser.get(server.base_url + path, allow_redirects=False, timeout=TIMEOUT)


# --- the tests ---------------------------------------------------------------------------

def test_a_sign_in_on_one_server_is_valid_on_the_other(cluster: Cluster):
    a, b = cluster.a, cluster.b
    browser = requests.Session()  # cookies are not bound to a port: one browser, two servers
    assert _sign_in(browser, a, b, "koordinator").status_code == 302  # form of A, sent to B
    assert _get(browser, a, "/posyandu/").status_code == 200
    assert _get(browser, b, "/posyandu/").status_code == 200
    copied = requests.Session()
    copied.cookies.update(browser.cookies)  # the cookie as it was while signed in
    assert _get(copied, a, "/posyandu/").status_code == 200

    token = _csrf(_get(browser, b, "/posyandu/"))
    assert browser.post(a.base_url + "/logout", data={"csrf_token": token},
                        allow_redirects=False, timeout=TIMEOUT).status_code == 302
    for server in (a, b):  # the sign-in's row is gone: the old cookie opens nothing anywhere
        refused = _get(copied, server, "/posyandu/")
        assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_a_bulk_job_started_on_one_server_shows_its_progress_on_the_other(cluster: Cluster):
    a, b = cluster.a, cluster.b
    browser = requests.Session()
    assert _sign_in(browser, a, a, "koordinator").status_code == 302
    page = _get(browser, a, "/certificates/")
    target = re.search(r'value="(puskesmas:\d+)"', page.text)
    assert target, page.text[:500]
    started = browser.post(a.base_url + "/certificates/bulk", allow_redirects=False,
                           timeout=TIMEOUT, data={"target": target.group(1), "language": "id",
                                                  "csrf_token": _csrf(page)})
    assert started.status_code == 302, started.text[:500]
    job = started.headers["Location"]
    assert re.fullmatch(r"/certificates/jobs/\d+", job), job

    assert _get(browser, b, job).status_code == 200  # the progress page, on the other server
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = _get(browser, b, job + ".json").json()
        if not seen or seen[-1] != (state["done"], state["total"]):
            seen.append((state["done"], state["total"]))
        if state["finished"]:
            break
        assert cluster.worker.popen.poll() is None, cluster.worker.log_text()[-3000:]
        time.sleep(0.1)
    else:
        raise AssertionError(f"not finished: {seen}\n{cluster.worker.log_text()[-3000:]}")
    total = state["total"]
    assert (state["status"], state["done"], state["failed"]) == ("done", total, 0), state
    assert total > 10 and any(0 < done < total for done, _t in seen), seen  # progress shown
    pdf = _get(browser, a, job + ".pdf")  # and the print file from the first one
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def _attempts_until_refused(servers: list[Process], username: str, most: int) -> int:
    """Wrong passwords sent to ``servers`` in turn; the number of the first refused (429)."""
    browser = requests.Session()
    for attempt in range(1, most + 1):
        server = servers[(attempt - 1) % len(servers)]
        response = _sign_in(browser, server, server, username, "not-the-password")
        if response.status_code == 429:
            assert response.headers["Retry-After"].isdigit()
            return attempt
        assert response.status_code != 302
    raise AssertionError(f"{username} was never refused in {most} attempts")


def test_failed_sign_ins_count_across_both_servers(cluster: Cluster):
    a, b = cluster.a, cluster.b
    limit = 5  # LOGIN_MAX_FAILURES (default) per name and client
    on_one = _attempts_until_refused([a], "kades.lalibo", limit + 3)
    alternated = _attempts_until_refused([a, b], "pelatih", limit + 3)
    assert on_one == alternated == limit + 1
    # refused on both, the right password included, until the window frees a try
    for server in (a, b):
        assert _sign_in(requests.Session(), server, server, "pelatih").status_code == 429


def test_both_servers_answer_the_health_check_and_log_each_request(cluster: Cluster):
    for server in (cluster.a, cluster.b):
        response = requests.get(server.base_url + "/healthz", timeout=TIMEOUT,
                                headers={"X-Request-ID": f"proxy-{server.name}-42"})
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "queue": "ok",
                                   "worker": "ok"}
        assert response.headers["X-Request-ID"] == f"proxy-{server.name}-42"
        assert "Set-Cookie" not in response.headers
        deadline = time.monotonic() + 10
        while f"request_id=proxy-{server.name}-42" not in server.log_text():
            assert time.monotonic() < deadline, server.log_text()[-2000:]
            time.sleep(0.1)
        line = next(x for x in server.log_text().splitlines()
                    if f"request_id=proxy-{server.name}-42" in x)
        assert "method=GET path=/healthz status=200" in line and "[INFO]" in line


def test_an_admin_on_either_server_sees_the_worker(cluster: Cluster):
    browser = requests.Session()
    assert _sign_in(browser, cluster.a, cluster.a, "admin").status_code == 302
    page = _get(browser, cluster.b, "/admin/workers")
    assert page.status_code == 200
    assert f"proses {cluster.worker.popen.pid}" in page.text  # "process <pid>"
    assert "Berjalan" in page.text and "redis" in page.text  # running, on the Redis queue


def test_a_server_whose_database_is_away_fails_its_health_check(
        live_template: str, tmp_path: Path):
    if is_postgres(live_template):
        from sqlalchemy.engine import make_url

        source = make_url(live_template)
        wrong = source.set(database=f"{source.database}_absent").render_as_string(
            hide_password=False)
    else:
        wrong = f"sqlite:///{tmp_path}/no/such/folder/ilp.db"
    env = _env(wrong, "")
    env.pop("HUEY_REDIS_URL")
    env["HUEY_SQLITE_PATH"] = str(tmp_path / "huey.db")
    server = _app_server("away", env, tmp_path, workers=1)
    with _running([server]):
        response = _wait_until_up(server)
        assert response.status_code == 503, response.text
        assert response.json() == {"status": "error", "database": "error", "queue": "ok"}
        assert "request_id=" in server.log_text()
