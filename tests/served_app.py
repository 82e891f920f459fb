"""The app as ``tests/test_ratelimit_workers.py`` serves it under gunicorn (test use only).

``ServedConfig`` is the real configuration (``config.Config``: the production login limit, the
limits' storage from ``REDIS_URL``) with a fixed secret key, shared by both workers so that a
CSRF token from one is good on the other, and the database in ``STUDYAPP_SERVED_DATABASE_URL``.

``make_app()`` (gunicorn: ``"tests.served_app:make_app()"``) wraps the app so that every
response names the worker process that made it (``X-Worker-Pid``): the test needs to know that
its requests reached both workers. The app itself never sends that header.
"""
from __future__ import annotations

import os
import signal
import subprocess

import config


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop a gunicorn started with ``start_new_session=True``: SIGTERM to its process group
    (master and workers), SIGKILL after 20 s; nothing if it is gone already."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


class ServedConfig(config.Config):
    SECRET_KEY = "served-in-tests-only-0123456789abcdef0123456789"
    SQLALCHEMY_DATABASE_URI = os.environ.get("STUDYAPP_SERVED_DATABASE_URL", "sqlite://")


def make_app():
    """Return the WSGI app: studyapp (``STUDYAPP_CONFIG``), each response carrying the worker's pid."""
    from studyapp import create_app

    app = create_app()
    inner = app.wsgi_app

    def with_pid(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)
        return inner(environ, start)

    app.wsgi_app = with_pid
    return app
