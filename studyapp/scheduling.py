"""Spaced review with FSRS, through the ``fsrs`` package. No Flask request objects.

Every checked response, in any mode, and every flashcard rating updates the learner's card
for that item (:func:`record_review`). The scheduler is FSRS-6 as implemented by ``fsrs``
(Jarrett Ye et al., "A Stochastic Shortest Path Algorithm for Optimizing Spaced
Repetition Scheduling", KDD 2022; the algorithm's parameters and formulas are those of
the package's default ``Scheduler``), with a desired retention of
``FSRS_DESIRED_RETENTION`` (fraction 0-1, default 0.9) and interval fuzzing
``FSRS_ENABLE_FUZZING`` (off in tests, so that due dates are exact).

Rating of a response (:func:`rating_for_response`), documented for learners in the README:

====================================================  ============
response                                              FSRS rating
====================================================  ============
fully right at the first try                          Good (3)
fully right at the second try, or partly right        Hard (2)
wrong (mark 0), or the answer was shown               Again (1)
====================================================  ============

Flashcards use the learner's own rating: Again (1), Hard (2), Good (3) or Easy (4).
All times are naive UTC ``datetime`` values, as stored; ``fsrs`` gets them as aware UTC.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import fsrs
from flask import current_app, has_app_context
from sqlalchemy import func, select

from . import clock
from .extensions import db
from .models import Card, ReviewLog

SOURCES = ("practice", "exam", "review", "flashcard")
"""Where a rating comes from (``ReviewLog.source``)."""


def scheduler() -> fsrs.Scheduler:
    """Return the FSRS scheduler configured by the app (defaults outside an app context)."""
    retention, fuzz = 0.9, True
    if has_app_context():
        retention = current_app.config.get("FSRS_DESIRED_RETENTION", 0.9)
        fuzz = current_app.config.get("FSRS_ENABLE_FUZZING", True)
    return fsrs.Scheduler(desired_retention=retention, enable_fuzzing=fuzz)


def rating_for_response(mark: float, tries: int, shown: bool = False) -> fsrs.Rating:
    """Map a checked response to an FSRS rating (see the module docstring).

    Args:
        mark: the response's raw mark, fraction 0-1 (before any second-try penalty).
        tries: how many tries were checked (1 or 2).
        shown: True if the learner asked to see the answer instead of answering right.
    Returns:
        ``Rating.Good``, ``Rating.Hard`` or ``Rating.Again``.
    """
    if shown or mark <= 0:
        return fsrs.Rating.Again
    if mark >= 1 and tries <= 1:
        return fsrs.Rating.Good
    return fsrs.Rating.Hard


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value is not None else None


def to_fsrs(card: Card) -> fsrs.Card:
    """Return the ``fsrs.Card`` with the state of a stored card."""
    return fsrs.Card(card_id=card.id or 1, state=fsrs.State(card.state), step=card.step,
                     stability=card.stability, difficulty=card.difficulty, due=_aware(card.due),
                     last_review=_aware(card.last_review))


def _new_card(user_id: int, item_id: int) -> Card:
    card = Card(user_id=user_id, item_id=item_id, state=fsrs.State.Learning.value, step=0,
                due=clock.now(), reps=0, lapses=0)
    db.session.add(card)
    return card


def get_card(user_id: int, item_id: int) -> Card:
    """Return the learner's card for an item, a new one (due now, not yet flushed) if none."""
    card = db.session.scalar(select(Card).where(Card.user_id == user_id, Card.item_id == item_id))
    return card if card is not None else _new_card(user_id, item_id)


def get_cards(user_id: int, item_ids: Iterable[int]) -> dict[int, Card]:
    """Return the learner's cards for several items by item id, in one query: :func:`get_card`
    for each item, with a new card (due now, not yet flushed) for an item that has none."""
    ids = list(dict.fromkeys(item_ids))
    cards = {card.item_id: card for card in db.session.scalars(
        select(Card).where(Card.user_id == user_id, Card.item_id.in_(ids)))} if ids else {}
    for item_id in ids:
        if item_id not in cards:
            cards[item_id] = _new_card(user_id, item_id)
    return cards


