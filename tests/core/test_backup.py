"""``flask backup`` and ``flask restore`` (``core/backup.py``): a running site backed up
while people sign in, score and issue certificates over HTTP, restored into an empty
database; every record committed before the backup began is there, the copy holds
together (no row without its parent, the counts of its manifest), and every
certificate's stored PDF has the hash it was issued with. Damaged backups and databases
that hold records are refused. On SQLite and PostgreSQL (``TEST_DATABASE_URL``)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from conftest import login, make_app, other_app
from flask import Flask

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, Posyandu, User, WorkerHeartbeat
from tests.live import create_template, drop_database, live_site, next_tag, sibling_url

HEAD = ScriptDirectory(str(Path(__file__).parents[2] / "migrations")).get_current_head()

SECRET_FILES = {"secret_key": b"0123456789abcdef" * 4,
                "keys/signing-2026.pem": b"-----BEGIN PRIVATE KEY-----\nMC4C\n"}

# Rows the writers themselves delete: a successful sign-in clears the attempts counted
# for its name and client. A copy may lack those made before it began (deleted since)
# and hold ones that neither snapshot saw; their counts are still checked against the
# manifest by the restore.
TRANSIENT = {"rate_events"}


def _with_instance(instance: Path) -> Callable[..., Flask]:
    """``make_app`` with its instance folder in the test's tmp dir (the secrets backed
    up and restored there, never the project's ``instance/``)."""
    def make(url: str, **config: object) -> Flask:
        app = make_app(url, **config)
        app.instance_path = str(instance)
        return app
    return make


@pytest.fixture
def site(live_template, tmp_path):
    """A live demo site whose instance folder holds a secret key and a signing key."""
    instance = tmp_path / "instance"
    for rel, data in SECRET_FILES.items():
        (instance / rel).parent.mkdir(parents=True, exist_ok=True)
        (instance / rel).write_bytes(data)
    with live_site(live_template, _with_instance(instance)) as live:
        yield live


@pytest.fixture
def empty_target(test_database_url, tmp_path) -> Iterator[str]:
    """The URL of a database that does not hold anything yet (a new SQLite file; a new
    PostgreSQL database, dropped afterwards)."""
    url = sibling_url(test_database_url, f"restore_{next_tag()}", str(tmp_path))
    create_template(url, lambda _: None)
    yield url
    drop_database(url)


def _backup(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["backup", *args])


def _restore(url: str, instance: Path, file: Path, *args: str):
    with other_app(url) as app:
        app.instance_path = str(instance)
        return app.test_cli_runner().invoke(args=["restore", str(file), *args])


def _only_backup(directory: Path) -> Path:
    [file] = directory.glob("ilp-backup-*.tar")
    return file


# --- what a database holds -----------------------------------------------------------

def _state(url: str) -> dict[str, set]:
    """Every table's primary keys (a tuple per row), read on a connection of its own."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        state = {name: {tuple(row) for row in conn.execute(
            sa.select(*(table.primary_key.columns or table.columns)))}
            for name, table in meta.tables.items()}
    engine.dispose()
    return state


def _certificate_hashes(url: str) -> dict[int, tuple[str, str]]:
    """Each certificate's stored ``sha256`` and the SHA-256 of its stored PDF bytes."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, sha256, pdf FROM certificates")).all()
    engine.dispose()
    return {row.id: (row.sha256, hashlib.sha256(row.pdf).hexdigest()) for row in rows}


