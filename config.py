"""Configuration classes for studyapp.

``Config`` is the development default (SQLite file under ``instance/``),
``TestConfig`` is used by the test suite, ``ProductionConfig`` reads
everything that matters from the environment and refuses to start without a
real secret key.

Environment variables:
    DATABASE_URL: SQLAlchemy URL (``postgresql+psycopg://...`` or ``sqlite:///...``).
        ``postgres://`` and ``postgresql://`` are rewritten to use psycopg 3.
    SECRET_KEY: signing key for sessions and CSRF tokens (production: required,
        at least 32 characters).
    TEST_DATABASE_URL: database used by the test suite instead of SQLite.
    STUDYAPP_QUIZ_DEFAULT_ITEMS: default number of items in a quiz (int, default 10).
    REDIS_URL: a Redis server (``redis://127.0.0.1:6379/0``) for state shared between
        workers: the rate limits' counts. Unset: each process counts on its own (``memory://``).
    RATELIMIT_STORAGE_URI: the rate limits' storage, if it should differ from ``REDIS_URL``.
    STUDYAPP_PROXY_HOPS: number of reverse proxies in front of the app (int, default 0); with 1,
        the client address and scheme are read from the proxy's X-Forwarded-For/-Proto headers
        (needed for per-address rate limits behind nginx). Never set it without a proxy: the
        headers could then be forged by clients.
    STUDYAPP_EXAM_GRACE_SECONDS: seconds after an exam's deadline during which a response
        (sent before the deadline, arriving late) is still accepted (int, default 30).
    STUDYAPP_FSRS_RETENTION: FSRS desired retention, fraction 0-1 (default 0.9).
    STUDYAPP_LOGIN_RATE_LIMIT: limit on login and registration POSTs per client address, in
        Flask-Limiter's notation (default ``10 per minute; 100 per hour``). Raise it only for a
        load test from one address (bench/load.py does).
    STUDYAPP_ANSWER_RATE_LIMIT: limit on POSTs of responses, checks and submissions per user, one
        budget shared by those routes (default ``120 per minute``; bench/load.py raises it).
    STUDYAPP_STATISTICS_MAX_AGE_SECONDS: item statistics (the statistics pages, the instructor's
        home) are stored once computed; stored figures are shown until they are this many
        seconds old even when attempts were submitted since, then computed again (int, default
        900: Moodle's 15 minutes). Figures that count every submitted attempt are always shown;
        a regrade, a deletion of users or attempts and a role change drop them.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def normalise_database_url(url: str) -> str:
    """Return ``url`` with PostgreSQL schemes mapped to the psycopg 3 driver.

    Args:
        url: a SQLAlchemy database URL, e.g. ``postgres://u@h/db``.
    Returns:
        The URL, with ``postgres://`` or ``postgresql://`` replaced by
        ``postgresql+psycopg://``; other URLs unchanged.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Development defaults: SQLite in ``instance/studyapp.sqlite``."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'studyapp.sqlite'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # bytes; larger requests get 413 (a source text may be 2 MB, and an
    # import's confirm step sends a 2 MB file back as base64 in a form field: about 3.3 MB)
    # a form field may be that large too: an import's preview sends the file back in a hidden field
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    MAX_IMPORT_BYTES = 2 * 1024 * 1024  # an uploaded bank file; larger ones get 413
    WTF_CSRF_TIME_LIMIT = None  # token valid for the whole session
    BOOTSTRAP_SERVE_LOCAL = True  # no CDN: the app works offline
    FLASK_ADMIN_SWATCH = "cerulean"
    # Flask-Limiter: counts in Redis when REDIS_URL is set (shared by every worker and machine).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    PROXY_HOPS = int(os.environ.get("STUDYAPP_PROXY_HOPS", "0"))
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: count in this process's memory meanwhile (and log it) rather than
    # refusing every login with a 500; the limits are then per worker until Redis is back.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STRATEGY = "moving-window"  # no burst at the edge of a fixed minute
    # POSTs to login and register per address
    LOGIN_RATE_LIMIT = os.environ.get("STUDYAPP_LOGIN_RATE_LIMIT", "10 per minute; 100 per hour")
    # POSTs of responses, checks and submissions per user
    ANSWER_RATE_LIMIT = os.environ.get("STUDYAPP_ANSWER_RATE_LIMIT", "120 per minute")
    QUIZ_DEFAULT_ITEMS = int(os.environ.get("STUDYAPP_QUIZ_DEFAULT_ITEMS", "10"))
    EXAM_GRACE_SECONDS = int(os.environ.get("STUDYAPP_EXAM_GRACE_SECONDS", "30"))
    FSRS_DESIRED_RETENTION = float(os.environ.get("STUDYAPP_FSRS_RETENTION", "0.9"))
    FSRS_ENABLE_FUZZING = True      # spread due dates a little (off in tests: exact dates)
    REVIEW_SESSION_ITEMS = 20       # at most this many due items in one review session
    QUIZ_MAX_ITEMS = 100
    # seconds stored item statistics are shown while attempts come in (see the docstring above)
    STATISTICS_MAX_AGE_SECONDS = int(os.environ.get("STUDYAPP_STATISTICS_MAX_AGE_SECONDS", "900"))
    PASSWORD_MIN_LENGTH = 10
    TESTING = False


class TestConfig(Config):
    """Test suite: ``TEST_DATABASE_URL`` or in-memory-like SQLite file, CSRF on."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-0123456789"  # nosec B105 # the test suite's own key
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    LOGIN_RATE_LIMIT = "1000 per minute"  # the limiter runs, but one test sets the real limit
    ANSWER_RATE_LIMIT = "1000 per minute"
    RATELIMIT_STORAGE_URI = "memory://"  # tests never share counts through a Redis of the machine
    # CSRF stays ON in tests: the suite proves every form is protected.
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # nosec B105 # a hash method (fast, tests only), no password
    FSRS_ENABLE_FUZZING = False
    # stored item statistics are recomputed as soon as an attempt was submitted since
    STATISTICS_MAX_AGE_SECONDS = 0


class ProductionConfig(Config):
    """Production: ``DATABASE_URL`` and ``SECRET_KEY`` must come from the environment."""

    SESSION_COOKIE_SECURE = os.environ.get("STUDYAPP_INSECURE_COOKIES") != "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a missing or weak secret key.

        Raises:
            RuntimeError: if ``SECRET_KEY`` is unset or shorter than 32 characters.
        """
        key = os.environ.get("SECRET_KEY", "")
        if len(key) < 32:
            raise RuntimeError(
                "ProductionConfig needs SECRET_KEY in the environment (at least 32 random "
                "characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if "DATABASE_URL" not in os.environ:
            raise RuntimeError("ProductionConfig needs DATABASE_URL in the environment.")
