"""Bad input on the study pages and settings: each refused with a clear message, nothing changed."""
import pytest
from sqlalchemy import func, select

from studyapp.attempting import start_attempt
from studyapp.interchange.store import store_drafts
from studyapp.models import Bank, Card, Question, User
from tests.conftest import TINY_ITEMS
from tests.test_review import DOC, drafts_records


def test_admin_sets_exam_settings_and_refuses_a_pass_mark_of_150(client, csrf, login_as, make_bank, db):
    """The bank form saves a time limit, attempts allowed and a pass mark; 150% and a time
    limit of -5 minutes are refused with messages and nothing changes."""
    bank = make_bank(TINY_ITEMS)
    login_as("instructor")
    base = {"csrf_token": csrf(client), "title": bank.title, "slug": bank.slug, "description": "",
            "document": str(bank.document_id), "published": "y", "second_try": "y"}
    bad = client.post("/admin/bank/edit/", query_string={"id": bank.id},
                      data={**base, "time_limit_minutes": "-5", "pass_mark_percent": "150"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Number must be between 0 and 100." in page
    assert "Number must be between 1 and 1440." in page
    db.session.rollback()
    assert db.session.get(Bank, bank.id).pass_mark_percent is None
    ok = client.post("/admin/bank/edit/", query_string={"id": bank.id},
                     data={**base, "time_limit_minutes": "20", "attempts_allowed": "3", "pass_mark_percent": "60"})
    assert ok.status_code == 302
    db.session.rollback()
    saved = db.session.get(Bank, bank.id)
    assert (saved.time_limit_minutes, saved.attempts_allowed, saved.pass_mark_percent) == (20, 3, 60.0)


@pytest.mark.parametrize("ids, extra, message", [
    (["99999999999999999999"], {"approve": "1"}, "The form could not be read"),
    (["0"], {"approve": "1"}, "The form could not be read"),
    (None, {"approve": "1", "reject": "1"}, "Choose either approve or reject, not both."),
])
def test_review_queue_refuses_odd_ids_and_double_actions(client, csrf, login_as, db, ids, extra, message):
    """Ids out of range, or both buttons at once, give 400 with a message; no draft changes."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    first = db.session.scalar(select(Question.id).where(Question.ext_id == "gen-a"))
    login_as("instructor")
    response = client.post("/teach/banks/gen-bank/review",
                           data={"item_ids": ids or [first], "csrf_token": csrf(client), **extra})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert set(db.session.scalars(select(Question.status))) == {"draft"}


@pytest.mark.parametrize("reps", ["-1", "abc", "1e3", "99999999999"])
def test_flashcard_rating_with_a_bad_review_count_is_refused(client, csrf, login_as, make_bank, db, reps):
    """A rating whose review count is not a count 0-10^6 gives 400; no card is made."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    item_id = db.session.scalar(select(Question.id).where(Question.ext_id == "t-single"))
    response = client.post(f"/banks/tiny/flashcards/{item_id}/rate",
                           data={"rating": "3", "reps": reps, "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert "review count" in response.get_data(as_text=True) or "valid integer" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Card)) == 0


@pytest.mark.parametrize("data, message", [
    ({}, "Choose a time zone."),
    ({"tz-timezone": "Factory"}, "Unknown time zone"),
    ({"tz-timezone": "localtime"}, "Unknown time zone"),
])
def test_time_zone_form_refuses_a_missing_or_odd_zone(client, csrf, login_as, db, data, message):
    """A missing zone, or a name from the zone database that is no place ("Factory",
    "localtime"), gives 400 with a message and keeps the saved zone."""
    user = login_as("learner")
    user.timezone = "Asia/Tokyo"
    db.session.commit()
    response = client.post("/auth/account/timezone", data={"tz-csrf_token": csrf(client), **data})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "Asia/Tokyo"


def test_bank_list_leaves_out_banks_without_published_items(client, login_as, make_bank, db):
    """A bank whose items are all drafts (a generated one) is not offered to learners."""
    make_bank(TINY_ITEMS)
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    login_as("learner")
    page = client.get("/banks").get_data(as_text=True)
    assert "Tiny bank tiny" in page and "Generated bank" not in page


def test_review_session_pages_do_not_offer_a_second_try(client, login_as, make_bank, make_user, db):
    """A review-mode question page does not promise a second try (review asks each item once)."""
    bank = make_bank(TINY_ITEMS)
    user = login_as("learner")
    attempt = start_attempt(user, bank, 1, mode="review")
    page = client.get(f"/attempts/{attempt.id}/q/1").get_data(as_text=True)
    assert "Each answer is marked when you check it." in page and "tried once more" not in page
