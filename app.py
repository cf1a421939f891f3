"""Entry point: ``flask --app app run`` or ``gunicorn app:app``."""

from ilp_training import create_app

app = create_app()
