"""Nothing lost under concurrency (issue 7, part 4).

Many requests on one attempt at the same moment, through a real threaded HTTP server (werkzeug's,
serving the test app on the test database) and at the function level; and processes killed with
SIGKILL in the middle of an import or a submission (``tests/kill_runner.py``). Every test runs on
SQLite (the default) and on PostgreSQL (``TEST_DATABASE_URL``), and checks exact counts, marks
and statuses.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import has_request_context, request
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine, make_url
from werkzeug.serving import make_server

from studyapp.attempting import check_response, response_data, save_response, start_attempt, submit_attempt
from studyapp.kinds import ResponseData
from studyapp.models import (
    AcceptedAnswer, Attempt, AttemptItem, Bank, Card, Document, Option, Passage, Question, Response, ReviewLog,
)
from studyapp.models.base import utcnow
from tests.conftest import PASSWORD, ROOT, TINY_ITEMS, TOKEN

THREADS = 16


# -- helpers -----------------------------------------------------------------------------

def run_at_once(work, n: int, timeout: float = 90) -> list:
    """Run ``work(i)`` for i in 0..n-1 in n threads released together by a barrier.

    Returns:
        The results by i; a thread that raised gives its exception instead.
    Raises:
        AssertionError: a thread did not finish within ``timeout`` seconds.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def no_errors(results: list) -> list:
    """Return ``results``, failing the test on the first exception among them."""
    for result in results:
        if isinstance(result, BaseException):
            raise AssertionError(f"a thread raised {result!r}") from result
    return results


@contextmanager
def submissions_recorded():
    """Collect, while the block runs (in this process, the live server included), the parameters
    of every UPDATE that moved an attempt to submitted: the one statement that sets
    ``submitted_at``, counted when it changed a row."""
    hits: list = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        head = statement.split(" WHERE ")[0]
        if head.startswith("UPDATE attempts SET") and "submitted_at" in head and cursor.rowcount == 1:
            hits.append(parameters)

    event.listen(Engine, "after_cursor_execute", listen)
    try:
        yield hits
    finally:
        event.remove(Engine, "after_cursor_execute", listen)


