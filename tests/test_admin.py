"""The admin area (Flask-Admin) and the instructor pages: who may enter, and CRUD through the forms."""
from __future__ import annotations

import html
import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from studyapp.attempting import start_attempt
from studyapp.models import Bank, Option, Question, User

from .conftest import PASSWORD, TINY_ITEMS


@pytest.fixture()
def bank(make_bank):
    """The tiny bank (five items on a three-passage source), quicker to load than the symposium bank."""
    return make_bank(TINY_ITEMS)


def admin_urls(app) -> dict[str, str]:
    """Return ``{endpoint: rule}`` of the Flask-Admin views registered on ``app``."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/")}


def counts(db) -> tuple[int, int]:
    """Return (items, options) counted afresh."""
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Question)),
            db.session.scalar(select(func.count()).select_from(Option)))


def flashes(response) -> list[str]:
    """Return the texts of the alert boxes (flashed messages) of a page."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)]


# -- the registered views ---------------------------------------------------------

def test_admin_registers_the_expected_views(app):
    """Flask-Admin serves the index, items, banks, documents, passages and users at the expected URLs."""
    urls = admin_urls(app)
    assert urls["admin.index"] == "/admin/"
    assert urls["items.index_view"] == "/admin/items/"
    assert urls["items.create_view"] == "/admin/items/new/"
    assert urls["items.delete_view"] == "/admin/items/delete/"
    assert urls["bank.index_view"] == "/admin/bank/"
    assert urls["document.index_view"] == "/admin/document/"
    assert urls["passage.index_view"] == "/admin/passage/"
    assert urls["user.index_view"] == "/admin/user/"
    assert urls["user.edit_view"] == "/admin/user/edit/"


# -- who may enter ------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/admin/", "/admin/items/", "/admin/user/", "/admin/items/new/"])
def test_anonymous_is_sent_to_log_in(client, url):
    """An anonymous visitor to an admin page is redirected to the login page, coming back afterwards."""
    response = client.get(url)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [url]


def test_anonymous_teach_page_redirects_to_login(client):
    """An anonymous visitor to /teach/learners is redirected to the login page."""
    response = client.get("/teach/learners")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/items/", "/admin/items/new/", "/admin/bank/", "/admin/document/", "/admin/passage/",
    "/admin/user/", "/teach/learners",
])
def test_learner_gets_403(client, login_as, url):
    """A learner gets 403 on every admin view and on the instructor pages."""
    login_as("learner")
    response = client.get(url)
    assert response.status_code == 403
    assert "403" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/", "/admin/bank/", "/admin/document/", "/admin/passage/",
                                 "/admin/items/new/", "/teach/learners"])
def test_instructor_opens_content_views(client, login_as, bank, url):
    """An instructor opens the admin index, the content views and the learners page."""
    login_as("instructor")
    assert client.get(url).status_code == 200


