"""Attempts: start, save responses, submit and mark. No Flask imports.

Every function that writes commits once, or rolls back and raises: an action is
saved whole or not at all.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .locking import lock_row
from .kinds import ResponseData, get_kind
from .models import (
    Attempt, AttemptItem, AttemptMode, AttemptOption, AttemptStatus, Bank, ItemStatus, Question, Response,
    ResponseChoice, ResponseText, User,
)
from .models.base import utcnow


class AttemptError(Exception):
    """An action that does not fit the attempt's state (HTTP 409 in the views)."""


class EmptyBank(AttemptError):
    """The bank has no published item."""


class AttemptClosed(AttemptError):
    """The attempt was already submitted."""


class ModeNotAllowed(AttemptError):
    """The bank's settings do not allow this mode (practice where feedback must wait)."""


class AttemptsExhausted(AttemptError):
    """The learner has used every exam attempt the bank allows."""


class TimeUp(AttemptClosed):
    """The exam's time ran out (deadline plus grace): the attempt was closed with the
    responses saved before it."""


class ResponseFinal(AttemptError):
    """The response was checked and its key shown: it can no longer change."""


class InvalidTryCount(AttemptError):
    """A check whose page claims more tries than were ever recorded: no page shows that, so the
    form was made up or altered (HTTP 400). Nothing was recorded."""


class StaleCheck(AttemptError):
    """A check sent from a page that showed fewer (or more) tries than are recorded now: the same
    form sent twice (a double click, a browser resend, two tabs). Nothing was recorded; the
    views show the feedback already recorded instead."""


def published_items(bank_id: int) -> list[int]:
    """Return the ids of the published items of a bank."""
    return list(db.session.scalars(
        select(Question.id).where(Question.bank_id == bank_id, Question.status == ItemStatus.PUBLISHED.value,
                                  Question.superseded_by_id.is_(None))
        .order_by(Question.id)
    ))


AFTER_SUBMISSION_ONLY = ("On this bank feedback comes only after submission: take it as an exam "
                         "(practice, review sessions and flashcards, which show answers, are off).")
EXAM_RUNNING = ("You have an exam in progress on this bank: finish it first. Practice, review and "
                "flashcards on the bank show answers, so they wait until the exam is submitted.")


def exam_in_progress(user_id: int, bank_id: int) -> int | None:
    """Return the id of the learner's exam in progress on the bank (one whose time is not up), or None.

    While it runs, the modes that show keys (practice, review, flashcards) are closed on that
    bank for that learner, so that no key of an exam item can be read before it is submitted.
    """
    close_expired(user_id=user_id)
    return db.session.scalar(select(Attempt.id).where(
        Attempt.user_id == user_id, Attempt.bank_id == bank_id, Attempt.mode == AttemptMode.EXAM.value,
        Attempt.status == AttemptStatus.IN_PROGRESS.value).limit(1))


def _feedback_allowed(attempt: Attempt) -> None:
    """Refuse immediate feedback (a key) in a practice or review attempt when its bank now gives
    feedback only after submission, or while the learner's exam on the bank runs.

    Raises:
        ModeNotAllowed: either case.
    """
    if attempt.bank.feedback == "after_submission":
        raise ModeNotAllowed(AFTER_SUBMISSION_ONLY)
    if exam_in_progress(attempt.user_id, attempt.bank_id):
        raise ModeNotAllowed(EXAM_RUNNING)


def exam_attempts_used(user: User, bank: Bank) -> int:
    """Return how many exam attempts (in progress or submitted) the learner has on the bank."""
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user.id, Attempt.bank_id == bank.id, Attempt.mode == AttemptMode.EXAM.value)) or 0