@pytest.fixture()
def live_server(app, db):
    """Serve the test app with werkzeug's threaded server on a free port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def browser_sessions(base: str, user, n: int) -> tuple[list[requests.Session], str]:
    """Log ``user`` in through the form once; return n ``requests`` sessions that share that login
    (as tabs of one browser do) and the CSRF token of the logged-in session."""
    first = requests.Session()
    token = TOKEN.search(first.get(base + "/", timeout=30).text).group(1)
    response = first.post(base + "/auth/login", allow_redirects=False, timeout=30,
                          data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:300]
    token = TOKEN.search(first.get(base + "/banks", timeout=30).text).group(1)
    sessions = []
    for _ in range(n):
        session = requests.Session()
        session.cookies.update(first.cookies)
        sessions.append(session)
    return sessions, token


def post_and_follow(session: requests.Session, url: str, data: dict) -> tuple[int, str, int, str]:
    """POST without following; then GET the redirect target. Returns
    ``(status, location path, status of the target, text of the target)``."""
    response = session.post(url, data=data, allow_redirects=False, timeout=60)
    location = response.headers.get("Location", "")
    if response.status_code not in (301, 302, 303) or not location:
        return response.status_code, "", 0, response.text
    page = session.get(urljoin(url, location), timeout=60)
    return response.status_code, urlsplit(location).path, page.status_code, page.text


def tiny_answers(attempt: Attempt, *, practice: bool = False) -> None:
    """Answer the TINY_ITEMS attempt: single right, multiple right, true/false wrong, short answer
    right, cloze unanswered. Exam: all saved. Practice: single, multiple and true/false checked (the
    wrong true/false first try is not final), the short answer only saved (marked at submission).
    Whatever the mode, the marks are single 1, multi 1, tf 0, short 1: 3 marks, 60%."""
    for ai in attempt.attempt_items:
        item = ai.item
        keys = sorted(o.id for o in item.options if o.is_key)
        data = {
            "t-single": ResponseData(choice_ids=keys),
            "t-multi": ResponseData(choice_ids=keys),
            "t-tf": ResponseData(choice_ids=[o.id for o in item.options if not o.is_key]),
            "t-short": ResponseData(texts=["Harbin"]),
        }.get(item.ext_id)
        if data is None:
            continue
        if practice and item.ext_id != "t-short":
            check_response(attempt, ai, data)
        else:
            save_response(attempt, ai, data)


TINY_MARKS = {"t-single": 1.0, "t-multi": 1.0, "t-tf": 0.0, "t-short": 1.0, "t-cloze": None}


def assert_marked_once(db, attempt_id: int, marks: dict[str, float | None], *, reps: int = 1) -> Attempt:
    """Check a submitted attempt: its responses' marks by item ext_id (None: no response), each
    response final, tried once and logged once in the review log, and a card per answered item
    rated ``reps`` times. Returns the attempt."""
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    got = {ai.item.ext_id: (ai.response.mark if ai.response else None) for ai in attempt.attempt_items}
    assert got == marks
    responses = [ai.response for ai in attempt.attempt_items if ai.response is not None]
    assert [(r.final, r.tries) for r in responses] == [(True, 1)] * len(responses)
    logs = db.session.execute(select(ReviewLog.response_id, func.count()).where(
        ReviewLog.response_id.in_([r.id for r in responses])).group_by(ReviewLog.response_id)).all()
    assert sorted(logs) == sorted((r.id, 1) for r in responses)
    cards = db.session.scalars(select(Card.reps).where(Card.user_id == attempt.user_id)).all()
    assert sorted(cards) == [reps] * len(responses)
    return attempt


# -- 1. many submits of one attempt ----------------------------------------------------------

@pytest.mark.timeout(120)
def test_http_submits_of_one_attempt_at_once_record_one_submission(app, db, live_server, make_bank, make_user):
    """16 browser tabs press *Submit* on one exam at the same moment, through a real threaded
    server: all get 303 to the result page, whose flash says "Submitted" for exactly one and
    "had already been submitted" for the 15 others; one UPDATE submitted it; marks 1, 1, 0, 1
    (cloze unanswered), 3 marks, 60%, each mark written once (one review log per response, each
    card rated once)."""
    bank = make_bank(TINY_ITEMS)
    user = make_user()
    attempt = start_attempt(user, bank, 5)
    tiny_answers(attempt)
    attempt_id = attempt.id
    sessions, token = browser_sessions(live_server, user, THREADS)
    url = f"{live_server}/attempts/{attempt_id}/submit"
    before = utcnow()
    with submissions_recorded() as submitted:
        results = no_errors(run_at_once(
            lambda i: post_and_follow(sessions[i], url, {"csrf_token": token}), THREADS))
    after = utcnow()

    assert [r[:3] for r in results] == [(303, f"/attempts/{attempt_id}/result", 200)] * THREADS
    first = [r for r in results if "Submitted. Your score: 60%." in r[3]]
    again = [r for r in results if "This attempt had already been submitted; here is its result." in r[3]]
    assert (len(first), len(again)) == (1, THREADS - 1)
    assert len(submitted) == 1
    attempt = assert_marked_once(db, attempt_id, TINY_MARKS)
    assert (attempt.marks, attempt.score_percent, attempt.timed_out) == (3.0, 60.0, False)
    assert before <= attempt.submitted_at <= after


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["exam", "practice"])
def test_function_submits_of_one_attempt_at_once_mark_once(app, db, make_bank, make_user, mode):
    """16 threads call ``submit_attempt`` on one attempt at the same moment: exactly one returns
    ``submitted=True``, all 16 report the same score (60%), one UPDATE submitted it, and every
    response is marked once (practice: the checked marks are kept, the unchecked short answer is
    marked, the wrong first try becomes final; one review log per response)."""
    bank = make_bank(TINY_ITEMS)
    attempt = start_attempt(make_user(), bank, 5, mode=mode)
    tiny_answers(attempt, practice=mode == "practice")
    attempt_id = attempt.id
    db.session.commit()

    def submit(i: int):
        with app.app_context():
            try:
                mine = db.session.get(Attempt, attempt_id)
                outcome = submit_attempt(mine)
                return outcome.submitted, outcome.score_percent
            finally:
                db.session.remove()

    with submissions_recorded() as submitted:
        results = no_errors(run_at_once(submit, THREADS))
    assert sorted(results) == [(False, 60.0)] * (THREADS - 1) + [(True, 60.0)]
    assert len(submitted) == 1
    attempt = assert_marked_once(db, attempt_id, TINY_MARKS)
    assert (attempt.marks, attempt.score_percent) == (3.0, 60.0)


# -- 2. concurrent saves ------------------------------------------------------------------------

KINDS = ("single_choice", "multiple_response", "short_answer", "cloze")


def mixed_items_yaml(n: int) -> str:
    """YAML for ``make_bank``: n items ``m-01``... cycling single choice (options ``S<i> one``,
    ``two``, ``three``; key one), multiple response (``M<i> A``..``D``; keys A and B), short answer
    (``word<i>``) and a cloze with two gaps (``x<i>``, ``y<i>``)."""
    out = []
    for i in range(1, n + 1):
        kind = KINDS[(i - 1) % 4]
        head = f"  - id: m-{i:02d}\n    kind: {kind}\n    explanation: \"Item {i}.\"\n"
        if kind == "single_choice":
            body = (f"    stem: \"Single {i}?\"\n    options:\n      - {{text: \"S{i} one\", key: true}}\n"
                    f"      - {{text: \"S{i} two\"}}\n      - {{text: \"S{i} three\"}}\n")
        elif kind == "multiple_response":
            body = (f"    stem: \"Multiple {i}?\"\n    options:\n      - {{text: \"M{i} A\", key: true}}\n"
                    f"      - {{text: \"M{i} B\", key: true}}\n      - {{text: \"M{i} C\"}}\n"
                    f"      - {{text: \"M{i} D\"}}\n")
        elif kind == "short_answer":
            body = f"    stem: \"Short {i}?\"\n    answers: [\"word{i}\"]\n"
        else:
            body = f"    stem: \"The ___ and the ___ ({i}).\"\n    gaps: [[\"x{i}\"], [\"y{i}\"]]\n"
        out.append(head + body)
    return "".join(out)


def mixed_attempt(db, make_bank, user, n: int) -> Attempt:
    """Start an exam of the n mixed items in the order m-01, m-02, ... (position i is m-i)."""
    bank = make_bank(mixed_items_yaml(n), slug="mixed")
    ids = list(db.session.scalars(select(Question.id).where(Question.bank_id == bank.id).order_by(Question.ext_id)))
    return start_attempt(user, bank, n, item_ids=ids)


def form_answer(ai: AttemptItem, *, mask: int | None = None, texts: tuple[str, ...] | None = None,
                right: bool = False) -> tuple[dict, ResponseData]:
    """Return the form fields answering ``ai`` as a browser sends them, and the response that
    must then be stored (option ids sorted, texts by gap).

    Args:
        ai: the attempt item.
        mask: choice kinds: bit k chooses the option at bank position k (single choice: the
            lowest set bit).
        texts: text kinds: the text per gap.
        right: answer with the key instead.
    """
    kind = ai.item.kind
    options = sorted(ai.item.options, key=lambda o: o.position)
    shown = {ao.option_id: str(ao.id) for ao in ai.shown_options}
    if kind in ("single_choice", "multiple_response"):
        if right:
            chosen = [o for o in options if o.is_key]
        else:
            chosen = [o for k, o in enumerate(options) if mask >> k & 1]
            if kind == "single_choice":
                chosen = chosen[:1]
        field = "choice" if kind == "single_choice" else "choices"
        return ({field: [shown[o.id] for o in chosen]},
                ResponseData(choice_ids=sorted(o.id for o in chosen)))
    if right:
        texts = tuple(a.text for a in sorted(ai.item.accepted_answers, key=lambda a: a.gap))
    return {f"gaps-{g}": t for g, t in enumerate(texts)}, ResponseData(texts=list(texts))


def first_answer(ai: AttemptItem) -> tuple[dict, ResponseData]:
    """Round one's answer to the item at position p: a distinct choice or text per item."""
    p = ai.position
    if ai.item.kind == "short_answer":
        return form_answer(ai, texts=(f"typed {p}",))
    if ai.item.kind == "cloze":
        return form_answer(ai, texts=(f"first {p}", f"second {p}"))
    # single choice: options one, two, three in turn; multiple response: subsets 9..15 (bit 3 set)
    return form_answer(ai, mask=1 << (p % 3) if ai.item.kind == "single_choice" else 9 + p % 7)


