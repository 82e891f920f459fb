"""Taking a quiz through the test client: start, answer, resume, submit once, result."""
import re

import pytest
from markupsafe import escape
from sqlalchemy import event, func, select

from studyapp.attempting import start_attempt, submit_attempt
from studyapp.models import Attempt, AttemptItem, Option, Question, Response
from tests.conftest import TINY_ITEMS

DRAFT_ITEM = """\
  - id: t-draft
    kind: true_false
    status: draft
    stem: "A draft statement."
    key: true
    explanation: "Draft."
"""


def start(client, csrf, slug="tiny", n=5, mode="exam"):
    """Start a quiz through the bank page form; return the attempt id."""
    response = client.post(f"/banks/{slug}", data={"n_items": str(n), "mode": mode, "csrf_token": csrf(client)})
    assert response.status_code == 303, re.findall(r"(?:error-message|invalid-feedback)[^>]*>([^<]*)", response.get_data(as_text=True))
    return int(re.search(r"/attempts/(\d+)/q/1$", response.location).group(1))


def attempt_items(db, attempt_id):
    return list(db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)))


def answer(client, csrf, attempt_id, position, **data):
    data.setdefault("next", "1")
    data["csrf_token"] = csrf(client)
    return client.post(f"/attempts/{attempt_id}/q/{position}", data=data)


def shown_id(ai: AttemptItem, text: str) -> str:
    """The value the browser sends for the option of ``ai`` whose text is ``text``."""
    return str(next(ao.id for ao in ai.shown_options if ao.option.text == text))


def key_answer(ai: AttemptItem) -> dict:
    """Form data answering the item of ``ai`` correctly (choices as shown-option ids)."""
    item = ai.item
    keys = [str(ao.id) for ao in ai.shown_options if ao.option.is_key]
    if item.kind in ("single_choice", "true_false"):
        return {"choice": keys[0]}
    if item.kind == "multiple_response":
        return {"choices": keys}
    gaps = {}
    for a in item.accepted_answers:
        gaps.setdefault(f"gaps-{a.gap}", a.text)
    return gaps


def test_bank_list_shows_counts_and_best_score(client, login_as, symposium_bank):
    """The bank list shows the number of published items; best score appears after an attempt."""
    login_as("learner")
    page = client.get("/banks").get_data(as_text=True)
    total = len(symposium_bank.items)
    assert f"{total} items" in page and "not attempted yet" in page


def test_start_picks_n_distinct_published_items_and_fixes_option_order(client, csrf, login_as, make_bank, db):
    """An attempt holds N distinct published items, with the shown option order stored."""
    make_bank(TINY_ITEMS + DRAFT_ITEM)
    login_as("learner")
    attempt_id = start(client, csrf, n=50)
    items = attempt_items(db, attempt_id)
    assert len(items) == 5  # capped at the published items; the draft is never asked
    assert "t-draft" not in {ai.item.ext_id for ai in items}
    assert len({ai.item_id for ai in items}) == 5
    for ai in items:
        assert sorted(ao.option_id for ao in ai.shown_options) == sorted(o.id for o in ai.item.options)
        assert [ao.position for ao in ai.shown_options] == list(range(len(ai.item.options)))


def test_default_number_of_items_is_ten(client, csrf, login_as, symposium_bank, db):
    """The start form is pre-filled with 10 and an attempt of 10 items results."""
    login_as("learner")
    assert 'value="10"' in client.get("/banks/harbin-symposium-2023").get_data(as_text=True)
    attempt_id = start(client, csrf, slug="harbin-symposium-2023", n=10)
    assert len(attempt_items(db, attempt_id)) == 10


