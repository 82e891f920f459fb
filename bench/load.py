"""Load benchmark: studyapp under gunicorn, 32 learners taking exams at once.

Run (from the repository root, with the project's virtualenv, which has locust from
requirements-dev.txt):

    .venv/bin/python bench/load.py [--db sqlite|postgresql] [--users 32] [--duration 60] [--workers 2]

Other options: --database-url URL (PostgreSQL; default
postgresql+psycopg://postgres@127.0.0.1:5432/load_bench, created if missing: its schema
``public`` is DROPPED and made anew, so never point it at a database you keep), --redis-url URL
(count the rate limits in Redis as production does with several workers; default: each worker
counts in memory), --probe-duration S (phases A and Q, default 15), --think MIN-MAX (seconds,
default 0.1-0.5), --threads N (per worker; default gunicorn.conf.py's), --max-requests N (0: no
worker recycling; default gunicorn.conf.py's), --log FILE (gunicorn's error log, kept; default in
the temporary directory of the system).

What it does:
 1. Prepares a fresh database: SQLite in a temporary directory, or the PostgreSQL database of
    --database-url; runs ``flask db upgrade`` and ``flask load-bank
    questions/banks/harbin-symposium-2023.yaml``, and inserts the learners in one statement that
    reuses ONE password hash, made with ProductionConfig's method (werkzeug's scrypt), so that
    logging in through the form costs what it costs in production.
 2. Starts gunicorn with gunicorn.conf.py (gthread workers) and config.ProductionConfig on a free
    port of 127.0.0.1, with --workers processes, plain-http cookies and the login and answer rate
    limits raised (STUDYAPP_LOGIN_RATE_LIMIT, STUDYAPP_ANSWER_RATE_LIMIT: 32 learners share one
    address, and a closed loop answers far faster than a person). The limiter still counts.
 3. Drives it with locust used as a library (FastHttpUser: one gevent greenlet and one keep-alive
    connection per learner, in this process). Each learner logs in through the form (GET for the
    CSRF token, POST) and takes one warm-up exam; neither is measured in the phases. Then:
      A  healthz     closed loop: GET /healthz only                              --probe-duration s
      Q  quiz page   closed loop: GET the question pages of an open exam only    --probe-duration s
      B  mix         closed loop (no think time): throughput                     --duration s
      C  mix+think   a think time, uniform in --think, before every request:
                     latency at --users concurrent learners                      --duration s
    Before each phase the learners pause and open new keep-alive connections at rest, until the
    workers hold about as many each (gunicorn keeps a connection with the worker that accepted it;
    the split is printed). The mix is one exam after another: POST /banks/<slug> (10 items, exam mode); for each item
    GET the question page and POST a response built from the page (its CSRF token, a random
    option or a typed text); POST submit; GET the result page; GET the dashboard (/progress/);
    GET /healthz. Every request is timed from sending to the last byte of the answer, without
    following redirects (each POST answers 303; the page after it is the next request).
 4. Prints, per phase and request type: count, requests/s, p50/p95/p99 in ms (nearest rank),
    errors; the load average, the CPU used by the server (gunicorn's processes; PostgreSQL's own
    is not counted) per phase, per request and per worker, and by this load generator; then the
    goals with PASS or FAIL. A response that is not 2xx/3xx, or not the one the step expects
    (e.g. a 200 form page where a 303 should follow a save), is an error; the first few are
    printed. A 429 means the limits were not raised; a 500 is a bug: read gunicorn's error log,
    whose path is printed.
 5. Stops gunicorn (its whole process group) and removes the temporary files, also on Ctrl-C.
    A PostgreSQL database is left as the run left it.

Goals (issue 7):
 - throughput of the quiz page >= 0.40 x that of /healthz, in the same gunicorn instance: the
   requests/s of phase Q over those of phase A (both closed loops at --users learners);
 - p99 < 100 ms for every request type of the mix at 32 concurrent learners: phase C. (In the
   closed loop of phase B each learner sends its next request as soon as the last one is answered,
   so the latency there is mostly queueing: on average it is users / throughput, Little's law.
   It is printed for information.) Logging in is part of the set-up and is no goal: a scrypt
   check costs tens of ms of CPU on purpose.

The think time of phase C, 0.1-0.5 s between requests, is much shorter than a person's (several
seconds per question): each simulated learner sends about 3 requests a second, so 32 of them
load the server like a few hundred people taking exams, while leaving it headroom, which is
when latency means service time rather than a queue.

Caveats: the load generator runs on the same machine as the server and takes one core's worth
of CPU at most (printed as "load generator CPU"); on a 2-core machine it competes with the two
workers, so closed-loop figures are lower than a separate client would get. Note the load average.
"""
from __future__ import annotations

