"""Migration b12a01sitting on a database that holds skills recorded twice in one sitting
(as before the sitting rule): nothing is deleted, one row per sitting and skill counts,
the others are marked with an audit entry, and the unique index then holds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import other_app
from flask_migrate import upgrade

from ilp_training.core.extensions import db

COPY = ("session_id, cadre_id, skill_code, framework_id, framework_version, assessed_on, "
        "setting, method, assessor_id, competent, points, max_points, percent, note, "
        "created_at")


def _scratch_url(tmp_path, database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'sitting.db'}"
    name = f"{sa.engine.make_url(database_url).database}_sitting"
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(database_url).set(database=name).render_as_string(
        hide_password=False)


def _copy(conn, assessment_id: int, key: str, supersedes: int | None = None) -> int:
    extra = ", supersedes_id, correction_reason" if supersedes else ""
    values = f", {supersedes}, 'Salah input'" if supersedes else ""
    conn.execute(sa.text(
        f"INSERT INTO assessments ({COPY}, submission_key{extra}) "
        f"SELECT {COPY}, :key{values} FROM assessments WHERE id = :id"),
        {"key": key, "id": assessment_id})
    return conn.scalar(sa.text("SELECT max(id) FROM assessments"))


def _copy_demo(source: sa.Engine, target: sa.Engine) -> None:
    """The demo rows of ``source`` (at head) into ``target`` (the schema before the
    sitting rule), table by table in dependency order, the columns ``target`` has."""
    old = sa.MetaData()
    old.reflect(target)
    newer_users: set[int] = set()  # users of roles the old schema does not know
    with source.connect() as src, target.begin() as dst:
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if table.name == "users":
                newer_users = {r["id"] for r in rows if r["role"] in ("province", "national")}
            user_columns = [fk.parent.name for fk in table.foreign_keys
                            if fk.column.table.name == "users"]
            rows = [r for r in rows if not (table.name == "users" and r["id"] in newer_users)
                    and not any(r[c] in newer_users for c in user_columns)]
            if rows:
                dst.execute(table.insert(), rows)
            if target.dialect.name == "postgresql" and "id" in table.columns:
                dst.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))


def test_duplicates_in_a_sitting_are_marked_not_deleted(tmp_path, database_url):
    url = _scratch_url(tmp_path, database_url)
    with other_app(url) as app, app.app_context():
        upgrade(revision="3d4cbad9bd1e")
        source = sa.create_engine(database_url)
        try:
            _copy_demo(source, db.engine)
        finally:
            source.dispose()
        with db.engine.begin() as conn:
            first, second = conn.scalars(sa.text(
                "SELECT id FROM assessments WHERE session_id IS NOT NULL ORDER BY id LIMIT 2"))
            plain_copy = _copy(conn, first, "back-button-1")  # saved twice, never corrected
            corrected_copy = _copy(conn, second, "back-button-2")
            correction = _copy(conn, second, "correction", supersedes=second)
            before = conn.scalar(sa.text("SELECT count(*) FROM assessments"))
        upgrade()
        with db.engine.begin() as conn:
            marks = dict(conn.execute(sa.text(
                "SELECT id, duplicate_of_id FROM assessments WHERE duplicate_of_id IS NOT NULL")
            ).all())
            # the row kept is the one in force: the later copy, or the corrected row
            assert marks == {first: plain_copy, corrected_copy: second}
            assert conn.scalar(sa.text("SELECT count(*) FROM assessments")) == before
            assert conn.scalar(sa.text(
                "SELECT duplicate_of_id FROM assessments WHERE id = :id"),
                {"id": correction}) is None
            entries = conn.scalar(sa.text(
                "SELECT count(*) FROM audit_log WHERE action = 'mark_duplicate'"))
            assert entries == 2
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            _copy(conn, plain_copy, "third-time")
        db.engine.dispose()
    if not url.startswith("sqlite"):
        engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = sa.engine.make_url(url).database
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
