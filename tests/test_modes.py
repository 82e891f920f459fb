"""Study modes through the test client: practice with feedback and a second try, exams with
a time limit kept by the server, attempts allowed and a pass mark, and the FSRS cards that
every checked response updates."""
import re
from datetime import datetime, timedelta, timezone

import fsrs
import pytest
from sqlalchemy import func, select

from studyapp import clock
from studyapp.attempting import PRACTICE_PENALTY, close_expired, start_attempt
from studyapp.models import Attempt, AttemptItem, Card, Response, ReviewLog
from tests.conftest import TINY_ITEMS
from tests.test_quiz import attempt_items, key_answer, shown_id, start

T0 = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture()
def frozen():
    """Freeze the app clock at ``T0``; give it back to the system clock afterwards."""
    clock.set_time(T0)
    yield clock
    clock.reset()


TRIES_SEEN = re.compile(r'<input type="hidden" name="tries_seen" value="([0-9]+)">')


def tries_on_page(client, attempt_id, position) -> str:
    """The ``tries_seen`` value of the question's page as it is shown now ("0" if it has none)."""
    found = TRIES_SEEN.search(client.get(f"/attempts/{attempt_id}/q/{position}").get_data(as_text=True))
    return found.group(1) if found else "0"


def check(client, csrf, attempt_id, position, **data):
    """Press Check on the question's page as it is now (its ``tries_seen``, unless ``data`` gives one)."""
    data.setdefault("tries_seen", tries_on_page(client, attempt_id, position))
    data["check"] = "1"
    data["csrf_token"] = csrf(client)
    return client.post(f"/attempts/{attempt_id}/q/{position}", data=data)


def position_of(db, attempt_id, ext_id):
    return next(ai for ai in attempt_items(db, attempt_id) if ai.item.ext_id == ext_id)


def response_of(db, ai):
    db.session.expire_all()
    return db.session.scalar(select(Response).where(Response.attempt_item_id == ai.id))


def test_practice_right_first_try_shows_feedback_and_key(client, csrf, login_as, make_bank, db):
    """A right first answer is marked 1 at once; the page then shows "Right", the key, the
    explanation and the passage, and the response is final."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-single")
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert 'id="feedback"' not in page and "Because passage one says so." not in page

    response = check(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "Right"))
    assert response.status_code == 303 and response.location.endswith(f"/q/{ai.position}")
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert re.search(r'id="feedback"[^>]*>\s*<strong>Right\.</strong>\s*Mark 1\.00 of 1', page)
    assert "Because passage one says so." in page and "First passage text." in page
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (1.0, 1, True)


def test_practice_second_try_is_marked_with_the_penalty(client, csrf, login_as, make_bank, db):
    """Wrong, then right: the second try earns 1 - 1/3 (Moodle's default penalty). The key is
    not in the page after the wrong first try, only after the second."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-short")

    check(client, csrf, attempt_id, ai.position, **{"gaps-0": "Shenyang"})
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert "Not quite" in page and "up to 67% of the mark" in page
    assert "Harbin" not in page and "Haerbin" not in page       # the key stays on the server
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (0.0, 1, False)

    check(client, csrf, attempt_id, ai.position, **{"gaps-0": "harbin"})
    saved = response_of(db, ai)
    assert saved.tries == 2 and saved.final
    assert saved.mark == pytest.approx(1 - PRACTICE_PENALTY) == pytest.approx(0.666667, abs=1e-6)
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert "Mark 0.67 of 1 (second try: at most 67%)" in page and "Harbin / Haerbin" in page


def test_practice_two_wrong_tries_score_zero_and_no_third(client, csrf, login_as, make_bank, db):
    """Wrong twice: mark 0 and final; a third check (only a page from before could send one) is not
    recorded: back to the question (303), which says so."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-single")
    wrong = shown_id(ai, "Wrong A")
    check(client, csrf, attempt_id, ai.position, choice=wrong)
    check(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "Wrong B"))
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (0.0, 2, True)
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    third = check(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "Right"))
    assert (third.status_code, third.location) == (303, url)
    assert "this check was not recorded" in client.get(url).get_data(as_text=True)
    assert (response_of(db, ai).mark, response_of(db, ai).tries) == (0.0, 2)


def test_partly_right_second_try_keeps_the_better_part(client, csrf, login_as, make_bank, db):
    """A multiple response half right at the second try earns 0.5 - 1/3."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-multi")
    check(client, csrf, attempt_id, ai.position, choices=[shown_id(ai, "Wrong 1")])
    check(client, csrf, attempt_id, ai.position, choices=[shown_id(ai, "Right 1")])
    assert response_of(db, ai).mark == pytest.approx(0.5 - PRACTICE_PENALTY, abs=1e-6)