def stored_responses(db, attempt_id: int) -> dict[int, tuple[list[int], list[str]]]:
    """Return ``{position: (sorted option ids, texts by gap)}`` of the attempt's stored responses."""
    db.session.rollback()
    rows = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                              .order_by(AttemptItem.position)).all()
    out = {}
    for ai in rows:
        data = response_data(ai.response)
        if data is not None:
            out[ai.position] = (data.choice_ids, data.texts)
    return out


def response_rows(db, attempt_id: int) -> list[int]:
    """Return the positions of the attempt's Response rows, one entry per row."""
    return sorted(db.session.scalars(
        select(AttemptItem.position).join(Response, Response.attempt_item_id == AttemptItem.id)
        .where(AttemptItem.attempt_id == attempt_id)))


@contextmanager
def write_order(db):
    """Record the answers of the question POSTs in the order in which they wrote to the
    database: ``(position, form fields)`` at each flush. Saves of one attempt write under the
    attempt's lock, one after the other, so the last entry for a position is the last write."""
    order: list[tuple[int, dict]] = []

    def record(session, flush_context):
        if has_request_context() and request.method == "POST" and "/q/" in request.path:
            fields = {k: request.form.getlist(k) for k in request.form if k in ("choice", "choices")}
            fields.update({k: request.form[k] for k in request.form if k.startswith("gaps-")})
            order.append((int(request.path.rsplit("/", 1)[1]), fields))

    event.listen(db.session, "after_flush", record)
    try:
        yield order
    finally:
        event.remove(db.session, "after_flush", record)


