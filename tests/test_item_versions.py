"""Item versions, regrading after a key correction, learners' reports, and quiz settings per bank."""
import random
import re

import pytest
from sqlalchemy import func, select

from studyapp.attempting import save_response, start_attempt, submit_attempt
from studyapp.kinds import ResponseData
from studyapp.models import Attempt, ItemReport, Question, Regrade
from studyapp.versioning import ItemContent, new_version, regrade
from tests.conftest import TINY_ITEMS


def _single(db):
    return db.session.scalar(select(Question).where(Question.ext_id == "t-single",
                                                    Question.superseded_by_id.is_(None)))


def _answer_single(db, user, bank, text):
    """A submitted one-item exam attempt on t-single choosing the option ``text``; its id."""
    item = _single(db)
    attempt = start_attempt(user, bank, 1, item_ids=[item.id])
    ai = attempt.attempt_items[0]
    save_response(attempt, ai, ResponseData(choice_ids=[next(o.id for o in item.options if o.text == text)]))
    submit_attempt(attempt)
    return attempt.id


def test_old_attempt_page_is_unchanged_after_an_edit(client, login_as, make_bank, make_user, db):
    """A learner's result page shows the item as it was asked, with its mark, after the
    instructor saved a new version with another stem and key."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    attempt_id = _answer_single(db, learner, bank, "Right")
    client.get(f"/attempts/{attempt_id}/result")       # (shows, and so clears, the login message)
    before = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    item = _single(db)
    content = ItemContent.of(item)
    content.stem = "Pick the correct one (reworded)."
    content.options = [("Right", False), ("Wrong A", True), ("Wrong B", False)]
    new_version(item, content)
    db.session.commit()
    after = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    # CSRF tokens (in forms and the page's meta tag) carry a timestamp: they differ between requests
    strip = lambda page: re.sub(r'"[A-Za-z0-9._-]{60,}"', '"TOKEN"', page)  # noqa: E731
    assert strip(after) == strip(before)
    assert "Pick the right one." in after and "reworded" not in after
    assert db.session.get(Attempt, attempt_id).score_percent == 100.0


def test_regrade_after_a_key_correction(client, csrf, login_as, make_bank, make_user, db):
    """The key moves from "Right" to "Wrong A" in version 2; regrading re-marks the version-1
    responses by option text: Ann (chose Wrong A) 0 -> 1, Bob (chose Right) 1 -> 0; their
    scores follow and Ann's result page shows the note."""
    bank = make_bank(TINY_ITEMS)
    ann, bob = make_user("learner"), make_user("learner")
    a_id = _answer_single(db, ann, bank, "Wrong A")
    b_id = _answer_single(db, bob, bank, "Right")
    item = _single(db)
    content = ItemContent.of(item)
    content.options = [("Right", False), ("Wrong A", True), ("Wrong B", False)]
    v2 = new_version(item, content)
    db.session.commit()

    login_as("instructor")
    page = client.get(f"/teach/items/{v2.id}/versions").get_data(as_text=True)
    assert "Regrade past attempts" in page and re.search(r"<td>1</td><td>retired</td>", page)
    response = client.post(f"/teach/items/{v2.id}/regrade", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "2 past response(s) re-marked" in response.get_data(as_text=True)
    assert "2 mark(s) changed in 2 attempt(s)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, a_id).score_percent == 100.0
    assert db.session.get(Attempt, b_id).score_percent == 0.0
    changes = db.session.execute(select(Regrade.old_mark, Regrade.new_mark, Regrade.old_score, Regrade.new_score)
                                 .order_by(Regrade.id)).all()
    assert [tuple(c) for c in changes] == [(0.0, 1.0, 0.0, 100.0), (1.0, 0.0, 100.0, 0.0)]

    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as(ann)
    result = " ".join(client.get(f"/attempts/{a_id}/result").get_data(as_text=True).split())
    assert "its mark changed from 0.00 to 1.00, and the attempt's score from 0% to 100%." in result
    assert regrade(db.session.get(Question, v2.id)).changed == 0       # regrading again changes nothing


def test_learner_reports_an_item_and_the_instructor_resolves_it(client, csrf, login_as, make_bank, make_user, db):
    """A report from the result page (reason, comment with HTML stripped) lists the item on the
    bank's reports page; a second report of the same attempt item is refused with 409; resolving
    closes it. Learners cannot open the reports page."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    attempt_id = _answer_single(db, learner, bank, "Wrong B")
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Report a problem with this question" in page
    data = {"reason": "wrong_key", "comment": "<b>Passage one</b> says Wrong B", "csrf_token": csrf(client)}
    response = client.post(f"/attempts/{attempt_id}/items/1/report", data=data)
    assert response.status_code == 303
    report = db.session.scalar(select(ItemReport))
    assert (report.reason, report.comment) == ("wrong_key", "Passage one says Wrong B")
    again = client.post(f"/attempts/{attempt_id}/items/1/report", data=data)
    assert again.status_code == 409 and "already reported" in again.get_data(as_text=True)
    bad = client.post(f"/attempts/{attempt_id}/items/1/report", data={**data, "reason": "nonsense"})
    assert bad.status_code == 400
    assert client.get("/teach/banks/tiny/reports").status_code == 403

    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    page = client.get("/teach/banks/tiny/reports").get_data(as_text=True)
    assert "The key is wrong" in page and "Passage one says Wrong B" in page and "<b>" not in page
    assert "1 item(s) of this bank were reported" in client.get("/teach/banks/tiny/review").get_data(as_text=True)
    done = client.post("/teach/banks/tiny/reports/t-single/resolve",
                       data={"resolution": "Key checked: it is right.", "csrf_token": csrf(client)})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(ItemReport)).resolution == "Key checked: it is right."
    assert "No open reports." in client.get("/teach/banks/tiny/reports").get_data(as_text=True)


def test_reports_of_others_and_of_open_attempts_are_refused(client, csrf, login_as, make_bank, make_user, db):
    """Reporting on another learner's attempt is 404, on one's own attempt in progress 409."""
    bank = make_bank(TINY_ITEMS)
    other = _answer_single(db, make_user("learner"), bank, "Right")
    learner = login_as("learner")
    open_attempt = start_attempt(learner, bank, 1)
    data = {"reason": "typo", "comment": "", "csrf_token": csrf(client)}
    assert client.post(f"/attempts/{other}/items/1/report", data=data).status_code == 404
    assert client.post(f"/attempts/{open_attempt.id}/items/1/report", data=data).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(ItemReport)) == 0


def test_quiz_settings_are_applied(client, csrf, login_as, make_bank, make_user, db):
    """Default number of questions, no option shuffling (bank order kept), feedback only after
    submission (practice refused), and no item review for learners (the instructor still sees it)."""
    bank = make_bank(TINY_ITEMS)
    bank.default_items, bank.shuffle_options, bank.feedback, bank.review_allowed = 3, False, "after_submission", False
    db.session.commit()
    learner = login_as("learner")
    page = client.get("/banks/tiny").get_data(as_text=True)
    assert 'name="n_items" type="number" value="3"' in page or 'value="3"' in page
    assert 'value="practice"' not in page and 'value="exam"' in page
    refused = client.post("/banks/tiny", data={"n_items": "2", "mode": "practice", "csrf_token": csrf(client)})
    assert refused.status_code == 400
    attempt = start_attempt(learner, bank, 5, rng=random.Random(3))
    for ai in attempt.attempt_items:
        assert [ao.option_id for ao in ai.shown_options] == [o.id for o in ai.item.options]
    submit_attempt(attempt)
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'id="no-review"' in result and "result-item" not in result
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    assert client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True).count("result-item") == 5


def test_items_the_statistics_flag_are_back_in_the_review_queue(client, login_as, make_bank, make_user, db):
    """An item every one of ten learners answered right is flagged too easy, and the bank's
    review queue lists it with the flag's sentence; with nine learners it is not flagged."""
    bank = make_bank(TINY_ITEMS)
    tf = db.session.scalar(select(Question).where(Question.ext_id == "t-tf"))
    false_option = next(o.id for o in tf.options if o.is_key)
    for n in range(10):
        attempt = start_attempt(make_user("learner"), bank, 1, item_ids=[tf.id])
        save_response(attempt, attempt.attempt_items[0], ResponseData(choice_ids=[false_option]))
        submit_attempt(attempt)
        if n == 8:
            login_as("instructor")
            assert 'id="flagged"' not in client.get("/teach/banks/tiny/review").get_data(as_text=True)
    page = client.get("/teach/banks/tiny/review").get_data(as_text=True)
    flagged = page[page.index('id="flagged"'):]
    assert "t-tf v1" in flagged and "facility" in flagged.lower()


def _moved_key_version(db, make_bank, make_user):
    """Two learners answered t-single (Ann "Wrong A", Bob "Right"); version 2 moves the key to
    "Wrong A". Returns (version 2, Ann's attempt id, Bob's attempt id)."""
    bank = make_bank(TINY_ITEMS)
    a_id = _answer_single(db, make_user("learner"), bank, "Wrong A")
    b_id = _answer_single(db, make_user("learner"), bank, "Right")
    item = _single(db)
    content = ItemContent.of(item)
    content.options = [("Right", False), ("Wrong A", True), ("Wrong B", False)]
    v2 = new_version(item, content)
    db.session.commit()
    return v2, a_id, b_id


def test_simultaneous_regrades_change_each_score_once(app, db, make_bank, make_user):
    """Four regrades of one item at the same moment (two tabs, a retry): the marks change once,
    scores stay 0-100 (Ann 100%, Bob 0%) and there is one Regrade row per changed response."""
    from tests.test_modes import _run_together

    v2, a_id, b_id = _moved_key_version(db, make_bank, make_user)
    v2_id = v2.id

    def work(i):
        return regrade(db.session.get(Question, v2_id)).changed

    assert sorted(_run_together(app, db, 4, work)) == [0, 0, 0, 2]
    db.session.expire_all()
    assert (db.session.get(Attempt, a_id).score_percent, db.session.get(Attempt, b_id).score_percent) == (100.0, 0.0)
    assert db.session.scalar(select(func.count()).select_from(Regrade)) == 2


def test_a_later_version_cannot_be_deleted(client, csrf, login_as, make_bank, make_user, db):
    """Version 2 of an answered item (regrade notes refer to it) cannot be deleted in the admin."""
    v2, _, _ = _moved_key_version(db, make_bank, make_user)
    regrade(v2)
    login_as("instructor")
    response = client.post("/admin/items/delete/", data={"id": str(v2.id), "url": "/admin/items/",
                                                          "csrf_token": csrf(client)}, follow_redirects=True)
    assert "this is a version of an item learners have answered" in response.get_data(as_text=True)
    assert db.session.get(Question, v2.id) is not None
    assert db.session.scalar(select(func.count()).select_from(Regrade)) == 2


def test_exam_only_bank_closes_practice_review_and_flashcards(client, csrf, login_as, make_bank, make_user, db):
    """With feedback only after submission, practising a passage or the weakest passages, a
    review session and flashcards are refused with 409 and a message (no 500, no key shown)."""
    from studyapp import scheduling

    bank = make_bank(TINY_ITEMS)
    bank.feedback = "after_submission"
    db.session.commit()
    user = login_as("learner")
    card = scheduling.record_review(user.id, _single(db).id, 1, "exam")
    card.due = card.due.replace(year=card.due.year - 1)       # due (long overdue)
    db.session.commit()
    token = csrf(client)
    for url in ("/sources/tiny-source/p/1/practice", "/banks/tiny/weakest", "/review/tiny/start"):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 409, url
        assert "feedback comes only after submission" in response.get_data(as_text=True), url
    assert client.get("/banks/tiny/flashcards").status_code == 409
    assert client.post(f"/banks/tiny/flashcards/{_single(db).id}/flip", data={"csrf_token": token}).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_admin_refuses_a_bank_slug_that_breaks_its_addresses(client, csrf, login_as, make_bank, db):
    """A slug such as "a/b" is refused with a message; the bank keeps its slug."""
    bank = make_bank(TINY_ITEMS)
    login_as("instructor")
    response = client.post("/admin/bank/edit/", query_string={"id": bank.id}, data={
        "csrf_token": csrf(client), "title": bank.title, "slug": "a/b", "description": "",
        "document": str(bank.document_id), "published": "y", "default_items": "10", "feedback": "any"})
    assert "Use lower-case letters, digits and" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(bank), bank.id).slug == "tiny"


