"""Times and durations as people read them: Jinja filters and the list of time zones.

Stored times are naive UTC; they are shown in the current user's time zone
(``User.timezone``, an IANA name such as "Asia/Shanghai"), UTC for anonymous visitors.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask
from flask_login import current_user

DEFAULT_TIMEZONE = "UTC"
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})
"""Names some systems' zone databases list that are not places a person lives in."""


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Return every IANA time zone name known to this system (``zoneinfo``), sorted."""
    return tuple(sorted((available_timezones() - NOT_ZONES) | {DEFAULT_TIMEZONE}))


@lru_cache(maxsize=1)
def _name_set() -> frozenset[str]:
    return frozenset(timezone_names())


def is_timezone(name: str | None) -> bool:
    """Return True if ``name`` is one of :func:`timezone_names`."""
    return bool(name) and name in _name_set()


def to_local(value: datetime, tz_name: str) -> datetime:
    """Return the naive UTC time ``value`` as an aware time in the zone ``tz_name``
    (an unknown name counts as UTC)."""
    tz = ZoneInfo(tz_name) if is_timezone(tz_name) else timezone.utc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz)


def current_timezone() -> str:
    """Return the current user's time zone name (UTC for anonymous users)."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone or DEFAULT_TIMEZONE
    return DEFAULT_TIMEZONE


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Jinja filter: format a naive UTC ``datetime`` in the current user's time zone ("" for None)."""
    if value is None:
        return ""
    return to_local(value, current_timezone()).strftime(fmt)


def hours_minutes(seconds: float | None) -> str:
    """Jinja filter: a duration in seconds as ``h:mm`` (whole minutes, rounded down): 3725 -> "1:02"."""
    minutes = int(max(0.0, seconds or 0.0) // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def register(app: Flask) -> None:
    """Register the filters ``localtime`` and ``hours_minutes`` on ``app``."""
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(hours_minutes, "hours_minutes")
