"""Configuration read from the environment, with safe defaults.

Every setting can be given as an environment variable of the same name. Nothing here
has a known default secret: without ``SECRET_KEY`` a random key is created once under
the instance folder and reused, so sessions survive a restart.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _fixed_today(value: str) -> str:
    """``TODAY`` as given, once checked: a value the clock could not read would break
    every page, so it stops the start instead."""
    from datetime import datetime

    if value.strip():
        try:
            datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"TODAY={value!r} is not an ISO date or date-time") from None
    return value.strip()


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key stored in ``instance/secret_key``, creating it once.

    The file is written with mode 0600; an existing file is reused so that sessions
    stay valid across restarts. Several app servers starting together on one machine
    (one instance folder) must all end with the same key, or a session signed by one is
    refused by the next: the key is written to a file of its own and linked into place,
    which only the first process manages (``link`` never replaces a file); every other
    process then reads the winner's key. Servers on several machines share no instance
    folder: they are given ``SECRET_KEY`` (README, Production).
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(draft, path)  # whole, or not at all: the file is never seen half-written
    except FileExistsError:
        found = path.read_text().strip()
        if found:
            return found
        os.replace(draft, path)  # an empty file (left by an older version): ours instead
    finally:
        draft.unlink(missing_ok=True)
    return key


def settings_from_env(instance_path: str, secret_key: str | None = None) -> dict[str, object]:
    """Build the configuration mapping from environment variables.

    ``DATABASE_URL`` defaults to the SQLite file ``instance/ilp.db``. ``SESSION_COOKIE_SECURE``
    defaults to off so the local site works over plain HTTP; production behind HTTPS sets it
    (or ``PREFERRED_URL_SCHEME=https``, which turns it on). A ``secret_key`` given by the
    caller (tests) wins over the environment and the instance file.
    """
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'ilp.db'}"
    scheme = env.get("PREFERRED_URL_SCHEME", "http")
    return {
        "SECRET_KEY": secret_key or env.get("SECRET_KEY") or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("SQLITE_BUSY_TIMEOUT_MS", "10000")),
        "PREFERRED_URL_SCHEME": scheme,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), scheme == "https"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), scheme == "https"),
        "WTF_CSRF_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": env.get("BABEL_DEFAULT_TIMEZONE", "Asia/Makassar"),
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("id", "en"),
        "CURRICULA_DIR": env.get("CURRICULA_DIR", str(PROJECT_ROOT / "curricula")),
        "FRAMEWORK_ID": env.get("FRAMEWORK_ID", "ilp-national"),
        "VERIFY_RATE_LIMIT": int(env.get("VERIFY_RATE_LIMIT", "60")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", ""),
        # Signed credentials (ilp_training/credentials/keys.py): the issuers' private keys
        # (one JWK file each, mode 0600) and public metadata live in this directory,
        # outside the database and the repository; CREDENTIAL_PRIVATE_KEYS (a JSON list
        # of private JWKs with their kid) may hold the private halves instead.
        "CREDENTIAL_KEYS_DIR": env.get("CREDENTIAL_KEYS_DIR")
        or str(Path(instance_path) / "keys"),
        "CREDENTIAL_PRIVATE_KEYS": env.get("CREDENTIAL_PRIVATE_KEYS", ""),
        # Bulk certificates: certificates per part (the unit a worker commits), how long
        # a worker holds a part before another may take it up, and a pause per
        # certificate that only tests set (to kill a worker mid-job).
        "BULK_PART_SIZE": int(env.get("BULK_PART_SIZE", "50")),
        "BULK_LEASE_SECONDS": int(env.get("BULK_LEASE_SECONDS", "600")),
        "BULK_TEST_DELAY_MS": int(env.get("BULK_TEST_DELAY_MS", "0")),
        # The background-job queue (core/queue.py), made by create_app from these: Redis
        # when HUEY_REDIS_URL is set, else the SQLite file HUEY_SQLITE_PATH. With
        # HUEY_IMMEDIATE (tests) tasks run at once in the caller, queued in memory.
        "HUEY_SQLITE_PATH": env.get("HUEY_SQLITE_PATH") or str(Path(instance_path) / "huey.db"),
        "HUEY_REDIS_URL": env.get("HUEY_REDIS_URL", ""),
        "HUEY_IMMEDIATE": _bool(env.get("HUEY_IMMEDIATE"), False),
        # Each `flask worker` writes its heartbeat this often (core/heartbeat.py); four
        # intervals without one and the admins see it as stale.
        "WORKER_HEARTBEAT_SECONDS": int(env.get("WORKER_HEARTBEAT_SECONDS", "15")),
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_WINDOW_SECONDS": int(env.get("LOGIN_WINDOW_SECONDS", "900")),
        # Sign-in throttle (services/users.LoginPolicy): LOGIN_MAX_FAILURES per (name,
        # client), these per client across names, and the failures of one name from all
        # clients after which each client gets a single try at that name.
        "LOGIN_CLIENT_MAX_FAILURES": int(env.get("LOGIN_CLIENT_MAX_FAILURES", "30")),
        "LOGIN_NAME_MAX_FAILURES": int(env.get("LOGIN_NAME_MAX_FAILURES", "50")),
        # How many reverse proxies in front of the app set X-Forwarded-For (and -Proto);
        # 0: the headers are ignored and the client is the connection's address.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # A sign-in ends after this many days even if the browser keeps its cookie.
        "SESSION_MAX_AGE_DAYS": int(env.get("SESSION_MAX_AGE_DAYS", "30")),
        # The rows of an upload (NIK, phone, birth dates) are kept this long after its
        # import ended (refused, done or failed), then forgotten by the housekeeping.
        "IMPORT_KEEP_DAYS": int(env.get("IMPORT_KEEP_DAYS", "7")),
        "PAGE_SIZE": int(env.get("PAGE_SIZE", "25")),
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        # Backups (core/backup.py, README "Backups"): where `flask backup` writes by
        # default (empty: instance/backups), the instance files and folders it takes
        # along (the secrets the data needs), and the folder of pg_dump/pg_restore when
        # the ones on the PATH are older than the server.
        "BACKUP_DIR": env.get("BACKUP_DIR", ""),
        "BACKUP_INSTANCE_FILES": env.get("BACKUP_INSTANCE_FILES", "secret_key keys"),
        "PG_BIN_DIR": env.get("PG_BIN_DIR", ""),
        # Fixes the site's clock (ISO date or date-time): tests, demos, reproducing a day.
        "TODAY": _fixed_today(env.get("TODAY", "")),
    }