@pytest.mark.timeout(120)
def test_concurrent_saves_to_one_attempt_all_land(app, db, live_server, make_bank, make_user):
    """Round 1: 16 threads save the answers to 16 different items of one exam at the same moment
    (real server): all get 303 to the next question, and all 16 answers are stored exactly as
    sent. Round 2: 8 threads save different answers to one answered multiple-response item and 8
    to one unanswered cloze item, at once: all 303 (no IntegrityError, no 409), one Response row
    per item, holding the answer of the request that wrote last; the other 15 items unchanged."""
    user = make_user()
    attempt = mixed_attempt(db, make_bank, user, 20)
    attempt_id = attempt.id
    items = {ai.position: ai for ai in attempt.attempt_items}
    sessions, token = browser_sessions(live_server, user, THREADS)
    base = f"{live_server}/attempts/{attempt_id}/q/"

    def next_path(p: int) -> str:
        return f"/attempts/{attempt_id}/q/{p + 1}"

    # round 1: positions 1..16, one thread each
    answers = {p: first_answer(items[p]) for p in range(1, THREADS + 1)}
    results = no_errors(run_at_once(lambda i: sessions[i].post(
        base + str(i + 1), data={**answers[i + 1][0], "next": "1", "csrf_token": token},
        allow_redirects=False, timeout=60), THREADS))
    assert [(r.status_code, urlsplit(r.headers.get("Location", "")).path) for r in results] == \
        [(303, next_path(p)) for p in range(1, THREADS + 1)]
    expected = {p: (data.choice_ids, data.texts) for p, (_, data) in answers.items()}
    assert stored_responses(db, attempt_id) == expected
    assert response_rows(db, attempt_id) == list(range(1, THREADS + 1))

    # round 2: 8 threads on position 2 (multiple response, answered: update race) and 8 on
    # position 20 (cloze, unanswered: insert race)
    items = {ai.position: ai for ai in db.session.get(Attempt, attempt_id).attempt_items}
    second = [(2, form_answer(items[2], mask=j + 1)) if j < 8 else
              (20, form_answer(items[20], texts=(f"gap one {j}", f"gap two {j}"))) for j in range(THREADS)]
    with write_order(db) as order:
        results = no_errors(run_at_once(lambda i: sessions[i].post(
            base + str(second[i][0]), data={**second[i][1][0], "next": "1", "csrf_token": token},
            allow_redirects=False, timeout=60), THREADS))
    assert [(r.status_code, urlsplit(r.headers.get("Location", "")).path) for r in results] == \
        [(303, next_path(2))] * 8 + [(303, f"/attempts/{attempt_id}/review")] * 8
    last = {p: next(fields for q, fields in reversed(order) if q == p) for p in (2, 20)}
    for p in (2, 20):
        sent = next(data for q, (fields, data) in second if q == p and fields == last[p])
        expected[p] = (sent.choice_ids, sent.texts)
    assert stored_responses(db, attempt_id) == expected
    assert response_rows(db, attempt_id) == list(range(1, THREADS + 1)) + [20]
    assert db.session.scalar(select(func.count()).select_from(Response)
                             .where(Response.mark.is_not(None))) == 0  # an exam marks at submission


@pytest.mark.timeout(120)
def test_saves_racing_a_submit_are_marked_or_refused(app, db, live_server, make_bank, make_user):
    """11 threads save the right answers to 11 different items of a 12-item exam while a 12th
    submits it, all at once (real server): each save either lands (303 to the next question) and
    is then marked 1, or is refused (303 to the result page, saying the attempt was already
    submitted) and leaves no response; the score counts exactly the saves that landed."""
    user = make_user()
    attempt = mixed_attempt(db, make_bank, user, 12)
    attempt_id = attempt.id
    items = {ai.position: ai for ai in attempt.attempt_items}
    sessions, token = browser_sessions(live_server, user, 12)
    base = f"{live_server}/attempts/{attempt_id}"
    answers = {p: form_answer(items[p], right=True)[0] for p in range(1, 12)}

    def act(i: int):
        if i == 11:
            return post_and_follow(sessions[i], f"{base}/submit", {"csrf_token": token})
        return post_and_follow(sessions[i], f"{base}/q/{i + 1}", {**answers[i + 1], "next": "1", "csrf_token": token})

    with submissions_recorded() as submitted:
        results = no_errors(run_at_once(act, 12))
    result_path = f"/attempts/{attempt_id}/result"
    assert results[11][:3] == (303, result_path, 200) and "Submitted. Your score:" in results[11][3]
    landed, refused = [], []
    for p, (status, path, page_status, page) in enumerate(results[:11], start=1):
        assert (status, page_status) == (303, 200)
        if path == result_path:
            assert ("This attempt was already submitted, so that answer was not recorded." in page
                    or "This attempt was already submitted, so this answer was not recorded; its responses can no longer change." in page)
            refused.append(p)
        else:
            assert path == f"/attempts/{attempt_id}/q/{p + 1}"
            landed.append(p)
    assert len(submitted) == 1
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    marks = {ai.position: ai.response.mark for ai in attempt.attempt_items if ai.response is not None}
    assert marks == {p: 1.0 for p in landed}
    assert attempt.marks == len(landed)
    assert attempt.score_percent == round(100 * len(landed) / 12, 2)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cards", ["new", "existing"])
def test_one_learners_attempts_submitted_at_once_rate_each_card_every_time(app, db, make_bank, make_user, cards):
    """A learner with 4 exams in progress on one bank (4 tabs), all with the same 5 items, submits
    them at the same moment: all 4 are submitted with 3 marks (60%), and each of the 4 answered
    items' cards gets every rating: no rating is lost (a card read by two submissions at once) and
    no submission fails on the cards (two creating one learner's card for one item, or locking
    cards in opposite orders). ``new``: no card yet, items in random order; reps 4 and 16 review
    logs. ``existing``: one submitted attempt first (reps 1), then 4 attempts with the items in
    the same order; reps 5 and 20 review logs."""
    bank = make_bank(TINY_ITEMS)
    user = make_user()
    ids = []
    order = list(db.session.scalars(select(Question.id).where(Question.bank_id == bank.id).order_by(Question.id)))
    for _ in range(5 if cards == "existing" else 4):
        attempt = start_attempt(user, bank, 5, item_ids=order if cards == "existing" else None)
        tiny_answers(attempt)
        ids.append(attempt.id)
    if cards == "existing":
        assert submit_attempt(db.session.get(Attempt, ids.pop(0))).submitted
    db.session.commit()

    def submit(i: int):
        with app.app_context():
            try:
                return submit_attempt(db.session.get(Attempt, ids[i])).submitted
            finally:
                db.session.remove()

    assert no_errors(run_at_once(submit, 4)) == [True] * 4
    db.session.rollback()
    assert [(a.status, a.marks, a.score_percent) for a in db.session.scalars(
        select(Attempt).where(Attempt.id.in_(ids)).order_by(Attempt.id))] == [("submitted", 3.0, 60.0)] * 4
    ratings = 5 if cards == "existing" else 4
    assert sorted(db.session.scalars(select(Card.reps).where(Card.user_id == user.id))) == [ratings] * 4
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 4 * ratings