def test_show_answer_gives_up_with_the_first_try_mark(client, csrf, login_as, make_bank, db):
    """After a wrong first try, Show answer makes the response final with mark 0 and shows the key."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-tf")
    check(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "True"))
    response = client.post(f"/attempts/{attempt_id}/q/{ai.position}",
                           data={"show": "Show answer", "csrf_token": csrf(client)})
    assert response.status_code == 303
    saved = response_of(db, ai)
    assert (saved.mark, saved.final) == (0.0, True)
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert "It is false." in page and 'class="key fw-semibold">False<' in page


def test_practice_submit_scores_checked_marks(client, csrf, login_as, make_bank, db):
    """Submitting a practice attempt keeps the checked marks: 1 + 2/3 over 5 items = 33.33%."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    single = position_of(db, attempt_id, "t-single")
    check(client, csrf, attempt_id, single.position, choice=shown_id(single, "Right"))
    short = position_of(db, attempt_id, "t-short")
    check(client, csrf, attempt_id, short.position, **{"gaps-0": "Dalian"})
    check(client, csrf, attempt_id, short.position, **{"gaps-0": "Harbin"})
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_submitted and attempt.score_percent == pytest.approx(33.33, abs=0.01)


def test_exam_gives_no_feedback_before_submission(client, csrf, login_as, make_bank, db):
    """In an exam a saved answer is not marked and the page shows no feedback and no key."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="exam")
    ai = position_of(db, attempt_id, "t-short")
    client.post(f"/attempts/{attempt_id}/q/{ai.position}",
                data={"gaps-0": "Harbin", "next": "1", "csrf_token": csrf(client)})
    page = client.get(f"/attempts/{attempt_id}/q/{ai.position}").get_data(as_text=True)
    assert 'id="feedback"' not in page and "Haerbin" not in page
    assert response_of(db, ai).mark is None


def _timed_exam(make_bank, db, minutes=10):
    bank = make_bank(TINY_ITEMS)
    bank.time_limit_minutes = minutes
    bank.pass_mark_percent = 60
    db.session.commit()
    return bank


def test_exam_deadline_is_kept_by_the_server(client, csrf, login_as, make_bank, db, frozen):
    """A 10-minute exam: an answer at 9 min is saved, one 20 s after the deadline (within the
    30 s grace) too, one 31 s after is refused with 409 and the attempt is closed with the
    answers saved before, marked, and flagged timed out."""
    _timed_exam(make_bank, db)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="exam")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.deadline_at == T0 + timedelta(minutes=10)
    single = position_of(db, attempt_id, "t-single")
    short = position_of(db, attempt_id, "t-short")
    tf = position_of(db, attempt_id, "t-tf")

    frozen.set_time(T0 + timedelta(minutes=9))
    page = client.get(f"/attempts/{attempt_id}/q/{single.position}").get_data(as_text=True)
    assert 'data-seconds-left="60"' in page
    ok = client.post(f"/attempts/{attempt_id}/q/{single.position}",
                     data={"choice": shown_id(single, "Right"), "next": "1", "csrf_token": csrf(client)})
    assert ok.status_code == 303
    frozen.set_time(T0 + timedelta(minutes=10, seconds=20))
    ok = client.post(f"/attempts/{attempt_id}/q/{short.position}",
                     data={"gaps-0": "Harbin", "next": "1", "csrf_token": csrf(client)})
    assert ok.status_code == 303
    frozen.set_time(T0 + timedelta(minutes=10, seconds=31))
    late = client.post(f"/attempts/{attempt_id}/q/{tf.position}",
                       data={"choice": shown_id(tf, "False"), "next": "1", "csrf_token": csrf(client)})
    assert late.status_code == 409
    assert "time for this exam is up" in late.get_data(as_text=True)

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_submitted and attempt.timed_out
    assert attempt.submitted_at == T0 + timedelta(minutes=10)
    assert response_of(db, tf) is None
    assert attempt.marks == 2.0 and attempt.score_percent == 40.0 and attempt.passed is False
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert 'id="timed-out"' in result and "Not passed" in result


def test_expired_exam_is_closed_without_the_browser(app, db, make_bank, make_user, frozen):
    """An exam left open past its deadline is closed by ``close-expired`` (and by any page
    the learner opens) with its saved responses marked; one still in time is left alone."""
    from studyapp.attempting import save_response
    from studyapp.kinds import ResponseData

    bank = _timed_exam(make_bank, db, minutes=5)
    learner = make_user("learner")
    expired = start_attempt(learner, bank, 5)
    single = next(ai for ai in expired.attempt_items if ai.item.ext_id == "t-single")
    key = next(o.id for o in single.item.options if o.is_key)
    save_response(expired, single, ResponseData(choice_ids=[key]))
    frozen.set_time(T0 + timedelta(minutes=3))
    fresh = start_attempt(make_user("learner"), bank, 5)

    frozen.set_time(T0 + timedelta(minutes=5, seconds=40))
    result = app.test_cli_runner().invoke(args=["close-expired"])
    assert result.exit_code == 0 and "1 expired attempt(s) closed." in result.output
    db.session.expire_all()
    closed = db.session.get(Attempt, expired.id)
    assert closed.is_submitted and closed.timed_out and closed.marks == 1.0 and closed.score_percent == 20.0
    assert not db.session.get(Attempt, fresh.id).is_submitted
    assert close_expired() == 0


def test_exam_attempts_allowed_and_pass_mark(client, csrf, login_as, make_bank, db):
    """With two exam attempts allowed, the third is refused with 409 and a message; practice
    stays open. A score at or above the pass mark shows Passed."""
    bank = make_bank(TINY_ITEMS)
    bank.attempts_allowed = 2
    bank.pass_mark_percent = 20
    db.session.commit()
    login_as("learner")
    first = start(client, csrf, n=5, mode="exam")
    ai = position_of(db, first, "t-single")
    client.post(f"/attempts/{first}/q/{ai.position}",
                data={"choice": shown_id(ai, "Right"), "next": "1", "csrf_token": csrf(client)})
    client.post(f"/attempts/{first}/submit", data={"csrf_token": csrf(client)})
    assert "Passed" in client.get(f"/attempts/{first}/result").get_data(as_text=True)
    second = start(client, csrf, n=5, mode="exam")
    client.post(f"/attempts/{second}/submit", data={"csrf_token": csrf(client)})
    third = client.post("/banks/tiny", data={"n_items": "5", "mode": "exam", "csrf_token": csrf(client)})
    assert third.status_code == 409
    assert "used all 2 exam attempt(s)" in third.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.mode == "exam")) == 2
    start(client, csrf, n=5, mode="practice")


def _expected_card(ratings_at):
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    card = fsrs.Card(card_id=1, due=ratings_at[0][1].replace(tzinfo=timezone.utc))
    for rating, when in ratings_at:
        card, _ = scheduler.review_card(card, rating, review_datetime=when.replace(tzinfo=timezone.utc))
    return card


def test_every_checked_response_updates_the_fsrs_card(client, csrf, login_as, make_bank, db, frozen):
    """Practice right (Good), then a later practice wrong twice (Again), then an exam right
    (Good): the learner's card equals what ``fsrs`` computes for Good, Again, Good at those
    times, and the log records each rating with its source."""
    make_bank(TINY_ITEMS)
    user = login_as("learner")
    times = [T0, T0 + timedelta(days=2), T0 + timedelta(days=5)]

    frozen.set_time(times[0])
    a1 = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, a1, "t-single")
    check(client, csrf, a1, ai.position, choice=shown_id(ai, "Right"))

    frozen.set_time(times[1])
    a2 = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, a2, "t-single")
    check(client, csrf, a2, ai.position, choice=shown_id(ai, "Wrong A"))
    check(client, csrf, a2, ai.position, choice=shown_id(ai, "Wrong B"))

    frozen.set_time(times[2])
    a3 = start(client, csrf, n=5, mode="exam")
    ai = position_of(db, a3, "t-single")
    client.post(f"/attempts/{a3}/q/{ai.position}",
                data={"choice": shown_id(ai, "Right"), "next": "1", "csrf_token": csrf(client)})
    client.post(f"/attempts/{a3}/submit", data={"csrf_token": csrf(client)})

    db.session.expire_all()
    card = db.session.scalar(select(Card).where(Card.user_id == user.id, Card.item_id == ai.item_id))
    expected = _expected_card([(fsrs.Rating.Good, times[0]), (fsrs.Rating.Again, times[1]),
                               (fsrs.Rating.Good, times[2])])
    assert card.state == expected.state.value and card.step == expected.step
    assert card.stability == pytest.approx(expected.stability)
    assert card.difficulty == pytest.approx(expected.difficulty)
    assert card.due == expected.due.replace(tzinfo=None)
    assert card.last_review == times[2] and card.reps == 3
    logs = db.session.execute(select(ReviewLog.rating, ReviewLog.source).where(ReviewLog.card_id == card.id)
                              .order_by(ReviewLog.id)).all()
    assert [tuple(r) for r in logs] == [(3, "practice"), (1, "practice"), (3, "exam")]


def test_review_attempt_has_one_try(app, db, make_bank, make_user):
    """A review-mode attempt (spaced review) checks each answer once: a wrong one is final."""
    from studyapp.attempting import check_response
    from studyapp.kinds import ResponseData

    bank = make_bank(TINY_ITEMS)
    attempt = start_attempt(make_user("learner"), bank, 5, mode="review")
    ai = next(ai for ai in attempt.attempt_items if ai.item.ext_id == "t-single")
    wrong = next(o.id for o in ai.item.options if not o.is_key)
    outcome = check_response(attempt, ai, ResponseData(choice_ids=[wrong]))
    assert (outcome.mark, outcome.final, outcome.can_retry) == (0.0, True, False)


def test_another_learners_attempt_cannot_be_checked(client, csrf, login_as, make_bank, make_user, db):
    """Checking or showing the answer of someone else's practice attempt gives 404; nothing changes."""
    bank = make_bank(TINY_ITEMS)
    other = start_attempt(make_user("learner"), bank, 5, mode="practice")
    login_as("learner")
    ai = other.attempt_items[0]
    assert check(client, csrf, other.id, 1, choice="1").status_code == 404
    shown = client.post(f"/attempts/{other.id}/q/1", data={"show": "Show answer", "csrf_token": csrf(client)})
    assert shown.status_code == 404
    assert response_of(db, ai) is None


