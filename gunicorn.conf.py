"""gunicorn's settings for the site: read by gunicorn from the working directory (or
``gunicorn -c gunicorn.conf.py``); options on the command line win, e.g.
``gunicorn -b 127.0.0.1:8001 app:app``. Several instances on one machine differ only by
their ``--bind`` (README, Production).

Logging: gunicorn's own access log stays off, since the app writes one access line per
request itself, with its request id and the signed-in user (``ilp_training/core/
request_log.py``); the ``ilp_training`` loggers (access lines, errors, the heartbeat) go
to gunicorn's error log (stderr, or ``--error-logfile``) in gunicorn's format.
"""

import os

from gunicorn.glogging import CONFIG_DEFAULTS

wsgi_app = "app:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60  # a WeasyPrint render is the longest request (well under a second)
graceful_timeout = 30
control_socket_disable = True  # several instances from one folder would share its socket
accesslog = None
errorlog = "-"

logconfig_dict = {
    "loggers": {
        **CONFIG_DEFAULTS["loggers"],  # type: ignore[dict-item]
        "ilp_training": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
    },
}