def start_attempt(user: User, bank: Bank, n_items: int, rng: random.Random | None = None, *,
                  mode: str = AttemptMode.EXAM.value, item_ids: list[int] | None = None) -> Attempt:
    """Start an attempt: pick ``n_items`` published items at random and fix their option order.

    True/false items keep True before False; other options are shuffled if the bank's
    ``shuffle_options`` says so (else kept in the bank's order). An exam gets the
    bank's time limit (``deadline_at`` = now + limit) and pass mark, and counts against the
    bank's ``attempts_allowed``.

    Args:
        user: the learner.
        bank: the bank to draw from.
        n_items: how many items (capped at the number available; at least 1).
        rng: random source (tests pass a seeded one).
        mode: "exam", "practice" or "review" (``AttemptMode``).
        item_ids: ask these items, in this order (those that are published items of the
            bank; the first ``n_items``), instead of a random draw: a passage's items, the
            weakest passages' items, the items due for review.
    Returns:
        The committed attempt.
    Raises:
        EmptyBank: no published item to ask (the bank has none, or none of ``item_ids`` is one).
        AttemptsExhausted: an exam beyond the bank's ``attempts_allowed``.
        ModeNotAllowed: practice or review on a bank whose feedback comes only after submission,
            or while the learner's exam on the bank is in progress.
        ValueError: an unknown mode.
    """
    if mode not in {m.value for m in AttemptMode}:
        raise ValueError(f"unknown mode {mode!r}")
    if mode != AttemptMode.EXAM.value and bank.feedback == "after_submission":
        raise ModeNotAllowed(AFTER_SUBMISSION_ONLY)
    if mode != AttemptMode.EXAM.value and exam_in_progress(user.id, bank.id):
        raise ModeNotAllowed(EXAM_RUNNING)
    rng = rng or random.SystemRandom()
    ids = published_items(bank.id)
    if not ids:
        raise EmptyBank("This bank has no published items yet.")
    if mode == AttemptMode.EXAM.value and bank.attempts_allowed is not None:
        # Lock the learner's row (a no-op UPDATE: row lock on PostgreSQL, write lock on SQLite)
        # so that concurrent starts are counted one after the other.
        lock_row(User, user.id)
        if exam_attempts_used(user, bank) >= bank.attempts_allowed:
            db.session.rollback()
            raise AttemptsExhausted(
                f"You have used all {bank.attempts_allowed} exam attempt(s) this bank allows.")
    if item_ids is not None:
        published = set(ids)
        chosen = [i for i in dict.fromkeys(item_ids) if i in published][:max(1, n_items)]
        if not chosen:
            raise EmptyBank("None of those items is published in this bank.")
    else:
        chosen = rng.sample(ids, min(max(1, n_items), len(ids)))
    items = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(chosen)).options(selectinload(Question.options))
    )}
    attempt = Attempt(user_id=user.id, bank_id=bank.id, item_count=len(chosen), mode=mode)
    if mode == AttemptMode.EXAM.value:
        attempt.started_at = utcnow()
        if bank.time_limit_minutes:
            attempt.deadline_at = attempt.started_at + timedelta(minutes=bank.time_limit_minutes)
        attempt.pass_mark_percent = bank.pass_mark_percent
    for position, item_id in enumerate(chosen, start=1):
        item = items[item_id]
        options = list(item.options)
        if item.kind != "true_false" and bank.shuffle_options:
            rng.shuffle(options)
        attempt.attempt_items.append(AttemptItem(
            position=position, item_id=item_id,
            shown_options=[AttemptOption(position=i, option_id=o.id) for i, o in enumerate(options)],
        ))
    db.session.add(attempt)
    db.session.commit()
    return attempt


