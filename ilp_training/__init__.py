"""ILP Training: the Flask site. :func:`create_app` builds it without side effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from ilp_training.core.config import PROJECT_ROOT, settings_from_env
from ilp_training.core.extensions import (
    babel,
    csrf,
    db,
    login_manager,
    migrate,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings come from the environment (see :mod:`ilp_training.core.config`); ``test_config``
    overrides them. Nothing is migrated or seeded here: that is ``flask db upgrade`` and
    ``flask demo load``.
    """
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    overrides = dict(test_config or {})
    app.config.update(settings_from_env(app.instance_path, overrides.get("SECRET_KEY")))
    app.config.update(overrides)

    from ilp_training.core.database import init_engine_events, sqlite_engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite_engine_options(app.config)
    _trust_proxies(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from ilp_training.core import i18n

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)

    from ilp_training.core import templating

    templating.init_app(app)

    init_engine_events(app)

    from ilp_training.overview import rollup_hooks

    rollup_hooks.install()  # the overview's counts follow every transaction's changes

    from ilp_training import auth
    from ilp_training.core import audit, errors, ids, input_policy, security

    ids.init_app(app)  # before the routes: their <int:…> ids are bounded

    input_policy.init_app(app)
    audit.init_app(app)
    auth.init_login(app)
    errors.init_app(app)
    security.init_app(app)
    _register_blueprints(app)
    _register_jobs(app)
    from ilp_training import api

    api.init_app(app)  # the JSON API (/api/v1) and its OpenAPI document
    _register_commands(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client's address and scheme are
    read from ``X-Forwarded-For`` / ``X-Forwarded-Proto`` as those proxies set them
    (Werkzeug's ``ProxyFix``); otherwise a client could name any address it likes there."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask documents replacing wsgi_app with a middleware
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from ilp_training.admin.routes import bp as admin_bp
    from ilp_training.auth.routes import bp as auth_bp
    from ilp_training.cadres.routes import bp as cadres_bp
    from ilp_training.certificates.routes import bp as certificates_bp
    from ilp_training.certificates.verify import bp as verify_bp
    from ilp_training.imports.routes import bp as imports_bp
    from ilp_training.incentives.routes import bp as incentives_bp
    from ilp_training.main.routes import bp as main_bp
    from ilp_training.overview.routes import bp as overview_bp
    from ilp_training.rosters.routes import bp as rosters_bp
    from ilp_training.scoring.offline import bp as offline_bp
    from ilp_training.scoring.routes import bp as scoring_bp
    from ilp_training.training import bp as training_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(cadres_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(scoring_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(rosters_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(incentives_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(overview_bp)


def _register_jobs(app: Flask) -> None:
    """The app's background queue, made from its config, with each area's tasks."""
    from ilp_training.certificates import jobs as certificate_jobs
    from ilp_training.core import housekeeping, queue
    from ilp_training.core import jobs as core_jobs
    from ilp_training.imports import jobs as import_jobs

    queue.init_app(app, core_jobs.register, certificate_jobs.register, import_jobs.register)
    housekeeping.add_pruner("import_jobs", import_jobs.prune_uploads)


def _register_commands(app: Flask) -> None:
    from ilp_training.auth.cli import users_cli
    from ilp_training.core.cli import prune_command, translate_cli, worker_command
    from ilp_training.core.curriculum_cli import curriculum_cli
    from ilp_training.demo.cli import demo_cli
    from ilp_training.overview.cli import overview_cli
    from ilp_training.scoring.cli import assessments_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(assessments_cli)
    app.cli.add_command(overview_cli)
    app.cli.add_command(curriculum_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(prune_command)
    app.cli.add_command(users_cli)
