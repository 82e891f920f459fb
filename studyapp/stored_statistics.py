"""Stored item statistics: the population sums of :mod:`studyapp.statistics`, kept in the table
``stored_statistics`` so that a page need not read every response each time it is asked for
(Moodle does the same: its quiz statistics report caches its figures in ``quiz_statistics`` and
``question_statistics``, recomputes them when older than 15 minutes, ``QUIZ_REPORT_TIME_TO_CACHE_STATS``,
or on "Recalculate now", and says when they were calculated and how many attempts came since).
No Flask imports: the views pass the maximum age.

What is stored is exact: the sums (moments, option counts, third sizes) as the one statement of
:func:`studyapp.statistics._population_sums` read them, for one scope (a bank, or every bank)
and one set of attempt modes, with what they cover (the number of submitted attempts of the
population and the highest attempt id) and when they were computed. The items and options are
always loaded as they are now; only the sums may be older than the request.

When stored sums are served:

- they cover exactly the population of now (same number of attempts, same highest id): always,
  whatever their age;
- attempts were submitted since: while the sums are less than ``max_age`` seconds old (the
  page says how many attempts came since); older, they are computed again;
- never after something changed marks or the population otherwise than by a submission: a
  regrade (:func:`studyapp.versioning.regrade` calls :func:`invalidate`), and the deletion of a
  user, an attempt or a bank or a change of a user's role (a session hook, :func:`install`,
  calls it for any such change the ORM flushes). The stored rows are deleted in the same
  transaction as the change.

Concurrency. Every invalidation adds one to ``statistics_epoch`` (an upsert of its one row, which
also holds that row until the transaction ends). A computation reads the epoch before it reads
the population, and stores its sums only if, once it holds the same row (the same upsert,
adding nothing: it waits there for an invalidating transaction to commit), the epoch is
unchanged; otherwise it shows what it computed without storing it. So sums read before a
regrade, deletion or role change committed are never stored, and the database is not locked
while the sums are computed (on SQLite that would stop every learner's writes for seconds).
The stored row is written while holding the epoch row, one writer at a time, and re-read
there, so two computations never insert the same scope twice (a unique constraint backs it).
On PostgreSQL computations of stored sums also take a transaction-level advisory lock before
computing, so that requests finding the same sums out of date compute them one after the other
(the later ones find the first's row current and serve it) instead of all at once; on SQLite
they may compute at the same time, and each stores in turn.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from . import clock
from .extensions import db
from .models import Attempt, AttemptStatus, Bank, Role, StatisticsEpoch, StoredStatistics, User
from .statistics import (
    DEFAULT_MODES, BankStatistics, ItemStats, _check_modes, _population_sums, _Sums, bank_report, flagged_report,
)

DEFAULT_MAX_AGE_SECONDS = 900
"""Stored sums are served for this many seconds after they were computed even when attempts were
submitted since (Moodle's ``QUIZ_REPORT_TIME_TO_CACHE_STATS``: 15 minutes); config key
``STATISTICS_MAX_AGE_SECONDS``."""

ALL_BANKS = "all"
"""The scope of the sums over every bank (the instructor's home page)."""

ADVISORY_LOCK_KEY = 7_415_001
"""The PostgreSQL advisory lock (one bigint key) that computations of stored sums take."""


@dataclass(frozen=True)
class Freshness:
    """When the figures a page shows were computed, and what came since.

    Attributes:
        computed_at: naive UTC time the sums were computed.
        seconds: how long computing them took (seconds).
        attempts: submitted attempts of the population they count.
        since: submitted attempts of the population not counted (submitted since); 0 when current.
        recomputed: True when this request computed them.
    """

    computed_at: datetime
    seconds: float
    attempts: int
    since: int
    recomputed: bool

    def age_seconds(self, now: datetime | None = None) -> float:
        """Return the age of the figures in seconds at ``now`` (naive UTC; default the app clock)."""
        return max(0.0, ((now or clock.now()) - self.computed_at).total_seconds())


def _modes_key(modes: Iterable[str]) -> str:
    return ",".join(sorted(modes))


def bank_scope(bank_id: int) -> str:
    """Return the scope name of one bank's sums (``"bank:<id>"``)."""
    return f"bank:{bank_id}"


def _coverage(bank_ids: list[int] | None, modes: tuple[str, ...]) -> tuple[int, int | None]:
    """Return ``(attempts, highest attempt id)`` of the population now: the submitted attempts in
    ``modes`` of learners (of ``bank_ids``; None: every bank), as :func:`studyapp.statistics._scored`
    selects them (one query, on the attempts and users only)."""
    query = (select(func.count(), func.max(Attempt.id)).select_from(Attempt).join(User, User.id == Attempt.user_id)
             .where(Attempt.status == AttemptStatus.SUBMITTED.value, Attempt.mode.in_(list(modes)),
                    User.role == Role.LEARNER.value))
    if bank_ids is not None:
        query = query.where(Attempt.bank_id.in_(bank_ids))
    count, last = db.session.execute(query).one()
    return int(count or 0), last


def _epoch(session) -> int:
    """Return the invalidation count (0 without the row)."""
    return session.scalar(select(StatisticsEpoch.epoch).where(StatisticsEpoch.id == 1)) or 0


def _hold_epoch(session, add: int) -> None:
    """Add ``add`` (0 or 1) to the invalidation count, creating its row if needed, in one
    upsert; the row stays locked until the transaction ends (a row lock on PostgreSQL, the
    write lock on SQLite), and a transaction doing the same meanwhile waits for this one."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(StatisticsEpoch).values(id=1, epoch=add)
    session.execute(stmt.on_conflict_do_update(index_elements=[StatisticsEpoch.id],
                                               set_={"epoch": StatisticsEpoch.epoch + add}))


def _serialise_computations(session) -> None:
    """PostgreSQL: wait for any other computation of stored sums to end (advisory lock until the
    transaction ends). SQLite: nothing (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))


def invalidate(bank_ids: Iterable[int] | None = None, session=None) -> None:
    """Delete the stored sums that count the banks ``bank_ids`` (theirs and every-bank sums), in
    the current transaction; None: all stored sums. Does not commit.

    Call it in the transaction of anything that changes marks or the population of submitted
    attempts otherwise than by a submission.

    Args:
        bank_ids: the affected banks' ids, or None for all.
        session: the session (default ``db.session``).
    """
    session = session or db.session
    _hold_epoch(session, 1)
    table = StoredStatistics.__table__
    stmt = table.delete()
    if bank_ids is not None:
        ids = sorted({int(i) for i in bank_ids if i is not None})
        stmt = stmt.where(or_(table.c.scope == ALL_BANKS, table.c.bank_id.in_(ids)))
    session.execute(stmt)


def _before_flush(session, _flush_context, _instances) -> None:
    """Session hook: invalidate the stored sums when a flush deletes a user, an attempt or a bank,
    or changes a user's role (however the change is made: admin views, CLI, code)."""
    everything, banks = False, set()
    for obj in session.deleted:
        if isinstance(obj, User):
            everything = True
        elif isinstance(obj, Attempt):
            banks.add(obj.bank_id)
        elif isinstance(obj, Bank):
            banks.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, User) and inspect(obj).attrs.role.history.has_changes():
            everything = True
    if everything:
        invalidate(None, session)
    elif banks:
        invalidate(banks, session)


