"""The login limit holds across gunicorn workers when the counts are in Redis.

The app runs as in production: gunicorn with ``gunicorn.conf.py`` (2 gthread workers, no
preloading), ``config.Config``'s real login limit (10 POSTs a minute per address), the limits'
storage from ``REDIS_URL`` (a Redis database of the tests' own, emptied before and after), a
SQLite file made by ``flask db upgrade``, on a free port of 127.0.0.1.

Which worker answers a new connection is up to the kernel. So the test first opens one
keep-alive connection to each worker (each response names its worker, see
``tests/served_app.py``), then sends the wrong logins alternately on the two: 6 reach one worker
and 5 the other, and each response is checked to come from the worker expected. With Redis the
11th is refused (429, the readable page); with ``memory://`` storage each worker counts alone
and the same 11 are all let through (400, wrong password): the shared storage is what limits.

Redis missing: the test is skipped with the reason, unless ``STUDYAPP_REQUIRE_REDIS=1`` (CI),
when it fails.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import ROOT
from tests.served_app import stop_gunicorn

REDIS_URL = os.environ.get("STUDYAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
TOO_MANY = "Too many attempts from your address. Wait a minute and try again."


def _redis_or_skip():
    """Return a client of the tests' Redis database, or skip (fail under STUDYAPP_REQUIRE_REDIS=1)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis is not reachable at {REDIS_URL} ({exc}); the cross-worker login limit is not tested"
        if os.environ.get("STUDYAPP_REQUIRE_REDIS") == "1":
            pytest.fail(reason + " (STUDYAPP_REQUIRE_REDIS=1)")
        pytest.skip(reason)
    return client


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(tmp_path: Path, storage: str | None):
    """Run studyapp under gunicorn (2 workers) with limits in ``storage`` (a Redis URL, or None
    for memory://); yield ``(port, log_path)``. The server's process group is ended afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL")}
    env.update(STUDYAPP_CONFIG="tests.served_app.ServedConfig", PORT=str(port), WEB_CONCURRENCY="2",
               STUDYAPP_BIND_HOST="127.0.0.1", STUDYAPP_SERVED_DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite'}",
               PYTHONPATH=str(ROOT))
    if storage:
        env["REDIS_URL"] = storage
    subprocess.run([sys.executable, "-m", "flask", "--app", "studyapp", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.served_app:make_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield port, log_path, server
    finally:
        stop_gunicorn(server)


def _get(conn: http.client.HTTPConnection, path: str, cookie: str = ""):
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    return response, response.read().decode("utf-8")


def _pin_one_connection_per_worker(port: int, server, log_path: Path, deadline: float) -> dict[str, http.client.HTTPConnection]:
    """Wait until both workers answer; return one open keep-alive connection to each, by pid."""
    pinned: dict[str, http.client.HTTPConnection] = {}
    while len(pinned) < 2:
        if server.poll() is not None or time.monotonic() > deadline:
            for conn in pinned.values():
                conn.close()
            pytest.fail(f"gunicorn did not serve two workers in time:\n{log_path.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            response, _ = _get(conn, "/healthz")
        except OSError:
            conn.close()
            time.sleep(0.2)
            continue
        pid = response.getheader("X-Worker-Pid")
        if response.status == 200 and pid and pid not in pinned:
            pinned[pid] = conn
        else:
            conn.close()
    return pinned


def wrong_logins(port: int, server, log_path: Path) -> tuple[list[int], list[str], str, dict]:
    """Send 11 wrong login POSTs alternately to the two workers; return their statuses, the pid
    each came from (checked against the pinned worker), the last page and its headers."""
    pinned = _pin_one_connection_per_worker(port, server, log_path, time.monotonic() + 90)
    try:
        (pid_a, conn_a), (pid_b, conn_b) = pinned.items()
        page_response, page = _get(conn_a, "/auth/login")
        cookie = page_response.getheader("Set-Cookie").split(";", 1)[0]
        token = TOKEN.search(page).group(1)
        body = urlencode({"email": "nobody@example.org", "password": "not the password", "csrf_token": token})
        statuses, pids = [], []
        for n in range(11):
            conn, pid = (conn_a, pid_a) if n % 2 == 0 else (conn_b, pid_b)
            conn.request("POST", "/auth/login", body=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            text = response.read().decode("utf-8")
            statuses.append(response.status)
            pids.append(response.getheader("X-Worker-Pid"))
            assert pids[-1] == pid, "a pinned connection reached the other worker"
        return statuses, pids, text, dict(response.getheaders())
    finally:
        for conn in pinned.values():
            conn.close()


def test_login_limit_is_shared_by_workers_through_redis(tmp_path):
    redis_db = _redis_or_skip()
    redis_db.flushdb()
    try:
        with served(tmp_path, REDIS_URL) as (port, log_path, server):
            statuses, pids, page, headers = wrong_logins(port, server, log_path)
        assert len(set(pids)) == 2 and pids.count(pids[0]) == 6 and pids.count(pids[1]) == 5
        assert statuses == [400] * 10 + [429]
        assert TOO_MANY in page and "(limit: 10 per 1 minute)" in page
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert sorted(redis_db.keys("*")) == [b"LIMITS:LIMITER/127.0.0.1/auth.login/10/1/minute",
                                              b"LIMITS:LIMITER/127.0.0.1/auth.login/100/1/hour"]
    finally:
        redis_db.flushdb()


def test_without_redis_each_worker_counts_alone(tmp_path):
    """The control: memory:// storage, the same 11 POSTs over the two workers, none refused."""
    with served(tmp_path, None) as (port, log_path, server):
        statuses, pids, _page, _headers = wrong_logins(port, server, log_path)
    assert len(set(pids)) == 2
    assert statuses == [400] * 11