# locust patches the standard library for gevent when imported; import it before anything else.
import locust  # noqa: I001
from locust import FastHttpUser, task
from locust.env import Environment

import argparse
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BANK_FILE = "questions/banks/harbin-symposium-2023.yaml"
BANK_SLUG = "harbin-symposium-2023"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/load_bench"
PASSWORD = "load-bench-password-1"
QUIZ_ITEMS = 10
RAISED_LIMIT = "1000000 per minute"   # the rate limits during the benchmark: counted, never hit

# Request types, in the order of the table. The key is the name locust records.
HEALTHZ, LOGIN_PAGE, LOGIN = "healthz GET", "login page GET", "login POST"
START, QUESTION, SAVE = "start quiz POST", "quiz page GET", "save response POST"
SUBMIT, RESULT, DASHBOARD = "submit POST", "result GET", "dashboard GET"
TYPES = [HEALTHZ, LOGIN_PAGE, LOGIN, START, QUESTION, SAVE, SUBMIT, RESULT, DASHBOARD]
MIX_TYPES = [HEALTHZ, START, QUESTION, SAVE, SUBMIT, RESULT, DASHBOARD]
P99_GOAL_MS = 100.0
RATIO_GOAL = 0.40
ERROR_SAMPLES = 8


# --------------------------------------------------------------------------- measurements

def percentile(sorted_ms: list[float], p: float) -> float:
    """Return the ``p``-th percentile (0-100) of ``sorted_ms`` by nearest rank, in ms (nan if empty)."""
    if not sorted_ms:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


@dataclass
class Phase:
    """What one phase measured: per request type, the response times (ms) and errors."""

    name: str
    title: str
    started: float = 0.0            # time.monotonic(), s
    ended: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    server_cpu: float = 0.0         # CPU seconds used by gunicorn (master and workers) in the phase
    client_cpu: float = 0.0         # CPU seconds used by this process (the load generator)
    worker_boots: int = 0           # gunicorn workers booted during the phase (max_requests recycling)
    worker_cpu: list[float] = field(default_factory=list)   # CPU seconds of each worker alive at both ends
    connections: list[int] = field(default_factory=list)    # the load generator's connections per worker, at the end

    @property
    def seconds(self) -> float:
        """Length of the phase in s."""
        return max(1e-9, self.ended - self.started)

    def rate(self, name: str) -> float:
        """Requests of type ``name`` completed per second in this phase (requests/s)."""
        return len(self.times.get(name, [])) / self.seconds

    def p(self, name: str, q: float) -> float:
        """The ``q``-th percentile of type ``name``'s response times, in ms."""
        return percentile(sorted(self.times.get(name, [])), q)


class Recorder:
    """Collects every request that locust reports into the current phase."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self.samples: list[str] = []    # the first few errors, for the report

    def on_request(self, request_type, name, response_time, response_length, exception=None,
                   response=None, **_kw) -> None:
        """locust's ``request`` event: record ``response_time`` (ms) and an error if any."""
        phase = self.phase
        if phase is None:
            return
        phase.times.setdefault(name, []).append(response_time)
        if exception is not None:
            phase.errors[name] = phase.errors.get(name, 0) + 1
            if len(self.samples) < ERROR_SAMPLES:
                self.samples.append(f"[{phase.name}] {name}: {exception}")


RECORDER = Recorder()
CONTROL = {"phase": "login", "think": (0.1, 0.5), "password": PASSWORD}