@pytest.mark.timeout(120)
def test_one_learners_checks_in_practice_tabs_at_once_rate_the_card_every_time(app, db, make_bank, make_user):
    """A learner checks the right answer to the same item in 4 practice attempts (4 tabs) at the
    same moment: all 4 checks succeed (mark 1, final) and the item's card is rated 4 times
    (reps 4, 4 review logs), none refused as a clash or lost."""
    bank = make_bank(TINY_ITEMS)
    user = make_user()
    single = db.session.scalar(select(Question.id).where(Question.bank_id == bank.id, Question.ext_id == "t-single"))
    ids = [start_attempt(user, bank, 1, mode="practice", item_ids=[single]).id for _ in range(4)]
    db.session.commit()

    def check(i: int):
        with app.app_context():
            try:
                attempt = db.session.get(Attempt, ids[i])
                ai = attempt.attempt_items[0]
                outcome = check_response(attempt, ai, ResponseData(
                    choice_ids=[o.id for o in ai.item.options if o.is_key]))
                return outcome.mark, outcome.tries, outcome.final
            finally:
                db.session.remove()

    assert no_errors(run_at_once(check, 4)) == [(1.0, 1, True)] * 4
    db.session.rollback()
    assert list(db.session.scalars(select(Card.reps).where(Card.user_id == user.id))) == [4]
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 4


@pytest.mark.timeout(120)
@pytest.mark.parametrize("typed, mark, final", [("Shenyang", 0.0, False), ("Harbin", 1.0, True)])
def test_http_checks_of_one_page_at_once_record_one_try(app, db, live_server, make_bank, make_user,
                                                        typed, mark, final):
    """16 tabs send the Check form of one practice page (no try recorded yet: ``tries_seen`` 0) at
    the same moment, through a real threaded server: all get 303 back to the question, and one try
    is recorded: tries 1 with its mark (wrong: 0, a second try still open; right: 1, final, the
    card rated once, one review log)."""
    bank = make_bank(TINY_ITEMS)
    user = make_user()
    short = db.session.scalar(select(Question.id).where(Question.bank_id == bank.id, Question.ext_id == "t-short"))
    attempt = start_attempt(user, bank, 1, mode="practice", item_ids=[short])
    attempt_id, ai_id = attempt.id, attempt.attempt_items[0].id
    sessions, token = browser_sessions(live_server, user, THREADS)
    path = f"/attempts/{attempt_id}/q/1"
    form = {"gaps-0": typed, "check": "1", "tries_seen": "0", "csrf_token": token}
    results = no_errors(run_at_once(lambda i: sessions[i].post(
        live_server + path, data=form, allow_redirects=False, timeout=60), THREADS))
    assert [(r.status_code, urlsplit(r.headers.get("Location", "")).path) for r in results] == [(303, path)] * THREADS
    db.session.rollback()
    response = db.session.scalar(select(Response).where(Response.attempt_item_id == ai_id))
    assert (response.tries, response.mark, response.final) == (1, mark, final)
    assert response_data(response).texts == [typed]
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == (1 if final else 0)
    assert list(db.session.scalars(select(Card.reps).where(Card.user_id == user.id))) == ([1] if final else [])


# -- 3. processes killed mid-way ---------------------------------------------------------------