def test_instructor_items_list_shows_bank_items(client, login_as, symposium_bank):
    """The items list shows the items of the loaded symposium bank by their stable id."""
    login_as("instructor")
    response = client.get("/admin/items/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "hs23-002" in page and "gen-3b06ee5c9271" in page
    assert "Who chaired the symposium?" in page


def test_instructor_document_and_passage_lists_show_content(client, login_as, bank):
    """The documents and passages lists show the symposium study text."""
    login_as("instructor")
    assert bank.document.title in html.unescape(client.get("/admin/document/").get_data(as_text=True))
    first = bank.document.passages[0].text[:40]
    assert first in html.unescape(client.get("/admin/passage/").get_data(as_text=True))


@pytest.mark.parametrize("url", ["/admin/user/", "/admin/user/new/"])
def test_instructor_gets_403_on_users(client, login_as, url):
    """Users and roles are for admins only: an instructor gets 403."""
    login_as("instructor")
    assert client.get(url).status_code == 403


def test_admin_opens_users(client, login_as, make_user):
    """An admin opens the users list, which shows emails but never password hashes."""
    learner = make_user("learner", email="someone@example.org")
    login_as("admin")
    response = client.get("/admin/user/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "someone@example.org" in page
    assert learner.password_hash not in page
    assert "pbkdf2:" not in page


def test_admin_user_details_hide_the_password_hash(client, login_as, make_user):
    """The user details page does not show the password hash."""
    learner = make_user("learner")
    login_as("admin")
    response = client.get("/admin/user/details/", query_string={"id": learner.id})
    assert response.status_code == 200
    assert learner.email in response.get_data(as_text=True)
    assert "pbkdf2:" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role, shown", [("learner", False), ("instructor", True)])
def test_admin_link_in_navbar_only_for_staff(client, login_as, role, shown):
    """The navigation bar links to the admin area and the learners page for staff only."""
    login_as(role)
    page = client.get("/banks").get_data(as_text=True)
    assert ('href="/admin/"' in page) is shown
    assert ('href="/teach/learners"' in page) is shown


# -- creating items through the admin form ---------------------------------------------

def test_item_create_form_has_inline_option_fields(client, login_as, bank):
    """The create page offers inline options (text, is_key) and accepted answers, and a CSRF token."""
    login_as("instructor")
    page = html.unescape(client.get("/admin/items/new/").get_data(as_text=True))
    assert 'id="options"' in page and 'id="accepted_answers"' in page
    assert 'name="csrf_token"' in page
    options_template = page[page.index('id="options"'):page.index('id="accepted_answers"')]
    for name in ("text", "is_key", "position", "id"):
        assert f'name="{name}"' in options_template, name


def item_form(bank, token: str, ext_id: str, options: list[tuple[str, bool]], **fields) -> dict:
    """Return the POST data of the admin item form, with ``options`` as (text, is_key) inline rows.

    Each inline row carries the CSRF token as the page's row template does.
    """
    data = {
        "csrf_token": token, "bank": str(bank.id), "ext_id": ext_id, "kind": "single_choice",
        "status": "published", "origin": "authored", "stem": "Which one is right?",
        "explanation": "Because the text says so.", "passage": "__None",
    }
    for i, (text, is_key) in enumerate(options):
        data[f"options-{i}-csrf_token"] = token
        data[f"options-{i}-position"] = str(i)
        data[f"options-{i}-text"] = text
        if is_key:
            data[f"options-{i}-is_key"] = "y"
    data.update(fields)
    return data


def test_instructor_creates_a_valid_item(client, csrf, login_as, bank, db):
    """A valid single-choice item with two inline options is created with its options and key."""
    login_as("instructor")
    before = counts(db)
    passage = bank.document.passages[0]
    response = client.post("/admin/items/new/", data=item_form(
        bank, csrf(client), "new-001", [("Right", True), ("Wrong", False)], passage=str(passage.id)))
    assert response.status_code == 302, flashes(response)
    assert counts(db) == (before[0] + 1, before[1] + 2)
    item = db.session.scalar(select(Question).where(Question.ext_id == "new-001"))
    assert item.bank_id == bank.id
    assert item.kind == "single_choice" and item.status == "published"
    assert item.passage_id == passage.id
    assert [(o.text, o.is_key) for o in item.options] == [("Right", True), ("Wrong", False)]


def test_item_without_a_key_is_refused(client, csrf, login_as, bank, db):
    """A single-choice item with no key is refused with the validation message and nothing is written."""
    login_as("instructor")
    before = counts(db)
    response = client.post("/admin/items/new/", data=item_form(
        bank, csrf(client), "new-002", [("One", False), ("Two", False)]))
    assert response.status_code == 200
    assert any("exactly one key" in message for message in flashes(response)), flashes(response)
    assert counts(db) == before
    assert db.session.scalar(select(Question).where(Question.ext_id == "new-002")) is None


def test_item_with_duplicate_ext_id_is_refused_kindly(client, csrf, login_as, bank, db):
    """An item id already used in the bank is refused with a friendly message and nothing is written."""
    login_as("instructor")
    before = counts(db)
    response = client.post("/admin/items/new/", data=item_form(
        bank, csrf(client), "t-single", [("Right", True), ("Wrong", False)]))
    assert response.status_code == 200
    assert any("must be unique" in message for message in flashes(response)), flashes(response)
    assert counts(db) == before


def test_item_create_without_csrf_is_refused(client, csrf, login_as, bank, db):
    """An item POST without any CSRF token (form or inline rows) gets 400 and writes nothing."""
    login_as("instructor")
    before = counts(db)
    data = item_form(bank, csrf(client), "new-003", [("Right", True), ("Wrong", False)])
    data = {name: value for name, value in data.items() if not name.endswith("csrf_token")}
    response = client.post("/admin/items/new/", data=data)
    assert response.status_code == 400
    assert counts(db) == before


def test_learner_cannot_create_items(client, csrf, login_as, bank, db):
    """A learner POSTing to the admin create URL gets 403 and nothing is written."""
    login_as("learner")
    before = counts(db)
    response = client.post("/admin/items/new/", data=item_form(
        bank, csrf(client), "new-004", [("Right", True), ("Wrong", False)]))
    assert response.status_code == 403
    assert counts(db) == before


def test_instructor_edits_an_item_stem(client, csrf, login_as, bank, db):
    """Editing an item through the admin form changes its stem and keeps its row id and options."""
    login_as("instructor")
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    item_id, option_ids = item.id, [o.id for o in item.options]
    data = item_form(bank, csrf(client), "t-single", [(o.text, o.is_key) for o in item.options],
                     stem="Pick the only right one.", explanation=item.explanation,
                     passage=str(item.passage_id))
    for i, option in enumerate(item.options):
        data[f"options-{i}-id"] = str(option.id)
    response = client.post("/admin/items/edit/", query_string={"id": item_id}, data=data)
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    item = db.session.get(Question, item_id)
    assert item.stem == "Pick the only right one."
    assert [o.id for o in item.options] == option_ids


def test_instructor_edits_a_bank_keeping_its_unique_slug(client, csrf, login_as, bank, db):
    """Editing a bank (which has a unique slug) saves: the form does not mistake the row for a duplicate."""
    login_as("instructor")
    response = client.post("/admin/bank/edit/", query_string={"id": bank.id}, data={
        "csrf_token": csrf(client), "title": "Renamed bank", "slug": bank.slug,
        "description": "New description.", "document": str(bank.document_id), "published": "y",
    })
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    assert db.session.get(Bank, bank.id).title == "Renamed bank"


def test_bank_slug_taken_by_another_bank_is_refused(client, csrf, login_as, bank, make_bank, db):
    """Giving a bank the slug of another bank is refused and nothing changes."""
    other = make_bank(TINY_ITEMS, slug="other")
    login_as("instructor")
    response = client.post("/admin/bank/edit/", query_string={"id": other.id}, data={
        "csrf_token": csrf(client), "title": other.title, "slug": bank.slug,
        "description": "", "document": "__None", "published": "y",
    })
    assert response.status_code == 200
    assert "Already exists." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Bank, other.id).slug == "other"


# -- deleting -------------------------------------------------------------------------------

def test_deleting_an_answered_item_is_refused_kindly(client, csrf, login_as, make_user, bank, db):
    """Deleting an item that is part of an attempt is refused with a friendly message; the item stays."""
    learner = make_user("learner")
    attempt = start_attempt(learner, bank, 1, rng=random.Random(1))
    item_id = attempt.attempt_items[0].item_id
    login_as("instructor")
    before = counts(db)
    response = client.post("/admin/items/delete/", data={
        "id": str(item_id), "url": "/admin/items/", "csrf_token": csrf(client)}, follow_redirects=True)
    assert response.status_code == 200
    messages = flashes(response)
    assert any("Not deleted: learners have answered this item" in m and "retired instead" in m
               for m in messages), messages
    assert not any("successfully deleted" in m for m in messages)
    assert counts(db) == before
    assert db.session.get(Question, item_id) is not None


def test_deleting_an_unused_item_works(client, csrf, login_as, bank, db):
    """An item that no attempt uses can be deleted, with its options."""
    login_as("instructor")
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    item_id, n_options = item.id, len(item.options)
    before = counts(db)
    response = client.post("/admin/items/delete/", data={
        "id": str(item_id), "url": "/admin/items/", "csrf_token": csrf(client)}, follow_redirects=True)
    assert any("successfully deleted" in m for m in flashes(response)), flashes(response)
    assert counts(db) == (before[0] - 1, before[1] - n_options)


def delete_bank(client, csrf, bank_id: int):
    """POST the admin delete form for a bank and follow the redirect; return the response."""
    return client.post("/admin/bank/delete/", data={
        "id": str(bank_id), "url": "/admin/bank/", "csrf_token": csrf(client)}, follow_redirects=True)


def test_deleting_a_bank_deletes_its_items(client, csrf, login_as, make_bank, db):
    """A bank that nobody has attempted is deleted together with its items and their options."""
    bank_id = make_bank(TINY_ITEMS).id
    login_as("instructor")
    response = delete_bank(client, csrf, bank_id)
    assert any("successfully deleted" in m for m in flashes(response)), flashes(response)
    assert counts(db) == (0, 0)
    assert db.session.get(Bank, bank_id) is None


def test_deleting_an_attempted_bank_is_refused(client, csrf, login_as, make_user, make_bank, db):
    """A bank with learners' attempts is not deleted (their scores would go); the message says why."""
    bank = make_bank(TINY_ITEMS)
    start_attempt(make_user("learner"), bank, 2, rng=random.Random(2))
    login_as("instructor")
    before = counts(db)
    response = delete_bank(client, csrf, bank.id)
    messages = flashes(response)
    assert any("learners have 1 attempt(s) on this bank" in m for m in messages), messages
    assert not any("successfully deleted" in m for m in messages)
    assert counts(db) == before
    assert db.session.get(Bank, bank.id) is not None


# -- users --------------------------------------------------------------------------------

def user_form(user: User, token: str, **fields) -> dict:
    """Return the POST data of the admin user form for ``user``."""
    data = {"csrf_token": token, "email": user.email, "display_name": user.display_name,
            "role": user.role, "new_password": ""}
    if user.active:
        data["active"] = "y"
    data.update(fields)
    return data


def test_admin_sets_a_new_password(client, csrf, login_as, make_user, db):
    """Setting ``new_password`` in the user form stores a new hash that checks the new password."""
    learner = make_user("learner")
    old_hash = learner.password_hash
    login_as("admin")
    response = client.post("/admin/user/edit/", query_string={"id": learner.id},
                           data=user_form(learner, csrf(client), new_password="a fresh password 42"))
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    learner = db.session.get(User, learner.id)
    assert learner.password_hash != old_hash
    assert "a fresh password 42" not in learner.password_hash
    assert learner.check_password("a fresh password 42")
    assert not learner.check_password(PASSWORD)


def test_admin_edit_without_password_keeps_it(client, csrf, login_as, make_user, db):
    """Leaving ``new_password`` empty keeps the old password."""
    learner = make_user("learner")
    old_hash = learner.password_hash
    login_as("admin")
    response = client.post("/admin/user/edit/", query_string={"id": learner.id},
                           data=user_form(learner, csrf(client), display_name="Renamed"))
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    learner = db.session.get(User, learner.id)
    assert learner.display_name == "Renamed"
    assert learner.password_hash == old_hash


def test_admin_short_new_password_is_refused(client, csrf, login_as, make_user, db, app):
    """A new password shorter than the minimum is refused with a message; the hash stays."""
    learner = make_user("learner")
    old_hash = learner.password_hash
    login_as("admin")
    response = client.post("/admin/user/edit/", query_string={"id": learner.id},
                           data=user_form(learner, csrf(client), new_password="short"))
    assert response.status_code == 200
    minimum = app.config["PASSWORD_MIN_LENGTH"]
    assert any(f"at least {minimum} characters" in m for m in flashes(response)), flashes(response)
    db.session.rollback()
    assert db.session.get(User, learner.id).password_hash == old_hash


def test_admin_changes_a_role(client, csrf, login_as, make_user, db):
    """Changing the role in the user form makes a learner an instructor, who then opens the admin."""
    learner = make_user("learner")
    login_as("admin")
    response = client.post("/admin/user/edit/", query_string={"id": learner.id},
                           data=user_form(learner, csrf(client), role="instructor"))
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    assert db.session.get(User, learner.id).role == "instructor"


def test_admin_creates_a_user_with_lower_cased_email(client, csrf, login_as, db):
    """A user created in the admin gets a lower-cased email and a hashed password."""
    login_as("admin")
    response = client.post("/admin/user/new/", data={
        "csrf_token": csrf(client), "email": "New.Person@Example.org", "display_name": "New Person",
        "role": "learner", "active": "y", "new_password": "a fresh password 42",
    })
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user is not None
    assert user.check_password("a fresh password 42")


def test_admin_new_user_needs_a_password(client, csrf, login_as, db):
    """A user created in the admin without a password is refused with a message."""
    login_as("admin")
    response = client.post("/admin/user/new/", data={
        "csrf_token": csrf(client), "email": "nopass@example.org", "display_name": "No Pass",
        "role": "learner", "active": "y", "new_password": "",
    })
    assert response.status_code == 200
    assert any("A new user needs a password." in m for m in flashes(response)), flashes(response)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "nopass@example.org")) is None


