"""PostgreSQL's part of a backup: ``pg_dump`` on an exported snapshot, ``pg_restore``.

The dump and the manifest's row counts see the same data: a REPEATABLE READ transaction
exports its snapshot (``pg_export_snapshot``), ``pg_dump --snapshot`` dumps exactly that,
and the counts are read in the same transaction while it stays open. The site's writers
go on meanwhile (PostgreSQL's MVCC; ``pg_dump`` takes only ACCESS SHARE locks).

The tools are the client programs of the server's major version or newer (a ``pg_dump``
older than the server refuses to run, so the check says so first); ``PG_BIN_DIR`` names
their folder when the ones on the ``PATH`` are older. The password goes to them in the
``PGPASSWORD`` environment variable, never on the command line (``ps`` shows that).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")


class ToolError(Exception):
    """A PostgreSQL client program missing, too old, or failing (with its message)."""


def libpq_url(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The libpq connection URI for SQLAlchemy's ``postgresql+psycopg://…`` URL, without
    its password, and the environment that carries the password."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def tool(name: str, bin_dir: str = "") -> str:
    found = shutil.which(name, path=bin_dir or None)
    if found is None:
        where = f" in {bin_dir}" if bin_dir else " on the PATH"
        raise ToolError(f"{name} was not found{where}: install the PostgreSQL client "
                        f"programs of the server's version (Debian: postgresql-client) or "
                        f"set PG_BIN_DIR to their folder.")
    return found


def tool_major(program: str) -> int:
    """The major version of a client program (``pg_dump (PostgreSQL) 15.20`` → 15)."""
    said = _run([program, "--version"], dict(os.environ)).strip()
    match = re.search(r"\)\s*(\d+)(?:\.(\d+))?", said) or re.search(r"(\d+)\.(\d+)", said)
    if match is None:
        raise ToolError(f"Cannot read the version of {program}: {said!r}.")
    major = int(match.group(1))
    return major


def server_major(conn: sa.Connection) -> int:
    """The server's major version (150020 → 15; 90624 → 9)."""
    return int(conn.scalar(sa.text("SHOW server_version_num")) or 0) // 10000


def dump(engine: sa.Engine, part: Path, bin_dir: str,
         describe: Callable[[sa.Connection], T]) -> T:
    """``pg_dump --format=custom`` of ``engine``'s database into ``part``, on a snapshot in
    which ``describe(conn)`` also runs (the manifest's counts); its result."""
    program = tool("pg_dump", bin_dir)
    target, env = libpq_url(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                      postgresql_readonly=True)
        with conn.begin():
            server, client = server_major(conn), tool_major(program)
            if client < server:
                raise ToolError(f"{program} is version {client}, older than the server "
                                f"({server}): install postgresql-client-{server} or set "
                                f"PG_BIN_DIR to its folder.")
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            _run([program, "--format=custom", f"--snapshot={snapshot}", f"--file={part}",
                  f"--dbname={target}"], env)
            return describe(conn)


def restore(engine: sa.Engine, part: Path, bin_dir: str) -> None:
    """Empty the current schema of ``engine``'s database (its tables, dropped), then
    ``pg_restore`` the dump in one transaction: owners and grants of the source are left
    out (the site's own user owns what it restores), the first error stops it and nothing
    of it stays."""
    program = tool("pg_restore", bin_dir)
    target, env = libpq_url(engine.url)
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)} CASCADE")
    _run([program, "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", "--clean", "--if-exists", f"--dbname={target}",
          str(part)], env)


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-8:]
        raise ToolError(f"{Path(args[0]).name} failed (exit {done.returncode}): "
                        + " / ".join(said))
    return done.stdout
