"""Error pages: 400, 403, 404, 405, 409, 413 and 500, each readable and with the right status."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

import config
from studyapp import create_app
from studyapp.attempting import start_attempt
from studyapp.errors import DEFAULT_TEXT
from studyapp.extensions import db as _db
from studyapp.models import User

from .conftest import TINY_ITEMS


def message(response) -> str:
    """Return the text of the error page's message paragraph."""
    text = response.get_data(as_text=True)
    start = text.index('id="error-message">') + len('id="error-message">')
    return text[start:text.index("</p>", start)]


def test_unknown_url_is_404_page(client):
    """An unknown URL answers 404 with the site's error page and its message."""
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "404 · Not found" in page
    assert message(response) == DEFAULT_TEXT[404] == "There is nothing at this address."
    assert "Go to the start page" in page


def test_404_keeps_a_specific_description(client, login_as):
    """A 404 raised with a description (an unknown bank) shows that description."""
    login_as("learner")
    response = client.get("/banks/no-such-bank")
    assert response.status_code == 404
    assert message(response) == "There is no such bank."


def test_403_page_shows_the_reason(client, login_as):
    """A 403 from the admin area shows the reason on the error page."""
    login_as("learner")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "403 · Forbidden" in response.get_data(as_text=True)
    assert message(response) == "The admin area is for instructors."


def test_405_page(client):
    """A method the route does not take answers 405 with a readable page."""
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "405 · Not allowed" in response.get_data(as_text=True)
    assert message(response) == DEFAULT_TEXT[405]


def test_csrf_failure_is_a_readable_400(client):
    """A POST without a CSRF token answers 400 and explains what to do."""
    response = client.post("/auth/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    assert "400 · Bad request" in response.get_data(as_text=True)
    assert message(response).startswith("The form had expired or was sent from elsewhere")
    assert "reload the page and try again" in message(response)


def test_409_page(client, login_as, make_user, make_bank):
    """An instructor opening the result of an attempt still in progress gets a readable 409."""
    learner = make_user("learner")
    attempt = start_attempt(learner, make_bank(TINY_ITEMS), 2, rng=random.Random(1))
    login_as("instructor")
    response = client.get(f"/attempts/{attempt.id}/result")
    assert response.status_code == 409
    assert "409 · Conflict" in response.get_data(as_text=True)
    assert message(response) == "This attempt is still in progress; its result is not ready."


def test_too_large_request_is_413(client, app, db):
    """A request body over MAX_CONTENT_LENGTH answers 413 with a readable message; nothing is created."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/auth/register", data={
        "email": "big@example.org", "display_name": "x" * (limit + 1), "password": "a long password 1",
        "confirm": "a long password 1",
    })
    assert response.status_code == 413
    assert "413 · Too large" in response.get_data(as_text=True)
    assert message(response) == DEFAULT_TEXT[413] == "What you sent is too large."
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "big@example.org")) is None


# -- 500, on a separate application ---------------------------------------------------------

@pytest.fixture()
def failing_app(app, db):
    """A second application on the same database, with test-only routes that fail after writing.

    ``PROPAGATE_EXCEPTIONS`` is off (as in production), so the 500 handler runs. After each
    request, ``g.seen`` records whether the session still sees the row the view wrote and
    ``g.queries_work`` whether the session can still run a query.
    """

    class Cfg(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        PROPAGATE_EXCEPTIONS = False

    second = create_app(Cfg)
    seen: dict[str, object] = {}

    @second.route("/boom")
    def boom():
        _db.session.add(User(email="half-saved@example.org", display_name="Half", password_hash="x"))
        _db.session.flush()
        raise RuntimeError("boom")

    @second.route("/integrity")
    def integrity():
        _db.session.add(User(email="dup@example.org", display_name="One", password_hash="x"))
        _db.session.add(User(email="dup@example.org", display_name="Two", password_hash="x"))
        _db.session.flush()  # IntegrityError: the transaction is now unusable until rolled back
        return "not reached"

    @second.after_request
    def record(response):
        try:
            seen["row_visible"] = _db.session.scalar(
                select(User.id).where(User.email.in_(["half-saved@example.org", "dup@example.org"]))
            ) is not None
            seen["queries_work"] = True
        except Exception as exc:  # noqa: BLE001 - recorded for the test to report
            seen["queries_work"] = repr(exc)
        return response

    second.seen = seen
    yield second
    with second.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.mark.parametrize("url", ["/boom", "/integrity"])
def test_500_page_and_rollback(failing_app, db, url):
    """A view that fails after writing gets the 500 page; the handler rolls the session back first."""
    response = failing_app.test_client().get(url)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "500 · Server error" in page
    assert message(response) == DEFAULT_TEXT[500]
    assert "boom" not in page and "Traceback" not in page
    assert failing_app.seen["queries_work"] is True, failing_app.seen["queries_work"]
    assert failing_app.seen["row_visible"] is False
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email.in_(["half-saved@example.org", "dup@example.org"]))) is None


def test_second_app_serves_normal_pages(failing_app, db):
    """A second application built by create_app (with its own admin) serves pages normally."""
    client = failing_app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 302