def test_result_times_are_shown_in_the_learners_time_zone(client, csrf, login_as, make_bank, db, frozen):
    """Submitted at 09:00 UTC, the result page of a learner in Asia/Shanghai says 17:00."""
    make_bank(TINY_ITEMS)
    user = login_as("learner")
    user.timezone = "Asia/Shanghai"
    db.session.commit()
    attempt_id = start(client, csrf, n=5, mode="exam")
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "submitted 2026-03-02 17:00 (Asia/Shanghai)" in page


def _run_together(app, db, n, work):
    """Run ``work(i)`` in ``n`` threads released at once, each in its own app context; return
    what each returned or the name of the exception it raised."""
    import threading

    barrier, outcomes = threading.Barrier(n), []

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(work(i))
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_concurrent_checks_of_one_question_are_taken_one_at_a_time(app, db, make_bank, make_user):
    """Six checks of one practice question at the same moment (double clicks, two tabs): the
    first is the first try, the second the second try (final), the other four are refused
    as final; the response holds one choice, two tries, and the card was rated once."""
    from studyapp.attempting import check_response, load_attempt_items
    from studyapp.kinds import ResponseData
    from studyapp.models import Attempt as AttemptModel

    bank = make_bank(TINY_ITEMS)
    attempt = start_attempt(make_user("learner"), bank, 5, mode="practice")
    attempt_id = attempt.id
    item = next(ai for ai in attempt.attempt_items if ai.item.ext_id == "t-single").item
    wrong = [o.id for o in item.options if not o.is_key]

    def work(i):
        a = db.session.get(AttemptModel, attempt_id)
        ai = next(x for x in load_attempt_items(a) if x.item_id == item.id)
        return check_response(a, ai, ResponseData(choice_ids=[wrong[i % 2]])).tries

    outcomes = _run_together(app, db, 6, work)
    assert sorted(map(str, outcomes)) == ["1", "2"] + ["ResponseFinal"] * 4
    db.session.expire_all()
    ai = next(x for x in db.session.get(AttemptModel, attempt_id).attempt_items if x.item_id == item.id)
    assert ai.response.tries == 2 and ai.response.final and len(ai.response.choices) == 1
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 1


