"""Production settings: /healthz, rate limits on answers (shared through Redis when REDIS_URL is
set), the proxy setting, and the gunicorn configuration."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

import config
from studyapp import create_app
from tests.conftest import ROOT, TINY_ITEMS
from tests.served_app import stop_gunicorn
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


# -- two gunicorn instances on one machine -------------------------------------------------------

@contextmanager
def gunicorn_instances(home: Path, sockets: list[str | None]):
    """Start one gunicorn per entry of ``sockets`` at once, each with ``gunicorn.conf.py`` (1 worker)
    on a free port of its own, serving ``tests.served_app`` on an in-memory database, with ``HOME``
    and ``XDG_RUNTIME_DIR`` under ``home`` (where gunicorn's default control socket would go); an
    entry is that instance's ``STUDYAPP_CONTROL_SOCKET`` (None: unset). Yield
    ``[(process, port, log path)]``; the process groups are ended afterwards."""
    from tests.test_ratelimit_workers import _free_port

    (home / "run").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL", "STUDYAPP_CONTROL_SOCKET")}
    env.update(STUDYAPP_CONFIG="tests.served_app.ServedConfig", STUDYAPP_SERVED_DATABASE_URL="sqlite://",
               WEB_CONCURRENCY="1", STUDYAPP_BIND_HOST="127.0.0.1", PYTHONPATH=str(ROOT),
               HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"))
    started = []
    try:
        for n, socket_path in enumerate(sockets):
            port, log_path = _free_port(), home / f"gunicorn-{n}.log"
            mine = {**env, "PORT": str(port), **({"STUDYAPP_CONTROL_SOCKET": socket_path} if socket_path else {})}
            with open(log_path, "wb") as log:
                started.append((subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.served_app:make_app()"],
                    cwd=ROOT, env=mine, stdout=log, stderr=subprocess.STDOUT, start_new_session=True),
                    port, log_path))
        yield started
    finally:
        for process, _, _ in started:
            stop_gunicorn(process)


def healthz_when_up(process, port: int, log_path: Path, timeout: float = 60) -> int:
    """Return the status of ``/healthz`` once the instance answers (fail if it exits or never does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited:\n{log_path.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer in time:\n{log_path.read_text()[-3000:]}")


@pytest.mark.timeout(120)
def test_two_gunicorn_instances_share_no_control_socket(tmp_path):
    """Two instances started at once with gunicorn.conf.py both answer /healthz, and neither opens
    gunicorn's control socket at its default path ($XDG_RUNTIME_DIR/gunicorn.ctl, else
    ~/.gunicorn/gunicorn.ctl), where the second would take it from the first."""
    with gunicorn_instances(tmp_path, [None, None]) as instances:
        assert [healthz_when_up(*instance) for instance in instances] == [200, 200]
        assert sorted(p.name for p in (tmp_path / "run").iterdir()) == []
        assert not (tmp_path / ".gunicorn").exists()
    for _, _, log_path in instances:
        assert "control socket" not in log_path.read_text().lower()


@pytest.mark.timeout(120)
def test_a_control_socket_is_opt_in_at_each_instances_own_path(tmp_path):
    """STUDYAPP_CONTROL_SOCKET gives each instance a control socket of its own: both answer
    /healthz, and each socket reaches its own instance (its arbiter's pid), none the default path."""
    from gunicorn.ctl.client import ControlClient

    with tempfile.TemporaryDirectory(prefix="ctl") as short:  # a Unix socket path has at most 107 bytes
        paths = [os.path.join(short, "a.ctl"), os.path.join(short, "b.ctl")]
        with gunicorn_instances(tmp_path, paths) as instances:
            assert [healthz_when_up(*instance) for instance in instances] == [200, 200]
            for path, (process, _, _) in zip(paths, instances):
                with ControlClient(path, timeout=10) as control:
                    assert control.send_command("show all")["arbiter"]["pid"] == process.pid
            assert list((tmp_path / "run").iterdir()) == [] and not (tmp_path / ".gunicorn").exists()
