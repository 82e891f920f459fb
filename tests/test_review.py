"""Drafts: storing generated items, and the instructor's review queue."""
import pytest
from sqlalchemy import func, select

from studyapp.attempting import start_attempt
from studyapp.interchange.records import DocumentRecord, ItemRecord, OptionRecord, PassageRecord
from studyapp.interchange.store import StoreError, store_drafts
from studyapp.models import Bank, Question

DOC = DocumentRecord(slug="gen-doc", title="A text", passages=[
    PassageRecord(1, "The meeting was held in Harbin."), PassageRecord(2, "It was chaired by the mayor.")])


def drafts_records():
    """Three generated items as the generator would hand them over."""
    return [
        ItemRecord(ext_id="gen-a", kind="single_choice", stem="Where was the meeting held?", passage=1,
                   explanation="Passage 1 names Harbin.", origin="generated",
                   options=[OptionRecord("Harbin", True), OptionRecord("Shenyang"), OptionRecord("Dalian"),
                            OptionRecord("Changchun")]),
        ItemRecord(ext_id="gen-b", kind="true_false", stem="The mayor chaired the meeting.", passage=2,
                   explanation="Passage 2 says so.", origin="generated",
                   options=[OptionRecord("True", True), OptionRecord("False")]),
        ItemRecord(ext_id="gen-c", kind="short_answer", stem="Who chaired the meeting?", passage=2,
                   explanation="Passage 2: the mayor.", origin="generated", answers=[["the mayor", "mayor"]]),
    ]


def status_of(db, ext_id):
    return db.session.scalar(select(Question.status).where(Question.ext_id == ext_id))


def test_store_drafts_adds_only_new_items(db):
    """Drafts are stored as drafts; storing the same items again adds nothing and changes nothing."""
    report = store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    assert report.added == ["gen-a", "gen-b", "gen-c"] and report.already_there == []
    assert {status_of(db, e) for e in ("gen-a", "gen-b", "gen-c")} == {"draft"}
    db.session.execute(Question.__table__.update().where(Question.ext_id == "gen-a").values(status="published"))
    db.session.commit()
    again = store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    assert again.added == [] and again.already_there == ["gen-a", "gen-b", "gen-c"]
    assert status_of(db, "gen-a") == "published"  # an approved item is not brought back to draft
    assert db.session.scalar(select(func.count()).select_from(Question)) == 3


def test_store_drafts_refuses_another_text_under_the_same_name(db):
    """A different text with the same document slug is refused and nothing is written."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records()[:1])
    other = DocumentRecord(slug="gen-doc", title="Other", passages=[PassageRecord(1, "Something else.")])
    with pytest.raises(StoreError, match="different text"):
        store_drafts("gen-bank", "Generated bank", other, drafts_records()[1:])
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1


def test_drafts_never_reach_learners(db, make_user):
    """A bank of drafts cannot be started; approved items can."""
    from studyapp.attempting import EmptyBank

    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    bank = db.session.scalar(select(Bank).where(Bank.slug == "gen-bank"))
    with pytest.raises(EmptyBank):
        start_attempt(make_user(), bank, 10)


def test_review_queue_shows_drafts_with_key_and_passage(client, login_as, db):
    """The queue lists each draft with its key marked and its cited passage."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    login_as("instructor")
    page = client.get("/teach/banks/gen-bank/review").get_data(as_text=True)
    assert page.count('class="card mb-3 review-item"') == 3
    assert '<mark class="key fw-semibold">Harbin</mark>' in page
    assert "The meeting was held in Harbin." in page
    assert '<mark class="key">the mayor</mark>' in page


def test_approve_two_reject_one(client, csrf, login_as, db, make_user):
    """Approving publishes, rejecting retires; approved items then appear in a learner's quiz."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    ids = {e: db.session.scalar(select(Question.id).where(Question.ext_id == e)) for e in ("gen-a", "gen-b", "gen-c")}
    login_as("instructor")
    token = csrf(client)
    response = client.post("/teach/banks/gen-bank/review", data={
        "item_ids": [ids["gen-a"], ids["gen-b"]], "approve": "1", "csrf_token": token})
    assert response.status_code == 303
    response = client.post("/teach/banks/gen-bank/review", data={
        "item_ids": [ids["gen-c"]], "reject": "1", "csrf_token": token}, follow_redirects=True)
    assert "1 item(s) rejected" in response.get_data(as_text=True)
    assert [status_of(db, e) for e in ("gen-a", "gen-b", "gen-c")] == ["published", "published", "retired"]
    bank = db.session.scalar(select(Bank).where(Bank.slug == "gen-bank"))
    attempt = start_attempt(make_user(), bank, 10)
    assert sorted(ai.item.ext_id for ai in attempt.attempt_items) == ["gen-a", "gen-b"]


def test_review_ignores_other_banks_items_and_non_drafts(client, csrf, login_as, db, make_bank):
    """Ids of another bank's items, or of items no longer drafts, are left alone and counted as skipped."""
    from tests.conftest import TINY_ITEMS

    make_bank(TINY_ITEMS)  # published items of bank "tiny"
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    foreign = db.session.scalar(select(Question.id).where(Question.ext_id == "t-single"))
    login_as("instructor")
    response = client.post("/teach/banks/gen-bank/review", data={
        "item_ids": [foreign], "reject": "1", "csrf_token": csrf(client)}, follow_redirects=True)
    assert "0 item(s) rejected" in response.get_data(as_text=True)
    assert status_of(db, "t-single") == "published"


def test_review_pages_are_for_instructors(client, csrf, login_as, db):
    """Learners get 403 on the queue and its POST; without CSRF the POST is refused with 400."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    item_id = db.session.scalar(select(Question.id).where(Question.ext_id == "gen-a"))
    login_as("learner")
    assert client.get("/teach/banks/gen-bank/review").status_code == 403
    assert client.post("/teach/banks/gen-bank/review", data={
        "item_ids": [item_id], "approve": "1", "csrf_token": csrf(client)}).status_code == 403
    assert client.get("/teach/banks").status_code == 403
    assert status_of(db, "gen-a") == "draft"


def test_review_without_csrf_is_refused(client, login_as, db):
    """A review POST without the CSRF token is refused and changes nothing."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    item_id = db.session.scalar(select(Question.id).where(Question.ext_id == "gen-a"))
    login_as("instructor")
    assert client.post("/teach/banks/gen-bank/review", data={"item_ids": [item_id], "approve": "1"}).status_code == 400
    assert status_of(db, "gen-a") == "draft"


def test_banks_page_counts_statuses(client, login_as, db):
    """The banks page shows drafts, published and retired per bank."""
    store_drafts("gen-bank", "Generated bank", DOC, drafts_records())
    login_as("instructor")
    page = client.get("/teach/banks").get_data(as_text=True)
    assert "Generated bank" in page
    assert '<td class="text-end">3</td><td class="text-end">0</td><td class="text-end">0</td>' in page