# --------------------------------------------------------------------------- the simulated learner

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
ANSWER_FORM = re.compile(r'<form method="post" id="answer-form".*?</form>', re.S)
INPUT = re.compile(r"<input\b[^>]*>")
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
ATTEMPT_URL = re.compile(r"/attempts/(\d+)/q/1$")


class StepFailed(Exception):
    """A step got an answer it did not expect; the learner starts a new exam."""


def answer_fields(page: str) -> list[tuple[str, str]]:
    """Return the form fields of an exam question page with an answer filled in.

    One random option of a single-choice or true/false item, one or two random options of a
    multiple-response item, a short text in each gap of a short-answer or cloze item.
    """
    form = ANSWER_FORM.search(page)
    if form is None:
        raise StepFailed("no answer form on the question page")
    fields: list[tuple[str, str]] = []
    radios: list[str] = []
    boxes: list[str] = []
    for tag in INPUT.findall(form.group(0)):
        attrs = dict(ATTR.findall(tag))
        kind, name = attrs.get("type", "text"), attrs.get("name", "")
        if kind == "hidden":
            fields.append((name, attrs.get("value", "")))
        elif kind == "radio":
            radios.append(attrs["value"])
        elif kind == "checkbox":
            boxes.append(attrs["value"])
        elif kind == "text" and name.startswith("gaps-"):
            fields.append((name, random.choice(["Harbin", "Heilongjiang", "innovation", "2023"])))
    if radios:
        fields.append(("choice", random.choice(radios)))
    if boxes:
        fields.extend(("choices", v) for v in random.sample(boxes, min(len(boxes), random.randint(1, 2))))
    return fields


