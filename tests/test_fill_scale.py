"""``flask fill-scale`` at a tiny size (20 learners, 30 items, 600 responses), through the CLI
runner on the test database: exact counts, rows the app itself would have written (marks,
scores, cards), the pages showing the filled figures, and the refusals that write nothing."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from studyapp import clock
from studyapp.attempting import PRACTICE_PENALTY, start_attempt
from studyapp.kinds import ResponseData, get_kind
from studyapp.models import (
    AcceptedAnswer, Attempt, AttemptItem, AttemptOption, Bank, Card, Document, Option, Passage, Question, Response,
    ResponseChoice, ResponseText, ReviewLog, User,
)
from studyapp.scalefill import INSTRUCTOR_EMAIL

from .test_gradebook import page_table
from .test_progress import table_rows

PASSWORD = "scale password 0123"
TINY = ("--learners", "20", "--items", "30", "--responses", "600", "--seed", "3", "--password", PASSWORD)
"""20 learners, 30 items in 4 banks (15, 5, 5, 5), 600 responses (606 attempt items, 6 left unanswered)."""
MODELS = (User, Document, Passage, Bank, Question, Option, AcceptedAnswer, Attempt, AttemptItem, AttemptOption,
          Response, ResponseChoice, ResponseText, Card, ReviewLog)


@pytest.fixture()
def run(app, db):
    """Return ``run(*args) -> click Result`` invoking ``flask fill-scale`` with ``args``."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        result = runner.invoke(args=["fill-scale", *args])
        db.session.rollback()  # read what the command wrote afresh
        return result

    return invoke


def counts(db) -> dict[str, int]:
    """Return the number of rows of every table the fill writes."""
    db.session.rollback()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


@pytest.fixture()
def filled(run, db):
    """The tiny fill, done once for the test; returns the command's output."""
    result = run(*TINY)
    assert result.exit_code == 0, result.output
    return result.output


def login(client, csrf, email: str) -> None:
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_counts_are_exact(db, filled):
    """Every table holds exactly what the sizes ask for; the output reports rows per table and speed."""
    n = counts(db)
    assert n["users"] == 21 and n["banks"] == 4 and n["documents"] == 4 and n["items"] == 30
    assert n["responses"] == 600 and n["attempt_items"] == 606
    assert n["review_logs"] == 600          # every marked response rated its card once
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == "learner")) == 20
    assert db.session.scalar(select(func.sum(Attempt.item_count))) == 606
    assert re.search(r"Wrote [\d,]+ rows in [\d.]+ s \([\d,]+ rows/s\)", filled)
    assert f"{'responses':<18} {600:>12,}" in filled
    sizes = dict(db.session.execute(select(Bank.slug, func.count(Question.id)).join(Question).group_by(Bank.slug)).all())
    assert sizes == {"scale-1": 15, "scale-2": 5, "scale-3": 5, "scale-4": 5}
    kinds = db.session.execute(select(Question.bank_id, Question.kind).distinct()).all()
    assert len(kinds) == 4 * 5                # all five kinds in every bank
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.passage_id.is_(None))) == 0