# What a page about attempt items needs with each: the item with its options, accepted answers and
# passage, the options as shown, and the response with its choices and texts. The single-valued
# ones are joined into the main query, the collections loaded with one query each (6 queries in
# all, whatever the number of items: each query costs more than its rows here).
_ATTEMPT_ITEM_LOADS = (
    joinedload(AttemptItem.item, innerjoin=True).selectinload(Question.options),
    joinedload(AttemptItem.item, innerjoin=True).selectinload(Question.accepted_answers),
    joinedload(AttemptItem.item, innerjoin=True).joinedload(Question.passage),
    selectinload(AttemptItem.shown_options).joinedload(AttemptOption.option, innerjoin=True),
    joinedload(AttemptItem.response).selectinload(Response.choices),
    joinedload(AttemptItem.response).selectinload(Response.texts),
)


def load_attempt_items(attempt: Attempt) -> list[AttemptItem]:
    """Return the attempt's items with item, options, passage and response loaded (fixed query count)."""
    return list(db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
        .options(*_ATTEMPT_ITEM_LOADS)
    ))


def attempt_with_outline(attempt_id: int) -> tuple[Attempt, int, set[int]] | None:
    """Return an attempt (its bank loaded) with what a page about one of its items needs of the
    others: their number and the positions of those answered. One query (the outline comes in
    two correlated subqueries; ``aggregate_strings`` is ``string_agg`` on PostgreSQL and
    ``group_concat`` on SQLite).

    Args:
        attempt_id: the attempt's id.
    Returns:
        ``(attempt, items, answered)``: the attempt, its number of items, and the set of positions
        (1-based) that have a response; None when there is no such attempt.
    """
    items = (select(func.count(AttemptItem.id)).where(AttemptItem.attempt_id == Attempt.id)
             .correlate(Attempt).scalar_subquery())
    answered = (select(func.aggregate_strings(cast(AttemptItem.position, String), ","))
                .join(Response, Response.attempt_item_id == AttemptItem.id)
                .where(AttemptItem.attempt_id == Attempt.id).correlate(Attempt).scalar_subquery())
    row = db.session.execute(
        select(Attempt, items, answered).options(joinedload(Attempt.bank)).where(Attempt.id == attempt_id)
    ).first()
    if row is None:
        return None
    attempt, count, positions = row
    return attempt, int(count or 0), {int(p) for p in positions.split(",")} if positions else set()


# One item's page (a question) needs the item, its options as shown and the response; the item's
# own options, accepted answers and passage only when it shows feedback, and then they load lazily
# (one query each: there is one item). All of it comes in ONE query of joins: the rows multiply
# (shown options x chosen options x typed texts: a few dozen at most), but every query costs about
# as much CPU in SQLAlchemy as the rows it returns, and this page is the most requested of all.
_ONE_ITEM_LOADS = (
    joinedload(AttemptItem.item, innerjoin=True),
    joinedload(AttemptItem.shown_options).joinedload(AttemptOption.option, innerjoin=True),
    joinedload(AttemptItem.response).joinedload(Response.choices),
    joinedload(AttemptItem.response).joinedload(Response.texts),
)


def load_attempt_item(attempt_id: int, position: int) -> AttemptItem | None:
    """Return the item at ``position`` (1-based) of an attempt, with its item, shown options and
    response (with its choices and texts) loaded, in one query; None when there is none."""
    return db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)
        .options(*_ONE_ITEM_LOADS)
    ).unique().one_or_none()


def first_unanswered(attempt: Attempt) -> int | None:
    """Return the position (1-based) of the attempt's first item without a response, or None."""
    return db.session.scalar(
        select(func.min(AttemptItem.position))
        .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        .where(AttemptItem.attempt_id == attempt.id, Response.id.is_(None))
    )


def response_data(response: Response | None) -> ResponseData | None:
    """Return a stored response as :class:`ResponseData` (None if there is none)."""
    if response is None:
        return None
    return ResponseData(choice_ids=sorted(c.option_id for c in response.choices),
                        texts=[t.text for t in response.texts])


PRACTICE_PENALTY = 1 / 3
"""Practice mode: the mark of a right second try is reduced by this fraction of the item's
mark (0-1) for the wrong first try, as in Moodle's "Interactive with multiple tries"
behaviour, whose default "penalty for each incorrect try" is 33.33333%
(https://docs.moodle.org/en/Question_behaviours). A wrong second try earns nothing more."""