class Learner(FastHttpUser):
    """One learner: logs in once, then does what the current phase (``CONTROL["phase"]``) asks,
    one request per call of :meth:`step`."""

    host = "http://127.0.0.1"       # replaced by the Environment's host
    count = 0                       # learners created so far (their emails are numbered)
    logged_in = 0                   # learners whose login succeeded
    warmed = 0                      # learners who finished the warm-up exam and hold a new one
    in_flight = 0                   # requests sent and not yet answered, all learners
    instances: list[Learner] = []
    network_timeout = 120.0
    connection_timeout = 30.0

    def wait_time(self) -> float:  # the think time is taken inside step(), before a request
        return 0

    def on_start(self) -> None:
        """Log in through the form, then fetch the dashboard for a CSRF token of the new session."""
        Learner.count += 1
        self.email = f"learner{Learner.count:04d}@load.bench"
        self.csrf = ""
        self.stage, self.attempt, self.position, self.total = "start", None, 1, QUIZ_ITEMS
        self.probe_position, self.warm_cycles, self.is_warm = 0, 0, False
        self.fields: list[tuple[str, str]] = []
        Learner.instances.append(self)
        while not self._login():
            gevent.sleep(1)
        Learner.logged_in += 1

    # -- requests ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, name: str, expect: int,
              data: list[tuple[str, str]] | None = None):
        """Send one request (redirects not followed) and check its status; returns the response."""
        kwargs = {"name": name, "allow_redirects": False, "catch_response": True}
        if data is not None:
            kwargs["data"] = urlencode(data)
            kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
        Learner.in_flight += 1
        try:
            response = self.client.request(method, path, **kwargs)
        finally:
            Learner.in_flight -= 1
        with response:
            status = response.status_code
            if status == expect:
                response.success()
            else:
                where = response.headers.get("Location", "") if response.headers else ""
                body = ""
                if status >= 400:
                    text = response.text or ""
                    title = re.search(r"<title>(.*?)</title>", text, re.S)
                    body = title.group(1).strip() if title else text[:160].replace("\n", " ")
                reason = f"HTTP {status} (expected {expect}) for {method} {path}"
                response.failure(reason + (f" -> {where}" if where else "") + (f": {body}" if body else ""))
                raise StepFailed(reason)
            return response

    def _token(self, page: str) -> None:
        match = CSRF_META.search(page)
        if match:
            self.csrf = match.group(1)

    def _login(self) -> bool:
        try:
            page = self._call("GET", "/auth/login", LOGIN_PAGE, 200).text
            match = CSRF_INPUT.search(page)
            token = match.group(1) or match.group(2) if match else ""
            self._call("POST", "/auth/login", LOGIN, 302, [
                ("csrf_token", token), ("email", self.email), ("password", CONTROL["password"]),
                ("submit", "Log in")])
            self._token(self._call("GET", "/progress/", DASHBOARD, 200).text)
            return True
        except StepFailed:
            return False

    # -- the phases --------------------------------------------------------------------------
    @task
    def step(self) -> None:
        """Do one request of the current phase (or wait while the phase is a pause)."""
        phase = CONTROL["phase"]
        try:
            if phase == "healthz":
                self._call("GET", "/healthz", HEALTHZ, 200)
            elif phase == "quizpage":
                self.probe_position = self.probe_position % self.total + 1
                self._call("GET", f"/attempts/{self.attempt}/q/{self.probe_position}", QUESTION, 200)
            elif phase == "warmup":
                if self.is_warm:
                    gevent.sleep(0.05)
                    return
                self._mix_step()
                if self.warm_cycles >= 1 and self.stage == "get":
                    self.is_warm = True     # finished one exam and started another, held for phase Q
                    Learner.warmed += 1
            elif phase in ("mix", "think"):
                if phase == "think":
                    gevent.sleep(random.uniform(*CONTROL["think"]))
                    if CONTROL["phase"] != "think":
                        return
                self._mix_step()
            else:
                gevent.sleep(0.05)
        except StepFailed:
            self.stage = "start"
            if phase in ("mix", "think", "warmup"):
                self._login_if_needed()

    def _login_if_needed(self) -> None:
        """After an error: if the session is gone (a page redirects to the login form), log in again."""
        try:
            self._token(self._call("GET", "/progress/", DASHBOARD, 200).text)
        except StepFailed:
            self._login()

    def _mix_step(self) -> None:
        """One request of the exam cycle: start, (question page, save) x 10, submit, result,
        dashboard, healthz."""
        stage = self.stage
        if stage == "start":
            response = self._call("POST", f"/banks/{BANK_SLUG}", START, 303, [
                ("csrf_token", self.csrf), ("n_items", str(QUIZ_ITEMS)), ("mode", "exam"),
                ("submit", "Start quiz")])
            match = ATTEMPT_URL.search(urlsplit(response.headers.get("Location", "")).path)
            if match is None:
                raise StepFailed(f"start: unexpected redirect {response.headers.get('Location')}")
            self.attempt, self.position, self.stage = int(match.group(1)), 1, "get"
        elif stage == "get":
            page = self._call("GET", f"/attempts/{self.attempt}/q/{self.position}", QUESTION, 200).text
            self._token(page)
            total = re.search(r"Question \d+ of (\d+)", page)
            self.total = int(total.group(1)) if total else QUIZ_ITEMS
            self.fields, self.stage = answer_fields(page), "save"
        elif stage == "save":
            button = ("next", "Save and next") if self.position < self.total else ("finish", "Review and submit")
            self._call("POST", f"/attempts/{self.attempt}/q/{self.position}", SAVE, 303, self.fields + [button])
            self.position += 1
            self.stage = "get" if self.position <= self.total else "submit"
        elif stage == "submit":
            self._call("POST", f"/attempts/{self.attempt}/submit", SUBMIT, 303,
                       [("csrf_token", self.csrf), ("submit", "Submit for marking")])
            self.stage = "result"
        elif stage == "result":
            self._token(self._call("GET", f"/attempts/{self.attempt}/result", RESULT, 200).text)
            self.stage = "dashboard"
        elif stage == "dashboard":
            self._token(self._call("GET", "/progress/", DASHBOARD, 200).text)
            self.stage = "healthz"
        elif stage == "healthz":
            self._call("GET", "/healthz", HEALTHZ, 200)
            self.stage = "start"
            self.warm_cycles += 1


# --------------------------------------------------------------------------- set-up

def run_step(label: str, argv: list[str], env: dict[str, str]) -> float:
    """Run a command of the set-up from the repository root; return its wall time in s.

    Raises:
        SystemExit: the command failed (its output is printed).
    """
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        raise SystemExit(f"set-up step failed: {label}")
    last = (done.stdout.strip().splitlines() or [""])[-1]
    print(f"  {label}: {seconds:.1f} s{'  (' + last + ')' if last else ''}")
    return seconds