def test_rows_are_what_the_app_would_write(db, filled):
    """Re-marked with the app's own kinds, every response has its stored mark (less the
    second-try penalty in practice); every attempt's marks are the sum of its response marks
    and its score that sum as a percentage of its items; cards count their review logs."""
    items = {q.id: q for q in db.session.scalars(
        select(Question).options(selectinload(Question.options), selectinload(Question.accepted_answers)))}
    attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
    totals: dict[int, float] = defaultdict(float)
    for ai, r in db.session.execute(
            select(AttemptItem, Response).join(Response, Response.attempt_item_id == AttemptItem.id)
            .options(selectinload(Response.choices), selectinload(Response.texts))).all():
        item, attempt = items[ai.item_id], attempts[ai.attempt_id]
        data = ResponseData(choice_ids=sorted(c.option_id for c in r.choices), texts=[t.text for t in r.texts])
        raw = get_kind(item.kind).mark(item, data).mark
        assert r.final and r.tries in (1, 2)
        assert r.tries == 1 or attempt.mode == "practice"
        expected = raw if r.tries == 1 else round(max(0.0, raw - PRACTICE_PENALTY), 6)
        assert r.mark == pytest.approx(expected, abs=1e-9), (item.kind, data)
        assert attempt.started_at < r.answered_at < attempt.submitted_at
        totals[attempt.id] += r.mark
    for a in attempts.values():
        assert a.status == "submitted" and a.mode in ("exam", "practice") and not a.timed_out
        assert a.marks == pytest.approx(round(totals[a.id], 6), abs=1e-9)
        assert a.score_percent == round(100.0 * totals[a.id] / a.item_count, 2)
        assert (a.pass_mark_percent is not None) == (a.mode == "exam" and a.bank.slug == "scale-1")
    scores = [a.score_percent for a in attempts.values()]
    assert min(scores) < 50 < max(scores)      # scores vary
    logs = dict(db.session.execute(select(ReviewLog.card_id, func.count()).group_by(ReviewLog.card_id)).all())
    pairs = db.session.execute(
        select(Attempt.user_id, AttemptItem.item_id).join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(Response, Response.attempt_item_id == AttemptItem.id).distinct()).all()
    cards = db.session.scalars(select(Card)).all()
    assert {(c.user_id, c.item_id) for c in cards} == set(pairs)
    assert all(c.reps == logs[c.id] for c in cards)
    # shown options: every option of each choice item once, true/false in its own order
    for ai in db.session.scalars(select(AttemptItem).options(selectinload(AttemptItem.shown_options))):
        shown = [o.option_id for o in ai.shown_options]
        options = [o.id for o in items[ai.item_id].options]
        assert sorted(shown) == sorted(options)
        if items[ai.item_id].kind == "true_false":
            assert shown == options


