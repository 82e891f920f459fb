"""Who may open what: every route the app registers, visited by every role, with the exact status.

``ROUTES`` lists each (rule, method) that ``app.url_map`` has (HEAD and OPTIONS aside), with the
URL and form to send (URL parameters point at real rows of :mod:`tests.security_world`) and the
answer each role must get:

- ``anonymous``: nobody logged in;
- ``learner``: the learner who owns the attempts;
- ``other_learner``: another learner, who owns none of them;
- ``instructor`` and ``admin``.

A refusal (302 to the login page, 403, 404) must also write nothing: the whole database is
compared before and after; where an entry says how to see it (``done``), a request let through
must have done what it asked (a redirect alone does not show that: Flask-Admin goes back to the
list whether a delete worked or not). POSTs carry a valid CSRF token and a minimal valid form; the same
POSTs without the token must get the CSRF error page (400) and write nothing, for a role that is
allowed to use them. A route that the app registers but the table does not list fails
``test_every_registered_route_is_in_the_table``: a new route needs an entry here.
"""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from studyapp.extensions import db
from studyapp.models import (
    Attempt, AttemptItem, Bank, Card, Document, ItemReport, Passage, Question, Response, ReviewLog, StoredStatistics,
    User,
)

from .conftest import PASSWORD
from .security_world import ROLES, World, build_world, snapshot

# -- expectations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A status and, for redirects, a regular expression the whole Location must match
    (``{w.attr}`` is filled in from the world first). ``login``: a redirect to the login page
    whose ``next`` is the page asked for."""

    status: int
    to: str | None = None
    login: bool = False

    def __str__(self) -> str:
        return "login" if self.login else f"{self.status}{' -> ' + self.to if self.to else ''}"


LOGIN = Expect(302, login=True)
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
OK = Expect(200)
REFUSALS = {LOGIN, FORBIDDEN, NOT_FOUND}


def to(location: str, status: int = 302) -> Expect:
    return Expect(status, location)


def everyone(expect: Expect) -> dict[str, Expect]:
    """Public: the same for every role, logged in or not."""
    return dict.fromkeys(ROLES, expect)


def anonymous_only(anonymous: Expect, logged_in: Expect) -> dict[str, Expect]:
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:], logged_in)}


def users(expect: Expect) -> dict[str, Expect]:
    """Any logged-in user; anonymous visitors are sent to log in."""
    return anonymous_only(LOGIN, expect)


def owner(expect: Expect, staff: Expect = NOT_FOUND) -> dict[str, Expect]:
    """The learner's own attempt: another learner gets 404 (its existence is not even confirmed);
    staff get ``staff`` (404 where only the owner may act, e.g. answering)."""
    return {"anonymous": LOGIN, "learner": expect, "other_learner": NOT_FOUND, "instructor": staff, "admin": staff}


def staff(expect: Expect) -> dict[str, Expect]:
    """Instructors and admins; learners get 403."""
    return {"anonymous": LOGIN, "learner": FORBIDDEN, "other_learner": FORBIDDEN,
            "instructor": expect, "admin": expect}


def admins(expect: Expect) -> dict[str, Expect]:
    """Admins only (users and roles); instructors and learners get 403."""
    return {"anonymous": LOGIN, "learner": FORBIDDEN, "other_learner": FORBIDDEN,
            "instructor": FORBIDDEN, "admin": expect}


# -- the table ---------------------------------------------------------------------------------

Data = Callable[[World, str], dict]


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    url: str                                   # formatted with the world: "/attempts/{w.done_attempt}/result"
    expect: dict[str, Expect]
    data: Data | None = None                   # POST form (given the world and a CSRF token)
    csrf_role: str | None = None               # who is allowed to POST it (for the CSRF test); default: first allowed
    notes: str = ""
    done: Callable[[World, str], bool] | None = None  # what a role that is let through made happen

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"


def form(**fields) -> Data:
    """A form of fixed fields plus the CSRF token; values may be callables of the world."""
    def build(w: World, token: str) -> dict:
        data = {k: (v(w) if callable(v) else v) for k, v in fields.items()}
        return {"csrf_token": token, **data}
    return build


def gift_file(w: World, token: str) -> dict:
    return {"csrf_token": token, "bank": w.bank, "new_slug": "", "new_title": "", "fmt": "auto",
            "file": (io.BytesIO(GIFT), "extra.gift"), "preview": "Preview"}


GIFT = b"::t-extra::Which city hosted the symposium? {=Harbin ~Dalian}\n"


def import_confirm(w: World, token: str) -> dict:
    from studyapp.teach.interchange_views import _signature

    content = base64.b64encode(GIFT).decode("ascii")
    return {"csrf_token": token, "bank": w.bank, "new_title": "", "fmt": "gift", "new_status": "published",
            "new_bank": "0", "filename": "extra.gift", "content": content,
            "digest": _signature(w.bank, "gift", "published", content, "0"), "confirm": "Import"}


def item_form(w: World, token: str, ext_id: str = "t-new") -> dict:
    data = {"csrf_token": token, "bank": str(w.bank_id), "ext_id": ext_id, "kind": "single_choice",
            "status": "draft", "origin": "authored", "stem": "Which one?", "explanation": "Passage one.",
            "passage": str(w.passage_id)}
    for i, (text, key) in enumerate([("This one", True), ("That one", False)]):
        data |= {f"options-{i}-csrf_token": token, f"options-{i}-position": str(i), f"options-{i}-text": text}
        if key:
            data[f"options-{i}-is_key"] = "y"
    return data


def bank_form(slug: str) -> Data:
    return form(title="A bank", slug=slug, description="About it.", document="__None", published="y",
                default_items="10", feedback="any", shuffle_options="y", second_try="y", review_allowed="y",
                time_limit_minutes="", attempts_allowed="", pass_mark_percent="")


def count(model, *where) -> int:
    """Rows of ``model`` matching ``where``, read afresh."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def attempts_of(w: World, role: str) -> int:
    return count(Attempt, Attempt.user_id == w.users[role].id)


