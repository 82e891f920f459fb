"""Accounts: register, log in, log out, change the password (through the real forms, CSRF on)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

import config
from sqlalchemy import func, select

from studyapp.auth.views import BAD_LOGIN
from studyapp.models import User

from .conftest import PASSWORD

TOKEN_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def path_of(response) -> str:
    """Return the path of a redirect's Location header."""
    return urlsplit(response.headers["Location"]).path


def user_count(db) -> int:
    """Return the number of users (read afresh)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(User))


def reload_user(db, email: str) -> User | None:
    """Return the user with ``email`` read afresh from the database."""
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def register(client, csrf, email, password="a long password 1", confirm=None, name="Ann Learner"):
    """POST the register form; return the response."""
    return client.post("/auth/register", data={
        "email": email, "display_name": name, "password": password,
        "confirm": password if confirm is None else confirm, "csrf_token": csrf(client),
    })


def login(client, csrf, email, password=PASSWORD, url="/auth/login", **extra):
    """POST the login form to ``url``; return the response."""
    return client.post(url, data={"email": email, "password": password, "csrf_token": csrf(client), **extra})


def logout(client, csrf):
    """POST the logout form; return the response."""
    return client.post("/auth/logout", data={"csrf_token": csrf(client)})


def is_logged_in(client) -> bool:
    """Return True if ``/progress/`` opens for this client (it redirects anonymous users)."""
    return client.get("/progress/").status_code == 200


# -- register ---------------------------------------------------------------

def test_register_creates_learner_with_hashed_password(client, csrf, db):
    """Registering creates one learner whose stored hash is not the password and verifies it."""
    response = register(client, csrf, "ann@example.org", password="a long password 1")
    assert response.status_code == 302
    assert path_of(response) == "/banks"
    user = reload_user(db, "ann@example.org")
    assert user is not None
    assert user.role == "learner"
    assert user.display_name == "Ann Learner"
    assert user.password_hash != "a long password 1"
    assert "a long password 1" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:")
    assert user.check_password("a long password 1")
    assert not user.check_password("a long password 2")
    assert is_logged_in(client), "a new account is logged in at once"


def test_register_stores_email_lower_case(client, csrf, db):
    """An email typed in mixed case is stored lower-cased."""
    response = register(client, csrf, "Mixed.Case@Example.ORG")
    assert response.status_code == 302
    assert reload_user(db, "mixed.case@example.org") is not None
    assert db.session.scalar(select(User.email)) == "mixed.case@example.org"


def test_register_duplicate_email_in_any_case_is_refused(client, csrf, db, make_user):
    """An email already registered (in another case) is refused with a message; no second row."""
    make_user(email="taken@example.org")
    response = register(client, csrf, "TAKEN@Example.org")
    assert response.status_code == 400
    assert "An account with that email already exists" in response.get_data(as_text=True)
    assert user_count(db) == 1
    assert not is_logged_in(client)


def test_register_short_password_is_refused(client, csrf, db, app):
    """A password shorter than PASSWORD_MIN_LENGTH is refused and no user is created."""
    minimum = app.config["PASSWORD_MIN_LENGTH"]
    response = register(client, csrf, "short@example.org", password="x" * (minimum - 1))
    assert response.status_code == 400
    assert f"Use at least {minimum} characters." in response.get_data(as_text=True)
    assert user_count(db) == 0


def test_register_mismatched_confirmation_is_refused(client, csrf, db):
    """A confirmation that differs from the password is refused and no user is created."""
    response = register(client, csrf, "typo@example.org", password="a long password 1",
                        confirm="a long password 2")
    assert response.status_code == 400
    assert "The passwords differ." in response.get_data(as_text=True)
    assert user_count(db) == 0


def test_register_without_csrf_token_is_refused(client, db):
    """A register POST without a CSRF token gets 400 and creates nobody."""
    response = client.post("/auth/register", data={
        "email": "nocsrf@example.org", "display_name": "X", "password": "a long password 1",
        "confirm": "a long password 1",
    })
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert user_count(db) == 0


# -- log in ------------------------------------------------------------------

def test_login_success_redirects_to_banks(client, csrf, make_user):
    """The right email and password log in and redirect to /banks."""
    user = make_user()
    response = login(client, csrf, user.email)
    assert response.status_code == 302
    assert path_of(response) == "/banks"
    assert is_logged_in(client)


def test_login_email_is_case_insensitive(client, csrf, make_user):
    """The email can be typed in any case at login."""
    make_user(email="case@example.org")
    response = login(client, csrf, "CASE@Example.org")
    assert response.status_code == 302
    assert is_logged_in(client)


def _comparable(html: str, email: str) -> str:
    """Return the page with its CSRF token (which holds a timestamp) and the typed email blanked."""
    token = TOKEN_META.search(html).group(1)
    return html.replace(token, "TOKEN").replace(email, "EMAIL")


def test_wrong_password_and_unknown_email_look_the_same(client, csrf, make_user):
    """A wrong password and an unknown email give the same message, status and page."""
    user = make_user(email="known@example.org")
    wrong_password = login(client, csrf, user.email, password="not the password")
    unknown_email = login(client, csrf, "nobody@example.org", password="not the password")
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert BAD_LOGIN == "Wrong email or password."
    for response in (wrong_password, unknown_email):
        assert BAD_LOGIN in response.get_data(as_text=True)
    assert _comparable(wrong_password.get_data(as_text=True), "known@example.org") == \
        _comparable(unknown_email.get_data(as_text=True), "nobody@example.org")
    assert not is_logged_in(client)


def test_unknown_email_costs_the_same_hash_check(db, make_user, monkeypatch, app):
    """An unknown email still checks one password hash made with the configured method, as a known one does."""
    import studyapp.models.users as users_module
    from studyapp.accounts import authenticate

    checked: list[str] = []
    real_check = users_module.check_password_hash

    def recording_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(users_module, "check_password_hash", recording_check)
    user = make_user()
    assert authenticate(user.email, "not the password") is None
    assert authenticate("nobody@example.org", "not the password") is None
    assert checked == [app.config["PASSWORD_HASH_METHOD"]] * 2


def test_inactive_user_cannot_log_in(client, csrf, make_user, db):
    """A deactivated account gets the same refusal as a wrong password."""
    user = make_user()
    user.active = False
    db.session.commit()
    response = login(client, csrf, user.email)
    assert response.status_code == 400
    assert BAD_LOGIN in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_login_without_csrf_token_is_refused(client, make_user):
    """A login POST without a CSRF token gets 400 and does not log in."""
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert not is_logged_in(client)


def test_login_honours_a_local_next(client, csrf, make_user):
    """``next=/progress/`` sends the user there after logging in."""
    user = make_user()
    response = login(client, csrf, user.email, url="/auth/login?next=/progress/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/progress/"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "javascript:alert(1)", "http:/evil.example",
])
def test_login_ignores_an_offsite_next(client, csrf, make_user, target):
    """A ``next`` that leaves the site is ignored: the user lands on /banks."""
    user = make_user()
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD, "csrf_token": csrf(client)})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/banks", location


def test_anonymous_page_redirects_to_login_with_next(client):
    """An anonymous visit to /progress/ redirects to the login page with ``next=/progress/``."""
    response = client.get("/progress/")
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/auth/login"
    assert parse_qs(parts.query)["next"] == ["/progress/"]


def test_login_renews_the_session(client, csrf, make_user):
    """Values planted in the session before login are gone after login (no session fixation)."""
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    response = login(client, csrf, user.email)
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user.session_token  # the session token, not the row id
    assert client.get_cookie("session").value != before


# -- log out -----------------------------------------------------------------

def test_logout_clears_the_session(client, csrf, login_as):
    """Logging out removes the user and everything else from the session."""
    login_as("learner")
    with client.session_transaction() as session:
        session["planted"] = "during the session"
    response = logout(client, csrf)
    assert response.status_code == 302
    assert path_of(response) == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" not in session


def test_logout_requires_post(client, login_as):
    """GET /auth/logout is 405 and leaves the user logged in."""
    login_as("learner")
    assert client.get("/auth/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_requires_csrf(client, login_as):
    """A logout POST without a CSRF token gets 400 and leaves the user logged in."""
    login_as("learner")
    assert client.post("/auth/logout").status_code == 400
    assert is_logged_in(client)


def test_after_logout_progress_redirects_to_login(client, csrf, login_as):
    """After logging out, /progress/ sends the visitor to the login page."""
    login_as("learner")
    assert is_logged_in(client)
    logout(client, csrf)
    response = client.get("/progress/")
    assert response.status_code == 302
    assert path_of(response) == "/auth/login"


def test_logout_also_ends_a_remembered_login(client, csrf, make_user):
    """With "Keep me logged in", logging out also clears the remember cookie, so the user stays out."""
    user = make_user()
    response = login(client, csrf, user.email, remember="y")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    logout(client, csrf)
    assert client.get_cookie("remember_token") is None
    assert not is_logged_in(client)


# -- account -----------------------------------------------------------------

def change_password(client, csrf, current, new, confirm=None):
    """POST the password change form; return the response."""
    return client.post("/auth/account", data={
        "current": current, "password": new, "confirm": new if confirm is None else confirm,
        "csrf_token": csrf(client),
    })


def test_account_page_shows_the_user(client, login_as):
    """The account page shows the logged-in user's email and role."""
    user = login_as("learner")
    page = client.get("/auth/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert user.email in html
    assert "learner" in html


def test_password_change_with_wrong_current_password_is_refused(client, csrf, login_as, db):
    """A wrong current password is refused with a message and the stored hash stays the same."""
    user = login_as("learner")
    old_hash = reload_user(db, user.email).password_hash
    response = change_password(client, csrf, "not my password", "a brand new password")
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert reload_user(db, user.email).password_hash == old_hash


def test_password_change_too_short_is_refused(client, csrf, login_as, db):
    """A new password shorter than the minimum is refused."""
    user = login_as("learner")
    old_hash = reload_user(db, user.email).password_hash
    response = change_password(client, csrf, PASSWORD, "short")
    assert response.status_code == 400
    assert reload_user(db, user.email).password_hash == old_hash


def test_password_change_takes_effect_for_login(client, csrf, login_as, db):
    """After a password change the new password logs in and the old one no longer does."""
    user = login_as("learner")
    response = change_password(client, csrf, PASSWORD, "a brand new password")
    assert response.status_code == 302
    assert path_of(response) == "/auth/account"
    logout(client, csrf)

    old = login(client, csrf, user.email, password=PASSWORD)
    assert old.status_code == 400
    assert BAD_LOGIN in old.get_data(as_text=True)
    assert not is_logged_in(client)

    new = login(client, csrf, user.email, password="a brand new password")
    assert new.status_code == 302
    assert is_logged_in(client)


def test_account_requires_login(client):
    """An anonymous visit to the account page redirects to the login page."""
    response = client.get("/auth/account")
    assert response.status_code == 302
    assert path_of(response) == "/auth/login"


def test_password_change_ends_other_sessions(app, client, csrf, make_user):
    """After a password change, another browser logged in as the same user is logged out."""
    user = make_user()
    login(client, csrf, user.email)
    other = app.test_client()
    login(other, csrf, user.email)
    assert other.get("/progress/").status_code == 200
    response = client.post("/auth/account", data={
        "current": PASSWORD, "password": "a brand new password", "confirm": "a brand new password",
        "csrf_token": csrf(client)})
    assert response.status_code == 302
    assert client.get("/progress/").status_code == 200  # this browser was kept logged in
    assert other.get("/progress/").status_code == 302   # the other one must log in again


def test_login_posts_are_rate_limited(app, client, csrf, db):
    """The 11th login POST within a minute from one address gets 429 with a readable message."""
    from studyapp.extensions import limiter

    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"  # the production value
    try:
        token = csrf(client)
        codes = [client.post("/auth/login", data={"email": "nobody@example.org", "password": "x",
                                                   "csrf_token": token}).status_code
                 for _ in range(11)]
        assert codes[:10] == [400] * 10 and codes[10] == 429
        page = client.post("/auth/login", data={"csrf_token": token}).get_data(as_text=True)
        assert "Too many attempts" in page
        assert client.get("/auth/login").status_code == 200  # reading the form is not limited
    finally:
        app.config["LOGIN_RATE_LIMIT"] = config.TestConfig.LOGIN_RATE_LIMIT
        limiter.reset()


def test_register_trims_email_and_refuses_invisible_names(client, csrf, db):
    """Spaces around the email are trimmed; a display name of only invisible characters is refused."""
    data = {"email": "  Spaced@Example.org ", "display_name": "\u200b", "password": "long enough pw",
            "confirm": "long enough pw", "csrf_token": csrf(client)}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)  # nothing visible is left
    data["display_name"] = "Visible"
    assert client.post("/auth/register", data=data).status_code == 302
    assert db.session.scalar(select(User.email)) == "spaced@example.org"


@pytest.mark.parametrize("name", ["\u3164", "\u2800", "\u034f", "\ufe0f", "\u200b \u200d", "\u115f\u1160"])
def test_blank_looking_names_are_refused(client, csrf, db, name):
    """Names that show as blank (fillers, braille blank, joiners, variation selectors) are refused."""
    response = client.post("/auth/register", data={
        "email": "blank@example.org", "display_name": name, "password": "long enough pw",
        "confirm": "long enough pw", "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_invisible_characters_are_dropped_from_names(client, csrf, db):
    """Direction overrides and zero-width characters inside a name are removed before it is stored."""
    client.post("/auth/register", data={
        "email": "al@example.org", "display_name": "\u200bAl\u202eice", "password": "long enough pw",
        "confirm": "long enough pw", "csrf_token": csrf(client)})
    assert db.session.scalar(select(User.display_name)) == "Alice"


def test_security_headers(client):
    """Pages may not be framed by other sites, and content types are not sniffed."""
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