def test_concurrent_exam_starts_respect_attempts_allowed(app, db, make_bank, make_user):
    """Six exam starts at once with two attempts allowed: two start, four are refused."""
    bank = make_bank(TINY_ITEMS)
    bank.attempts_allowed = 2
    db.session.commit()
    user_id, bank_id = make_user("learner").id, bank.id

    def work(i):
        from studyapp.models import Bank, User

        start_attempt(db.session.get(User, user_id), db.session.get(Bank, bank_id), 5)
        return "started"

    outcomes = _run_together(app, db, 6, work)
    assert sorted(outcomes) == ["AttemptsExhausted"] * 4 + ["started"] * 2
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2


def test_concurrent_first_saves_keep_one_response(app, db, make_bank, make_user):
    """Four saves of one unanswered exam question at once all succeed in turn (no error), and
    one response with one choice remains."""
    from studyapp.attempting import load_attempt_items, save_response
    from studyapp.kinds import ResponseData
    from studyapp.models import Attempt as AttemptModel

    bank = make_bank(TINY_ITEMS)
    attempt = start_attempt(make_user("learner"), bank, 5)
    attempt_id = attempt.id
    item = next(ai for ai in attempt.attempt_items if ai.item.ext_id == "t-single").item
    options = [o.id for o in item.options]

    def work(i):
        a = db.session.get(AttemptModel, attempt_id)
        ai = next(x for x in load_attempt_items(a) if x.item_id == item.id)
        save_response(a, ai, ResponseData(choice_ids=[options[i % 3]]))
        return "saved"

    assert _run_together(app, db, 4, work) == ["saved"] * 4
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    db.session.expire_all()
    ai = next(x for x in db.session.get(AttemptModel, attempt_id).attempt_items if x.item_id == item.id)
    assert len(ai.response.choices) == 1


