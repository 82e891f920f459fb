"""Shared fixtures: one database per test session (schema made by the migrations),
emptied between tests; ``TEST_DATABASE_URL`` runs the same suite on PostgreSQL.

Fixtures: ``app``, ``db``, ``client``, ``make_user``, ``login_as``, ``csrf``, ``symposium_bank``,
``make_bank``.
"""
from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

import config
from studyapp import create_app
from studyapp.extensions import db as _db

ROOT = Path(__file__).resolve().parent.parent
SYMPOSIUM_BANK = ROOT / "questions" / "banks" / "harbin-symposium-2023.yaml"
PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, bound to the session's test database with the migrated schema."""
    url = os.environ.get("TEST_DATABASE_URL")

    class Cfg(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = (
            config.normalise_database_url(url) if url
            else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        )

    app = create_app(Cfg)
    with app.app_context():
        # Start from nothing, then build the schema with the migrations (so they are tested too).
        _db.drop_all()
        with _db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        from flask_migrate import upgrade

        upgrade()
    yield app


def _empty_tables():
    _db.session.rollback()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture()
def db(app):
    """The database inside an app context; every table is emptied after the test."""
    with app.app_context():
        yield _db
        _db.session.remove()
        _empty_tables()


class IsolatedClient(FlaskClient):
    """A test client whose requests run as a real server's would: each in a fresh
    context (its own app context, ``g``, Flask-Login user cache and database
    session), not inside the test's app context. After each request the test's
    session is expired so that it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # not inside a redirect followed by an outer request
            _db.session.expire_all()
        return response


@pytest.fixture()
def client(app, db):
    """A test client (CSRF protection stays on); see :class:`IsolatedClient`."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def csrf():
    """Return a function ``csrf(client) -> token`` reading the token a page gives that client."""

    def token(client) -> str:
        page = client.get("/")
        match = TOKEN.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the start page"
        return match.group(1)

    return token


@pytest.fixture()
def make_user(db):
    """Return ``make_user(role="learner", email=None, name=None) -> User`` (password: PASSWORD)."""
    from studyapp.accounts import create_user

    counter = {"n": 0}

    def make(role: str = "learner", email: str | None = None, name: str | None = None):
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.org"
        return create_user(email, name or f"{role.title()} {counter['n']}", PASSWORD, role)

    return make


@pytest.fixture()
def login_as(client, make_user, csrf):
    """Return ``login_as(role or user) -> User``: creates the user if needed and logs in through the form."""

    def login(who="learner"):
        user = make_user(who) if isinstance(who, str) else who
        response = client.post("/auth/login", data={
            "email": user.email, "password": PASSWORD, "csrf_token": csrf(client),
        })
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@pytest.fixture()
def symposium_bank(db):
    """Load the shipped symposium bank; return its ``Bank`` row."""
    from studyapp.interchange.bankfile import read_bank_file
    from studyapp.interchange.store import store_bank
    from studyapp.models import Bank

    store_bank(read_bank_file(SYMPOSIUM_BANK))
    return _db.session.scalar(_db.select(Bank).where(Bank.slug == "harbin-symposium-2023"))


@pytest.fixture()
def make_bank(db, tmp_path):
    """Return ``make_bank(items_yaml, slug="tiny", source=True) -> Bank`` from inline YAML items.

    ``items_yaml`` is the YAML text of the ``items:`` list (indented by 2 spaces);
    the bank cites a small three-passage source document.
    """
    from studyapp.interchange.bankfile import read_bank_file
    from studyapp.interchange.store import store_bank
    from studyapp.models import Bank

    source = tmp_path / "tiny.md"
    source.write_text(
        "---\nslug: tiny-source\ntitle: Tiny source\n---\n\n## One\n\nFirst passage text.\n\n"
        "Second passage text.\n\n## Two\n\nThird passage text.\n"
    )

    def make(items_yaml: str, slug: str = "tiny"):
        path = tmp_path / f"{slug}.yaml"
        path.write_text(
            f"format: studyapp-bank/1\nslug: {slug}\ntitle: Tiny bank {slug}\nsource: tiny.md\nitems:\n{items_yaml}"
        )
        store_bank(read_bank_file(path))
        return _db.session.scalar(_db.select(Bank).where(Bank.slug == slug))

    return make


TINY_ITEMS = """\
  - id: t-single
    kind: single_choice
    passage: 1
    stem: "Pick the right one."
    options:
      - {text: "Right", key: true}
      - {text: "Wrong A"}
      - {text: "Wrong B"}
    explanation: "Because passage one says so."
  - id: t-multi
    kind: multiple_response
    passage: 2
    stem: "Pick both rights."
    options:
      - {text: "Right 1", key: true}
      - {text: "Right 2", key: true}
      - {text: "Wrong 1"}
      - {text: "Wrong 2"}
    explanation: "Two are right."
  - id: t-tf
    kind: true_false
    passage: 3
    stem: "This statement is false."
    key: false
    explanation: "It is false."
  - id: t-short
    kind: short_answer
    passage: 1
    stem: "Name the city."
    answers: ["Harbin", "Haerbin"]
    explanation: "Harbin."
  - id: t-cloze
    kind: cloze
    passage: 2
    stem: "The ___ met in ___."
    gaps: [["symposium", "meeting"], ["Harbin"]]
    explanation: "As passage two says."
"""
