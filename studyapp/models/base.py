"""Shared helpers for models."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Return the current time in UTC as a naive ``datetime`` (stored as UTC everywhere)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
