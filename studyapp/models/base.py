"""Shared helpers for models."""
from datetime import datetime

from .. import clock


def utcnow() -> datetime:
    """Return the current time in UTC as a naive ``datetime`` (stored as UTC everywhere),
    from :mod:`studyapp.clock` so that tests can set it."""
    return clock.now()