def grace_seconds() -> int:
    """Return the exam grace period in seconds (``EXAM_GRACE_SECONDS``; 30 outside an app)."""
    from flask import current_app, has_app_context

    return int(current_app.config.get("EXAM_GRACE_SECONDS", 30)) if has_app_context() else 30


def time_is_up(attempt: Attempt, now=None) -> bool:
    """Return True if a timed attempt's deadline plus the grace period has passed."""
    if attempt.deadline_at is None:
        return False
    return (now or utcnow()) > attempt.deadline_at + timedelta(seconds=grace_seconds())


def seconds_left(attempt: Attempt, now=None) -> int | None:
    """Return the whole seconds until a timed attempt's deadline (0 when passed; None: untimed)."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


def _lock_in_progress(attempt: Attempt) -> None:
    """Lock the attempt row (PostgreSQL) so that a concurrent submit waits; refuse a closed
    attempt, and close a timed-out one (with the responses saved so far) before refusing.

    Raises:
        AttemptClosed: the attempt was already submitted.
        TimeUp: the exam's time is up; it has just been closed and marked.
    """
    # A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite (where
    # SELECT ... FOR UPDATE does nothing): two saves or checks of one attempt run one after
    # the other, and the second reads what the first committed.
    # The same statement reads the status as committed now (RETURNING: PostgreSQL, SQLite 3.35+).
    status = db.session.scalar(
        update(Attempt).where(Attempt.id == attempt.id).values(id=Attempt.id).returning(Attempt.status)
        .execution_options(synchronize_session=False))
    if status != AttemptStatus.IN_PROGRESS.value:
        db.session.rollback()
        raise AttemptClosed("This attempt was already submitted, so this answer was not recorded; its responses can no longer change.")
    if time_is_up(attempt):
        db.session.rollback()
        submit_attempt(attempt, timed_out=True)
        raise TimeUp("The time for this exam is up: it was submitted with the answers saved before the "
                     "deadline, and this answer was not recorded.")


def _current_response(attempt_item: AttemptItem) -> Response | None:
    """Return the attempt item's response as committed now (re-read under the lock, so that a
    concurrent save or check that committed first is seen), and set it on ``attempt_item``."""
    response = db.session.scalars(
        select(Response).where(Response.attempt_item_id == attempt_item.id)
        .options(joinedload(Response.choices), joinedload(Response.texts))   # replaced by a save: no lazy loads
        .execution_options(populate_existing=True)).unique().one_or_none()
    attempt_item.response = response
    return response


def save_response(attempt: Attempt, attempt_item: AttemptItem, data: ResponseData, commit: bool = True) -> None:
    """Record (or replace) the response to one item of an in-progress attempt.

    Args:
        attempt: the attempt, in progress.
        attempt_item: one of its items.
        data: the response; an empty one removes any saved response.
        commit: False to leave the transaction open for the caller.
    Raises:
        AttemptClosed: the attempt was already submitted.
        TimeUp: a timed exam past its deadline plus grace (then closed with its saved responses).
        ResponseFinal: a practice response whose key was already shown.
    """
    _lock_in_progress(attempt)
    _write_response(attempt_item, _current_response(attempt_item), data)
    if commit:
        _commit_or_conflict()


def _write_response(attempt_item: AttemptItem, response: Response | None, data: ResponseData) -> None:
    """Write ``data`` as the item's response (``response``: the one read under the attempt's lock,
    or None); no commit.

    Raises:
        ResponseFinal: the response is final (the transaction was rolled back).
    """
    if response is not None and response.final:
        db.session.rollback()
        raise ResponseFinal("This question was checked and its answer shown; the response can no longer change.")
    if data.empty:
        if response is not None:
            db.session.delete(response)
            attempt_item.response = None
    else:
        if response is None:
            response = Response(attempt_item=attempt_item)
            db.session.add(response)
        response.answered_at = utcnow()
        response.choices = [ResponseChoice(option_id=i) for i in data.choice_ids]
        response.texts = [ResponseText(gap=g, text=t) for g, t in enumerate(data.texts)]


def _commit_or_conflict() -> None:
    """Commit; a unique-constraint clash with a concurrent request (which the attempt lock
    should prevent) is rolled back and reported as a conflict, never as a server error.

    Raises:
        AttemptError: the write clashed with another request's (HTTP 409).
    """
    from sqlalchemy.exc import IntegrityError

    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AttemptError("This answer was saved at the same moment by another request; "
                           "reload the page to see which one was kept.") from None


@dataclass
class CheckOutcome:
    """Result of :func:`check_response`.

    Attributes:
        raw: the mark of this try before any penalty (fraction 0-1).
        mark: the response's mark now (fraction 0-1, after the second-try penalty).
        tries: tries checked so far (1 or 2).
        final: True when the key may now be shown (right, or no try left, or given up).
        can_retry: True when the learner may try once more (practice, wrong first try).
    """

    raw: float
    mark: float
    tries: int
    final: bool
    can_retry: bool


def second_try_allowed(attempt: Attempt) -> bool:
    """Return True if a wrong first response may be tried again: practice attempts on banks
    with ``second_try`` (review attempts, like flashcards, ask once)."""
    return attempt.mode == AttemptMode.PRACTICE.value and bool(attempt.bank.second_try)


def _lock_learner(attempt: Attempt) -> None:
    """Lock the learner's row until the transaction ends, before their FSRS cards are read and
    rated (:func:`_finalise`). One learner's attempts (two tabs, two exams submitted at once)
    share cards, one per learner and item: without this lock, two transactions that rate the
    same card read the same state and the second write loses the first rating (PostgreSQL,
    read committed), or both create the card (a unique-constraint error) or lock cards in
    opposite orders (a deadlock). Flashcard ratings take the same lock (``study.rate``).

    Take it after the attempt's own lock (the order everywhere: attempt, then learner).
    """
    lock_row(User, attempt.user_id)


def _finalise(attempt: Attempt, attempt_item: AttemptItem, response: Response, raw: float, *,
              shown: bool = False, card=None) -> None:
    """Mark a response final and update the learner's FSRS card for the item (no commit). The
    caller holds the learner's lock (:func:`_lock_learner`); ``card``: that card if the caller has
    it (see :func:`studyapp.scheduling.get_cards`)."""
    from .scheduling import rating_for_response, record_review

    response.final = True
    if response.id is None:     # a response added in this transaction: its id is needed for the log
        db.session.flush()
    record_review(attempt.user_id, attempt_item.item_id, rating_for_response(raw, max(1, response.tries), shown),
                  attempt.mode, response_id=response.id, card=card)


def check_response(attempt: Attempt, attempt_item: AttemptItem, data: ResponseData, *,
                   tries_seen: int | None = None) -> CheckOutcome:
    """Save and mark one response of a practice or review attempt at once (one transaction).

    A right response (mark 1), or any response when no further try is allowed, is final:
    the key may be shown and the learner's FSRS card is updated. A wrong or partly right
    first try in practice mode may be tried once more; the second try's mark is reduced by
    :data:`PRACTICE_PENALTY` (never below 0), and it is final.

    The check is idempotent when ``tries_seen`` is given: the tries recorded are compared with it
    under the attempt's lock, so of two checks sent from the same page (a double click, a browser
    resend, two tabs, even at the same moment) only the first counts.

    Args:
        attempt: a practice or review attempt in progress.
        attempt_item: one of its items.
        data: the response (not empty).
        tries_seen: the number of tries recorded when the page that sent this check was shown
            (0 before the first); None: no such comparison (callers outside a page).
    Returns:
        The :class:`CheckOutcome`.
    Raises:
        AttemptError: an exam attempt (exams are marked at submission) or an empty response.
        AttemptClosed: the attempt was submitted.
        StaleCheck: ``tries_seen`` is below the tries recorded now; nothing was recorded.
        InvalidTryCount: ``tries_seen`` is above the tries recorded now; nothing was recorded.
        ResponseFinal: the response was final already.
    """
    if not attempt.gives_feedback_at_once:
        raise AttemptError("Exam answers are marked when the attempt is submitted.")
    if data.empty:
        raise AttemptError("Give an answer before checking it.")
    _feedback_allowed(attempt)
    _lock_in_progress(attempt)
    response = _current_response(attempt_item)
    recorded = (response.tries or 0) if response is not None else 0
    if tries_seen is not None and tries_seen > recorded:    # tries are never taken back: not from a page
        db.session.rollback()
        raise InvalidTryCount("This check names a try that was never made; reload the question and check again.")
    if tries_seen is not None and tries_seen != recorded:
        db.session.rollback()
        raise StaleCheck("This answer had already been checked (the form was sent twice): "
                         "only the first check counts.")
    _write_response(attempt_item, response, data)
    response = attempt_item.response
    response.tries = (response.tries or 0) + 1
    raw = get_kind(attempt_item.item.kind).mark(attempt_item.item, data).mark
    retry = raw < 1 and response.tries < 2 and second_try_allowed(attempt)
    response.mark = round(max(0.0, raw - PRACTICE_PENALTY * (response.tries - 1)), 6)
    if not retry:
        _lock_learner(attempt)
        _finalise(attempt, attempt_item, response, raw)
    _commit_or_conflict()
    return CheckOutcome(raw, response.mark, response.tries, response.final, retry)


def show_answer(attempt: Attempt, attempt_item: AttemptItem) -> None:
    """Give up on an item of a practice or review attempt: its response becomes final with the
    mark it has (0 if none was checked), the key may be shown, and the FSRS card is rated
    Again. One transaction.

    Raises:
        AttemptError: an exam attempt.
        AttemptClosed: the attempt was submitted.
        ResponseFinal: the response was final already.
    """
    if not attempt.gives_feedback_at_once:
        raise AttemptError("Exam answers are shown after the attempt is submitted.")
    _feedback_allowed(attempt)
    _lock_in_progress(attempt)
    response = _current_response(attempt_item)
    if response is not None and response.final:
        db.session.rollback()
        raise ResponseFinal("The answer to this question is shown already.")
    if response is None:
        response = Response(attempt_item=attempt_item, mark=0.0, tries=0)
        db.session.add(response)
    elif response.mark is None:
        response.mark = 0.0
    _lock_learner(attempt)
    _finalise(attempt, attempt_item, response, 0.0, shown=True)
    db.session.commit()


@dataclass
class SubmitOutcome:
    """Result of :func:`submit_attempt`: ``submitted`` is False if it had been submitted before."""

    submitted: bool
    score_percent: float | None


def submit_attempt(attempt: Attempt, *, timed_out: bool | None = None) -> SubmitOutcome:
    """Submit an attempt once and mark every response.

    The status changes with a conditional UPDATE, so of two concurrent submits
    (double click, two tabs) exactly one marks and the other finds it done. The marking then
    holds the learner's lock, so that two of one learner's attempts submitted at once rate
    their shared cards one after the other.

    Exam responses are marked now, and each answered item's FSRS card is rated from its
    mark. Practice and review responses keep the mark they got when checked; one left
    unchecked is marked now, and one not final yet (a wrong first try) becomes final.
    A timed exam submitted after its deadline plus grace is flagged ``timed_out`` and its
    ``submitted_at`` is the deadline.

    Args:
        attempt: the attempt.
        timed_out: force the flag (None: past deadline plus grace).
    Returns:
        Whether this call submitted it, and the score in percent (0-100).
    """
    now = utcnow()
    late = time_is_up(attempt, now) if timed_out is None else timed_out
    when = min(now, attempt.deadline_at) if late and attempt.deadline_at is not None else now
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS.value)
        .values(status=AttemptStatus.SUBMITTED.value, submitted_at=when, timed_out=late)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return SubmitOutcome(False, attempt.score_percent)
    _lock_learner(attempt)  # marking rates the learner's cards
    from .scheduling import get_cards

    total = 0.0
    items = load_attempt_items(attempt)
    # The learner's cards for the items rated below, in one query (not one per item).
    cards = get_cards(attempt.user_id, [
        ai.item_id for ai in items if ai.response is not None
        and not (attempt.gives_feedback_at_once and ai.response.mark is not None and ai.response.final)])
    for attempt_item in items:
        response = attempt_item.response
        if response is None:
            continue
        card = cards.get(attempt_item.item_id)
        if attempt.gives_feedback_at_once and response.mark is not None:
            if not response.final:      # a wrong first try left without a second
                _finalise(attempt, attempt_item, response, response.mark, card=card)
            total += response.mark
            continue
        result = get_kind(attempt_item.item.kind).mark(attempt_item.item, response_data(response))
        response.mark = result.mark
        response.tries = max(1, response.tries or 0)
        _finalise(attempt, attempt_item, response, result.mark, card=card)
        total += result.mark
    attempt.marks = round(total, 6)
    attempt.score_percent = round(100.0 * total / attempt.item_count, 2) if attempt.item_count else 0.0
    db.session.commit()
    db.session.refresh(attempt)
    return SubmitOutcome(True, attempt.score_percent)


def close_expired(*, user_id: int | None = None, now=None) -> int:
    """Submit every in-progress timed exam whose deadline plus grace has passed, with the
    responses saved before it (each in its own transaction). Views call it for the current
    learner before showing attempts; ``flask close-expired`` does it for everyone (cron).

    Args:
        user_id: only this learner's attempts (None: everyone's).
        now: naive UTC (default: the app clock).
    Returns:
        How many attempts this call closed.
    """
    now = now or utcnow()
    query = select(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS.value, Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < now - timedelta(seconds=grace_seconds()))
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    closed = 0
    for attempt in list(db.session.scalars(query)):
        if submit_attempt(attempt, timed_out=True).submitted:
            closed += 1
    return closed


def bank_summaries(user_id: int) -> list[dict]:
    """Return, for each published bank, its item count and the user's best and last score.

    Returns:
        A list of ``{"bank": Bank, "item_count": int, "best": float|None (percent 0-100),
        "attempts": int, "in_progress": int|None (attempt id)}`` ordered by title.
    """
    counts = dict(db.session.execute(
        select(Question.bank_id, func.count()).where(Question.status == ItemStatus.PUBLISHED.value)
        .group_by(Question.bank_id)
    ).all())
    best = {row.bank_id: row for row in db.session.execute(
        select(Attempt.bank_id, func.max(Attempt.score_percent).label("best"), func.count().label("n"))
        .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.SUBMITTED.value)
        .group_by(Attempt.bank_id)
    )}
    open_ = dict(db.session.execute(
        select(Attempt.bank_id, func.max(Attempt.id))
        .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.IN_PROGRESS.value)
        .group_by(Attempt.bank_id)
    ).all())
    # a bank with no published item yet (e.g. one made by the generator, still all drafts) is not listed
    banks = [b for b in db.session.scalars(select(Bank).where(Bank.published.is_(True)).order_by(Bank.title))
             if counts.get(b.id)]
    return [
        {"bank": b, "item_count": counts.get(b.id, 0), "best": best[b.id].best if b.id in best else None,
         "attempts": best[b.id].n if b.id in best else 0, "in_progress": open_.get(b.id)}
        for b in banks
    ]