def the_user(w: World, role: str) -> User:
    db.session.rollback()
    return db.session.get(User, w.users[role].id)


@dataclass(frozen=True)
class AdminCase:
    """One model view's forms, the row it edits, shows and deletes, and how to see each write."""

    create: Data
    created: Callable[[World], bool]
    edit: Data
    edited: Callable[[World], bool]
    row: str                                   # "{w.spare_bank}": formatted with the world
    gone: Callable[[World], bool]


ADMIN_CASES: dict[str, AdminCase] = {
    "bank": AdminCase(
        bank_form("made-bank"), lambda w: count(Bank, Bank.slug == "made-bank") == 1,
        bank_form("spare-bank"), lambda w: count(Bank, Bank.id == w.spare_bank, Bank.title == "A bank") == 1,
        "{w.spare_bank}", lambda w: count(Bank, Bank.id == w.spare_bank) == 0),
    "items": AdminCase(
        item_form, lambda w: count(Question, Question.ext_id == "t-new") == 1,
        lambda w, t: item_form(w, t, "t-draft") | {"stem": "A draft, edited."},
        lambda w: count(Question, Question.id == w.draft, Question.stem == "A draft, edited.") == 1,
        "{w.draft}", lambda w: count(Question, Question.id == w.draft) == 0),
    "document": AdminCase(
        form(title="A text", slug="a-text", summary="", based_on=""),
        lambda w: count(Document, Document.slug == "a-text") == 1,
        form(title="Spare text (edited)", slug="spare-text", summary="", based_on=""),
        lambda w: count(Document, Document.id == w.spare_document, Document.title == "Spare text (edited)") == 1,
        "{w.spare_document}", lambda w: count(Document, Document.id == w.spare_document) == 0),
    "passage": AdminCase(
        form(document=lambda w: str(w.document_id), number="51", heading="", text="New."),
        lambda w: count(Passage, Passage.document_id == w.document_id, Passage.number == 51) == 1,
        form(document=lambda w: str(w.document_id), number="50", heading="", text="An uncited passage (edited)."),
        lambda w: count(Passage, Passage.id == w.spare_passage, Passage.text == "An uncited passage (edited).") == 1,
        "{w.spare_passage}", lambda w: count(Passage, Passage.id == w.spare_passage) == 0),
    "user": AdminCase(
        form(email="new@example.org", display_name="New Person", role="learner", active="y",
             new_password="a long new password"),
        lambda w: count(User, User.email == "new@example.org") == 1,
        form(email="spare@example.org", display_name="Spare (renamed)", role="learner", active="y", new_password=""),
        lambda w: count(User, User.id == w.spare_user, User.display_name == "Spare (renamed)") == 1,
        "{w.spare_user}", lambda w: count(User, User.id == w.spare_user) == 0),
}