def test_instructor_cannot_edit_users(client, csrf, login_as, make_user, db):
    """An instructor POSTing to the user edit URL gets 403 and the role stays."""
    learner = make_user("learner")
    login_as("instructor")
    response = client.post("/admin/user/edit/", query_string={"id": learner.id},
                           data=user_form(learner, csrf(client), role="admin"))
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(User, learner.id).role == "learner"


def _edit_data(bank, token, item, **fields):
    """The admin edit form data of ``item`` as it is, with ``fields`` changed."""
    data = item_form(bank, token, item.ext_id, [(o.text, o.is_key) for o in item.options],
                     kind=item.kind, stem=item.stem, explanation=item.explanation,
                     passage=str(item.passage_id))
    for i, option in enumerate(item.options):
        data[f"options-{i}-id"] = str(option.id)
    data.update(fields)
    return data


def test_deleting_the_key_option_inline_is_refused(client, csrf, login_as, bank, db):
    """Ticking "Delete?" on the key option leaves an item without a key: refused, nothing changes."""
    login_as("instructor")
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    key_index = next(i for i, o in enumerate(item.options) if o.is_key)
    data = _edit_data(bank, csrf(client), item, **{f"del-options-{key_index}": "y"})
    response = client.post("/admin/items/edit/", query_string={"id": item.id}, data=data)
    assert response.status_code == 200
    assert any("exactly one key" in m for m in flashes(response)), flashes(response)
    db.session.rollback()
    assert sum(o.is_key for o in db.session.get(Question, item.id).options) == 1


