"""Load: simulated users against a real HTTP server, as people would use the site.

Each server is started as ``make run`` or production starts it, on a free loopback port:

- ``flask``: ``flask --app app run`` (Werkzeug's threaded development server), the
  command of ``make run`` (its worker is not started: the walk queues no job);
- ``gunicorn``: ``gunicorn app:app`` with 3 workers of 4 threads each (``gthread``,
  ``--worker-class sync`` to compare). Threads, because a request that waits (for
  PostgreSQL, for SQLite's write lock, for a slow client) then leaves its worker's other
  threads serving, where a ``sync`` worker would sit idle with pages queued behind it;
  three processes still use both cores for the Python work.

The database (``--db URL``; default a fresh SQLite file) is migrated and loaded with the
demo data by the site's own commands (``flask db upgrade``, ``flask demo load``, with the
production password hash, scrypt). Each simulated user signs in through the login form
(CSRF token and all) as a demo coordinator, the trainer or the admin, then walks: the
start page, the posyandu list, a roster, a cadre profile, the gap matrix, an export
(Excel or CSV, in turn), a scoring save (open a sitting for two cadres, score one skill
for both; not the admin) and a PDF (a training's attendance list, rendered on request,
or a stored certificate, in turn). Users arrive one by one over ``--ramp`` seconds and
pause ``--think`` seconds on average (0.5 to 1.5 times it) before each request: much
busier than a person reading a page. Every request is on a new connection
(``Connection: close``, as a reverse proxy talks to gunicorn): with keep-alive,
gunicorn closes a connection idle for 2 s, and a request sent on it at that moment is
reset, which a browser retries and this client would count as an error.

Usage: python bench/load.py [--db URL] [--users 16,64] [--servers flask,gunicorn]
                            [--rounds 2] [--think 0.5] [--ramp 4] [--quick] [--detail]
Prints, for each server, database and number of users (e.g. ``gunicorn``, ``sqlite``,
``16``): ``load_<server>_<db>_<users>_errors`` (5xx, refused or failed requests and any
other unexpected answer), ``..._p95_ms`` (95th percentile time of the HTML pages),
``..._post_p95_ms`` (sign-ins and saves), ``..._rps`` (requests per second) and
``..._app_cpu_ms_per_req``, ``..._db_cpu_ms_per_req`` (CPU time of the server's
processes and of the database's PostgreSQL backends per request: what a request costs a
core, however busy the machine), then ``load_errors`` (the sum). ``--quick``: 16 users,
one walk each. ``--detail``: times per route and the slowest requests, as comments.
Bounded: ``--rounds`` walks per user and ``--deadline`` seconds per run at most; the
servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import requests
from _common import empty_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = Path(tempfile.gettempdir()) / f"ilp-bench-load-{os.getpid()}"  # made by main()
ACCOUNTS = [("koordinator", "koordinator-demo"), ("pelatih", "pelatih-demo"),
            ("koordinator.lakudo", "koordinator-demo"), ("admin", "admin-demo")]
TIMEOUT = 60  # seconds for one request
SERVER_GROUPS: dict[str, int] = {}  # base URL → the running server's process group


# --- the servers -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=url, SECRET_KEY="bench-load", HUEY_SQLITE_PATH=str(WORK / "huey.db"),
               FLASK_DEBUG="0", PYTHONUNBUFFERED="1")
    env.pop("FLASK_APP", None)
    return env


def prepare_database(url: str | None) -> str:
    """The database URL, migrated and loaded with the demo data by the site's commands."""
    if url is None:
        url = f"sqlite:///{WORK / 'load.db'}"
    empty_database(url)
    for command in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT,
                              env=_env(url), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr}")
    return url


def _command(server: str, port: int, worker_class: str) -> list[str]:
    if server == "flask":
        return [str(BIN / "flask"), "--app", "app", "run", "--host", "127.0.0.1",
                "--port", str(port)]
    threads = ["--threads", "4"] if worker_class == "gthread" else []
    return [str(BIN / "gunicorn"), "--workers", "3", "--worker-class", worker_class, *threads,
            "--bind", f"127.0.0.1:{port}", "--no-control-socket", "app:app"]