def record_review(user_id: int, item_id: int, rating: fsrs.Rating | int, source: str, *,
                  when: datetime | None = None, response_id: int | None = None,
                  card: Card | None = None) -> Card:
    """Apply one rating to the learner's card for an item and log it. Does not commit: the
    caller commits it with the action that caused it (one transaction per action).

    Args:
        user_id, item_id: whose card, for which item.
        rating: an ``fsrs.Rating`` or its value 1-4.
        source: one of ``SOURCES``.
        when: the time of the review (naive UTC; default: the app clock's now).
        response_id: the response that was rated, if any.
        card: the learner's card for the item if the caller has it already (from
            :func:`get_cards`, when rating many items at once); None: looked up.
    Returns:
        The updated card (added to the session).
    Raises:
        ValueError: a rating outside 1-4 or an unknown source.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown review source {source!r}")
    rating = fsrs.Rating(int(rating))
    when = when or clock.now()
    card = card if card is not None else get_card(user_id, item_id)
    before = card.state
    updated, _log = scheduler().review_card(to_fsrs(card), rating, review_datetime=_aware(when))
    card.state = updated.state.value
    card.step = updated.step
    card.stability = updated.stability
    card.difficulty = updated.difficulty
    card.due = _naive(updated.due)
    card.last_review = _naive(updated.last_review)
    card.reps = (card.reps or 0) + 1
    if rating == fsrs.Rating.Again and before == fsrs.State.Review.value:
        card.lapses = (card.lapses or 0) + 1
    # The log refers to the card object: a new card gets its id when the session flushes, with
    # the log, so rating many items costs no flush (and no round trip) per item.
    db.session.add(ReviewLog(card=card, rating=rating.value, reviewed_at=when, source=source,
                             response_id=response_id))
    return card


def due_cards(user_id: int, *, now: datetime | None = None, limit: int | None = None,
              bank_id: int | None = None) -> list[Card]:
    """Return the learner's cards due at ``now``, most overdue first (published items only).

    Args:
        user_id: the learner.
        now: naive UTC (default: the app clock).
        limit: at most this many (None: all).
        bank_id: only cards of this bank's items.
    """
    from .models import ItemStatus, Question

    now = now or clock.now()
    query = (select(Card).join(Question, Question.id == Card.item_id)
             .where(Card.user_id == user_id, Card.due <= now, Question.status == ItemStatus.PUBLISHED.value)
             .order_by(Card.due, Card.id))
    if bank_id is not None:
        query = query.where(Question.bank_id == bank_id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


@dataclass
class DueSummary:
    """How many of a learner's cards are due: ``now`` (due already), ``later_today`` (later
    on the learner's calendar day), ``tomorrow`` (on the next calendar day), and ``next_due``
    (naive UTC of the soonest card not due yet, or None)."""

    now: int
    later_today: int
    tomorrow: int
    next_due: datetime | None
    first_due: datetime | None = None
    """Naive UTC of the earliest due card, due or not (set by :func:`due_summary_by_bank`)."""


def local_day_bounds(tz_name: str, now: datetime | None = None) -> tuple[datetime, datetime, datetime]:
    """Return (start of today, start of tomorrow, start of the day after) in the time zone
    ``tz_name``, as naive UTC datetimes. An unknown zone counts as UTC."""
    now = now or clock.now()
    try:
        tz = ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - any bad name: UTC
        tz = ZoneInfo("UTC")
    local = _aware(now).astimezone(tz)
    starts = []
    for days in (0, 1, 2):
        day = local.date() + timedelta(days=days)
        starts.append(_naive(datetime.combine(day, time(0), tzinfo=tz)))
    return starts[0], starts[1], starts[2]


def due_summary(user_id: int, tz_name: str = "UTC", *, now: datetime | None = None) -> DueSummary:
    """Count the learner's due cards now, later today and tomorrow (published items only),
    days taken in the time zone ``tz_name``. One query: :func:`due_summary_by_bank` summed.

    Args:
        user_id: the learner.
        tz_name: IANA time zone in which "today" and "tomorrow" are counted (unknown: UTC).
        now: naive UTC (default: the app clock).
    Returns:
        A :class:`DueSummary` over all banks (zeros and no ``next_due`` without cards).
    """
    banks = due_summary_by_bank(user_id, tz_name, now=now).values()
    upcoming = [b.next_due for b in banks if b.next_due is not None]
    return DueSummary(sum(b.now for b in banks), sum(b.later_today for b in banks),
                      sum(b.tomorrow for b in banks), min(upcoming) if upcoming else None)


def due_summary_by_bank(user_id: int, tz_name: str = "UTC", *,
                        now: datetime | None = None) -> dict[int, DueSummary]:
    """Count the learner's due cards per bank, like :func:`due_summary` (published items only).

    One query, whatever the number of banks and cards.

    Args:
        user_id: the learner.
        tz_name: IANA time zone in which "today" and "tomorrow" are counted (unknown: UTC).
        now: naive UTC (default: the app clock).
    Returns:
        ``{bank_id: DueSummary}`` (with ``first_due`` set) for each bank in which the learner
        has at least one card on a published item; banks without cards are absent.
    """
    from sqlalchemy import case

    from .models import ItemStatus, Question

    now = now or clock.now()
    _, tomorrow, after = local_day_bounds(tz_name, now)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(Question.bank_id, count(Card.due <= now), count((Card.due > now) & (Card.due < tomorrow)),
               count((Card.due >= tomorrow) & (Card.due < after)), func.min(case((Card.due > now, Card.due))),
               func.min(Card.due))
        .join(Question, Question.id == Card.item_id)
        .where(Card.user_id == user_id, Question.status == ItemStatus.PUBLISHED.value)
        .group_by(Question.bank_id)
    ).all()
    return {bank_id: DueSummary(int(n), int(later), int(next_day), _as_datetime(next_due), _as_datetime(first))
            for bank_id, n, later, next_day, next_due, first in rows}


def _as_datetime(value) -> datetime | None:
    """Return a ``MIN(...)`` of a datetime column as a datetime (SQLite gives it back as text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def local_time(value: datetime | None, tz_name: str = "UTC") -> datetime | None:
    """Return a stored time (naive UTC) as an aware datetime in the time zone ``tz_name``.

    Args:
        value: naive UTC, or None.
        tz_name: IANA time zone name such as "Asia/Shanghai"; an unknown one counts as UTC.
    Returns:
        The same instant in that zone (None for None).
    """
    if value is None:
        return None
    try:
        tz = ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - any bad name: UTC
        tz = ZoneInfo("UTC")
    return _aware(value).astimezone(tz)