def install() -> None:
    """Register the session hook of :func:`_before_flush` (once per process)."""
    if not event.contains(db.session, "before_flush", _before_flush):
        event.listen(db.session, "before_flush", _before_flush)


def _stored(scope: str, modes_key: str) -> StoredStatistics | None:
    return db.session.scalar(select(StoredStatistics).where(StoredStatistics.scope == scope,
                                                            StoredStatistics.modes == modes_key)
                             .execution_options(populate_existing=True))


def _usable(row: StoredStatistics | None, cover: tuple[int, int | None], max_age: float,
            now: datetime) -> Freshness | None:
    """Return the :class:`Freshness` of ``row`` if it may be served, else None."""
    if row is None:
        return None
    current = (row.attempts, row.max_attempt_id) == cover
    age = (now - row.computed_at).total_seconds()
    if not current and age >= max_age:     # (so that a max age of 0 never serves stale sums)
        return None
    since = 0 if current else max(1, cover[0] - row.attempts)
    return Freshness(row.computed_at, row.seconds, row.attempts, since, False)


def _sums(scope: str, bank_id: int | None, modes: tuple[str, ...], max_age: float,
          force: bool) -> tuple[_Sums, Freshness]:
    """Return the sums of a scope, stored or computed now (and stored, committing), with their
    :class:`Freshness`.

    Args:
        scope: :func:`bank_scope` or :data:`ALL_BANKS`.
        bank_id: the bank of a bank scope, None for every bank.
        modes: the checked attempt modes.
        max_age: seconds for which sums are served although attempts were submitted since.
        force: compute them now whatever is stored ("Recalculate now").
    """
    key, bank_ids = _modes_key(modes), (None if bank_id is None else [bank_id])
    if not force:
        row = _stored(scope, key)
        found = _usable(row, _coverage(bank_ids, modes), max_age, clock.now())
        if found is not None:
            return _Sums.from_json(row.sums), found
    _serialise_computations(db.session)
    if not force:   # another request may have computed the sums while this one waited
        row = _stored(scope, key)
        found = _usable(row, _coverage(bank_ids, modes), max_age, clock.now())
        if found is not None:
            sums = _Sums.from_json(row.sums)
            db.session.commit()
            return sums, found
    epoch = _epoch(db.session)
    started = time.perf_counter()
    sums = _population_sums(bank_ids, modes)
    seconds = time.perf_counter() - started
    now = clock.now()
    _hold_epoch(db.session, 0)
    if _epoch(db.session) == epoch:     # else an invalidation came meanwhile: shown, not stored
        row = _stored(scope, key)       # read again, holding the epoch row
        if row is None:
            row = StoredStatistics(scope=scope, bank_id=bank_id, modes=key)
            db.session.add(row)
        row.sums, row.attempts, row.max_attempt_id = sums.to_json(), sums.attempts, sums.max_attempt_id
        row.computed_at, row.seconds = now, round(seconds, 6)
    db.session.commit()
    return sums, Freshness(now, seconds, sums.attempts, 0, True)