@pytest.mark.parametrize("value", ["0", "101", "abc", ""])
def test_bad_number_of_items_is_refused(client, csrf, login_as, make_bank, db, value):
    """A number of items outside 1-100 gives 400 with a message and starts nothing."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    response = client.post("/banks/tiny", data={"n_items": value, "mode": "exam", "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_question_page_never_contains_the_key(client, csrf, login_as, symposium_bank, db):
    """No question page reveals keys, accepted answers, explanations or the cited passage."""
    login_as("learner")
    attempt_id = start(client, csrf, slug="harbin-symposium-2023", n=len(symposium_bank.items))
    for ai in attempt_items(db, attempt_id):
        html = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
        item = ai.item
        assert str(escape(item.stem.split("___")[0][:40])) in html
        assert "is_key" not in html and "text-bg-success" not in html
        assert item.explanation not in html
        assert item.passage.text not in html
        typed_values = set(re.findall(r'<input[^>]*type="text"[^>]*value="([^"]*)"', html))
        assert typed_values <= {""}  # text inputs are never pre-filled with an accepted answer
        if item.options:
            # every option is rendered the same way, key or distractor
            shapes = {re.sub(r'value="\d+"|id="choices?-\d+"|for="choices?-\d+"', "", m)
                      for m in re.findall(r'<input[^>]*name="choices?"[^>]*>', html)}
            assert len(shapes) == 1


def test_full_attempt_is_marked_on_the_server(client, csrf, login_as, make_bank, db):
    """Right, partial and wrong answers give the expected marks and score; the result shows keys and passages."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf)
    for ai in attempt_items(db, attempt_id):
        item = ai.item
        if item.ext_id == "t-multi":
            data = {"choices": [shown_id(ai, "Right 1")]}         # one of two keys: 0.5
        elif item.ext_id == "t-cloze":
            data = {"gaps-0": "ＭＥＥＴＩＮＧ", "gaps-1": "  harbin "}   # full-width and spaces: 1
        elif item.ext_id == "t-short":
            data = {"gaps-0": "Shenyang"}                          # wrong: 0
        else:
            data = key_answer(ai)                                  # right: 1 each (2 items)
        assert answer(client, csrf, attempt_id, ai.position, **data).status_code == 303
    response = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.location.endswith(f"/attempts/{attempt_id}/result")
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.marks == pytest.approx(3.5)
    assert attempt.score_percent == pytest.approx(70.0)
    marks = {ai.item.ext_id: ai.response.mark for ai in attempt_items(db, attempt_id)}
    assert marks == {"t-single": 1.0, "t-multi": 0.5, "t-tf": 1.0, "t-short": 0.0, "t-cloze": 1.0}
    html = client.get(response.location).get_data(as_text=True)
    assert 'id="score">70%' in html
    assert "First passage text." in html and "Third passage text." in html
    assert "Because passage one says so." in html
    assert "Harbin / Haerbin" in html  # accepted answers shown after submission


def test_true_false_false_is_an_answer(client, csrf, login_as, make_bank, db):
    """Choosing the option 'False' is recorded and marked, not treated as 'no answer'."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf)
    ai = next(ai for ai in attempt_items(db, attempt_id) if ai.item.ext_id == "t-tf")
    answer(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "False"))
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    db.session.expire_all()
    assert db.session.get(AttemptItem, ai.id).response.mark == 1.0


def test_responses_are_kept_when_leaving_and_coming_back(client, csrf, login_as, make_bank, db):
    """A saved answer is shown checked on return, and the bank page offers to resume."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf)
    ai = attempt_items(db, attempt_id)[0]
    data = key_answer(ai)
    answer(client, csrf, attempt_id, 1, **data)
    assert "Resume your quiz" in client.get("/banks").get_data(as_text=True)
    html = client.get(f"/attempts/{attempt_id}/q/1").get_data(as_text=True)
    value = data.get("choice") or (data.get("choices") or [None])[0] or data.get("gaps-0")
    assert re.search(rf'<input[^>]*checked[^>]*value="{value}"|<input[^>]*value="{value}"[^>]*checked'
                     rf'|value="{re.escape(str(value))}"', html)


