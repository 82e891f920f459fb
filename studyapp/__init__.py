"""studyapp: a quiz and study web app on regional development."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import bootstrap, csrf, db, limiter, login_manager, migrate

__all__ = ["create_app"]


def _dev_secret_key(instance_path: str) -> str:
    """Return the development secret key kept in ``instance/secret_key``, creating it once."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):  # pragma: no cover - trivial
    """Turn on foreign-key enforcement for SQLite connections (PostgreSQL always has it), and
    write-ahead logging for SQLite database files."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers no longer wait for a writer (nor a writer for readers), which matters with
        # several gunicorn workers on one SQLite file; writers still take turns. The mode is kept
        # in the file, so setting it again is a no-op; in-memory databases stay "memory".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def create_app(config: object | str | None = None) -> Flask:
    """Create and wire the Flask application. Does no database work.

    Args:
        config: a config class or object, or an import path such as
            ``"config.ProductionConfig"``; default ``STUDYAPP_CONFIG`` from the
            environment, else ``config.Config``.
    Returns:
        The application.
    Raises:
        RuntimeError: the production config is chosen without ``SECRET_KEY`` or ``DATABASE_URL``.
    """
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="static")
    config = config or os.environ.get("STUDYAPP_CONFIG", "config.Config")
    if isinstance(config, str):
        import importlib

        module, _, name = config.rpartition(".")
        config = getattr(importlib.import_module(module), name)
    check = getattr(config, "check", None)
    if callable(check):
        check()
    app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _dev_secret_key(app.instance_path)

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import guards

    guards.install(app)  # before any route: ids beyond 2**31-1 are 404, NUL bytes 400
    if app.config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite"):
        # SQLite has one writer at a time: let a busy moment wait (up to 30 s) rather than fail
        # with "database is locked" (pysqlite's default wait is 5 s).
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    from . import access  # noqa: F401  (registers the user loader)
    from .auth import bp as auth_bp
    from .progress import bp as progress_bp
    from .quiz import bp as quiz_bp
    from .teach import bp as teach_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(teach_bp)

    from .admin import init_admin

    init_admin(app)

    from .errors import register_error_handlers

    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)

    from .stored_statistics import install as install_statistics_hook

    install_statistics_hook()   # stored item statistics are dropped when the population changes

    @app.route("/healthz")
    @limiter.exempt
    def healthz():
        """Liveness and readiness for load balancers: 200 ``{"status": "ok"}`` when the database
        answers ``SELECT 1``, else 503 ``{"status": "unavailable", ...}``. No login, no session."""
        from sqlalchemy import text as sql_text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            db.session.execute(sql_text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return {"status": "unavailable", "database": "not reachable"}, 503
        finally:
            db.session.remove()
        return {"status": "ok", "database": "ok"}, 200

    @app.route("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico whatever the page says."""
        return app.send_static_file("favicon.svg")

    from . import timefmt

    timefmt.register(app)  # Jinja filters: localtime, hours_minutes

    from .kinds import KINDS

    @app.context_processor
    def _globals():
        return {"app_name": "studyapp", "kinds": KINDS}

    return app