def test_report_text_is_kept_as_plain_text_and_resolved_once(client, csrf, login_as, make_bank, make_user, db):
    """A comment "Tom & Jerry <3 — 5 > 4" is stored and shown as written (escaped once); two
    resolves of the same item: the first closes the report, the second finds nothing (404);
    the resolution note is listed under "Recently resolved"."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    attempt_id = _answer_single(db, learner, bank, "Right")
    client.post(f"/attempts/{attempt_id}/items/1/report",
                data={"reason": "typo", "comment": "Tom & Jerry <3 — 5 > 4", "csrf_token": csrf(client)})
    assert db.session.scalar(select(ItemReport.comment)) == "Tom & Jerry <3 — 5 > 4"
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    page = client.get("/teach/banks/tiny/reports").get_data(as_text=True)
    assert "Tom &amp; Jerry &lt;3 — 5 &gt; 4" in page and "&amp;amp;" not in page
    token = csrf(client)
    first = client.post("/teach/banks/tiny/reports/t-single/resolve", data={"resolution": "Fixed & checked", "csrf_token": token})
    second = client.post("/teach/banks/tiny/reports/t-single/resolve", data={"resolution": "again", "csrf_token": token})
    assert (first.status_code, second.status_code) == (303, 404)
    page = client.get("/teach/banks/tiny/reports").get_data(as_text=True)
    assert 'class="resolution">Fixed &amp; checked<' in page


@pytest.mark.parametrize("view, slug", [("bank", "ab\n"), ("bank", "a/b"), ("document", "a/b"), ("document", "ab\n")])
def test_admin_refuses_slugs_with_slashes_or_a_trailing_newline(client, csrf, login_as, make_bank, db, view, slug):
    """Bank and study-text slugs must be wholly lower-case letters, digits and '-'."""
    bank = make_bank(TINY_ITEMS)
    login_as("instructor")
    if view == "bank":
        target, data = bank.id, {"title": bank.title, "description": "", "document": str(bank.document_id),
                                 "published": "y", "default_items": "10", "feedback": "any"}
    else:
        target, data = bank.document_id, {"title": "Tiny source", "summary": "", "based_on": ""}
    response = client.post(f"/admin/{view}/edit/", query_string={"id": target},
                           data={"csrf_token": csrf(client), "slug": slug, **data})
    assert "Use lower-case letters, digits and" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(bank), bank.id).slug == "tiny" and bank.document.slug == "tiny-source"


def test_practice_opened_before_the_bank_became_exam_only_shows_no_key(client, csrf, login_as, make_bank, db):
    """A practice attempt started while feedback was allowed can no longer check or show answers
    once the instructor sets the bank to feedback only after submission (409)."""
    from tests.test_modes import check, position_of, response_of, start
    from tests.test_quiz import shown_id

    bank = make_bank(TINY_ITEMS)
    login_as("learner")
    practice_id = start(client, csrf, n=5, mode="practice")
    bank.feedback = "after_submission"
    db.session.commit()
    ai = position_of(db, practice_id, "t-single")
    refused = check(client, csrf, practice_id, ai.position, choice=shown_id(ai, "Right"))
    assert refused.status_code == 409 and "feedback comes only after submission" in refused.get_data(as_text=True)
    shown = client.post(f"/attempts/{practice_id}/q/{ai.position}", data={"show": "Show answer", "csrf_token": csrf(client)})
    assert shown.status_code == 409 and response_of(db, ai) is None