@contextmanager
def running(server: str, url: str, worker_class: str = "gthread") -> Iterator[str]:
    """Start ``server`` on a free port against ``url``; yield its base URL; stop it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(url) | {"PUBLIC_BASE_URL": base}
    with open(WORK / f"{server}.log", "ab") as log:
        process = subprocess.Popen(_command(server, port, worker_class), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{server} stopped; see {WORK / (server + '.log')}")
            try:
                if requests.get(base + "/login", timeout=30).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server} did not answer within 60 s")
            time.sleep(0.2)
        SERVER_GROUPS[base] = process.pid
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its workers, nothing else
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def cpu_seconds(url: str, server_group: int) -> tuple[float, float]:
    """CPU time used so far by the server's processes (its process group) and by the
    PostgreSQL backends connected to the database of ``url`` (0 on SQLite), from /proc:
    what serving cost, whatever else the machine is doing."""
    tick = os.sysconf("SC_CLK_TCK")

    def used(pid: int) -> tuple[int, float]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return -1, 0.0
        return int(fields[2]), (int(fields[11]) + int(fields[12])) / tick

    app = sum(cpu for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
              for group, cpu in [used(pid)] if group == server_group)
    backends = 0.0
    if not url.startswith("sqlite"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            pids = conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
        engine.dispose()
        backends = sum(used(pid)[1] for pid in pids)
    return app, backends


# --- reading pages -----------------------------------------------------------------


class _Forms(HTMLParser):
    """The fields of each form on a page: inputs, checkboxes, selects (first option
    selected unless one says so) and their options."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": [], "options": {}})
        if not self.forms:
            return
        form = self.forms[-1]
        fields: list[tuple[str, str]] = form["fields"]  # type: ignore[assignment]
        options: dict[str, list[str]] = form["options"]  # type: ignore[assignment]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                options.setdefault(a["name"], []).append(a.get("value", "on"))
            elif kind not in ("submit", "file"):
                fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            options[a["name"]] = []
        elif tag == "option" and self._select is not None:
            options[self._select].append(a.get("value", ""))
            if "selected" in a:
                fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict[str, object]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def ids(pattern: str, html: str) -> list[str]:
    return sorted(set(re.findall(pattern, html)))


# --- one simulated user ------------------------------------------------------------


@dataclass
class Tally:
    """What every user saw in one run (appended from the users' threads)."""

    html_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    other_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_route: dict[str, list[float]] = field(default_factory=dict)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # ms, at s, route
    wall: float = 0.0  # seconds from the start to the last user's end
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return len(self.html_ms) + len(self.post_ms) + len(self.other_ms) + len(self.errors)


class Unexpected(Exception):
    pass