def test_editing_an_answered_item_makes_a_new_version(client, csrf, login_as, make_user, bank, db):
    """Once learners met an item, moving its key in the admin saves a new version (the old row,
    which their attempt shows, keeps its key and is retired); a status-only change stays in place;
    the old version cannot be edited."""
    from studyapp.attempting import start_attempt

    attempt = start_attempt(make_user(), bank, 5)
    login_as("instructor")
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    old_id, options = item.id, [(o.text, o.is_key) for o in item.options]
    token = csrf(client)
    data = _edit_data(bank, token, item)
    for i, (_, is_key) in enumerate(options):  # move the key to the next option
        data.pop(f"options-{i}-is_key", None)
        if options[i - 1][1]:
            data[f"options-{i}-is_key"] = "y"
    response = client.post("/admin/items/edit/", query_string={"id": item.id}, data=data, follow_redirects=True)
    assert any("saved as version 2" in m and "The key changed" in m for m in flashes(response)), flashes(response)
    db.session.rollback()
    old = db.session.get(Question, old_id)
    assert [(o.text, o.is_key) for o in old.options] == options and old.status == "retired"
    new = db.session.scalar(select(Question).where(Question.ext_id == "t-single", Question.version == 2))
    assert old.superseded_by_id == new.id and new.previous_id == old_id and new.status == "published"
    assert [o.is_key for o in new.options] == [options[i - 1][1] for i in range(len(options))]
    assert any(ai.item_id == old_id for ai in attempt.attempt_items)      # the attempt still asks v1
    response = client.post("/admin/items/edit/", query_string={"id": old_id},
                           data=_edit_data(bank, token, old, stem="Reworded old version."))
    assert any("old version of the item" in m for m in flashes(response)), flashes(response)
    db.session.rollback()
    assert db.session.get(Question, old_id).stem == "Pick the right one."


