"""Study sessions: flashcards (which of a bank's cards comes next, rating one) and the
overview of what is due for spaced review. No Flask request objects.

A learner's flashcards for a bank are, in this order: the cards due now (most overdue
first, :func:`studyapp.scheduling.due_cards`), then the bank's published items the learner
has no card for yet ("new" cards, by item id). A rating goes through
:func:`studyapp.scheduling.record_review` with the source "flashcard".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import fsrs
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from . import clock, scheduling
from .extensions import db
from .locking import lock_row
from .models import Bank, Card, ItemStatus, Question, ReviewLog, User

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
"""FSRS rating value -> the label of its button."""


@dataclass
class Queue:
    """Where a learner stands in a bank's flashcards.

    Attributes:
        item_id: the item of the next card (None: nothing due and nothing new).
        card: the learner's card for it (None for a new card).
        due: how many cards are due now.
        new: how many published items have no card yet.
        done_today: flashcard ratings given on this bank since the start of the learner's day.
        next_due: naive UTC of the bank's soonest card not due yet (None if none).
    """

    item_id: int | None
    card: Card | None
    due: int
    new: int
    done_today: int
    next_due: datetime | None = None

    @property
    def position(self) -> int:
        """The number of the card being shown today (1-based)."""
        return self.done_today + 1


def new_item_ids(user_id: int, bank_id: int) -> list[int]:
    """Return the ids of the bank's published items the learner has no card for, by id."""
    has_card = select(Card.item_id).where(Card.user_id == user_id)
    return list(db.session.scalars(
        select(Question.id).where(Question.bank_id == bank_id, Question.status == ItemStatus.PUBLISHED.value,
                                  Question.id.not_in(has_card))
        .order_by(Question.id)
    ))


def rated_today(user_id: int, bank_id: int, tz_name: str = "UTC", *, now: datetime | None = None) -> int:
    """Return how many flashcard ratings the learner gave on the bank since the start of
    their day (days in the time zone ``tz_name``)."""
    start, _, _ = scheduling.local_day_bounds(tz_name, now)
    return db.session.scalar(
        select(func.count()).select_from(ReviewLog).join(Card, Card.id == ReviewLog.card_id)
        .join(Question, Question.id == Card.item_id)
        .where(Card.user_id == user_id, Question.bank_id == bank_id, ReviewLog.source == "flashcard",
               ReviewLog.reviewed_at >= start)
    ) or 0


def queue(user_id: int, bank_id: int, tz_name: str = "UTC", *, now: datetime | None = None) -> Queue:
    """Return the learner's next flashcard on a bank and the counts shown with it.

    Args:
        user_id: the learner.
        bank_id: the bank (the caller checks that it is published).
        tz_name: the learner's IANA time zone (for "today").
        now: naive UTC (default: the app clock).
    Returns:
        A :class:`Queue`; its ``item_id`` is None when the learner is caught up.
    """
    now = now or clock.now()
    due = scheduling.due_cards(user_id, now=now, bank_id=bank_id)
    new = new_item_ids(user_id, bank_id)
    result = Queue(item_id=None, card=None, due=len(due), new=len(new),
                   done_today=rated_today(user_id, bank_id, tz_name, now=now))
    if due:
        result.item_id, result.card = due[0].item_id, due[0]
    elif new:
        result.item_id = new[0]
    else:
        result.next_due = db.session.scalar(
            select(func.min(Card.due)).join(Question, Question.id == Card.item_id)
            .where(Card.user_id == user_id, Question.bank_id == bank_id,
                   Question.status == ItemStatus.PUBLISHED.value, Card.due > now))
    return result


def published_item(bank_id: int, item_id: int) -> Question | None:
    """Return a published item of the bank with its options, answers and passage loaded, or None."""
    return db.session.scalar(
        select(Question).where(Question.id == item_id, Question.bank_id == bank_id,
                               Question.status == ItemStatus.PUBLISHED.value)
        .options(selectinload(Question.options), selectinload(Question.accepted_answers),
                 selectinload(Question.passage))
    )