class User:
    def __init__(self, index: int, base: str, tally: Tally, think: float, deadline: float):
        self.index, self.base, self.tally = index, base, tally
        self.think, self.deadline = think, deadline
        self.started = time.monotonic()
        self.http = requests.Session()
        self.http.headers["Connection"] = "close"  # see the module docstring
        self.random = random.Random(index)
        self.username, self.password = ACCOUNTS[index % len(ACCOUNTS)]

    def _pause(self) -> None:
        if self.think:
            time.sleep(self.random.uniform(0.5, 1.5) * self.think)
        if time.monotonic() > self.deadline:
            raise TimeoutError("the run's deadline passed")

    def call(self, method: str, path: str, expect: int, **kwargs: object) -> requests.Response:
        """One request, timed and counted; an unexpected answer stops this walk."""
        self._pause()
        start = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=TIMEOUT,
                                         allow_redirects=False, **kwargs)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            self._error(f"{method} {path}: {type(exc).__name__} {str(exc)[-90:]}")
            raise Unexpected from exc
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != expect:
            self._error(f"{method} {path}: {response.status_code}")
            raise Unexpected
        kind = response.headers.get("Content-Type", "")
        route = f"{method} " + re.sub(r"/skills/[^/]+", "/skills/<code>",
                                      re.sub(r"/\d+", "/<id>", path))
        with self.tally.lock:
            self.tally.by_route.setdefault(route, []).append(elapsed)
            self.tally.slowest.append((elapsed, time.monotonic() - self.started, route))
            if method == "POST":
                self.tally.post_ms.append(elapsed)
            elif kind.startswith("text/html"):
                self.tally.html_ms.append(elapsed)
            else:
                self.tally.other_ms.append(elapsed)
        return response

    def _error(self, text: str) -> None:
        with self.tally.lock:
            self.tally.errors.append(text)

    def sign_in(self) -> None:
        page = self.call("GET", "/login", 200)
        self.call("POST", "/login", 302, data={
            "csrf_token": csrf_of(page.text), "username": self.username,
            "password": self.password})

    def walk(self, round_: int) -> None:
        self.call("GET", "/", 200)
        listing = self.call("GET", "/posyandu/", 200).text
        posyandu = self.random.choice(ids(r'href="/posyandu/(\d+)/"', listing))
        roster = self.call("GET", f"/posyandu/{posyandu}/", 200).text
        cadre = self.random.choice(ids(r'href="/cadres/(\d+)"', roster))
        self.call("GET", f"/cadres/{cadre}", 200)
        self.call("GET", "/roster/gaps", 200)
        self.call("GET", "/roster/export.xlsx" if (self.index + round_) % 2
                  else "/roster/export.csv", 200)
        if self.username != "admin":  # the admin assesses nobody's cadres in the demo
            self.score(posyandu)
        self.pdf(round_)

    def score(self, posyandu: str) -> None:
        """Open a sitting for two cadres and save one skill's scores for both."""
        page = self.call("GET", f"/posyandu/{posyandu}/assessments/new", 200).text
        form = forms_of(page)[-1]
        chosen = form["options"].get("cadres", [])[:2]  # type: ignore[union-attr]
        if not chosen:
            return  # a posyandu with no active cadre
        data = [*form["fields"], *(("cadres", c) for c in chosen)]  # type: ignore[misc]
        opened = self.call("POST", f"/posyandu/{posyandu}/assessments/new", 302, data=data)
        sitting = opened.headers["Location"].split("?")[0]
        skills = ids(r'href="(/assessment-sessions/\d+/skills/[^"?#]+)"',
                     self.call("GET", sitting, 200).text)
        grid_path = self.random.choice(skills)
        grid = forms_of(self.call("GET", grid_path, 200).text)[-1]
        fields = dict(grid["fields"])  # type: ignore[arg-type]
        for name, values in grid["options"].items():  # type: ignore[union-attr]
            if name.startswith("score-"):
                fields[name] = self.random.choice([v for v in values if v])
        self.call("POST", grid_path, 302, data=fields)

    def pdf(self, round_: int) -> None:
        if self.username != "pelatih" and (self.index + round_) % 2:
            listing = self.call("GET", "/certificates/", 200).text
            found = ids(r'href="/certificates/(\d+)"', listing)
            if found:
                self.call("GET", f"/certificates/{self.random.choice(found)}.pdf", 200)
                return
        events = ids(r'href="/trainings/(\d+)"', self.call("GET", "/trainings/", 200).text)
        if events:
            self.call("GET", f"/trainings/{self.random.choice(events)}/attendance.pdf", 200)

    def run(self, rounds: int, start: threading.Barrier, arrival: float) -> None:
        start.wait()
        time.sleep(arrival)
        try:
            self.sign_in()
            for round_ in range(rounds):
                try:
                    self.walk(round_)
                except Unexpected:
                    continue  # counted; the next walk starts from the start page
        except (Unexpected, TimeoutError):
            return


# --- a run -------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=20)[18]