def test_result_labels_a_shown_answer(client, csrf, login_as, make_bank, db):
    """An item given up with Show answer before any try is labelled "answer shown" (mark 0) on
    the result page, not "not answered"."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-single")
    client.post(f"/attempts/{attempt_id}/q/{ai.position}", data={"show": "Show answer", "csrf_token": csrf(client)})
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert page.count("answer shown · 0.00") == 1 and page.count("not answered · 0.00") == 4


def test_no_key_can_be_read_while_an_exam_runs(client, csrf, login_as, make_bank, db):
    """While the learner's exam on a bank is in progress, the modes that show keys on that bank
    are closed (409): flashcards (front, flip, rate), starting practice, and checking or showing
    the answer in a practice attempt opened before; after submitting, they open again."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    practice_id = start(client, csrf, n=5, mode="practice")
    exam_id = start(client, csrf, n=5, mode="exam")
    item_id = db.session.scalar(select(AttemptItem.item_id).where(AttemptItem.attempt_id == exam_id))
    token = csrf(client)
    assert client.get("/banks/tiny/flashcards").status_code == 409
    flip = client.post(f"/banks/tiny/flashcards/{item_id}/flip", data={"csrf_token": token})
    assert flip.status_code == 409 and "exam in progress" in flip.get_data(as_text=True)
    assert client.post(f"/banks/tiny/flashcards/{item_id}/rate",
                       data={"rating": "3", "csrf_token": token}).status_code == 409
    assert client.post("/banks/tiny", data={"n_items": "5", "mode": "practice", "csrf_token": token}).status_code == 409
    ai = position_of(db, practice_id, "t-single")
    assert check(client, csrf, practice_id, ai.position, choice=shown_id(ai, "Wrong A")).status_code == 409
    shown = client.post(f"/attempts/{practice_id}/q/{ai.position}", data={"show": "Show answer", "csrf_token": token})
    assert shown.status_code == 409
    assert response_of(db, ai) is None
    client.post(f"/attempts/{exam_id}/submit", data={"csrf_token": token})
    assert client.get("/banks/tiny/flashcards").status_code == 200
    assert check(client, csrf, practice_id, ai.position, choice=shown_id(ai, "Right")).status_code == 303


