"""Operational ``flask`` commands of the core: translations, the worker, housekeeping.

The areas' own commands live in the area (``demo load`` in :mod:`ilp_training.demo.cli`,
``assessments replay-levels`` in :mod:`ilp_training.scoring.cli`); ``create_app``
registers them all."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from ilp_training.core.config import PROJECT_ROOT
from ilp_training.core.extensions import db

translate_cli = AppGroup("translate", help="Extract, update, compile and check translations.")

TRANSLATIONS = PROJECT_ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    status = CommandLineInterface().run(["pybabel", "-q", *args])
    if status:
        sys.exit(status)


@translate_cli.command("extract")
def translate_extract(output: Path = POT) -> None:
    """Collect the messages of the code and templates into messages.pot."""
    _pybabel(
        "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "_l", "-k", "_ln:1,2",
        "--no-location", "--width", "100",
        "--sort-output", "--project", "ILP Training", "-o", str(output), str(PROJECT_ROOT),
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Extract, then merge the new messages into every catalog."""
    translate_extract.callback()  # type: ignore[misc]  # click types callback as optional
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
             "--width", "100")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs to .mo files (fails on a broken catalog)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


@translate_cli.command("check")
def translate_check() -> None:
    """Fail when a message of the code or templates is not in a catalog, or a catalog
    misses a translation, is fuzzy, or has placeholders that differ from the source
    message."""
    from ilp_training.core.translations_check import check_catalogs

    with tempfile.TemporaryDirectory() as work:
        extracted = Path(work) / "messages.pot"
        translate_extract.callback(extracted)  # type: ignore[misc]
        problems = check_catalogs(Path(TRANSLATIONS), extracted)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("Catalogs complete.")



@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the background worker (bulk certificates, hourly housekeeping) until stopped.
    First, run what the areas ask for at the start (take up the bulk jobs whose worker
    died: ``certificates/jobs.recover_jobs``); then, while it runs, write its heartbeat
    (``core/heartbeat.py``) every ``WORKER_HEARTBEAT_SECONDS``."""
    import contextvars

    from flask import current_app

    from ilp_training.core.heartbeat import Heartbeat
    from ilp_training.core.queue import queue

    jobs = queue()
    for said in jobs.start_worker():
        click.echo(said)
    db.session.remove()
    db.engine.dispose()  # the worker processes open their own connections
    beating = Heartbeat(current_app.config, jobs.describe(), workers)
    # An idle worker polls the queue at least once a second (huey's default backs off to
    # ten), so a bulk job starts soon after it is asked for. The consumer runs outside
    # this command's app context (an empty ``contextvars`` context, which its processes
    # inherit), so each task runs in an app context of its own, as a request does.
    consumer = jobs.huey.create_consumer(workers=workers, worker_type="process",
                                         max_delay=1.0)
    beating.start()
    try:
        contextvars.Context().run(consumer.run)
    finally:
        beating.stop()


@click.command("prune")
@with_appcontext
def prune_command() -> None:
    """Delete expired rate events and sign-ins (the worker also does it every hour)."""
    from flask import current_app

    from ilp_training.core.housekeeping import prune_expired

    removed = prune_expired(current_app.config)
    db.session.commit()
    click.echo("Deleted: " + ", ".join(f"{table} {n}" for table, n in removed.items()))