def bank_statistics_stored(bank: Bank, modes: Iterable[str] = DEFAULT_MODES, *,
                           max_age: float = DEFAULT_MAX_AGE_SECONDS,
                           force: bool = False) -> tuple[BankStatistics, Freshness]:
    """Return the item statistics of one bank from stored sums when they may be served (see the
    module docstring), else computed now and stored (committing).

    Args:
        bank: the bank.
        modes: attempt modes to count.
        max_age: seconds (see :data:`DEFAULT_MAX_AGE_SECONDS`).
        force: compute now whatever is stored.
    Returns:
        ``(statistics, freshness)``: the same figures as :func:`studyapp.statistics.bank_statistics`
        for the population the sums cover.
    Raises:
        ValueError: an unknown mode, or none.
    """
    modes = _check_modes(modes)
    sums, fresh = _sums(bank_scope(bank.id), bank.id, modes, max_age, force)
    return bank_report(bank, modes, sums), fresh


def flagged_items_stored(modes: Iterable[str] = DEFAULT_MODES, *, max_age: float = DEFAULT_MAX_AGE_SECONDS,
                         force: bool = False) -> tuple[list[ItemStats], Freshness]:
    """Return the flagged items of every bank from stored sums when they may be served, else
    computed now and stored (committing); like :func:`bank_statistics_stored`.

    Returns:
        ``(flagged items, freshness)``, as :func:`studyapp.statistics.flagged_items` orders them.
    """
    modes = _check_modes(modes)
    sums, fresh = _sums(ALL_BANKS, None, modes, max_age, force)
    return flagged_report(sums), fresh


def refresh(bank: Bank | None = None, modes: Iterable[str] = DEFAULT_MODES) -> list[tuple[str, Freshness]]:
    """Compute and store sums now, for cron (``flask statistics-refresh``): those of ``bank``, or
    (None) those of every bank together (the instructor's home) and of each bank. Each scope is
    its own transaction.

    Returns:
        ``(scope, freshness)`` per scope computed, in that order.
    Raises:
        ValueError: an unknown mode, or none.
    """
    modes = _check_modes(modes)
    if bank is not None:
        return [(bank_scope(bank.id), _sums(bank_scope(bank.id), bank.id, modes, 0, True)[1])]
    done = [(ALL_BANKS, _sums(ALL_BANKS, None, modes, 0, True)[1])]
    for bank_id in db.session.scalars(select(Bank.id).order_by(Bank.id)).all():
        done.append((bank_scope(bank_id), _sums(bank_scope(bank_id), bank_id, modes, 0, True)[1]))
    return done
