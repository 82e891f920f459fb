"""The app's clock: every "now" on the server comes from here, so tests can set the time.

Times are naive ``datetime`` values in UTC (as stored in the database). In production
:func:`now` is the system clock; tests freeze or move it with :func:`set_time`,
:func:`advance` and :func:`reset` instead of sleeping (exam deadlines, FSRS due dates,
streaks).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time in UTC as a naive ``datetime`` (the frozen time if one is set)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc).replace(tzinfo=None)


def set_time(when: datetime) -> None:
    """Freeze the clock at ``when`` (naive UTC, or aware: converted to UTC)."""
    global _frozen
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    _frozen = when


def advance(seconds: float) -> datetime:
    """Move the clock forward by ``seconds`` (freezing it at the current time first); return the new time."""
    set_time(now() + timedelta(seconds=seconds))
    return now()


def reset() -> None:
    """Go back to the system clock."""
    global _frozen
    _frozen = None