def reset_postgresql(url: str) -> None:
    """Create the database of ``url`` if it is missing, and empty it: DROP SCHEMA public CASCADE."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.database in (None, "", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to empty the database {target.database!r}; name a benchmark database")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def create_learners(url: str, n: int, password: str) -> float:
    """Insert ``n`` learners (learner0001@load.bench, ...) in one statement with one shared
    password hash made as the production app makes it; return the time taken in s."""
    from sqlalchemy import create_engine
    from werkzeug.security import generate_password_hash

    import config
    from studyapp.models import User

    started = time.perf_counter()
    method = getattr(config.ProductionConfig, "PASSWORD_HASH_METHOD", "scrypt")  # as User.set_password
    hashed = generate_password_hash(password, method=method)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [{"email": f"learner{i:04d}@load.bench", "display_name": f"Learner {i}", "password_hash": hashed,
             "role": "learner", "active": True, "created_at": now, "session_token": secrets.token_hex(32),
             "timezone": "UTC"} for i in range(1, n + 1)]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), rows)
    engine.dispose()
    return time.perf_counter() - started


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until ``base``/healthz answers 200.

    Raises:
        SystemExit: gunicorn exited, or did not answer within ``timeout`` s.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on {base} within {timeout:.0f} s")


def server_cpu_seconds(master: psutil.Process) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and all its workers, including
    workers that exited (recycled by max_requests)."""
    try:
        t = master.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in master.children(recursive=True):
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def worker_cpu_seconds(master: psutil.Process) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each live gunicorn worker, by pid."""
    seconds = {}
    try:
        for child in master.children():
            try:
                c = child.cpu_times()
                seconds[child.pid] = c.user + c.system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return seconds


def connections_per_worker(master: psutil.Process, port: int) -> list[int]:
    """Number of established connections on ``port`` held by each gunicorn worker, most first."""
    counts = []
    try:
        for child in master.children():
            try:
                counts.append(sum(1 for c in child.net_connections(kind="tcp")
                                  if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port))
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return sorted(counts, reverse=True)


def count_boots(log: Path) -> int:
    """Number of "Booting worker" lines in gunicorn's log so far."""
    try:
        return log.read_text(errors="replace").count("Booting worker")
    except OSError:
        return 0


def stop_process_group(proc: subprocess.Popen | None) -> None:
    """Stop gunicorn: SIGTERM to its process group, then SIGKILL after 15 s if needed."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- running the phases

def reconnect(master: psutil.Process, port: int) -> None:
    """Between phases: pause the learners, wait for their requests in flight, then give each a new
    keep-alive connection, one after the other (5 ms apart) while the workers are idle; again (at
    most 10 times) until the workers hold about as many connections each.

    gunicorn keeps a connection with the worker that accepted it. Left alone, the learners' first
    connections (made at login, while the second worker may still be booting) can end up 30 on one
    worker and 2 on the other, which halves what the server can do; which worker accepts is a race,
    so even at rest a round can come out 24 / 8. The split of each phase is printed with it.
    """
    CONTROL["phase"] = "pause"
    wait_until(lambda: Learner.in_flight == 0, 60, "the requests in flight")
    tolerance = max(2, len(Learner.instances) // 8)
    for _ in range(10):
        for user in Learner.instances:
            user.client.client.close()          # its keep-alive connection (the cookies stay)
            open_connection(user)
            gevent.sleep(0.005)
        split = connections_per_worker(master, port)
        if len(split) < 2 or split[0] - split[-1] <= tolerance:
            break


def open_connection(user: Learner) -> None:
    """Open the learner's new connection with a GET /healthz that no phase records."""
    phase, RECORDER.phase = RECORDER.phase, None
    try:
        user.client.get("/healthz", name="reconnect")
    finally:
        RECORDER.phase = phase