def admin_routes() -> list[Route]:
    """Flask-Admin's endpoints of each model view (the same eleven rules per view)."""
    routes = []
    for view, case in ADMIN_CASES.items():
        who = admins if view == "user" else staff
        base = f"/admin/{view}/"
        index = to(base)
        row = lambda w, r=case.row: r.format(w=w)  # noqa: E731
        routes += [
            Route(base, "GET", base, who(OK)),
            Route(f"{base}new/", "GET", f"{base}new/", who(OK)),
            Route(f"{base}new/", "POST", f"{base}new/", who(index), case.create,
                  done=lambda w, role, c=case: c.created(w)),
            Route(f"{base}edit/", "GET", f"{base}edit/?id={case.row}", who(OK)),
            Route(f"{base}edit/", "POST", f"{base}edit/?id={case.row}", who(index), case.edit,
                  done=lambda w, role, c=case: c.edited(w)),
            Route(f"{base}details/", "GET", f"{base}details/?id={case.row}", who(OK)),
            Route(f"{base}delete/", "POST", f"{base}delete/", who(index), form(id=row),
                  done=lambda w, role, c=case: c.gone(w)),
            Route(f"{base}action/", "POST", f"{base}action/", who(index), form(action="delete", rowid=row),
                  done=lambda w, role, c=case: c.gone(w)),
            # No view has ajax references, editable list columns or export: staff get what
            # Flask-Admin gives for a feature that is off (404, or back to the list).
            Route(f"{base}ajax/lookup/", "GET", f"{base}ajax/lookup/?name=bank&query=a", who(NOT_FOUND),
                  notes="no form_ajax_refs"),
            Route(f"{base}ajax/update/", "POST", f"{base}ajax/update/", who(NOT_FOUND),
                  form(list_form_pk=row, title="x"),
                  csrf_role="admin" if view == "user" else "instructor", notes="no column_editable_list"),
            Route(f"{base}export/<export_type>/", "GET", f"{base}export/csv/", who(index), notes="can_export off"),
        ]
    return routes


ONE_MORE = {"learner": 3, "other_learner": 1, "instructor": 1, "admin": 1}
"""Attempts a role has after starting one more (the learner has two in the world)."""

BANK_URL = "/banks/{w.bank}"
ATTEMPT = "/attempts/{w.open_attempt}"
DONE = "/attempts/{w.done_attempt}"
NEW_QUESTION = r"/attempts/\d+/q/1"