def is_postgres(app) -> bool:
    """True when the test database is PostgreSQL."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"


class Killable:
    """``python -m tests.kill_runner ARGS`` on the test database, in a process of its own.

    Args:
        app: the test app (its database URL is passed as ``DATABASE_URL``; on PostgreSQL with an
            ``application_name`` of its own, to find its server process).
        tmp_path: where the flag directory is made.
        args: the runner's arguments.
        stop_at: ``KILL_RUNNER_STOP_AT`` (see ``tests/kill_runner.py``), or None.
    """

    def __init__(self, app, tmp_path: Path, args: list[str], stop_at: str | None = None):
        self.app = app
        self.name = f"conc-kill-{uuid.uuid4().hex[:12]}"
        self.flags = tmp_path / self.name
        self.flags.mkdir()
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if is_postgres(app):
            url = url.update_query_dict({"application_name": self.name})
        env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False),
               "STUDYAPP_CONFIG": "config.Config", "SECRET_KEY": "kill-runner-secret-" + "k" * 32,
               "KILL_RUNNER_FLAGS": str(self.flags)}
        env.pop("KILL_RUNNER_STOP_AT", None)
        if stop_at:
            env["KILL_RUNNER_STOP_AT"] = stop_at
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.kill_runner", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.killed = False

    def flag(self, name: str) -> bool:
        """True if the runner has left the flag ``name``."""
        return (self.flags / name).exists()

    def wait_for(self, name: str, timeout: float = 25) -> None:
        """Wait until the flag ``name`` is there (the process still running).

        Raises:
            AssertionError: the process ended first, or the timeout passed.
        """
        deadline = time.monotonic() + timeout
        while not self.flag(name):
            assert self.proc.poll() is None, f"the runner ended before {name!r}: {self.proc.communicate()}"
            assert time.monotonic() < deadline, f"no {name!r} flag after {timeout} s"
            time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL the process if it is still running, and wait until it (and on PostgreSQL its
        server process) is gone."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.killed = True
        self.proc.communicate(timeout=20)
        if self.killed:
            assert self.proc.returncode == -signal.SIGKILL
        self.wait_gone()

    def wait_gone(self, timeout: float = 20) -> None:
        """On PostgreSQL, wait until no server process serves this runner's connections."""
        if not is_postgres(self.app):
            return
        from studyapp.extensions import db

        deadline = time.monotonic() + timeout
        while True:
            with db.engine.connect() as conn:  # a new transaction each time: a fresh pg_stat_activity
                left = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                                   {"n": self.name})
            if not left:
                return
            assert time.monotonic() < deadline, "the killed runner's server process is still there"
            time.sleep(0.05)

    def finish(self, timeout: float = 60) -> str:
        """Wait for the process to end by itself; return its output.

        Raises:
            AssertionError: it failed.
        """
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        self.wait_gone()
        return out

    def report(self, outcome: str) -> str:
        """One line for the test's output: killed or not, after how long, the flags, the outcome."""
        flags = sorted(p.name for p in self.flags.iterdir())
        return (f"runner {'killed' if self.killed else 'finished'} after {time.monotonic() - self.started:.1f} s; "
                f"flags {flags}; database as {outcome}")

    def pg_state(self) -> list[tuple]:
        """PostgreSQL: ``(state, wait_event_type, has a transaction id)`` of the runner's server process."""
        from studyapp.extensions import db

        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT state, wait_event_type, backend_xid IS NOT NULL FROM pg_stat_activity "
                "WHERE application_name = :n"), {"n": self.name})]


@pytest.fixture()
def spawn(app, db, tmp_path):
    """Return ``spawn(args, stop_at=None) -> Killable``; any runner still alive when the test
    ends (a failed assertion) is killed before the tables are emptied."""
    runners: list[Killable] = []

    def start(args: list[str], stop_at: str | None = None) -> Killable:
        runners.append(Killable(app, tmp_path, args, stop_at=stop_at))
        return runners[-1]

    yield start
    for runner in runners:
        if runner.proc.poll() is None:
            runner.kill()


def sqlite_path(app) -> Path:
    """The SQLite test database's file."""
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


def assert_mid_transaction(app, runner: Killable) -> None:
    """Check that the runner, stopped by ``KILL_RUNNER_STOP_AT``, is inside a transaction that has
    written and is not committed: on PostgreSQL its server process is idle in a transaction with a
    transaction id; on SQLite another connection cannot take the write lock (the database runs in
    write-ahead-log mode, so there is no rollback journal to look for)."""
    if is_postgres(app):
        assert runner.pg_state() == [("idle in transaction", "Client", True)]
    else:
        import sqlite3

        probe = sqlite3.connect(sqlite_path(app), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            locked = False
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc)
        finally:
            probe.close()
        assert locked, "the runner holds no write lock: it is not inside a writing transaction"


IMPORT_ITEMS = 3000
IMPORT_PASSAGES = 40


@pytest.fixture(scope="module")
def import_file(tmp_path_factory) -> Path:
    """A studyapp JSON bank file ``big`` with a 40-passage study text and 3000 items, 600 of each
    kind: 5400 options (single 3, multiple 4, true/false 2) and 3000 accepted answers (short 2,
    cloze 1 + 2)."""
    passages = [{"number": i, "heading": f"Part {i}", "text": f"Passage {i} of the big study text."}
                for i in range(1, IMPORT_PASSAGES + 1)]
    items = []
    for i in range(IMPORT_ITEMS):
        item = {"id": f"big-{i:05d}", "stem": f"Question {i}?", "explanation": f"Because {i}.",
                "passage": i % IMPORT_PASSAGES + 1}
        kind = i % 5
        if kind == 0:
            item.update(kind="single_choice", options=[
                {"text": f"Right {i}", "key": True}, {"text": f"Wrong {i} a"}, {"text": f"Wrong {i} b"}])
        elif kind == 1:
            item.update(kind="multiple_response", options=[
                {"text": f"R1 {i}", "key": True}, {"text": f"R2 {i}", "key": True},
                {"text": f"W1 {i}"}, {"text": f"W2 {i}"}])
        elif kind == 2:
            item.update(kind="true_false", key=bool(i % 2))
        elif kind == 3:
            item.update(kind="short_answer", answers=[f"ans{i}", f"alt{i}"])
        else:
            item.update(kind="cloze", stem=f"The ___ of {i} and the ___.", gaps=[[f"g{i}"], [f"h{i}", f"k{i}"]])
        items.append(item)
    path = tmp_path_factory.mktemp("import") / "big.json"
    path.write_text(json.dumps({
        "format": "studyapp-bank/1", "slug": "big", "title": "Big bank",
        "document": {"slug": "big-text", "title": "Big study text", "passages": passages}, "items": items,
    }))
    return path


