"""The background queue (huey): one per app, given by ``create_app``, made from its config.

Nothing happens at import. :func:`init_app` gives the app a :class:`Queue`, whose huey
is made from the ``HUEY_*`` settings (``core/config.py``) when first used: Redis when
``HUEY_REDIS_URL`` is set, else the SQLite file ``HUEY_SQLITE_PATH`` (default
``instance/huey.db``); with ``HUEY_IMMEDIATE`` (the tests) a task runs at once in the
caller, queued in memory, and no file is made. Each area registers its jobs on it
(``register(queue)`` in ``core/jobs.py`` and ``certificates/jobs.py``) with huey's own
decorators, so the web app that queues a task and ``flask worker``, which consumes the
same app's queue, know the same tasks by the same names (module and function).

A task runs in an app context of the app that registered it: the caller's when there is
one (immediate mode), else a new one per task in the worker, as a request has its own.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

NAME = "ilp-training"


def make_huey(config: Mapping[str, Any]) -> Huey:
    """The queue the settings name: in memory and immediate, Redis, or a SQLite file."""
    if config.get("HUEY_IMMEDIATE"):
        return MemoryHuey(NAME, immediate=True)
    if config.get("HUEY_REDIS_URL"):
        return RedisHuey(NAME, url=config["HUEY_REDIS_URL"])
    path = Path(config["HUEY_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=str(path))


class Queue:
    """An app's huey, the tasks registered on it (by their function), and what ``flask
    worker`` runs before it starts consuming.

    The huey is made on first use (a task queued, the worker started), not by
    ``create_app``: a SQLite queue's file appears only when the queue is used, never for
    ``flask db upgrade`` or an app that queues nothing."""

    def __init__(self, app: Flask, registrations: Sequence[Callable[[Queue], None]]) -> None:
        self.app = app
        self._tasks: dict[Callable[..., Any], TaskWrapper] = {}
        self._worker_start: list[Callable[[], str | None]] = []
        self._registrations = list(registrations)
        self._huey: Huey | None = None
        self._pinger: Any = None  # a Redis client for reachable(), made on first use
        self._lock = threading.RLock()  # the registrations use the huey being made

    @property
    def huey(self) -> Huey:
        """The huey of the app's settings, with every area's tasks registered."""
        with self._lock:
            if self._huey is None:
                self._huey = make_huey(self.app.config)
                for register in self._registrations:
                    register(self)
            return self._huey

    def task(self, func: Callable[..., Any], **settings: Any) -> TaskWrapper:
        """Register ``func`` as a task (``settings`` as for huey's ``task``)."""
        wrapper = self.huey.task(**settings)(self._in_app(func))
        self._tasks[func] = wrapper
        return wrapper

    def periodic_task(self, func: Callable[[], Any], schedule: Callable[..., bool],
                      **settings: Any) -> TaskWrapper:
        """Register ``func`` to run when ``schedule`` (a huey ``crontab``) says so."""
        wrapper = self.huey.periodic_task(schedule, **settings)(self._in_app(func))
        self._tasks[func] = wrapper
        return wrapper

    def on_startup(self, func: Callable[[], Any]) -> None:
        """Run ``func`` in each worker process before its first task."""
        self.huey.on_startup()(self._in_app(func))

    def on_worker_start(self, func: Callable[[], str | None]) -> None:
        """Have ``flask worker`` run ``func`` (in an app context) before it consumes; what
        it returns is printed."""
        self._worker_start.append(func)

    def __getitem__(self, func: Callable[..., Any]) -> TaskWrapper:
        """The task registered for ``func``: call it to queue ``func(*args)``."""
        self.huey  # noqa: B018 (made, with its tasks, on first use)
        return self._tasks[func]

    def describe(self) -> str:
        """Which queue this is, for the workers' page: its kind and where it is (a Redis
        URL without its password)."""
        config = self.app.config
        if config.get("HUEY_IMMEDIATE"):
            return "immediate"
        if config.get("HUEY_REDIS_URL"):
            from sqlalchemy.engine import make_url

            try:
                where = make_url(config["HUEY_REDIS_URL"]).render_as_string(hide_password=True)
            except Exception:
                where = "redis"
            return f"redis {where}"
        return f"sqlite {config['HUEY_SQLITE_PATH']}"

    def reachable(self) -> bool:
        """Whether a task could be queued now, asked cheaply (``/healthz``): Redis answers
        a ping within a second; the SQLite file opens and reads (or, not made yet, its
        folder is writable); the immediate queue always is. Never makes the huey."""
        config = self.app.config
        if config.get("HUEY_IMMEDIATE"):
            return True
        if config.get("HUEY_REDIS_URL"):
            return bool(self._redis_pinger().ping())
        path = Path(config["HUEY_SQLITE_PATH"])
        if not path.exists():
            return os.access(path.parent, os.W_OK)
        with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True

    def _redis_pinger(self) -> Any:
        """A Redis client of its own with short timeouts (huey's waits for ever)."""
        with self._lock:
            if self._pinger is None:
                import redis

                self._pinger = redis.Redis.from_url(
                    self.app.config["HUEY_REDIS_URL"], socket_timeout=1,
                    socket_connect_timeout=1)
            return self._pinger

    def start_worker(self) -> list[str]:
        """Run the areas' ``on_worker_start`` functions; what they said."""
        self.huey  # noqa: B018 (made, with its tasks, on first use)
        return [said for start in self._worker_start if (said := start())]

    def _in_app(self, func: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        @functools.wraps(func)  # keeps the module and name huey registers the task under
        def run(*args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                return func(*args, **kwargs)
            with app.app_context():
                return func(*args, **kwargs)

        return run


def init_app(app: Flask, *registrations: Callable[[Queue], None]) -> Queue:
    """Give the app its queue, made from its config on first use, on which each of
    ``registrations`` (an area's ``register``) registers its jobs."""
    made = Queue(app, registrations)
    app.extensions["queue"] = made
    return made


def queue(app: Flask | None = None) -> Queue:
    """The queue of ``app`` (default: the current app)."""
    return (app or current_app).extensions["queue"]