def run(base: str, users: int, rounds: int, think: float, ramp: float,
        deadline_s: float) -> Tally:
    """``users`` walking ``rounds`` times each, arriving one by one over ``ramp`` seconds."""
    tally = Tally()
    deadline = time.monotonic() + deadline_s
    start = threading.Barrier(users)
    walkers = [User(i, base, tally, think, deadline) for i in range(users)]
    threads = [threading.Thread(target=w.run, args=(rounds, start, ramp * i / users))
               for i, w in enumerate(walkers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.wall = time.perf_counter() - began
    return tally


def line(name: str, value: float | int, unit: str = "") -> None:
    text = str(value) if isinstance(value, int) else f"{value:.1f}"
    print(f"{name}: {text}{' ' + unit if unit else ''}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--users", default="16,64", help="concurrent users, comma-separated")
    parser.add_argument("--servers", default="flask,gunicorn")
    parser.add_argument("--rounds", type=int, default=2, help="walks per user")
    parser.add_argument("--think", type=float, default=0.5,
                        help="mean pause between a user's requests, in seconds")
    parser.add_argument("--ramp", type=float, default=4,
                        help="seconds over which the users arrive (0: all at once)")
    parser.add_argument("--deadline", type=float, default=180, help="seconds per run at most")
    parser.add_argument("--quick", action="store_true", help="16 users, one round")
    parser.add_argument("--detail", action="store_true", help="times per route, as comments")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"],
                        help="gunicorn's worker class")
    args = parser.parse_args()
    WORK.mkdir()
    user_counts = [16] if args.quick else [int(n) for n in args.users.split(",")]
    rounds = 1 if args.quick else args.rounds
    try:
        url = prepare_database(args.db)
        db_name = "sqlite" if url.startswith("sqlite") else "postgresql"
        total = 0
        for server in args.servers.split(","):
            with running(server, url, args.worker_class) as base:
                group = SERVER_GROUPS[base]
                run(base, 12, 1, 0, 0, args.deadline)  # warm up: templates, fonts, each worker
                for users in user_counts:
                    before = cpu_seconds(url, group)
                    tally = run(base, users, rounds, args.think, args.ramp, args.deadline)
                    after = cpu_seconds(url, group)
                    name = f"load_{server}_{db_name}_{users}"
                    total += len(tally.errors)
                    line(f"{name}_errors", len(tally.errors))
                    line(f"{name}_p95_ms", p95(tally.html_ms), "ms")
                    line(f"{name}_post_p95_ms", p95(tally.post_ms), "ms")
                    line(f"{name}_rps", tally.requests / tally.wall, "req/s")
                    app_ms, db_ms = ((b - a) * 1000 / max(1, tally.requests)
                                     for a, b in zip(before, after, strict=True))
                    line(f"{name}_app_cpu_ms_per_req", app_ms, "ms")
                    line(f"{name}_db_cpu_ms_per_req", db_ms, "ms")
                    for error in sorted(set(tally.errors))[:10]:
                        print(f"#   {error} (x{tally.errors.count(error)})", flush=True)
                    if tally.errors:
                        log = (WORK / f"{server}.log").read_text(errors="replace")
                        problems = [x for x in log.splitlines()
                                    if re.search(r"error|critical|timeout|exception", x, re.I)]
                        for text in problems[-10:]:
                            print(f"#   log: {text[:200]}", flush=True)
                    if args.detail:
                        for route, times in sorted(tally.by_route.items()):
                            print(f"#   {route}: n={len(times)} median="
                                  f"{statistics.median(times):.0f} ms p95={p95(times):.0f} ms",
                                  flush=True)
                        for ms, at, route in sorted(tally.slowest, reverse=True)[:12]:
                            print(f"#   slow: {route} {ms:.0f} ms at {at:.1f} s", flush=True)
        line("load_errors", total)
    finally:
        if os.environ.get("LOAD_KEEP"):
            print(f"# kept {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
