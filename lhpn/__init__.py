"""LHPN: planning and reporting for the Vietnam Women's Union."""

from pathlib import Path

from flask import Flask

from lhpn.config import load_config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(_instance_path()), instance_relative_config=True)
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def _instance_path() -> Path:
    import os

    return Path(os.environ.get("LHPN_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def register_extensions(app: Flask) -> None:
    from lhpn import (
        models,  # noqa: F401  (every model registered before migrations run)
        tenant_versions,  # noqa: F401  (its flush listeners)
    )
    from lhpn.extensions import babel, cache, csrf, db, limiter, login_manager, migrate
    from lhpn.web import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    cache.init_app(app)
    limiter.init_app(app)


def register_security(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from lhpn.privacy.keys import check_settings as check_data_keys
    from lhpn.throttle import check_settings
    from lhpn.web import init_request_context

    proxies = app.config["LHPN_TRUSTED_PROXIES"]
    if proxies > 0:
        # The client's address is the one the trusted proxies saw; without them,
        # X-Forwarded-For is whatever the client wrote and is ignored. Replacing the method is
        # how Flask's documentation wraps the WSGI app; mypy sees a method assigned to.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    check_settings(app.config)
    check_data_keys(app)  # a key that cannot be used stops the app here, not at a read
    init_request_context(app)


def register_blueprints(app: Flask) -> None:
    from lhpn.accounts.admin_views import bp as users_bp
    from lhpn.accounts.views import bp as accounts_bp
    from lhpn.agenda.views import bp as agenda_bp
    from lhpn.api import bp as api_bp
    from lhpn.audit.views import bp as audit_bp
    from lhpn.consolidation.export_views import bp as consolidation_export_bp
    from lhpn.consolidation.views import bp as consolidation_bp
    from lhpn.critiques.views import bp as critiques_bp
    from lhpn.dialogues.views import bp as dialogues_bp
    from lhpn.home import bp as home_bp
    from lhpn.incidents import requests as _requests  # noqa: F401 (its routes join incidents)
    from lhpn.incidents import stats_views as _stats_views  # noqa: F401 (the same)
    from lhpn.incidents.views import bp as incidents_bp
    from lhpn.indicators.views import bp as indicators_bp
    from lhpn.notifications.views import bp as notifications_bp
    from lhpn.petitions.views import bp as petitions_bp
    from lhpn.plans.export_views import bp as plan_export_bp
    from lhpn.plans.views import bp as plans_bp
    from lhpn.privacy.breach_views import bp as breaches_bp
    from lhpn.privacy.views import bp as privacy_bp
    from lhpn.reports.attachment_views import bp as report_files_bp
    from lhpn.reports.template_views import bp as templates_admin_bp
    from lhpn.reports.views import bp as reports_bp
    from lhpn.supervisions.views import bp as supervisions_bp
    from lhpn.supervisions.views import documents_bp as supervision_documents_bp
    from lhpn.tenants.views import bp as tenants_bp
    from lhpn.units.import_views import bp as imports_bp
    from lhpn.units.views import bp as units_bp

    for bp in (home_bp, accounts_bp, units_bp, imports_bp, users_bp, audit_bp, tenants_bp,
               api_bp, plan_export_bp, plans_bp, indicators_bp, notifications_bp,
               report_files_bp, templates_admin_bp, reports_bp, consolidation_bp,
               consolidation_export_bp, incidents_bp, privacy_bp,
               breaches_bp, agenda_bp, petitions_bp, supervisions_bp,
               supervision_documents_bp, critiques_bp, dialogues_bp):
        app.register_blueprint(bp)


def register_errors(app: Flask) -> None:
    from lhpn.unsaved.web import init_app as init_unsaved_input
    from lhpn.web import init_error_handlers

    init_error_handlers(app)
    init_unsaved_input(app)  # expired sessions and CSRF failures keep the typed input


def register_cli(app: Flask) -> None:
    from lhpn.cli import init_cli

    init_cli(app)