IMPORT_BEFORE = {"banks": 0, "documents": 0, "passages": 0, "items": 0, "options": 0, "accepted_answers": 0}
IMPORT_AFTER = {"banks": 1, "documents": 1, "passages": IMPORT_PASSAGES, "items": IMPORT_ITEMS,
                "options": 5400, "accepted_answers": 3000}


def content_state(app, db) -> dict[str, int]:
    """Row counts of the content tables, and of orphans (options and answers of no item, items of
    no bank, passages of no document, items citing no passage of their bank's document), which
    must be 0 whatever happened."""
    db.session.rollback()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    state = {model.__tablename__: count(model) for model in (Bank, Document, Passage, Question, Option, AcceptedAnswer)}
    orphans = db.session.scalar(text(
        "SELECT (SELECT count(*) FROM options WHERE item_id NOT IN (SELECT id FROM items))"
        " + (SELECT count(*) FROM accepted_answers WHERE item_id NOT IN (SELECT id FROM items))"
        " + (SELECT count(*) FROM items WHERE bank_id NOT IN (SELECT id FROM banks))"
        " + (SELECT count(*) FROM passages WHERE document_id NOT IN (SELECT id FROM documents))"
        " + (SELECT count(*) FROM items i JOIN banks b ON b.id = i.bank_id WHERE i.passage_id IS NULL"
        "    OR i.passage_id NOT IN (SELECT id FROM passages p WHERE p.document_id = b.document_id))"))
    assert orphans == 0
    if not is_postgres(app):
        assert db.session.scalar(text("PRAGMA integrity_check")) == "ok"
    return state


