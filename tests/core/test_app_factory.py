"""``create_app`` builds the app from its config and does nothing else: no file, no queue
made at import or at start (``core/queue.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import other_app

from ilp_training.core.config import PROJECT_ROOT
from ilp_training.core.queue import queue

SKIPPED = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (caches and the virtualenv aside) with its size and
    modification time."""
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in names:
            path = Path(folder) / name
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_create_app_with_the_test_config_leaves_no_file_behind(tmp_path):
    """In a fresh interpreter (so that whatever happens at import is seen), with the
    queue's file named by the environment as an operator would: neither the checkout nor
    the working directory nor that place gains a file."""
    workdir, queue_dir = tmp_path / "cwd", tmp_path / "queue"
    workdir.mkdir()
    script = ("from conftest import make_app\n"
              f"make_app({f'sqlite:///{tmp_path}/none.db'!r})\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")]),
           "HUEY_SQLITE_PATH": str(queue_dir / "huey.db")}
    before = _files(PROJECT_ROOT)
    done = subprocess.run([sys.executable, "-c", script], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    after = _files(PROJECT_ROOT)
    assert {p: after[p] for p in after if before.get(p) != after[p]} == {}
    assert list(workdir.iterdir()) == []
    assert not queue_dir.exists()


def test_the_queue_is_made_from_the_config_when_first_used(tmp_path):
    path = tmp_path / "jobs" / "huey.db"
    with other_app(f"sqlite:///{tmp_path}/none.db", HUEY_IMMEDIATE=False,
                   HUEY_SQLITE_PATH=str(path)) as app:
        assert not path.parent.exists()  # nothing until a task is queued or a worker runs
        huey = queue(app).huey
        assert type(huey).__name__ == "SqliteHuey" and not huey.immediate
        assert path.exists()
    with other_app(f"sqlite:///{tmp_path}/none.db", HUEY_IMMEDIATE=False,
                   HUEY_REDIS_URL="redis://127.0.0.1:6399/3") as app:
        assert type(queue(app).huey).__name__ == "RedisHuey"  # connects only when used
    with other_app(f"sqlite:///{tmp_path}/none.db") as app:  # the tests' own
        assert queue(app).huey.immediate