def test_concurrent_flashcard_ratings_of_one_card_count_once(app, db, make_bank, make_user):
    """Eight ratings of a new card sent at once, each saying the card had 0 reviews: one is
    applied, the others are ignored as stale; the card has one review and one log."""
    from studyapp import study

    bank = make_bank(TINY_ITEMS)
    user_id = make_user("learner").id
    item_id = db.session.scalar(select(AttemptItem.item_id).limit(1)) or \
        next(q.id for q in bank.items if q.ext_id == "t-single")

    def work(i):
        card = study.rate(user_id, item_id, 3, seen_reps=0)
        db.session.commit()
        return "rated" if card is not None else "stale"

    outcomes = _run_together(app, db, 8, work)
    assert sorted(outcomes) == ["rated"] + ["stale"] * 7
    db.session.expire_all()
    card = db.session.scalar(select(Card).where(Card.user_id == user_id, Card.item_id == item_id))
    assert card.reps == 1
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 1


def test_marking_keeps_when_the_answer_was_given(client, csrf, login_as, make_bank, db, frozen):
    """An exam answer saved at 9:05 keeps answered_at 9:05 when the attempt is marked at 9:30."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="exam")
    ai = position_of(db, attempt_id, "t-single")
    frozen.set_time(T0 + timedelta(minutes=5))
    client.post(f"/attempts/{attempt_id}/q/{ai.position}",
                data={"choice": shown_id(ai, "Right"), "next": "1", "csrf_token": csrf(client)})
    frozen.set_time(T0 + timedelta(minutes=30))
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)})
    saved = response_of(db, ai)
    assert saved.mark == 1.0 and saved.answered_at == T0 + timedelta(minutes=5)


# -- a Check sent twice from one page counts once --------------------------------------------

STALE = "This answer had already been checked (the form was sent twice): only the first check counts."


def logs_of(db, response_id):
    return db.session.scalar(select(func.count()).select_from(ReviewLog).where(ReviewLog.response_id == response_id))


def test_a_wrong_check_sent_twice_uses_one_try(client, csrf, login_as, make_bank, db):
    """The form of one page (no try recorded yet) is posted twice, as a double click or a browser
    resend would: the second POST records nothing (303 back to the question, which shows the first
    try's feedback and says the form was sent twice). The tries stay 1, mark 0, not final; the
    second try is still open, and the form of the page shown after the first feedback
    (``tries_seen`` 1) is a genuine second try, penalised as before (1 - 1/3)."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-short")
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    page = client.get(url).get_data(as_text=True)
    assert '<input type="hidden" name="tries_seen" value="0">' in page
    sent = {"gaps-0": "Shenyang", "check": "1", "tries_seen": "0", "csrf_token": csrf(client)}

    first = client.post(url, data=sent)
    again = client.post(url, data={**sent, "gaps-0": "Harbin"})  # a second tab, the same page, another answer
    assert (first.status_code, first.location) == (303, url)
    assert (again.status_code, again.location) == (303, url)
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (0.0, 1, False)
    assert [t.text for t in saved.texts] == ["Shenyang"]
    page = client.get(url).get_data(as_text=True)
    assert STALE in page and "Not quite" in page and "Harbin" not in page
    assert '<input type="hidden" name="tries_seen" value="1">' in page

    second = client.post(url, data={**sent, "gaps-0": "Harbin", "tries_seen": "1"})
    assert (second.status_code, second.location) == (303, url)
    saved = response_of(db, ai)
    assert (saved.tries, saved.final, saved.mark) == (2, True, 0.666667)
    assert logs_of(db, saved.id) == 1
    # and the second try's form sent twice: nothing more (no third try refused with 409, no change)
    resent = client.post(url, data={**sent, "gaps-0": "Dalian", "tries_seen": "1"})
    assert (resent.status_code, resent.location) == (303, url)
    saved = response_of(db, ai)
    assert (saved.tries, saved.final, saved.mark) == (2, True, 0.666667)
    assert [t.text for t in saved.texts] == ["Harbin"] and logs_of(db, saved.id) == 1