def run_phase(phase: Phase, control_phase: str, seconds: float, master: psutil.Process, log: Path,
              port: int) -> Phase:
    """Switch the learners to ``control_phase`` for ``seconds`` s and record into ``phase``."""
    me = psutil.Process()
    reconnect(master, port)
    CONTROL["phase"] = control_phase
    RECORDER.phase = phase
    phase.load_before = os.getloadavg()
    boots = count_boots(log)
    cpu0, client0, workers0 = server_cpu_seconds(master), sum(me.cpu_times()[:2]), worker_cpu_seconds(master)
    phase.started = time.monotonic()
    gevent.sleep(seconds)
    phase.ended = time.monotonic()
    phase.server_cpu = server_cpu_seconds(master) - cpu0
    workers1 = worker_cpu_seconds(master)
    phase.worker_cpu = sorted((workers1[pid] - workers0[pid] for pid in workers0.keys() & workers1.keys()),
                              reverse=True)
    phase.client_cpu = sum(me.cpu_times()[:2]) - client0
    phase.worker_boots = count_boots(log) - boots
    phase.connections = connections_per_worker(master, port)
    phase.load_after = os.getloadavg()
    RECORDER.phase = None
    return phase


def wait_until(condition, timeout: float, what: str) -> None:
    """Sleep (cooperatively) until ``condition()`` is true.

    Raises:
        SystemExit: not within ``timeout`` s.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}; see the errors above and gunicorn's log")
        gevent.sleep(0.1)


def print_phase(phase: Phase, types: list[str]) -> None:
    """Print one phase's table: per request type count, requests/s, p50/p95/p99 (ms), errors."""
    if phase.load_after[0]:
        print(f"\nPhase {phase.title}: {phase.seconds:.1f} s, load average (1 min) {phase.load_before[0]:.2f} "
              f"-> {phase.load_after[0]:.2f}; CPU: server {100 * phase.server_cpu / phase.seconds:.0f}%, "
              f"load generator {100 * phase.client_cpu / phase.seconds:.0f}% (100% = one core); server CPU "
              f"per request {1000 * phase.server_cpu / max(1, sum(len(t) for t in phase.times.values())):.2f} ms"
              + (f"; {phase.worker_boots} workers booted (max_requests)" if phase.worker_boots else "")
              + ("; per worker " + " / ".join(f"{100 * w / phase.seconds:.0f}%" for w in phase.worker_cpu)
                 if len(phase.worker_cpu) > 1 else "")
              + (", connections " + " / ".join(str(n) for n in phase.connections) if phase.connections else ""))
    else:
        print(f"\nPhase {phase.title}: {phase.seconds:.1f} s")
    print(f"  {'request type':<20} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    all_times: list[float] = []
    for name in types:
        times = phase.times.get(name, [])
        if not times:
            continue
        all_times += times
        print(f"  {name:<20} {len(times):>7} {phase.rate(name):>8.1f} {phase.p(name, 50):>8.1f} "
              f"{phase.p(name, 95):>8.1f} {phase.p(name, 99):>8.1f} {phase.errors.get(name, 0):>7}")
    if len(phase.times) > 1:
        all_times.sort()
        print(f"  {'all':<20} {len(all_times):>7} {len(all_times) / phase.seconds:>8.1f} "
              f"{percentile(all_times, 50):>8.1f} {percentile(all_times, 95):>8.1f} "
              f"{percentile(all_times, 99):>8.1f} {sum(phase.errors.values()):>7}")


def print_goals(a: Phase, q: Phase, b: Phase, c: Phase, users: int) -> bool:
    """Print the goals with PASS/FAIL; return True if all pass."""
    ok = True
    print("\nGoals")
    healthz, quiz = a.rate(HEALTHZ), q.rate(QUESTION)
    ratio = quiz / healthz if healthz else 0.0
    passed = ratio >= RATIO_GOAL
    ok &= passed
    print(f"  quiz page / healthz throughput (phase Q / phase A): {quiz:.1f} / {healthz:.1f} requests/s "
          f"= {ratio:.2f} (goal >= {RATIO_GOAL:.2f})  {'PASS' if passed else 'FAIL'}")
    if healthz:
        print(f"    for information: quiz pages within the mix (phase B) {b.rate(QUESTION):.1f} requests/s "
              f"= {b.rate(QUESTION) / healthz:.2f} x healthz alone; the whole mix {sum(len(t) for t in b.times.values()) / b.seconds:.1f} requests/s")
    print(f"  p99 of each request type at {users} learners with think time (phase C), goal < {P99_GOAL_MS:.0f} ms:")
    for name in MIX_TYPES:
        if name not in c.times:
            print(f"    {name:<20} no requests  FAIL")
            ok = False
            continue
        p99 = c.p(name, 99)
        passed = p99 < P99_GOAL_MS
        ok &= passed
        print(f"    {name:<20} {p99:8.1f} ms  {'PASS' if passed else 'FAIL'}")
    errors = sum(sum(p.errors.values()) for p in (a, q, b, c))
    print(f"  errors in the measured phases: {errors}  {'PASS' if errors == 0 else 'FAIL'}")
    return ok and errors == 0


def print_errors() -> None:
    """Print the first errors recorded (once)."""
    if RECORDER.samples:
        print(f"\nFirst errors ({len(RECORDER.samples)} at most {ERROR_SAMPLES}; counts are in the tables):")
        for sample in RECORDER.samples:
            print("  " + sample)
        if any("HTTP 429" in sample for sample in RECORDER.samples):
            print("  (429: a rate limit was hit; the benchmark raises them with STUDYAPP_LOGIN_RATE_LIMIT "
                  "and STUDYAPP_ANSWER_RATE_LIMIT)")
        if any("HTTP 5" in sample for sample in RECORDER.samples):
            print("  (5xx: a server error; see the traceback in gunicorn's error log)")
        RECORDER.samples = []


def main() -> int:
    """Parse the arguments, set up, run the phases, print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL database to empty and use (default {DEFAULT_PG_URL})")
    parser.add_argument("--users", type=int, default=32, help="concurrent learners (default 32)")
    parser.add_argument("--duration", type=float, default=60, help="s for each of phases B and C (default 60)")
    parser.add_argument("--probe-duration", type=float, default=15, help="s for each of phases A and Q (default 15)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--think", default="0.1-0.5", help="think time of phase C, MIN-MAX in s (default 0.1-0.5)")
    parser.add_argument("--max-requests", type=int, default=None,
                        help="gunicorn's max_requests (0: never recycle a worker; default: gunicorn.conf.py's)")
    parser.add_argument("--redis-url", default=None, help="count the rate limits in this Redis (default: in memory)")
    parser.add_argument("--log", default=None, help="file for gunicorn's error log (kept)")
    args = parser.parse_args()
    if args.users < 1 or args.duration <= 0 or args.probe_duration <= 0 or args.workers < 1:
        parser.error("--users, --workers, --duration and --probe-duration must be positive")
    try:
        low, high = (float(x) for x in args.think.split("-"))
    except ValueError:
        parser.error("--think takes MIN-MAX in seconds, e.g. 0.1-0.5")
    CONTROL["think"] = (low, high)

    tmp = Path(tempfile.mkdtemp(prefix="studyapp-load-"))
    log = Path(args.log) if args.log else Path(tempfile.gettempdir()) / f"studyapp-load-{args.db}-gunicorn.log"
    proc: subprocess.Popen | None = None
    runner = None

    # Ctrl-C (also when started in the background, where SIGINT starts ignored) and SIGTERM: raise
    # KeyboardInterrupt in the main greenlet, whose finally stops gunicorn and removes the files.
    main_greenlet = gevent.getcurrent()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, gevent.kill, main_greenlet, KeyboardInterrupt)
    try:
        if args.db == "sqlite":
            url = f"sqlite:///{tmp / 'load.sqlite'}"
        else:
            url = args.database_url or DEFAULT_PG_URL
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL", "FLASK_APP")}
        env.update({
            "STUDYAPP_CONFIG": "config.ProductionConfig", "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": url, "STUDYAPP_INSECURE_COOKIES": "1", "PORT": str(port),
            "WEB_CONCURRENCY": str(args.workers), "STUDYAPP_BIND_HOST": "127.0.0.1",
            "STUDYAPP_LOGIN_RATE_LIMIT": RAISED_LIMIT, "STUDYAPP_ANSWER_RATE_LIMIT": RAISED_LIMIT,
        })
        if args.threads:
            env["STUDYAPP_THREADS"] = str(args.threads)
        if args.redis_url:
            env["REDIS_URL"] = args.redis_url
        threads = args.threads or int(env.get("STUDYAPP_THREADS", "4"))
        print(f"studyapp load benchmark: {args.db}, {args.users} learners, {args.workers} gunicorn workers x "
              f"{threads} threads, phases A/Q {args.probe_duration:.0f} s, B/C {args.duration:.0f} s; "
              f"think time {low}-{high} s (phase C); rate limits counted in "
              f"{'Redis' if args.redis_url else 'memory (per worker)'}")
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
              f"{datetime.now().isoformat(timespec='seconds')}")
        print("Set-up:")
        if args.db == "postgresql":
            reset_postgresql(url)
            print(f"  emptied {urlsplit(url).path.lstrip('/')} (schema public dropped and created)")
        flask = [sys.executable, "-m", "flask", "--app", "studyapp"]
        run_step("flask db upgrade", flask + ["db", "upgrade"], env)
        run_step("flask load-bank", flask + ["load-bank", BANK_FILE], env)
        seconds = create_learners(url, args.users, PASSWORD)
        print(f"  {args.users} learners inserted with one scrypt hash: {seconds:.2f} s")

        access_log = tmp / "access.log"
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--error-logfile", str(log),
                   "--access-logfile", str(access_log), "studyapp:create_app()"]
        if args.max_requests is not None:
            command[-1:-1] = ["--max-requests", str(args.max_requests)]
        log.write_text("")
        proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        wait_healthy(base, proc)
        print(f"  gunicorn up on {base} in {time.perf_counter() - started:.1f} s; error log: {log}")
        master = psutil.Process(proc.pid)

        env_locust = Environment(user_classes=[Learner], host=base, events=locust.events)
        env_locust.events.request.add_listener(RECORDER.on_request)
        runner = env_locust.create_local_runner()

        login = Phase("login", "login (set-up, not a goal)")
        RECORDER.phase = login
        login.started = time.monotonic()
        CONTROL["phase"] = "login"
        runner.start(args.users, spawn_rate=args.users)
        wait_until(lambda: Learner.logged_in >= args.users, 120, "the learners to log in")
        login.ended = time.monotonic()
        warm = Phase("warmup", "warm-up")
        RECORDER.phase = warm
        CONTROL["phase"] = "warmup"
        wait_until(lambda: Learner.warmed >= args.users, 300, "the warm-up exams")
        wait_until(lambda: len(master.children()) >= args.workers, 60, "every gunicorn worker")
        print(f"  {args.users} learners logged in and took a warm-up exam in "
              f"{time.monotonic() - login.started:.1f} s (logins: p50 {login.p(LOGIN, 50):.0f} ms, "
              f"p99 {login.p(LOGIN, 99):.0f} ms)")

        a = run_phase(Phase("A", "A, /healthz only, closed loop"), "healthz", args.probe_duration, master, log, port)
        q = run_phase(Phase("Q", "Q, quiz pages only, closed loop"), "quizpage", args.probe_duration, master, log, port)
        b = run_phase(Phase("B", "B, the mix, closed loop (throughput)"), "mix", args.duration, master, log, port)
        c = run_phase(Phase("C", f"C, the mix with think time {low}-{high} s (latency)"), "think",
                      args.duration, master, log, port)
        CONTROL["phase"] = "done"
        runner.quit()
        runner = None

        print_phase(login, [LOGIN_PAGE, LOGIN, DASHBOARD])
        print_phase(a, [HEALTHZ])
        print_phase(q, [QUESTION])
        print_phase(b, MIX_TYPES)
        print_phase(c, MIX_TYPES)
        all_ok = print_goals(a, q, b, c, args.users)
        print_errors()
        text = log.read_text(errors="replace")
        tracebacks = text.count("Traceback")
        print(f"\ngunicorn's error log: {log} ({tracebacks} tracebacks, {text.count('Booting worker')} "
              f"worker boots in all)")
        return 0 if all_ok else 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        print_errors()
        CONTROL["phase"] = "done"
        if runner is not None:
            runner.quit()
        stop_process_group(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
