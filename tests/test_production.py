"""Production settings: /healthz, rate limits on answers (shared through Redis when REDIS_URL is
set), the proxy setting, and the gunicorn configuration."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import pytest

import config
from studyapp import create_app
from tests.conftest import ROOT, TINY_ITEMS
from tests.test_quiz import attempt_items, key_answer, start


def test_healthz_checks_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    class Broken(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite'}"

    response = create_app(Broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "not reachable"}


def test_answer_posts_are_rate_limited_per_user(app, client, csrf, login_as, make_bank, db):
    """Over ANSWER_RATE_LIMIT, saving a response is refused with 429 and a readable page; the
    attempt keeps what was saved before."""
    from studyapp.extensions import limiter

    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5)
    ai = attempt_items(db, attempt_id)[0]
    limiter.reset()
    app.config["ANSWER_RATE_LIMIT"] = "3 per minute"
    try:
        token = csrf(client)
        codes = [client.post(f"/attempts/{attempt_id}/q/1", data={**key_answer(ai), "next": "1", "csrf_token": token})
                 .status_code for _ in range(4)]
        assert codes == [303, 303, 303, 429]
        page = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
        assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
        assert client.get(f"/attempts/{attempt_id}/q/1").status_code == 200  # reading is not limited
    finally:
        app.config["ANSWER_RATE_LIMIT"] = config.TestConfig.ANSWER_RATE_LIMIT
        limiter.reset()
    assert ai.response is not None and ai.response.mark is None


def test_redis_url_sets_the_limit_storage(monkeypatch):
    """REDIS_URL alone puts the limits in Redis; RATELIMIT_STORAGE_URI wins if both are set."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    fresh = importlib.reload(config)
    try:
        assert fresh.Config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
        assert importlib.reload(config).Config.RATELIMIT_STORAGE_URI == "memory://"
        monkeypatch.delenv("REDIS_URL")
        monkeypatch.delenv("RATELIMIT_STORAGE_URI")
        assert importlib.reload(config).Config.RATELIMIT_STORAGE_URI == "memory://"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_proxy_hops_reads_the_forwarded_address():
    """Behind one proxy, the limiter sees the client's address from X-Forwarded-For."""
    seen = {}

    class Proxied(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        PROXY_HOPS = 1

    for cfg in (config.TestConfig, Proxied):
        app = create_app(cfg)

        @app.route("/_addr")
        def addr():
            from flask import request
            return request.remote_addr or ""

        got = app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.7"},
                                    environ_base={"REMOTE_ADDR": "10.0.0.1"})
        seen[cfg.__name__] = got.get_data(as_text=True)
    assert seen == {"TestConfig": "10.0.0.1", "Proxied": "203.0.113.7"}


def test_gunicorn_config_reads_the_environment():
    env = {**os.environ, "PORT": "8123", "WEB_CONCURRENCY": "3", "STUDYAPP_THREADS": "2",
           "STUDYAPP_MAX_REQUESTS": "5000"}
    out = subprocess.run([sys.executable, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py');"
                          "print(c['bind'], c['workers'], c['threads'], c['worker_class'], c['preload_app'],"
                          " c['max_requests'], c['max_requests_jitter'])"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["127.0.0.1:8123", "3", "2", "gthread", "False", "5000", "500"]


def test_rate_limits_can_be_raised_from_the_environment():
    """STUDYAPP_LOGIN_RATE_LIMIT and STUDYAPP_ANSWER_RATE_LIMIT override the limits (a load test
    from one address needs that); without them the production values stand."""
    code = "import config; print(config.ProductionConfig.LOGIN_RATE_LIMIT + '|' + config.ProductionConfig.ANSWER_RATE_LIMIT)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYAPP_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "10 per minute; 100 per hour|120 per minute"
    env.update(STUDYAPP_LOGIN_RATE_LIMIT="1000 per minute", STUDYAPP_ANSWER_RATE_LIMIT="100 per second")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1000 per minute|100 per second"


def test_login_works_while_redis_is_unreachable(app, tmp_path, db):
    """With the limits' Redis down, logins are counted in memory meanwhile, not refused with 500."""
    from flask_migrate import upgrade

    from studyapp.extensions import limiter

    class NoRedis(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'r.sqlite'}"
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6399/5"  # nothing listens there
        LOGIN_RATE_LIMIT = "10 per minute"

    other = create_app(NoRedis)  # the limiter is shared: it is given back to the suite's app below
    try:
        with other.app_context():
            upgrade()
            from studyapp.accounts import create_user
            create_user("r@example.org", "R", "correct horse battery", "learner")
        client = other.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        ok = client.post("/auth/login", data={"email": "r@example.org", "password": "correct horse battery",
                                              "csrf_token": token})
        assert ok.status_code == 302
    finally:
        limiter.init_app(app)