@pytest.mark.parametrize("mode", ["practice", "review"])
def test_a_right_check_sent_twice_keeps_the_first_mark(client, csrf, login_as, make_bank, make_user, db, mode):
    """A right first check (final, key shown, card rated once), then the same page's form again with
    a wrong answer: 303 to the question, the mark stays 1 after 1 try, one review log; in review mode
    (one try) a wrong first check sent twice stays the one final try with mark 0."""
    bank = make_bank(TINY_ITEMS)
    user = login_as("learner")
    attempt_id = start_attempt(user, bank, 5, mode=mode).id
    ai = position_of(db, attempt_id, "t-single")
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    first_choice = "Right" if mode == "practice" else "Wrong A"
    sent = {"choice": shown_id(ai, first_choice), "check": "1", "tries_seen": "0", "csrf_token": csrf(client)}
    assert client.post(url, data=sent).status_code == 303
    again = client.post(url, data={**sent, "choice": shown_id(ai, "Wrong B")})
    assert (again.status_code, again.location) == (303, url)
    saved = response_of(db, ai)
    mark = 1.0 if mode == "practice" else 0.0
    assert (saved.mark, saved.tries, saved.final) == (mark, 1, True)
    assert [c.option_id for c in saved.choices] == [next(o.id for o in ai.item.options if o.text == first_choice)]
    assert logs_of(db, saved.id) == 1
    assert db.session.scalar(select(Card.reps).where(Card.user_id == user.id, Card.item_id == ai.item_id)) == 1
    page = client.get(url).get_data(as_text=True)
    assert STALE in page and f"Mark {mark:.2f} of 1" in page


@pytest.mark.parametrize("tries_seen", [None, "", "one", "-1", "1.0", " 0", "0x1", "1234"])
def test_a_check_without_a_readable_try_count_is_refused(client, csrf, login_as, make_bank, db, tries_seen):
    """A Check form without ``tries_seen``, or with anything but a whole number of 1-3 digits, is
    refused with 400 and a message saying to reload; nothing is recorded."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-single")
    data = {"choice": shown_id(ai, "Right"), "check": "1", "csrf_token": csrf(client)}
    if tries_seen is not None:
        data["tries_seen"] = tries_seen
    response = client.post(f"/attempts/{attempt_id}/q/{ai.position}", data=data)
    assert response.status_code == 400
    assert "does not say which try it was sent from" in response.get_data(as_text=True)
    assert response_of(db, ai) is None


def test_a_check_from_a_page_older_than_show_answer_is_ignored(client, csrf, login_as, make_bank, db):
    """Wrong first try, then Show answer in another tab; the first tab's page (showing no try yet)
    sends its Check again: ignored (303 to the question), the response keeps mark 0, tries 1."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-tf")
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    sent = {"choice": shown_id(ai, "True"), "check": "1", "tries_seen": "0", "csrf_token": csrf(client)}
    assert client.post(url, data=sent).status_code == 303
    assert client.post(url, data={"show": "Show answer", "csrf_token": csrf(client)}).status_code == 303
    again = client.post(url, data={**sent, "choice": shown_id(ai, "False")})
    assert (again.status_code, again.location) == (303, url)
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (0.0, 1, True)


def test_show_answer_sent_twice_shows_the_answer_once(client, csrf, login_as, make_bank, db):
    """Show answer pressed twice (double click, two tabs): both 303 to the question; the response
    is final once, with mark 0 and no try, one review log; the page says the answer is shown."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-tf")
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    for _ in range(2):
        shown = client.post(url, data={"show": "Show answer", "csrf_token": csrf(client)})
        assert (shown.status_code, shown.location) == (303, url)
    saved = response_of(db, ai)
    assert (saved.mark, saved.tries, saved.final) == (0.0, 0, True)
    assert logs_of(db, saved.id) == 1
    page = client.get(url).get_data(as_text=True)
    assert "The answer to this question is shown already." in page and 'class="key fw-semibold">False<' in page


@pytest.mark.parametrize("tries_seen", ["1", "2", "999"])
def test_a_check_naming_a_try_never_made_is_refused(client, csrf, login_as, make_bank, db, tries_seen):
    """A Check whose ``tries_seen`` is above the tries recorded (no page shows that: the form was
    made up) is refused with 400, before or after a first try; nothing more is recorded."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    attempt_id = start(client, csrf, n=5, mode="practice")
    ai = position_of(db, attempt_id, "t-single")
    url = f"/attempts/{attempt_id}/q/{ai.position}"
    data = {"choice": shown_id(ai, "Right"), "check": "1", "tries_seen": tries_seen, "csrf_token": csrf(client)}
    refused = client.post(url, data=data)
    assert refused.status_code == 400 and "names a try that was never made" in refused.get_data(as_text=True)
    assert response_of(db, ai) is None
    check(client, csrf, attempt_id, ai.position, choice=shown_id(ai, "Wrong A"))
    if tries_seen != "1":       # "1" is now the page's own count: a real second try, not this test's
        assert client.post(url, data=data).status_code == 400
        saved = response_of(db, ai)
        assert (saved.tries, saved.mark, saved.final) == (1, 0.0, False)
