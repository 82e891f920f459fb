"""Benchmark studyapp's pages on a full-size database against a small one.

Fills (with ``flask fill-scale``'s code, :func:`studyapp.scalefill.fill_scale`) or reuses two
databases with the same items: a full one (10,000 learners, 2,000 items in 4 banks,
1,000,000 responses) and a small one (100 learners, the same items, responses in proportion:
10,000). Then, through the Flask test client, logged in through the login form, it times
each page ``--repeat`` times after one warm-up request and takes the median:

- the dashboard (``/progress/``) of a learner with a typical history (the median number of
  attempts; the lowest id among those), as that learner;
- the instructor's gradebook, first page (``/teach/gradebook``), as the instructor;
- the item statistics of the biggest bank (``/teach/banks/scale-1/statistics``);
- the instructor's home (``/teach/``), whose flagged items are statistics over every response.

The two statistics pages are timed twice (see ``studyapp/stored_statistics.py``): *cold*, with
the stored statistics deleted before every request (warm-up included), so that each request
computes them from every response, as the first request after a regrade, a role change or the
maximum age does; and *stored*, serving the figures the warm-up request stored, as every other
request does (and every request when ``flask statistics-refresh`` runs from cron).

It prints the fill times, then per page: small ms, full ms, the ratio full/small, the CPU
milliseconds of a full-size request (this process, plus the PostgreSQL server's processes when
the server runs on this machine: on a busy machine, wall-clock times include waiting for a
core, CPU times do not), the number of SQL statements per request at each size, and the goal.

Run: python bench/scale.py [--full-url URL] [--small-url URL] [--reuse | --reset] [--repeat N]
    e.g. python bench/scale.py --full-url postgresql+psycopg://postgres@127.0.0.1:5432/scale_full \\
         --small-url postgresql+psycopg://postgres@127.0.0.1:5432/scale_small
    (default: SQLite files instance/scale-full.sqlite and instance/scale-small.sqlite).
    A database that holds scale data already is reused with --reuse, or emptied and filled
    again with --reset (which drops every table of that database); without either the bench
    stops and says so. A database with other data is only ever touched with --reset.
Goal: pages that show one page of rows (dashboard, gradebook) no more than 2x slower at full
size than at small size; item statistics over the full data (half a million responses in the
biggest bank, a million on the instructor's home) under 2 s on PostgreSQL. The statistics goal
is judged on both timings, each its own line and verdict: the stored one is what people wait
for nearly always, but the cold one is still what someone waits for after a regrade, a role
change or once the figures are older than the maximum age (unless cron refreshes them), so
a cold figure over 2 s is reported as missed, not hidden behind the stored one.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

import config  # noqa: E402
from studyapp import create_app  # noqa: E402
from studyapp.extensions import db  # noqa: E402
from studyapp.models import Attempt, Bank, Question, Response, StoredStatistics, User  # noqa: E402
from studyapp.scalefill import EMAIL_DOMAIN, INSTRUCTOR_EMAIL, ScaleSpec, fill_scale  # noqa: E402

PASSWORD = "scale-bench-password"
"""The password the bench gives the accounts it fills (and logs in with on --reuse)."""
RATIO_GOAL = 2.0
"""A page of rows may take at most this many times as long at full size as at small size."""
STATS_GOAL_MS = 2000.0
"""Item statistics over the full data: at most this many milliseconds (on PostgreSQL)."""


def bench_app(url: str):
    """Return the app bound to ``url`` (CSRF and rate limits off: the bench logs in with a
    plain form post; everything else as configured for development)."""

    class BenchConfig(config.Config):
        SQLALCHEMY_DATABASE_URI = config.normalise_database_url(url)
        SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False

    return create_app(BenchConfig)


def scale_users(app) -> int:
    """Return the number of scale accounts in the app's database (0 without a schema)."""
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(User)
                                     .where(User.email.like(f"%@{EMAIL_DOMAIN}"))) or 0
        except Exception:  # noqa: BLE001 - no tables yet
            db.session.rollback()
            return 0