def _orphans(url: str) -> list[str]:
    """Rows whose foreign key names a parent row that is not there."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    meta.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in meta.tables.values():
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table.alias()  # a table may refer to itself
                pairs = [(e.parent, parent.c[e.column.name]) for e in fk.elements]
                stmt = (sa.select(sa.func.count())
                        .select_from(table.outerjoin(parent, sa.and_(
                            *(child == referred for child, referred in pairs))))
                        .where(*(child.isnot(None) for child, _ in pairs),
                               pairs[0][1].is_(None)))
                if n := conn.scalar(stmt):
                    found.append(f"{table.name}.{fk.column_keys}: {n}")
    engine.dispose()
    return found


# --- writes in flight ------------------------------------------------------------------

class Writers:
    """Threads that sign in, score and issue certificates through HTTP until stopped,
    noting each request's start, end and status."""

    def __init__(self, live) -> None:
        self.live, self.stop = live, threading.Event()
        self.requests: list[tuple[float, float, int, str]] = []
        self.errors: list[BaseException] = []
        with live.context():
            coordinator = db.session.scalars(sa.select(User).where(
                User.username == "koordinator")).one()
            from ilp_training.certificates.services.issuing import due_clause

            self.due = list(db.session.scalars(
                sa.select(Cadre.id).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
                .where(Posyandu.puskesmas_id == coordinator.puskesmas_id, due_clause())
                .order_by(Cadre.id)))
            self.posyandu = db.session.scalar(sa.select(Posyandu.id).where(
                Posyandu.name == "Anggrek").order_by(Posyandu.id))
            self.cadres = list(db.session.scalars(sa.select(Cadre.id).where(
                Cadre.posyandu_id == self.posyandu).order_by(Cadre.id)))
            from ilp_training.core.i18n import local_today

            self.d1 = [i.code for i in framework_on(local_today()).skill("D1").indicators]
            db.session.remove()
        self.threads = [threading.Thread(target=self._guard, args=(work,), daemon=True)
                        for work in (self._issue, self._score)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _guard(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:  # reported by the test
            self.errors.append(error)

    def _call(self, what: str, send: Callable[..., Any], path: str, **data: Any):
        start = time.monotonic()
        response = send(path, data=data)
        self.requests.append((start, time.monotonic(), response.status_code, what))
        return response

    def _issue(self) -> None:
        for cadre_id in self.due:
            if self.stop.is_set():
                return
            browser = self.live.client("koordinator")
            self._call("certificate", browser.post, f"/cadres/{cadre_id}/certificate",
                       language="id")

    def _score(self) -> None:
        for cadre_id in self.cadres * 4:
            if self.stop.is_set():
                return
            browser = self.live.client("pelatih")
            opened = self._call("open", browser.post,
                                f"/posyandu/{self.posyandu}/assessments/new",
                                assessed_on="2026-11-02", setting="posyandu_day",
                                method="observation", cadres=[cadre_id])
            url = opened.headers["Location"].replace(browser.base_url, "") + "/skills/D1"
            key = re.search(r'name="submission_key" type="hidden" value="(\w+)"',
                            browser.get(url).text).group(1)
            self._call("score", browser.post, url, submission_key=key,
                       **{f"score-{cadre_id}-{code}": "2" for code in self.d1})


def _wait_for(check: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the writers did not get going"
        time.sleep(0.05)


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        n = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    engine.dispose()
    return int(n or 0)


def test_a_running_site_backed_up_with_writes_in_flight_restores_whole(site, empty_target,
                                                                        tmp_path):
    certificates_before = _count(site.url, "certificates")
    assessments_before = _count(site.url, "assessments")
    with Writers(site) as writers:
        _wait_for(lambda: _count(site.url, "certificates") >= certificates_before + 2
                  and _count(site.url, "assessments") > assessments_before)
        before = _state(site.url)
        hashes_before = _certificate_hashes(site.url)
        started = time.monotonic()
        made = _backup(site.app, "--to", str(tmp_path / "backups"))
        ended = time.monotonic()
        certificates_at_end = _count(site.url, "certificates")
        _wait_for(lambda: _count(site.url, "certificates") > certificates_at_end)
    assert made.exit_code == 0, made.output
    assert not writers.errors, writers.errors
    assert {status for *_, status, _ in writers.requests} <= {200, 302}, writers.requests
    assert any(start < ended and end > started for start, end, *_ in writers.requests), \
        "no write request was in flight while the backup ran"
    after = _state(site.url)
    hashes_after = _certificate_hashes(site.url)

    restored_instance = tmp_path / "restored-instance"
    result = _restore(empty_target, restored_instance, _only_backup(tmp_path / "backups"),
                      "--yes")
    assert result.exit_code == 0, result.output
    assert "the counts match the manifest" in result.output

    restored = _state(empty_target)
    assert restored.keys() == before.keys()
    for table, rows in before.items():
        if table in TRANSIENT:
            continue
        missing = rows - restored[table]
        assert not missing, f"{table}: committed before the backup, not restored: {missing}"
        invented = restored[table] - after[table]
        assert not invented, f"{table}: restored rows the site never had: {invented}"
    assert _orphans(empty_target) == []
    copied = _certificate_hashes(empty_target)
    assert len(copied) >= len(hashes_before) >= certificates_before + 2
    for cert_id, (stored, actual) in copied.items():
        assert stored == actual == hashes_after[cert_id][0]
    for cert_id, (stored, actual) in hashes_before.items():
        assert copied[cert_id] == (stored, actual) and stored == actual
    for rel, data in SECRET_FILES.items():
        assert (restored_instance / rel).read_bytes() == data
    _restored_site_answers(empty_target, sorted(copied), hashes_after)


def _restored_site_answers(url: str, certificate_ids: list[int],
                           hashes: dict[int, tuple[str, str]]) -> None:
    """The site on the restored database signs in and serves its pages and PDFs."""
    with other_app(url) as app:
        client = app.test_client()
        login(client, "koordinator")
        for path in ("/", "/roster", "/certificates/"):
            assert client.get(path).status_code == 200, path
        for cert_id in certificate_ids[:3]:
            pdf = client.get(f"/certificates/{cert_id}.pdf")
            assert pdf.status_code == 200
            assert hashlib.sha256(pdf.data).hexdigest() == hashes[cert_id][0]


def test_restore_refuses_a_database_that_holds_records_unless_forced(site, empty_target,
                                                                     tmp_path):
    assert _backup(site.app, "--to", str(tmp_path / "b")).exit_code == 0
    file = _only_backup(tmp_path / "b")
    assert _restore(empty_target, tmp_path / "i", file, "--yes").exit_code == 0
    with site.context():
        db.session.execute(sa.update(Cadre).values(full_name="Diganti"))
        db.session.commit()
        db.session.remove()
    refused = _restore(site.url, tmp_path / "i2", file, "--yes")
    assert refused.exit_code == 1
    assert "holds records" in refused.output and "--force" in refused.output
    assert _count(site.url, "cadres") and _names(site.url) == {"Diganti"}
    again = _restore(empty_target, tmp_path / "i", file, "--yes")
    assert again.exit_code == 1 and "holds records" in again.output
    forced = _restore(empty_target, tmp_path / "i", file, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert "Diganti" not in _names(empty_target)


def _names(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = set(conn.scalars(sa.text("SELECT full_name FROM cadres")))
    engine.dispose()
    return names


@pytest.mark.parametrize("member", ["database", "instance/keys/signing-2026.pem"])
def test_a_tampered_backup_is_refused_by_its_hash(site, empty_target, tmp_path, member):
    assert _backup(site.app, "--to", str(tmp_path / "b")).exit_code == 0
    file = _only_backup(tmp_path / "b")
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(file) as source, tarfile.open(tampered, "w") as out:
        for info in source.getmembers():
            data = bytearray(source.extractfile(info).read())
            if info.name.startswith(member):
                data[len(data) // 2] ^= 0x01  # one bit
            out.addfile(info, io.BytesIO(bytes(data)))
    refused = _restore(empty_target, tmp_path / "i", tampered, "--yes")
    assert refused.exit_code == 1
    assert "damaged or was altered" in refused.output and "SHA-256" in refused.output
    engine = sa.create_engine(empty_target, poolclass=sa.pool.NullPool)
    assert sa.inspect(engine).get_table_names() == []  # nothing restored
    engine.dispose()
    assert not (tmp_path / "i" / "keys").exists()


def test_restored_counts_that_differ_from_the_manifest_fail(site, empty_target, tmp_path):
    """The hashes cannot see a manifest rewritten with its parts; the counts can."""
    assert _backup(site.app, "--to", str(tmp_path / "b")).exit_code == 0
    file = _only_backup(tmp_path / "b")
    edited = tmp_path / "edited.tar"
    with tarfile.open(file) as source, tarfile.open(edited, "w") as out:
        for info in source.getmembers():
            data = source.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(data)
                manifest["row_counts"]["cadres"] += 1
                data = json.dumps(manifest).encode()
                info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    result = _restore(empty_target, tmp_path / "i", edited, "--yes")
    assert result.exit_code == 1
    assert "cadres expected" in result.output and "do not use it" in result.output
    assert not (tmp_path / "i" / "keys").exists()


def test_backup_keep_deletes_all_but_the_newest(site, tmp_path):
    folder = tmp_path / "b"
    for _ in range(3):
        result = _backup(site.app, "--to", f"{folder}/", "--keep", "2")
        assert result.exit_code == 0, result.output
    files = sorted(folder.glob("ilp-backup-*.tar"))
    assert len(files) == 2
    assert "Deleted old backup" in result.output
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)  # it holds secrets
    assert not list(folder.glob(".ilp-backup-*"))  # no temporary left behind


def test_an_older_backup_is_migrated_after_restore(test_database_url, empty_target, tmp_path):
    """A backup made at an earlier schema revision is restored, then upgraded."""
    from flask_migrate import upgrade

    source = sibling_url(test_database_url, f"old_{next_tag()}", str(tmp_path))
    create_template(source, lambda _: None)
    try:
        with other_app(source) as app:
            app.instance_path = str(tmp_path / "old")
            with app.app_context():
                upgrade(revision="b13b17imports")
            made = _backup(app, "--to", str(tmp_path / "b" / "old.tar"))
            assert made.exit_code == 0, made.output
    finally:
        drop_database(source)
    result = _restore(empty_target, tmp_path / "i", tmp_path / "b" / "old.tar", "--yes")
    assert result.exit_code == 0, result.output
    assert "Migrated from revision b13b17imports" in result.output
    engine = sa.create_engine(empty_target, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == HEAD
    engine.dispose()


def test_pg_dump_missing_or_older_than_the_server_is_a_clear_error(site, tmp_path):
    if not site.url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    empty = tmp_path / "nobin"
    empty.mkdir()
    site.app.config["PG_BIN_DIR"] = str(empty)
    missing = _backup(site.app, "--to", str(tmp_path / "b/"))
    assert missing.exit_code == 1 and "pg_dump was not found" in missing.output
    old = tmp_path / "oldbin"
    old.mkdir()
    fake = old / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    site.app.config["PG_BIN_DIR"] = str(old)
    older = _backup(site.app, "--to", str(tmp_path / "b/"))
    assert older.exit_code == 1 and "older than the server" in older.output
    assert not list((tmp_path / "b").glob("*.tar"))


def test_restore_refuses_a_database_another_connection_is_using(site, empty_target,
                                                                 tmp_path):
    if not site.url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no list of its connections")
    assert _backup(site.app, "--to", str(tmp_path / "b")).exit_code == 0
    file = _only_backup(tmp_path / "b")
    other = sa.create_engine(empty_target, poolclass=sa.pool.NullPool,
                             connect_args={"application_name": "an app server"})
    with other.connect():
        refused = _restore(empty_target, tmp_path / "i", file, "--yes")
    other.dispose()
    assert refused.exit_code == 1
    assert "is in use" in refused.output and "an app server" in refused.output
    assert not _count_tables(empty_target)  # nothing was written
    restored = _restore(empty_target, tmp_path / "i", file, "--yes")
    assert restored.exit_code == 0, restored.output


def test_restore_refuses_while_a_worker_beats_and_not_once_it_stopped(site, empty_target,
                                                                      tmp_path):
    assert _backup(site.app, "--to", str(tmp_path / "b")).exit_code == 0
    file = _only_backup(tmp_path / "b")
    assert _restore(empty_target, tmp_path / "i", file, "--yes").exit_code == 0
    engine = sa.create_engine(empty_target, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # a worker started on the restored database
        conn.execute(sa.insert(WorkerHeartbeat).values(
            worker="web1:4242:1", host="web1", pid=4242, queue="redis", processes=2))
    refused = _restore(empty_target, tmp_path / "i", file, "--yes", "--force")
    assert refused.exit_code == 1
    assert "is in use" in refused.output and "worker web1:4242:1" in refused.output
    with engine.begin() as conn:  # it stopped cleanly
        conn.execute(sa.update(WorkerHeartbeat).values(stopped_at=WorkerHeartbeat.last_seen))
    engine.dispose()
    forced = _restore(empty_target, tmp_path / "i", file, "--yes", "--force")
    assert forced.exit_code == 0, forced.output


def _count_tables(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        tables = len(sa.inspect(conn).get_table_names())
    engine.dispose()
    return tables