ROUTES: list[Route] = [
    # -- public ---------------------------------------------------------------------------------
    Route("/", "GET", "/", everyone(OK)),
    Route("/healthz", "GET", "/healthz", everyone(OK)),
    Route("/favicon.ico", "GET", "/favicon.ico", everyone(OK)),
    Route("/static/<path:filename>", "GET", "/static/app.css", everyone(OK)),
    Route("/bootstrap/static/<path:filename>", "GET", "/bootstrap/static/css/bootstrap.min.css", everyone(OK)),
    Route("/admin/static/<path:filename>", "GET", "/admin/static/admin/js/helpers.js", everyone(OK),
          notes="Flask-Admin's own JavaScript and CSS"),
    # -- accounts -------------------------------------------------------------------------------
    Route("/auth/login", "GET", "/auth/login", anonymous_only(OK, to("/banks"))),
    Route("/auth/login", "POST", "/auth/login", anonymous_only(to("/banks"), to("/banks")),
          form(email="other@example.org", password=PASSWORD), csrf_role="anonymous",
          notes="anonymous: logs in as the other learner; logged in: sent to the banks"),
    Route("/auth/register", "GET", "/auth/register", anonymous_only(OK, to("/banks"))),
    Route("/auth/register", "POST", "/auth/register", anonymous_only(to("/banks"), to("/banks")),
          form(email="newcomer@example.org", display_name="Newcomer", password="a long password 1",
               confirm="a long password 1"), csrf_role="anonymous",
          done=lambda w, role: count(User, User.email == "newcomer@example.org") == (role == "anonymous"),
          notes="logged in: no account is made"),
    Route("/auth/logout", "POST", "/auth/logout", users(to("/")), form()),
    Route("/auth/account", "GET", "/auth/account", users(OK)),
    Route("/auth/account", "POST", "/auth/account", users(to("/auth/account")),
          form(current=PASSWORD, password="another long password", confirm="another long password"),
          done=lambda w, role: the_user(w, role).check_password("another long password")),
    Route("/auth/account/timezone", "POST", "/auth/account/timezone", users(to("/auth/account", 303)),
          form(**{"tz-timezone": "Asia/Shanghai"}), done=lambda w, role: the_user(w, role).timezone == "Asia/Shanghai"),
    # -- studying (any logged-in user; staff may try quizzes out) ------------------------------
    Route("/banks", "GET", "/banks", users(OK)),
    Route("/banks/<slug>", "GET", BANK_URL, users(OK)),
    Route("/banks/<slug>", "POST", BANK_URL, users(to(NEW_QUESTION, 303)), form(mode="practice", n_items="2"),
          done=lambda w, role: attempts_of(w, role) == ONE_MORE[role]),
    Route("/banks/<slug>/flashcards", "GET", BANK_URL + "/flashcards", users(OK)),
    Route("/banks/<slug>/flashcards/<int:item_id>/flip", "POST", BANK_URL + "/flashcards/{w.item}/flip",
          users(OK), form()),
    Route("/banks/<slug>/flashcards/<int:item_id>/rate", "POST", BANK_URL + "/flashcards/{w.unseen_item}/rate",
          users(to("/banks/{w.bank}/flashcards", 303)), form(rating="3", reps="0"),
          done=lambda w, role: count(ReviewLog, ReviewLog.source == "flashcard", ReviewLog.rating == 3,
                                     ReviewLog.card_id.in_(select(Card.id).where(
                                         Card.user_id == w.users[role].id, Card.item_id == w.unseen_item))) == 1,
          notes="an item nobody has a card of yet (reps 0)"),
    Route("/banks/<slug>/weakest", "POST", BANK_URL + "/weakest", users(to(NEW_QUESTION, 303)), form(),
          done=lambda w, role: attempts_of(w, role) == ONE_MORE[role]),
    Route("/sources/<slug>", "GET", "/sources/{w.document}", users(OK),
          notes="a text a published bank cites; one no published bank cites is for staff only (test below)"),
    Route("/sources/<slug>/p/<int:number>/practice", "POST", "/sources/{w.document}/p/1/practice",
          users(to(NEW_QUESTION, 303)), form(), done=lambda w, role: attempts_of(w, role) == ONE_MORE[role]),
    Route("/review", "GET", "/review", users(OK)),
    Route("/review/<slug>/start", "POST", "/review/{w.bank}/start",
          {"anonymous": LOGIN, "learner": to(NEW_QUESTION, 303), "other_learner": to("/review", 303),
           "instructor": to("/review", 303), "admin": to("/review", 303)}, form(),
          done=lambda w, role: attempts_of(w, role) == (3 if role == "learner" else 0),
          notes="only the learner has cards due; the others are told nothing is due"),
    Route("/progress/", "GET", "/progress/", users(OK)),
    # -- attempts: the owner's alone (staff may read results, never answer for a learner) ------
    Route("/attempts/<int:attempt_id>", "GET", ATTEMPT, owner(to(ATTEMPT + "/q/1"))),
    Route("/attempts/<int:attempt_id>/q/<int:position>", "GET", ATTEMPT + "/q/1", owner(OK)),
    Route("/attempts/<int:attempt_id>/q/<int:position>", "POST", ATTEMPT + "/q/1",
          owner(to(ATTEMPT + "/q/1", 303)), form(**{"gaps-0": "Harbin", "tries_seen": "0"}),
          notes="practice: checked, then shown",
          done=lambda w, role: count(Response, Response.mark == 1.0, Response.attempt_item_id.in_(
              select(AttemptItem.id).where(AttemptItem.attempt_id == w.open_attempt))) == 1),
    Route("/attempts/<int:attempt_id>/review", "GET", ATTEMPT + "/review", owner(OK)),
    Route("/attempts/<int:attempt_id>/submit", "POST", ATTEMPT + "/submit", owner(to(ATTEMPT + "/result", 303)),
          form(), done=lambda w, role: count(Attempt, Attempt.id == w.open_attempt, Attempt.status == "submitted") == 1),
    Route("/attempts/<int:attempt_id>/result", "GET", DONE + "/result", owner(OK, staff=OK)),
    Route("/attempts/<int:attempt_id>/items/<int:position>/report", "POST", DONE + "/items/1/report",
          owner(to(DONE + "/result#item-1", 303)), form(reason="typo", comment="Odd wording."),
          done=lambda w, role: count(ItemReport, ItemReport.comment == "Odd wording.") == 1),
    # -- instructors' pages ---------------------------------------------------------------------
    Route("/teach/", "GET", "/teach/", staff(OK)),
    Route("/teach/banks", "GET", "/teach/banks", staff(OK)),
    Route("/teach/banks/<slug>/review", "GET", "/teach/banks/{w.bank}/review", staff(OK)),
    Route("/teach/banks/<slug>/review", "POST", "/teach/banks/{w.bank}/review",
          staff(to("/teach/banks/{w.bank}/review", 303)), form(item_ids=lambda w: str(w.draft), approve="Approve ticked"),
          done=lambda w, role: count(Question, Question.id == w.draft, Question.status == "published") == 1),
    Route("/teach/banks/<slug>/statistics", "GET", "/teach/banks/{w.bank}/statistics", staff(OK)),
    Route("/teach/banks/<slug>/statistics/recalculate", "POST", "/teach/banks/{w.bank}/statistics/recalculate",
          staff(to(r"/teach/banks/{w.bank}/statistics\?mode=exam", 303)), form(mode="exam"),
          done=lambda w, role: count(StoredStatistics, StoredStatistics.modes == "exam") == 1),
    Route("/teach/statistics/recalculate", "POST", "/teach/statistics/recalculate",
          staff(to("/teach/#flagged-items", 303)), form(),
          done=lambda w, role: count(StoredStatistics, StoredStatistics.scope == "all") == 1),
    Route("/teach/banks/<slug>/reports", "GET", "/teach/banks/{w.bank}/reports", staff(OK)),
    Route("/teach/banks/<slug>/reports/<ext_id>/resolve", "POST",
          "/teach/banks/{w.bank}/reports/{w.reported_ext_id}/resolve",
          staff(to("/teach/banks/{w.bank}/reports", 303)), form(resolution="Fixed the typo."),
          done=lambda w, role: count(ItemReport, ItemReport.resolved_at.is_(None)) == 0),
    Route("/teach/banks/<slug>/export", "GET", "/teach/banks/{w.bank}/export", staff(OK)),
    Route("/teach/banks/<slug>/export/<fmt_name>", "GET", "/teach/banks/{w.bank}/export/gift", staff(OK)),
    Route("/teach/import", "GET", "/teach/import", staff(OK)),
    Route("/teach/import", "POST", "/teach/import", staff(OK), gift_file, notes="the preview"),
    Route("/teach/import/confirm", "POST", "/teach/import/confirm", staff(to("/teach/banks/{w.bank}/export", 303)),
          import_confirm, done=lambda w, role: count(Question, Question.ext_id == "t-extra") == 1),
    Route("/teach/generate", "GET", "/teach/generate", staff(OK)),
    Route("/teach/generate", "POST", "/teach/generate", staff(OK),
          form(bank="__new__", new_slug="gen-bank", new_title="", seed="0", max_items="",
               text="The symposium on the revitalization of Northeast China was held in Harbin in 2023.",
               preview="Preview"), notes="the preview"),
    Route("/teach/gradebook", "GET", "/teach/gradebook", staff(OK)),
    Route("/teach/gradebook.csv", "GET", "/teach/gradebook.csv", staff(OK)),
    Route("/teach/items/<int:item_id>/versions", "GET", "/teach/items/{w.item}/versions", staff(OK)),
    Route("/teach/items/<int:item_id>/regrade", "POST", "/teach/items/{w.item}/regrade",
          staff(to("/teach/items/{w.item}/versions", 303)), form()),
    Route("/teach/learners", "GET", "/teach/learners", staff(OK)),
    Route("/teach/learners/<int:user_id>", "GET", "/teach/learners/{w.learner_id}", staff(OK)),
    # -- the admin area -------------------------------------------------------------------------
    Route("/admin/", "GET", "/admin/", staff(OK)),
    *admin_routes(),
]