def test_foreign_option_is_refused_with_400(client, csrf, login_as, make_bank, make_user, db):
    """A value that is not a shown option of this item in this attempt gives 400 and records nothing:
    another item's shown option, another attempt's, a raw option id, or not a number."""
    bank = make_bank(TINY_ITEMS)
    other_attempt = start_attempt(make_user(), bank, 5)
    login_as("learner")
    attempt_id = start(client, csrf)
    items = attempt_items(db, attempt_id)
    single = next(ai for ai in items if ai.item.ext_id == "t-single")
    multi = next(ai for ai in items if ai.item.ext_id == "t-multi")
    theirs = next(ai for ai in attempt_items(db, other_attempt.id) if ai.item.ext_id == "t-single")
    own_ids = {ao.id for ai in items for ao in ai.shown_options}
    raw_option = next(o.id for o in single.item.options if o.id not in own_ids)
    for value in (shown_id(multi, "Right 1"), shown_id(theirs, "Right"), str(raw_option), "abc", "-1"):
        assert answer(client, csrf, attempt_id, single.position, choice=value).status_code == 400, value
    response = answer(client, csrf, attempt_id, multi.position,
                      choices=[shown_id(multi, "Right 1"), shown_id(single, "Right")])
    assert response.status_code == 400
    assert "not one of the options" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_option_values_do_not_hint_at_the_key(client, csrf, login_as, symposium_bank, db):
    """The values of the options on a question page rise in display order, whatever the key is,
    so their order says nothing about which option is the key."""
    login_as("learner")
    attempt_id = start(client, csrf, slug="harbin-symposium-2023", n=len(symposium_bank.items))
    for ai in attempt_items(db, attempt_id):
        if not ai.shown_options:
            continue
        html = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
        values = [int(v) for v in re.findall(r'<input[^>]*name="choices?"[^>]*value="(\d+)"', html)]
        assert values == sorted(values) == [ao.id for ao in ai.shown_options]
        assert not {o.id for o in ai.item.options} & set(values) - {ao.id for ao in ai.shown_options}


def test_double_submit_records_once(client, csrf, login_as, make_bank, db):
    """A second submit (double click, back button, other tab) changes nothing and shows the result."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf)
    first = attempt_items(db, attempt_id)[0]
    answer(client, csrf, attempt_id, 1, **key_answer(first))
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    submitted_at, score = attempt.submitted_at, attempt.score_percent
    again = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "already been submitted" in again.get_data(as_text=True)
    # a late answer from a stale tab is not recorded either
    late = answer(client, csrf, attempt_id, 2, **key_answer(attempt_items(db, attempt_id)[1]))
    assert late.status_code == 303 and late.location.endswith("/result")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.submitted_at, attempt.score_percent) == (submitted_at, score)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert submit_attempt(attempt).submitted is False


def test_other_learners_attempt_is_404(client, csrf, login_as, make_bank, make_user, db):
    """Every attempt URL of another learner answers 404, for reading and for writing."""
    bank = make_bank(TINY_ITEMS)
    other = start_attempt(make_user("learner"), bank, 5)
    other_id = other.id
    option = next(ai for ai in attempt_items(db, other_id) if ai.shown_options).shown_options[0].id
    login_as("learner")
    token = csrf(client)
    assert client.get(f"/attempts/{other_id}/q/1").status_code == 404
    assert client.get(f"/attempts/{other_id}/review").status_code == 404
    assert client.get(f"/attempts/{other_id}/result").status_code == 404
    assert client.post(f"/attempts/{other_id}/q/1", data={"choice": option, "csrf_token": token}).status_code == 404
    assert client.post(f"/attempts/{other_id}/submit", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Attempt, other_id).status == "in_progress"
    assert client.get("/attempts/999999/result").status_code == 404


def test_quiz_pages_need_login_and_csrf(client, csrf, login_as, make_bank, db):
    """Anonymous users are sent to log in; a POST without CSRF token is refused with 400."""
    make_bank(TINY_ITEMS)
    assert client.get("/banks").status_code == 302
    login_as("learner")
    assert client.post("/banks/tiny", data={"n_items": "3"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_unknown_bank_and_position_are_404(client, csrf, login_as, make_bank):
    """Unknown bank slugs and question numbers out of range answer 404."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    assert client.get("/banks/nope").status_code == 404
    attempt_id = start(client, csrf, n=2)
    assert client.get(f"/attempts/{attempt_id}/q/3").status_code == 404
    assert client.get(f"/attempts/{attempt_id}/q/0").status_code == 404


