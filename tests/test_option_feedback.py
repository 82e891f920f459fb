"""Per-option feedback (Moodle's per-answer feedback): read from files, stored, exported, and shown to
a learner only after the response is final, under the option the learner chose."""
from __future__ import annotations

from sqlalchemy import select

from studyapp.interchange.formats import FORMATS
from studyapp.interchange.store import bank_record, import_items
from studyapp.models import Bank, Option, Question
from tests.test_modes import check
from tests.test_quiz import attempt_items, answer, shown_id, start

GIFT = """\
::fb-city::Which city hosted the symposium? {
  =Harbin #Right: the capital of Heilongjiang.
  ~Shenyang #No: Shenyang is in Liaoning.
  ~Dalian
####The symposium met in Harbin.}

::fb-tf::Harbin is in Jilin. {F#No, Harbin is in Heilongjiang.#Right, it is not in Jilin.####Harbin is in Heilongjiang.}
"""


def _load(db):
    parsed = FORMATS["gift"].read(GIFT.encode("utf-8"), "fb.gift")
    import_items("fb", parsed.items, title="Feedback bank", carries=parsed.carries)
    return db.session.scalar(select(Bank).where(Bank.slug == "fb"))


def test_feedback_is_stored_and_every_format_that_has_it_gives_it_back(db):
    bank = _load(db)
    city = db.session.scalar(select(Question).where(Question.ext_id == "fb-city"))
    assert [(o.text, o.feedback) for o in city.options] == [
        ("Harbin", "Right: the capital of Heilongjiang."), ("Shenyang", "No: Shenyang is in Liaoning."), ("Dalian", "")]
    tf = db.session.scalar(select(Question).where(Question.ext_id == "fb-tf"))
    assert [(o.text, o.is_key, o.feedback) for o in tf.options] == [
        ("True", False, "No, Harbin is in Heilongjiang."), ("False", True, "Right, it is not in Jilin.")]
    record = bank_record(bank)
    for name in ("gift", "json", "yaml"):
        data, skipped = FORMATS[name].write(record)
        back = FORMATS[name].read(data, f"x{FORMATS[name].extension}")
        assert skipped == [] and back.items == record.items, name
    # CSV and Aiken do not carry feedback: importing them back keeps what the bank has
    for name in ("csv", "aiken"):
        data, _ = FORMATS[name].write(record)
        parsed = FORMATS[name].read(data, f"x{FORMATS[name].extension}")
        report = import_items("fb", parsed.items, carries=parsed.carries)
        assert (report.created, report.updated, report.unchanged) == ([], [], ["fb-city", "fb-tf"]), name
        assert bank_record(bank).items == record.items, name


def test_feedback_shows_after_submission_under_the_chosen_option_only(client, csrf, login_as, db):
    _load(db)
    login_as("learner")
    attempt_id = start(client, csrf, slug="fb", n=2, mode="exam")
    items = {ai.item.ext_id: ai for ai in attempt_items(db, attempt_id)}
    city = items["fb-city"]
    page = client.get(f"/attempts/{attempt_id}/q/{city.position}").get_data(as_text=True)
    assert "Shenyang is in Liaoning" not in page and "capital of Heilongjiang" not in page  # nothing before submitting
    answer(client, csrf, attempt_id, city.position, choice=shown_id(city, "Shenyang"))
    tf = items["fb-tf"]
    answer(client, csrf, attempt_id, tf.position, choice=shown_id(tf, "False"))
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert 'option-feedback">No: Shenyang is in Liaoning.</div>' in result
    assert "Right: the capital of Heilongjiang." not in result  # not chosen
    assert 'option-feedback">Right, it is not in Jilin.</div>' in result
    assert "No, Harbin is in Heilongjiang." not in result


def test_practice_shows_feedback_once_the_response_is_final(client, csrf, login_as, db):
    _load(db)
    bank = db.session.scalar(select(Bank).where(Bank.slug == "fb"))
    bank.second_try = True
    db.session.commit()
    login_as("learner")
    attempt_id = start(client, csrf, slug="fb", n=2, mode="practice")
    city = next(ai for ai in attempt_items(db, attempt_id) if ai.item.ext_id == "fb-city")
    first = check(client, csrf, attempt_id, city.position, choice=shown_id(city, "Shenyang"))
    page = client.get(first.location if first.status_code in (302, 303) else f"/attempts/{attempt_id}/q/{city.position}")
    assert "Shenyang is in Liaoning" not in page.get_data(as_text=True)  # a second try is still open
    check(client, csrf, attempt_id, city.position, choice=shown_id(city, "Harbin"))
    final = client.get(f"/attempts/{attempt_id}/q/{city.position}").get_data(as_text=True)
    assert 'option-feedback">Right: the capital of Heilongjiang.</div>' in final


def test_feedback_of_a_used_item_is_edited_in_place(db, make_user):
    """Feedback is not part of a version: changing it on an item learners met changes no version."""
    from studyapp.attempting import start_attempt, submit_attempt
    import random

    bank = _load(db)
    learner = make_user("learner")
    attempt = start_attempt(learner, bank, 2, random.Random(1))
    submit_attempt(attempt)
    parsed = FORMATS["gift"].read(GIFT.replace("No: Shenyang is in Liaoning.", "Shenyang is the capital of Liaoning.")
                                  .encode(), "fb.gift")
    report = import_items("fb", parsed.items, carries=parsed.carries)
    assert report.updated == ["fb-city"]
    city = db.session.scalar(select(Question).where(Question.ext_id == "fb-city", Question.superseded_by_id.is_(None)))
    assert city.version == 1
    assert db.session.scalar(select(Option.feedback).where(Option.item_id == city.id, Option.text == "Shenyang")) == \
        "Shenyang is the capital of Liaoning."