IMPORT_MOMENTS = {
    # name: (KILL_RUNNER_STOP_AT, when to kill, outcome: "before", "after" or "either")
    "during-startup": (None, "0.3 s after the start", "before"),
    "stopped-among-the-options": ("insert-options", "when stopped", "before"),
    "stopped-just-before-commit": ("commit", "when stopped", "before"),
    "0.5-s-after-first-insert": (None, "0.5 s after the write flag", "either"),
    "at-the-commit-flag": (None, "at the commit flag", "either"),
    "never": (None, "never", "after"),
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("moment", list(IMPORT_MOMENTS))
def test_killed_import_leaves_all_or_nothing(app, db, spawn, import_file, moment):
    """``flask --app studyapp import big.json --bank big`` (3000 items) in its own process on the
    test database, killed with SIGKILL at one moment: the database then holds the whole bank
    (1 bank, 1 document, 40 passages, 3000 items, 5400 options, 3000 accepted answers) or nothing
    of it, never part, and no orphan rows. Killed while stopped inside the transaction (checked:
    written, not committed) or before it, it must hold nothing; run to the end, everything."""
    stop_at, when, outcome = IMPORT_MOMENTS[moment]
    assert content_state(app, db) == IMPORT_BEFORE
    runner = spawn(["import", str(import_file), "big"], stop_at=stop_at)
    if when == "never":
        out = runner.finish()
        assert f"bank big: {IMPORT_ITEMS} created, 0 updated, 0 unchanged, {IMPORT_PASSAGES} passages written" in out
    else:
        if when == "when stopped":
            runner.wait_for("stopped")
            assert_mid_transaction(app, runner)
        elif when == "0.3 s after the start":
            time.sleep(max(0.0, 0.3 - (time.monotonic() - runner.started)))
            assert not runner.flag("write")
        elif when == "0.5 s after the write flag":
            runner.wait_for("write")
            time.sleep(0.5)
        else:
            runner.wait_for("commit")
        runner.kill()
        assert runner.killed
    state = content_state(app, db)
    if outcome == "either":  # the flags tell which it must be
        outcome = "after" if runner.flag("commit") and state != IMPORT_BEFORE else "before"
        assert runner.flag("commit") or state == IMPORT_BEFORE
    print(runner.report(outcome))
    assert state == (IMPORT_AFTER if outcome == "after" else IMPORT_BEFORE)


SUBMIT_ITEMS = 200


def single_items_yaml(n: int) -> str:
    """YAML for ``make_bank``: n single-choice items ``s-001``... (options "Key i", "Not i")."""
    return "".join(f"  - id: s-{i:03d}\n    kind: single_choice\n    stem: \"Item {i}?\"\n"
                   f"    explanation: \"Because.\"\n    options:\n      - {{text: \"Key {i}\", key: true}}\n"
                   f"      - {{text: \"Not {i}\"}}\n" for i in range(1, n + 1))


def attempt_state(db, attempt_id: int) -> dict:
    """The attempt's status, submission time, marks and score, its responses' (mark, tries,
    final) by position, and the learner's cards and review logs."""
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    return {
        "status": attempt.status, "submitted": attempt.submitted_at is not None,
        "marks": attempt.marks, "score": attempt.score_percent,
        "responses": {ai.position: (ai.response.mark, ai.response.tries, ai.response.final)
                      for ai in attempt.attempt_items},
        "cards": db.session.scalar(select(func.count()).select_from(Card).where(Card.user_id == attempt.user_id)),
        "logs": db.session.scalar(select(func.count()).select_from(ReviewLog)),
    }


SUBMIT_BEFORE = {"status": "in_progress", "submitted": False, "marks": None, "score": None,
                 "responses": {p: (None, 0, False) for p in range(1, SUBMIT_ITEMS + 1)}, "cards": 0, "logs": 0}
SUBMIT_AFTER = {"status": "submitted", "submitted": True, "marks": SUBMIT_ITEMS / 2, "score": 50.0,
                "responses": {p: (1.0 if p % 2 else 0.0, 1, True) for p in range(1, SUBMIT_ITEMS + 1)},
                "cards": SUBMIT_ITEMS, "logs": SUBMIT_ITEMS}

SUBMIT_MOMENTS = {
    # name: (KILL_RUNNER_STOP_AT, when to kill, outcome)
    "stopped-halfway": ("insert-cards", "when stopped", "before"),  # marks written, cards begun
    "stopped-just-before-commit": ("commit", "when stopped", "before"),
    "blocked-by-a-lock": (None, "while blocked", "before"),
    "0.2-s-after-first-write": (None, "0.2 s after the write flag", "either"),
    "never": (None, "never", "after"),
}


@contextmanager
def blocking_lock(app, db, attempt_id: int):
    """Hold a lock that stops a submission of the attempt inside its transaction. PostgreSQL: a
    row lock (``FOR UPDATE``) on the response at the middle position, so that the submission
    waits when it marks that response (half of the marks and cards written). SQLite (in
    write-ahead-log mode, where readers never block a writer): the write lock (``BEGIN
    IMMEDIATE``), so that the submission waits at its first write, inside its transaction."""
    if is_postgres(app):
        conn = db.engine.connect()
        middle = conn.scalar(select(Response.id).join(AttemptItem).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.position == SUBMIT_ITEMS // 2)
            .with_for_update(of=Response))
        assert middle is not None
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
    else:
        conn = sqlite3.connect(sqlite_path(app), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        assert conn.execute("SELECT count(*) FROM attempts").fetchone() == (1,)
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()


def wait_blocked(app, runner: Killable, timeout: float = 25) -> None:
    """Wait until the runner is blocked by :func:`blocking_lock` inside its transaction: on
    PostgreSQL its server process waits for a lock, with a transaction id; on SQLite it is still
    running 4 s after its start without having written (its first write waits)."""
    deadline = time.monotonic() + timeout
    if is_postgres(app):
        while runner.pg_state() != [("active", "Lock", True)]:
            assert runner.proc.poll() is None and time.monotonic() < deadline, runner.pg_state()
            time.sleep(0.02)
    else:
        time.sleep(4)  # start-up (about 2 s), then the first write waits for the lock
        assert runner.proc.poll() is None and not runner.flag("write")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("moment", list(SUBMIT_MOMENTS))
def test_killed_submission_leaves_all_or_nothing(app, db, spawn, make_bank, make_user, moment):
    """``submit_attempt`` of a 200-item exam (100 answered right, 100 wrong) in its own process,
    killed with SIGKILL at one moment: the attempt is then either in progress with no mark, card
    or review log, or submitted with all 200 marks (100 marks, 50%), 200 cards and 200 review
    logs, never partly marked. Killed while stopped or blocked inside its transaction it must be
    in progress; run to the end, submitted."""
    stop_at, when, outcome = SUBMIT_MOMENTS[moment]
    bank = make_bank(single_items_yaml(SUBMIT_ITEMS), slug="many")
    ids = list(db.session.scalars(select(Question.id).where(Question.bank_id == bank.id).order_by(Question.ext_id)))
    attempt = start_attempt(make_user(), bank, SUBMIT_ITEMS, item_ids=ids)
    for ai in attempt.attempt_items:
        chosen = [o.id for o in ai.item.options if o.is_key == bool(ai.position % 2)]
        save_response(attempt, ai, ResponseData(choice_ids=chosen), commit=False)
    db.session.commit()
    attempt_id = attempt.id
    assert attempt_state(db, attempt_id) == SUBMIT_BEFORE

    if when == "while blocked":
        with blocking_lock(app, db, attempt_id):
            runner = spawn(["submit", str(attempt_id)])
            wait_blocked(app, runner)
            runner.proc.send_signal(signal.SIGKILL)
            runner.killed = True
            runner.proc.communicate(timeout=20)
        runner.wait_gone()  # PostgreSQL: its server process ends once the lock is released
    else:
        runner = spawn(["submit", str(attempt_id)], stop_at=stop_at)
        if when == "never":
            assert "submitted=True score=50.0" in runner.finish()
        else:
            if when == "when stopped":
                runner.wait_for("stopped")
                assert_mid_transaction(app, runner)
            else:
                runner.wait_for("write")
                time.sleep(0.2)
            runner.kill()
    state = attempt_state(db, attempt_id)
    if outcome == "either":
        outcome = "after" if runner.flag("commit") and state != SUBMIT_BEFORE else "before"
        assert runner.flag("commit") or state == SUBMIT_BEFORE
    print(runner.report(outcome))
    assert state == (SUBMIT_AFTER if outcome == "after" else SUBMIT_BEFORE)