CASES = [pytest.param(route, role, id=f"{route.id} [{role}]") for route in ROUTES for role in ROLES]
POSTS = [pytest.param(route, id=route.id) for route in ROUTES if route.method == "POST"]


@pytest.fixture()
def world(db, make_bank, make_user) -> World:
    return build_world(make_bank, make_user)


def _request(client, route: Route, w: World, token: str | None):
    url = route.url.format(w=w)
    if route.method == "GET":
        return url, client.get(url)
    data = route.data(w, token or "") if route.data else {}
    if token is None:
        data = {k: v for k, v in data.items() if not k.endswith("csrf_token")}
    return url, client.post(url, data=data)


def _check(response, expect: Expect, url: str, w: World) -> None:
    body = response.get_data(as_text=True)[:800] if response.status_code >= 400 else ""
    assert response.status_code == expect.status, body
    location = response.headers.get("Location")
    if expect.login:
        parts = urlsplit(location)
        assert parts.path == "/auth/login", location
        assert parse_qs(parts.query)["next"] == [url], location
    elif expect.to is not None:
        assert location is not None and re.fullmatch(expect.to.format(w=w), location), location
    else:
        assert location is None, location


# -- the tests ---------------------------------------------------------------------------------

def test_every_registered_route_is_in_the_table(app):
    """The table lists exactly the (rule, method) pairs the app serves: a new route fails here."""
    registered = {(rule.rule, method) for rule in app.url_map.iter_rules()
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = [(route.rule, route.method) for route in ROUTES]
    assert len(listed) == len(set(listed)), "a rule is listed twice"
    assert set(listed) - registered == set(), "listed but not served"
    assert registered - set(listed) == set(), "served but not in the table: add an entry to ROUTES"
    assert len(registered) == len(ROUTES) == 111  # 93 rules; 18 of them take GET and POST


def test_every_entry_names_every_role():
    for route in ROUTES:
        assert set(route.expect) == set(ROLES), route.id


@pytest.mark.parametrize("route, role", CASES)
def test_route_answers_each_role(client, csrf, login_as, world, route, role):
    """Each role gets exactly the status the table says; a refusal writes nothing, and what is let
    through does what it asked (where the entry says how to see it)."""
    if role != "anonymous":
        login_as(world.users[role])
    token = csrf(client)
    expect = route.expect[role]
    before = snapshot() if expect in REFUSALS else None
    url, response = _request(client, route, world, token)
    _check(response, expect, url, world)
    if before is not None:
        assert snapshot() == before, "a refused request wrote to the database"
    elif route.done is not None:
        assert route.done(world, role), f"{route.id} as {role}: answered {response.status_code} but did not do it"


def _csrf_role(route: Route) -> str:
    if route.csrf_role:
        return route.csrf_role
    return next(role for role in ROLES if route.expect[role] not in REFUSALS)


@pytest.mark.parametrize("route", POSTS)
def test_post_without_csrf_token_is_refused(client, csrf, login_as, world, route):
    """Every POST route refuses a form without the CSRF token with the CSRF error page (400), for a
    user who may use it (the same form with the token succeeds in the test above), and writes nothing."""
    role = _csrf_role(route)
    if role != "anonymous":
        login_as(world.users[role])
    csrf(client)  # the session has a token; the form just does not carry it
    before = snapshot()
    _url, response = _request(client, route, world, None)
    assert response.status_code == 400
    assert "The form had expired or was sent from elsewhere (The CSRF token is missing.)" in \
        response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_drafts_and_unpublished_banks_stay_out_of_study_routes(client, csrf, login_as, world, db, role):
    """The study routes serve published items of published banks only, to every role: a draft's
    flashcard (whose back shows the key) and an unpublished bank's pages are 404 and write nothing."""
    from sqlalchemy import update

    from studyapp.models import Bank

    login_as(world.users[role])
    token = csrf(client)
    for url in (f"/banks/{world.bank}/flashcards/{world.draft}/flip", f"/banks/{world.bank}/flashcards/{world.draft}/rate"):
        before = snapshot()
        assert client.post(url, data={"csrf_token": token, "rating": "3", "reps": "0"}).status_code == 404, url
        assert snapshot() == before
    db.session.execute(update(Bank).where(Bank.slug == world.bank).values(published=False))
    db.session.commit()
    before = snapshot()
    for method, url in (("GET", f"/banks/{world.bank}"), ("POST", f"/banks/{world.bank}"),
                        ("GET", f"/banks/{world.bank}/flashcards"), ("POST", f"/banks/{world.bank}/weakest"),
                        ("POST", f"/review/{world.bank}/start"),
                        ("POST", f"/banks/{world.bank}/flashcards/{world.item}/flip")):
        data = {"csrf_token": token, "mode": "practice", "n_items": "2"} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 404, url
    assert snapshot() == before


OFFSITE = ["https:/evil.example", "http:/evil.example", "https:evil.example", "//evil.example", "/\\evil.example",
           "https://evil.example/", "javascript:alert(1)", "/\t/evil.example"]


@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
@pytest.mark.parametrize("target", OFFSITE)
def test_admin_never_sends_staff_off_site(client, csrf, login_as, world, target, base_url):
    """Flask-Admin sends staff back to its ``?url=`` after a page or an action. An address that is
    not a path of this site is refused (400) and nothing is written: Flask-Admin's own check let
    ``https:/evil.example`` through, which left as ``Location: https:///evil.example``, that is
    https://evil.example/ to a browser. A path of this site is still followed."""
    login_as(world.users["instructor"])
    pages = [("/admin/bank/export/csv/", {}), ("/admin/passage/details/", {"id": "999"}),
             ("/admin/passage/edit/", {"id": "999"}), ("/admin/", {})]
    before = snapshot()
    for page, args in pages:
        response = client.get(page, query_string={**args, "url": target}, base_url=base_url)
        assert response.status_code == 400, (page, response.headers.get("Location"))
        assert "The return address must be a page of this site." in response.get_data(as_text=True)
    delete = client.post("/admin/passage/delete/", query_string={"url": target},
                         data={"id": str(world.spare_passage), "csrf_token": csrf(client)},
                         headers={"Referer": f"{base_url}/admin/passage/"}, base_url=base_url)
    assert delete.status_code == 400
    assert snapshot() == before
    local = client.get("/admin/passage/details/", query_string={"id": "999", "url": "/admin/passage/?page=0"},
                       base_url=base_url)
    assert (local.status_code, local.headers["Location"]) == (302, "/admin/passage/?page=0")


TEXT_NO_BANK_PUBLISHES = {"anonymous": LOGIN, "learner": NOT_FOUND, "other_learner": NOT_FOUND,
                          "instructor": OK, "admin": OK}


@pytest.mark.parametrize("role", ROLES)
def test_a_study_text_no_published_bank_cites_is_for_staff_only(client, login_as, world, role):
    """The table's study text is cited by the published bank; a text that no published bank cites
    (the world's spare text, cited by none) answers learners 404, as a text that does not exist,
    and staff 200; anonymous visitors are sent to log in. Nothing is written."""
    if role != "anonymous":
        login_as(world.users[role])
    slug = db.session.scalar(select(Document.slug).where(Document.id == world.spare_document))
    before = snapshot()
    response = client.get(f"/sources/{slug}")
    _check(response, TEXT_NO_BANK_PUBLISHES[role], f"/sources/{slug}", world)
    assert snapshot() == before
