"""Attempts: start, save responses, submit and mark. No Flask imports.

Every function that writes commits once, or rolls back and raises: an action is
saved whole or not at all.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from .extensions import db
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


class AttemptsExhausted(AttemptError):
    """The learner has used every exam attempt the bank allows."""


class TimeUp(AttemptClosed):
    """The exam's time ran out (deadline plus grace): the attempt was closed with the
    responses saved before it."""


class ResponseFinal(AttemptError):
    """The response was checked and its key shown: it can no longer change."""


def published_items(bank_id: int) -> list[int]:
    """Return the ids of the published items of a bank."""
    return list(db.session.scalars(
        select(Question.id).where(Question.bank_id == bank_id, Question.status == ItemStatus.PUBLISHED.value)
        .order_by(Question.id)
    ))


def exam_attempts_used(user: User, bank: Bank) -> int:
    """Return how many exam attempts (in progress or submitted) the learner has on the bank."""
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user.id, Attempt.bank_id == bank.id, Attempt.mode == AttemptMode.EXAM.value)) or 0


def start_attempt(user: User, bank: Bank, n_items: int, rng: random.Random | None = None, *,
                  mode: str = AttemptMode.EXAM.value, item_ids: list[int] | None = None) -> Attempt:
    """Start an attempt: pick ``n_items`` published items at random and fix their option order.

    True/false items keep True before False; other options are shuffled. An exam gets the
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
        ValueError: an unknown mode.
    """
    if mode not in {m.value for m in AttemptMode}:
        raise ValueError(f"unknown mode {mode!r}")
    rng = rng or random.SystemRandom()
    ids = published_items(bank.id)
    if not ids:
        raise EmptyBank("This bank has no published items yet.")
    if mode == AttemptMode.EXAM.value and bank.attempts_allowed is not None:
        if exam_attempts_used(user, bank) >= bank.attempts_allowed:
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
        if item.kind != "true_false":
            rng.shuffle(options)
        attempt.attempt_items.append(AttemptItem(
            position=position, item_id=item_id,
            shown_options=[AttemptOption(position=i, option_id=o.id) for i, o in enumerate(options)],
        ))
    db.session.add(attempt)
    db.session.commit()
    return attempt


def load_attempt_items(attempt: Attempt) -> list[AttemptItem]:
    """Return the attempt's items with item, options, passage and response loaded (fixed query count)."""
    return list(db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
        .options(
            selectinload(AttemptItem.item).selectinload(Question.options),
            selectinload(AttemptItem.item).selectinload(Question.accepted_answers),
            selectinload(AttemptItem.item).selectinload(Question.passage),
            selectinload(AttemptItem.shown_options).selectinload(AttemptOption.option),
            selectinload(AttemptItem.response).selectinload(Response.choices),
            selectinload(AttemptItem.response).selectinload(Response.texts),
        )
    ))


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


def save_response(attempt: Attempt, attempt_item: AttemptItem, data: ResponseData, commit: bool = True) -> None:
    """Record (or replace) the response to one item of an in-progress attempt.

    Args:
        attempt: the attempt, in progress.
        attempt_item: one of its items.
        data: the response; an empty one removes any saved response.
        commit: False to leave the transaction open for the caller.
    Raises:
        AttemptClosed: the attempt was already submitted.
    """
    # Lock the attempt row (PostgreSQL) so that a concurrent submit waits for this save.
    status = db.session.scalar(select(Attempt.status).where(Attempt.id == attempt.id).with_for_update())
    if status != AttemptStatus.IN_PROGRESS.value:
        db.session.rollback()
        raise AttemptClosed("This attempt was already submitted; its responses can no longer change.")
    response = attempt_item.response
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
    if commit:
        db.session.commit()


@dataclass
class SubmitOutcome:
    """Result of :func:`submit_attempt`: ``submitted`` is False if it had been submitted before."""

    submitted: bool
    score_percent: float | None


def submit_attempt(attempt: Attempt) -> SubmitOutcome:
    """Submit an attempt once and mark every response.

    The status changes with a conditional UPDATE, so of two concurrent submits
    (double click, two tabs) exactly one marks and the other finds it done.

    Args:
        attempt: the attempt.
    Returns:
        Whether this call submitted it, and the score in percent (0-100).
    """
    now = utcnow()
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS.value)
        .values(status=AttemptStatus.SUBMITTED.value, submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return SubmitOutcome(False, attempt.score_percent)
    total = 0.0
    for attempt_item in load_attempt_items(attempt):
        response = attempt_item.response
        if response is None:
            continue
        result = get_kind(attempt_item.item.kind).mark(attempt_item.item, response_data(response))
        response.mark = result.mark
        total += result.mark
    attempt.marks = round(total, 6)
    attempt.score_percent = round(100.0 * total / attempt.item_count, 2) if attempt.item_count else 0.0
    db.session.commit()
    db.session.refresh(attempt)
    return SubmitOutcome(True, attempt.score_percent)


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
    banks = db.session.scalars(select(Bank).where(Bank.published.is_(True)).order_by(Bank.title))
    return [
        {"bank": b, "item_count": counts.get(b.id, 0), "best": best[b.id].best if b.id in best else None,
         "attempts": best[b.id].n if b.id in best else 0, "in_progress": open_.get(b.id)}
        for b in banks
    ]