def card_for(user_id: int, item_id: int) -> Card | None:
    """Return the learner's card for an item, or None if they have none yet (nothing is added)."""
    return db.session.scalar(select(Card).where(Card.user_id == user_id, Card.item_id == item_id))


def due_after_each_rating(card: Card | None, *, now: datetime | None = None) -> dict[int, datetime]:
    """Return when the card would next be due after each rating, without saving anything.

    Args:
        card: the learner's card, or None for a new card.
        now: the time of the rating, naive UTC (default: the app clock).
    Returns:
        ``{rating 1-4: naive UTC due time}``.
    """
    now = now or clock.now()
    aware_now = now.replace(tzinfo=timezone.utc)
    state = scheduling.to_fsrs(card) if card is not None else fsrs.Card(card_id=1, due=aware_now)
    sched = scheduling.scheduler()
    out = {}
    for value in RATINGS:
        updated, _ = sched.review_card(state, fsrs.Rating(value), review_datetime=aware_now)
        out[value] = updated.due.astimezone(timezone.utc).replace(tzinfo=None)
    return out


def rate(user_id: int, item_id: int, rating: int, *, seen_reps: int | None = None) -> Card | None:
    """Apply the learner's flashcard rating to their card for an item. Does not commit.

    A rating sent for a card that has been rated since its back was shown (a double click,
    a second tab) is ignored: ``seen_reps`` is the card's ``reps`` when the back was shown
    (0 for a new card), compared while the learner's ratings are serialised (see below).

    Args:
        user_id, item_id: whose card, for which item (the caller checks the item).
        rating: 1 (Again) to 4 (Easy).
        seen_reps: the card's review count the learner saw, or None not to check.
    Returns:
        The updated card, or None if the rating was ignored as stale.
    Raises:
        ValueError: a rating outside 1-4.
    """
    if rating not in RATINGS:
        raise ValueError(f"a flashcard rating is 1-4, not {rating!r}")
    # Ratings of one learner run one after the other: a no-op UPDATE of the learner's row takes
    # the row lock on PostgreSQL and the write lock on SQLite (where FOR UPDATE does nothing),
    # so the review count compared below is the one the previous rating committed.
    lock_row(User, user_id)
    if seen_reps is not None:
        reps = db.session.scalar(select(Card.reps).where(Card.user_id == user_id, Card.item_id == item_id)
                                 .execution_options(populate_existing=True))
        if (reps or 0) != seen_reps:
            return None
    return scheduling.record_review(user_id, item_id, rating, "flashcard")


def interval_text(start: datetime, end: datetime) -> str:
    """Return the time from ``start`` to ``end`` as a short text: "1 min", "10 min", "3 h", "4 d".

    Args:
        start, end: naive UTC.
    """
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h"
    days = seconds / 86400
    return f"{round(days)} d" if days < 365 else f"{days / 365:.1f} y"



@dataclass
class BankDue:
    """One row of the spaced-review overview: a bank and the learner's due counts on it."""

    bank: Bank
    summary: scheduling.DueSummary


def due_overview(user_id: int, tz_name: str = "UTC", *,
                 now: datetime | None = None) -> tuple[list[BankDue], list[Bank]]:
    """Return the learner's due counts per published bank, and the published banks without cards.

    Two queries, whatever the number of banks and cards.

    Args:
        user_id: the learner.
        tz_name: the learner's IANA time zone (days are counted in it).
        now: naive UTC (default: the app clock).
    Returns:
        ``(rows, others)``: ``rows`` for the banks in which the learner has cards, the bank
        with the most overdue card first (by ``DueSummary.first_due``, then title);
        ``others``: the remaining published banks, by title.
    """
    summaries = scheduling.due_summary_by_bank(user_id, tz_name, now=now)
    # banks whose feedback comes only after submission offer no review sessions or flashcards
    banks = list(db.session.scalars(select(Bank).where(Bank.published.is_(True), Bank.feedback != "after_submission")
                                    .order_by(Bank.title)))
    rows = [BankDue(b, summaries[b.id]) for b in banks if b.id in summaries]
    rows.sort(key=lambda r: r.summary.first_due or datetime.max)  # stable: ties keep title order
    return rows, [b for b in banks if b.id not in summaries]