def prepare(label: str, url: str, spec: ScaleSpec, reuse: bool, reset: bool):
    """Return ``(app, fill seconds or None when reused)`` for a database filled as ``spec`` says.

    Raises:
        SystemExit: the database holds data and neither --reuse (for scale data) nor --reset says
            what to do with it.
    """
    from flask_migrate import upgrade

    app = bench_app(url)
    found = scale_users(app)
    with app.app_context():
        if found and reuse and not reset:
            upgrade()       # a database filled before the latest migration (stored statistics)
            return app, None
        if found and not reset:
            sys.exit(f"{label} database {url} holds scale data already: pass --reuse to use it or --reset to "
                     "fill it again")
        if reset:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        users = db.session.scalar(select(func.count()).select_from(User))
        if users:
            sys.exit(f"{label} database {url} has {users} users: pass --reset to empty it first")
        db.session.remove()
        password_hash = generate_password_hash(PASSWORD, method=app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
        print(f"filling the {label} database ({spec.learners:,} learners, {spec.responses:,} responses) ...",
              flush=True)
        report = fill_scale(db.engine, spec, password_hash)
        print(f"  {report.total_rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)",
              flush=True)
        return app, report.seconds


def typical_learner(app) -> tuple[str, int]:
    """Return ``(email, attempts)`` of a learner with the median number of submitted attempts
    (the lowest id among those)."""
    with app.app_context():
        per_user = db.session.execute(
            select(Attempt.user_id, func.count()).join(User, User.id == Attempt.user_id)
            .where(User.email.like(f"%@{EMAIL_DOMAIN}"), User.role == "learner")
            .group_by(Attempt.user_id).order_by(Attempt.user_id)).all()
        median = sorted(n for _, n in per_user)[len(per_user) // 2]
        user_id = next(u for u, n in per_user if n == median)
        return db.session.get(User, user_id).email, median


def biggest_bank(app) -> tuple[str, int]:
    """Return ``(slug, responses)`` of the scale bank with the most items."""
    with app.app_context():
        slug, bank_id = db.session.execute(
            select(Bank.slug, Bank.id).join(Question, Question.bank_id == Bank.id)
            .where(Bank.slug.like("scale-%")).group_by(Bank.id, Bank.slug)
            .order_by(func.count(Question.id).desc(), Bank.id).limit(1)).one()
        from studyapp.models import AttemptItem

        responses = db.session.scalar(
            select(func.count()).select_from(Response).join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.bank_id == bank_id))
        return slug, responses


class QueryCounter:
    """Counts the SQL statements an engine runs while ``active``."""

    def __init__(self, engine):
        self.count, self.active = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        if self.active:
            self.count += 1


class ServerCpu:
    """CPU seconds used by the PostgreSQL server processes behind an engine's connections,
    read from ``/proc/<pid>/stat`` (so only for a server on this machine, readable by this
    user); :meth:`seconds` is None when that cannot be read (SQLite works in this process)."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, engine):
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pids.add(cur.fetchone()[0])

    def seconds(self) -> float | None:
        """Return the CPU seconds (user + system) of the server processes so far."""
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / self.TICK
        return total


@dataclass
class Timing:
    """Median over the repeats of a page's wall-clock milliseconds and CPU milliseconds (this
    process, plus the database server's when it is on this machine), and the SQL statements
    per request."""

    ms: float
    cpu_ms: float
    queries: int


def drop_stored_statistics(app) -> None:
    """Delete every stored statistics row (so that the next statistics page computes them)."""
    with app.app_context():
        db.session.execute(StoredStatistics.__table__.delete())
        db.session.commit()


def time_page(app, email: str, path: str, repeat: int, cold: bool = False) -> Timing:
    """Log in as ``email`` and return the median time (ms) of ``repeat`` GETs of ``path``
    after one warm-up GET; with ``cold``, the stored statistics are deleted before each GET
    (not timed).

    Raises:
        RuntimeError: the login fails or the page does not answer 200.
    """
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login as {email} failed ({response.status_code})")
    with app.app_context():
        counter = QueryCounter(db.engine)
        server = ServerCpu(db.engine)
        db.engine.dispose()   # new connections, so that their server processes are known
    times, cpu = [], []
    for i in range(repeat + 1):
        if cold:
            drop_stored_statistics(app)
        counter.count, counter.active = 0, True
        server_before = server.seconds()
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path)
        elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu_started
        server_after = server.seconds()
        counter.active = False
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} as {email}: {response.status_code}")
        if server_before is not None and server_after is not None:
            cpu_used += server_after - server_before
        if i:
            times.append(elapsed * 1000)
            cpu.append(cpu_used * 1000)
    return Timing(statistics.median(times), statistics.median(cpu), counter.count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-url", default=f"sqlite:///{ROOT / 'instance' / 'scale-full.sqlite'}")
    parser.add_argument("--small-url", default=f"sqlite:///{ROOT / 'instance' / 'scale-small.sqlite'}")
    parser.add_argument("--learners", type=int, default=10_000, help="learners at full size (small: 1%%)")
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses at full size (small: 1%%)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page (median)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="use databases that hold scale data already")
    group.add_argument("--reset", action="store_true", help="drop every table of both databases and fill again")
    args = parser.parse_args()
    (ROOT / "instance").mkdir(exist_ok=True)

    full_spec = ScaleSpec(learners=args.learners, items=args.items, responses=args.responses, seed=args.seed)
    small_spec = ScaleSpec(learners=max(1, args.learners // 100), items=args.items,
                           responses=args.responses // 100, seed=args.seed)
    small, small_fill = prepare("small", args.small_url, small_spec, args.reuse, args.reset)
    full, full_fill = prepare("full", args.full_url, full_spec, args.reuse, args.reset)
    with full.app_context():
        dialect = db.engine.dialect.name
    print()
    print(f"database: {dialect}; full {args.full_url}; small {args.small_url}")
    for label, seconds, spec in (("small", small_fill, small_spec), ("full", full_fill, full_spec)):
        print(f"fill {label:<5}: " + (f"{seconds:.1f} s" if seconds is not None else "reused (--reuse)")
              + f"  ({spec.learners:,} learners, {spec.items:,} items, {spec.responses:,} responses)")

    pages = []
    (small_learner, small_n), (full_learner, full_n) = typical_learner(small), typical_learner(full)
    pages.append(("dashboard /progress/", small_learner, full_learner, "/progress/", "ratio"))
    pages.append(("gradebook /teach/gradebook", INSTRUCTOR_EMAIL, INSTRUCTOR_EMAIL, "/teach/gradebook", "ratio"))
    slug, small_resp = biggest_bank(small)
    _slug, full_resp = biggest_bank(full)
    for how in ("cold", "stored"):
        pages.append((f"statistics /teach/banks/{slug}/statistics {how}", INSTRUCTOR_EMAIL, INSTRUCTOR_EMAIL,
                      f"/teach/banks/{slug}/statistics", how))
    for how in ("cold", "stored"):
        pages.append((f"instructor home /teach/ {how}", INSTRUCTOR_EMAIL, INSTRUCTOR_EMAIL, "/teach/", how))
    print(f"typical learner: {small_n} attempts (small, {small_learner}), {full_n} attempts (full, {full_learner})")
    print(f"biggest bank {slug}: {small_resp:,} responses (small), {full_resp:,} responses (full)")
    print(f"median of {args.repeat} requests after one warm-up, through the Flask test client; "
          f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("statistics pages: cold = stored statistics deleted before each request (computed from every "
          "response); stored = served from the row the warm-up request stored")
    print(f"{'page':<44} {'small ms':>9} {'full ms':>9} {'ratio':>6} {'full CPU ms':>12} {'queries':>9}  goal")
    missed = 0
    for app in (small, full):
        drop_stored_statistics(app)
    for name, small_email, full_email, path, goal in pages:
        s = time_page(small, small_email, path, args.repeat, cold=goal == "cold")
        f = time_page(full, full_email, path, args.repeat, cold=goal == "cold")
        ratio = f.ms / s.ms
        if goal == "ratio":
            met = ratio <= RATIO_GOAL
            goal_text = f"full <= {RATIO_GOAL:.0f}x small: {'met' if met else 'MISSED'}"
        else:
            met = f.ms < STATS_GOAL_MS
            goal_text = f"full {goal} < {STATS_GOAL_MS / 1000:.0f} s: {'met' if met else 'MISSED'}"
            if dialect != "postgresql":
                goal_text += " (the goal is set for PostgreSQL)"
        missed += not met
        print(f"{name:<44} {s.ms:>9.1f} {f.ms:>9.1f} {ratio:>6.2f} {f.cpu_ms:>12.0f} {s.queries:>4}/{f.queries:<4}  "
              f"{goal_text}", flush=True)
    print(f"\n{len(pages) - missed} of {len(pages)} goals met")


if __name__ == "__main__":
    main()