def test_bank_without_published_items_starts_nothing(client, csrf, login_as, make_bank, db):
    """A bank of drafts only shows a message and starts no attempt."""
    make_bank(DRAFT_ITEM, slug="drafts")
    login_as("learner")
    response = client.post("/banks/drafts", data={"n_items": "3", "mode": "exam", "csrf_token": csrf(client)},
                           follow_redirects=True)
    assert "no published items" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_study_text_lists_numbered_passages(client, login_as, symposium_bank):
    """The study text page shows every passage with its anchor."""
    login_as("learner")
    html = client.get("/sources/harbin-symposium-2023").get_data(as_text=True)
    for passage in symposium_bank.document.passages:
        assert f'id="p{passage.number}"' in html


def _count_queries(db, fn):
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return counter["n"]


def test_result_page_query_count_does_not_grow_with_items(client, csrf, login_as, symposium_bank, db):
    """The result page of a 3-item and of a 30-item attempt run the same number of queries.
    (The 3 items are of every sort the page loads: options and typed answers; a random draw of
    text items only would skip the option queries.)"""
    user = login_as("learner")
    items = db.session.scalars(select(Question).where(Question.bank_id == symposium_bank.id)
                               .order_by(Question.id)).all()
    mixed = [next(i.id for i in items if i.kind == k) for k in ("single_choice", "short_answer", "cloze")]
    counts = []
    for ids in (mixed, [i.id for i in items][:30]):
        attempt_id = start_attempt(user, symposium_bank, len(ids), item_ids=ids).id
        for ai in attempt_items(db, attempt_id):
            answer(client, csrf, attempt_id, ai.position, **key_answer(ai))
        client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
        assert db.session.get(Attempt, attempt_id).score_percent == 100.0
        counts.append(_count_queries(db, lambda: client.get(f"/attempts/{attempt_id}/result")))
    assert counts[0] == counts[1]


def test_concurrent_submits_mark_once(app, db, make_bank, make_user):
    """Two submits of one attempt at the same moment (two tabs): exactly one marks it."""
    import threading

    bank = make_bank(TINY_ITEMS)
    attempt_id = start_attempt(make_user(), bank, 5).id
    outcomes, barrier = [], threading.Barrier(2)

    def submit():
        with app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            barrier.wait()
            outcomes.append(submit_attempt(attempt).submitted)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == [False, True]


def test_resume_goes_to_first_unanswered_item(client, csrf, login_as, make_bank, db):
    """Resuming an attempt opens its first unanswered item, then the review page once all are answered."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=3)
    items = attempt_items(db, attempt_id)
    answer(client, csrf, attempt_id, 1, **key_answer(items[0]))
    assert client.get(f"/attempts/{attempt_id}").location.endswith(f"/attempts/{attempt_id}/q/2")
    for ai in items[1:]:
        answer(client, csrf, attempt_id, ai.position, **key_answer(ai))
    assert client.get(f"/attempts/{attempt_id}").location.endswith(f"/attempts/{attempt_id}/review")
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    assert client.get(f"/attempts/{attempt_id}").location.endswith(f"/attempts/{attempt_id}/result")


def test_question_numbers_save_and_jump(client, csrf, login_as, make_bank, db):
    """The numbered buttons save the current answer and go to that question."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=4)
    first = attempt_items(db, attempt_id)[0]
    response = answer(client, csrf, attempt_id, 1, goto="4", **key_answer(first))
    assert response.location.endswith(f"/attempts/{attempt_id}/q/4")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_two_choices_on_a_single_choice_item_are_refused(client, csrf, login_as, make_bank, db):
    """Sending two values for a one-answer question gives 400 and records nothing."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf)
    single = next(ai for ai in attempt_items(db, attempt_id) if ai.item.ext_id == "t-single")
    response = answer(client, csrf, attempt_id, single.position,
                      choice=[shown_id(single, "Right"), shown_id(single, "Wrong A")])
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