def test_cited_passage_cannot_be_deleted(client, csrf, login_as, bank, db):
    """Deleting a passage that items cite is refused with a message; an uncited one can go."""
    from studyapp.models import Passage

    login_as("instructor")
    cited = bank.document.passages[0]
    cited_id = cited.id
    response = client.post("/admin/passage/delete/", data={"id": str(cited_id), "csrf_token": csrf(client)})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Passage, cited_id) is not None
    page = client.get(response.location).get_data(as_text=True)
    assert "cite the passage(s)" in page
    spare = Passage(document_id=bank.document.id, number=99, text="Spare passage.")
    db.session.add(spare)
    db.session.commit()
    spare_id = spare.id
    client.post("/admin/passage/delete/", data={"id": str(spare_id), "csrf_token": csrf(client)})
    db.session.rollback()
    assert db.session.get(Passage, spare_id) is None


def test_admin_home_shows_banks_with_item_counts(client, login_as, symposium_bank, db):
    """/admin/ lists each bank with its numbers of published, draft and retired items, and the filter link works."""
    login_as("instructor")
    page = client.get("/admin/").get_data(as_text=True)
    total = len(symposium_bank.items)
    assert re.search(rf"{re.escape(symposium_bank.title)}</td><td[^>]*>{total}</td><td[^>]*>0</td><td[^>]*>0</td>", page)
    link = html.unescape(re.search(r'href="(/admin/items/\?flt0_0=[^"]+)"', page).group(1))
    listing = client.get(link).get_data(as_text=True)
    assert "hs23-002" in listing


def test_editing_a_generated_item_marks_it_edited(client, csrf, login_as, bank, db):
    """A generated item whose stem an instructor changes becomes origin "edited"; saving unchanged keeps "generated"."""
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    item.origin = "generated"
    db.session.commit()
    login_as("instructor")
    token = csrf(client)
    data = _edit_data(bank, token, item, origin="generated")
    response = client.post("/admin/items/edit/", query_string={"id": item.id}, data=data)
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    assert db.session.get(Question, item.id).origin == "generated"
    data = _edit_data(bank, token, item, origin="generated", stem="A better stem?")
    response = client.post("/admin/items/edit/", query_string={"id": item.id}, data=data)
    assert response.status_code == 302, flashes(response)
    db.session.rollback()
    assert db.session.get(Question, item.id).origin == "edited"