def test_pages_show_the_filled_figures(client, csrf, db, filled):
    """The gradebook, the item statistics and a learner's dashboard render with the filled data
    and show figures computed here from the rows."""
    learner = db.session.scalar(select(User).where(User.email == "scale-00001@scale.invalid"))
    mine = db.session.scalars(select(Attempt).where(Attempt.user_id == learner.id)
                              .order_by(Attempt.submitted_at, Attempt.id)).all()
    assert mine
    per_bank: dict[str, list[Attempt]] = defaultdict(list)
    for a in mine:
        per_bank[a.bank.title].append(a)

    login(client, csrf, INSTRUCTOR_EMAIL)
    response = client.get("/teach/gradebook")
    assert response.status_code == 200
    rows = [r for r in page_table(response.get_data(as_text=True))[1] if r[0] == "Scale learner 00001"]
    assert [r[2] for r in rows] == sorted(per_bank)
    for row in rows:
        attempts = per_bank[row[2]]
        scores = [a.score_percent for a in attempts]
        assert row[3] == str(len(attempts))
        assert float(row[4]) == pytest.approx(max(scores), abs=0.051)
        assert float(row[5]) == pytest.approx(attempts[-1].score_percent, abs=0.051)
        assert float(row[6]) == pytest.approx(sum(scores) / len(scores), abs=0.051)
        assert row[7] == attempts[-1].submitted_at.strftime("%Y-%m-%d %H:%M")

    # item statistics: attempts and facility of the first item of the biggest bank
    bank = db.session.scalar(select(Bank).where(Bank.slug == "scale-1"))
    item = db.session.scalar(select(Question).where(Question.bank_id == bank.id).order_by(Question.id).limit(1))
    marks = db.session.execute(
        select(func.coalesce(Response.mark, 0.0)).select_from(AttemptItem)
        .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        .where(AttemptItem.item_id == item.id)).scalars().all()
    assert len(marks) >= 2
    response = client.get("/teach/banks/scale-1/statistics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [row] = [r for r in table_rows(page, "item-stats") if r[0].startswith(item.ext_id + " ")]
    assert row[2] == str(len(marks))
    assert float(row[3].rstrip("%")) == pytest.approx(100.0 * sum(marks) / len(marks), abs=0.051)
    n_bank = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.bank_id == bank.id))
    assert f"<strong>{n_bank}</strong> submitted attempts" in page
    assert client.get("/teach/").status_code == 200

    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login(client, csrf, learner.email)
    response = client.get("/progress/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(rf'id="attempt-count">{len(mine)}<', page)
    progress = table_rows(page, "bank-progress")
    assert [(r[0], r[1]) for r in progress] == [(t, str(len(a))) for t, a in sorted(per_bank.items())]
    for r in progress:
        attempts = per_bank[r[0]]
        assert r[2] == f"{max(a.score_percent for a in attempts):.0f}%"
        assert r[3] == f"{attempts[-1].score_percent:.0f}%"
    assert len(table_rows(page, "history")) == len(mine)


def test_times_are_past_and_in_order_even_for_a_busy_learner(run, db):
    """One learner with 400 attempts in a month: the attempts do not overlap, every answer is
    inside its attempt, everything is in the past, and each card's ratings go forward in time."""
    result = run("--learners", "1", "--items", "5", "--banks", "1", "--per-attempt", "5", "--responses", "1980",
                 "--months", "1", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    now = clock.now()
    attempts = db.session.scalars(select(Attempt).order_by(Attempt.started_at)).all()
    assert len(attempts) == 400
    for before, after in zip(attempts, attempts[1:]):
        assert before.started_at < before.submitted_at < after.started_at
    assert attempts[-1].submitted_at < now
    assert attempts[0].started_at > now - timedelta(days=31)
    spans = {a.id: (a.started_at, a.submitted_at) for a in attempts}
    for attempt_id, answered in db.session.execute(
            select(AttemptItem.attempt_id, Response.answered_at).join(Response)).all():
        assert spans[attempt_id][0] < answered < spans[attempt_id][1]
    times: dict[int, list] = defaultdict(list)
    for card_id, at in db.session.execute(select(ReviewLog.card_id, ReviewLog.reviewed_at).order_by(ReviewLog.id)):
        times[card_id].append(at)
    assert all(t == sorted(t) for t in times.values())
    for card in db.session.scalars(select(Card)):
        assert card.last_review == times[card.id][-1]


def test_a_second_run_is_refused_and_writes_nothing(run, db, filled):
    """Once filled, the command refuses (with or without --yes: the accounts would clash), and writes nothing."""
    before = counts(db)
    for args in (TINY, (*TINY, "--yes")):
        result = run(*args)
        assert result.exit_code == 1
        assert "holds scale data already" in result.output and "Nothing was written" in result.output
        assert counts(db) == before


def test_users_need_yes_and_the_app_inserts_after_a_fill(run, db, make_user, symposium_bank):
    """A database with users is refused without --yes (nothing written) and filled with it;
    afterwards the app inserts rows as usual (sequences were moved past the fill's ids)."""
    make_user("instructor", email="teacher@example.org")
    before = counts(db)
    result = run(*TINY)
    assert result.exit_code == 1
    assert "has 1 user(s) already" in result.output and "--yes" in result.output
    assert counts(db) == before
    result = run(*TINY, "--yes")
    assert result.exit_code == 0, result.output
    assert counts(db)["users"] == 22
    newcomer = make_user("learner", email="newcomer@example.org")
    assert newcomer.id == db.session.scalar(select(func.max(User.id)))
    scale_bank = db.session.scalar(select(Bank).where(Bank.slug == "scale-2"))
    attempt = start_attempt(newcomer, scale_bank, 3)
    assert attempt.id == db.session.scalar(select(func.max(Attempt.id))) and len(attempt.attempt_items) == 3


def test_generated_password_is_printed_once_and_logs_in(run, db, client, csrf):
    """Without --password one is generated, printed once, and every account logs in with it."""
    result = run("--learners", "2", "--items", "5", "--banks", "1", "--responses", "10")
    assert result.exit_code == 0, result.output
    [password] = re.findall(r"Password \(shown once\): (\S+)", result.output)
    hashes = db.session.scalars(select(User.password_hash).distinct()).all()
    assert len(hashes) == 1 and password not in hashes[0]
    response = client.post("/auth/login", data={"email": "scale-00002@scale.invalid", "password": password,
                                                "csrf_token": csrf(client)})
    assert response.status_code == 302


@pytest.mark.parametrize("args, message", [
    (("--items", "3", "--banks", "4"), "--items must be at least the number of banks"),
    (("--learners", "0"), "Invalid value for '--learners'"),
])
def test_bad_sizes_are_refused(run, db, args, message):
    result = run(*args, "--password", PASSWORD)
    assert result.exit_code != 0 and message in result.output
    assert counts(db)["users"] == 0
