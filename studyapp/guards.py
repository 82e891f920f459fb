"""Request guards that keep bad input from reaching the database.

- ``DbIntConverter`` replaces Flask's ``int`` URL converter: ids above the largest
  PostgreSQL ``integer`` (2**31 - 1) give 404 instead of a database error.
- ``reject_nul`` refuses requests whose path, query or form contains a NUL character,
  which PostgreSQL text columns cannot store (400 instead of a database error).
- ``security_headers`` sets the Content Security Policy (``studyapp.csp``) and the other
  security headers on every response.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from .csp import content_security_policy

MAX_DB_INT = 2**31 - 1
"""Largest value of a PostgreSQL ``integer`` column (our primary keys)."""


class DbIntConverter(IntegerConverter):
    """``<int:...>`` limited to 0..2**31-1, the range of our primary keys."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def parse_db_id(value) -> int | None:
    """Return ``value`` as a primary key (1..2**31-1), or None if it cannot be one."""
    try:
        ident = int(value)
    except (TypeError, ValueError):
        return None
    return ident if 0 < ident <= MAX_DB_INT else None


def reject_nul() -> None:
    """``before_request`` hook: 400 for a NUL character in the path, query or form.

    Raises:
        werkzeug.exceptions.BadRequest: with a message a person understands.
    """
    if "\x00" in request.path or any(
        "\x00" in key or any("\x00" in v for v in values)
        for key, values in request.values.lists()
    ):
        abort(400, description="Text may not contain NUL (\\0) characters.")


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
"""Features no page uses: no page (nor anything injected into one) may ask for them."""

HSTS = "max-age=31536000; includeSubDomains"
"""Strict-Transport-Security of production (secure cookies): HTTPS only, for a year."""


def security_headers(response):
    """``after_request`` hook: the security headers of every response.

    - ``Content-Security-Policy``: scripts and styles from the app's own files only
      (``studyapp.csp``), no framing (``frame-ancestors 'none'``).
    - ``X-Frame-Options: DENY`` (framing, for browsers without CSP), ``X-Content-Type-Options:
      nosniff``, ``Referrer-Policy: same-origin``, ``Permissions-Policy`` (no camera,
      microphone or location), ``Cross-Origin-Opener-Policy: same-origin``.
    - ``Strict-Transport-Security`` when the session cookie is HTTPS-only (production).

    A header the view set itself is kept.
    """
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def install(app: Flask) -> None:
    """Register the converter (before any route is added), the NUL check and the headers."""
    app.url_map.converters["int"] = DbIntConverter
    app.before_request(reject_nul)
    app.after_request(security_headers)
