"""A learner's score history, accuracy and mastery per passage, study time, streak and
mastery per bank. No Flask imports.

Percentages are 0-100, durations seconds, times naive UTC (days are counted in the learner's
time zone). Every function runs a fixed number of queries, whatever the number of attempts,
responses or passages.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, union

from . import clock
from .extensions import db
from .models import (
    Attempt, AttemptItem, AttemptStatus, Bank, Card, Document, ItemStatus, Passage, Question, Response, ReviewLog,
)
from .scheduling import DueSummary, due_summary


def finished_attempts(user_id: int) -> list[Attempt]:
    """Return the user's submitted attempts, newest first, with their bank loaded."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.SUBMITTED.value)
        .options(joinedload(Attempt.bank)).order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
    ))


@dataclass
class BankProgress:
    """Best and latest score (percent 0-100) of a user on one bank."""

    bank: Bank
    attempts: int
    best: float
    latest: float
    latest_attempt_id: int


def bank_progress(attempts: list[Attempt]) -> list[BankProgress]:
    """Summarise ``attempts`` (newest first, as :func:`finished_attempts` gives) per bank."""
    by_bank: dict[int, BankProgress] = {}
    for a in attempts:
        row = by_bank.get(a.bank_id)
        if row is None:
            by_bank[a.bank_id] = BankProgress(a.bank, 1, a.score_percent or 0.0, a.score_percent or 0.0, a.id)
        else:
            row.attempts += 1
            row.best = max(row.best, a.score_percent or 0.0)
    return sorted(by_bank.values(), key=lambda r: r.bank.title)


@dataclass
class PassageAccuracy:
    """How well a user knows one passage: mean mark (percent 0-100) over ``responses`` items asked."""

    document_slug: str
    document_title: str
    number: int
    heading: str
    text: str
    asked: int
    percent: float


def passage_accuracy(user_id: int) -> list[PassageAccuracy]:
    """Return accuracy per cited passage, weakest first: the mean mark (percent 0-100) of the
    user's marked responses to items citing it, in any attempt and mode, as the progress map
    counts them (:func:`passage_mastery`); ``asked`` is the number of those responses.
    """
    rows = db.session.execute(
        select(
            Document.slug, Document.title, Passage.number, Passage.heading, Passage.text,
            func.count(Response.id).label("asked"), func.avg(Response.mark).label("avg"),
        )
        .select_from(Response)
        .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.item_id)
        .join(Passage, Passage.id == Question.passage_id)
        .join(Document, Document.id == Passage.document_id)
        .where(Attempt.user_id == user_id, Response.mark.is_not(None))
        .group_by(Document.slug, Document.title, Passage.number, Passage.heading, Passage.text)
    ).all()
    out = [PassageAccuracy(r.slug, r.title, r.number, r.heading, r.text, r.asked, round(100.0 * float(r.avg), 1))
           for r in rows]
    return sorted(out, key=lambda p: (p.percent, p.document_slug, p.number))


# -- mastery of a study text, passage by passage ------------------------------------------

WEAK_BELOW = 50.0
"""Accuracy (percent 0-100) below which a seen passage is *weak*."""
KNOWN_FROM = 80.0
"""Accuracy (percent 0-100) from which a passage is *known*, given enough responses."""
KNOWN_MIN_RESPONSES = 2
"""Marked responses a passage needs, at ``KNOWN_FROM`` or more, to count as *known*."""
LEVELS = ("not_seen", "weak", "learning", "known")
"""Mastery levels, from nothing to known (``PassageMastery.level``)."""


def mastery_level(percent: float | None, responses: int) -> str:
    """Return the mastery level of a passage (see :func:`passage_mastery` for the thresholds).

    Args:
        percent: accuracy, percent 0-100 (None if never answered).
        responses: number of marked responses behind ``percent``.
    Returns:
        One of ``LEVELS``.
    """
    if percent is None or responses == 0:
        return "not_seen"
    if percent < WEAK_BELOW:
        return "weak"
    if percent >= KNOWN_FROM and responses >= KNOWN_MIN_RESPONSES:
        return "known"
    return "learning"


def _passage_marks(user_id: int, *conditions) -> dict[int, tuple[int, float]]:
    """Return ``{passage_id: (marked responses, accuracy percent 0-100 rounded to 0.1)}`` for
    the user's marked responses (any attempt, any mode) to items citing passages that match
    ``conditions`` (SQL expressions on ``Passage``). One query."""
    rows = db.session.execute(
        select(Question.passage_id, func.count(Response.id), func.avg(Response.mark))
        .select_from(Response)
        .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.item_id)
        .join(Passage, Passage.id == Question.passage_id)
        .where(Attempt.user_id == user_id, Response.mark.is_not(None), *conditions)
        .group_by(Question.passage_id)
    ).all()
    return {pid: (n, round(100.0 * float(avg), 1)) for pid, n, avg in rows}


def _study_bank_id(document_id: int):
    """SQL scalar subquery: the id of the document's study bank (see :func:`study_bank`)."""
    return (
        select(Bank.id)
        .outerjoin(Question, (Question.bank_id == Bank.id) & (Question.status == ItemStatus.PUBLISHED.value))
        .where(Bank.document_id == document_id, Bank.published.is_(True))
        .group_by(Bank.id).order_by(func.count(Question.id).desc(), Bank.id).limit(1)
        .scalar_subquery()
    )


def study_bank(document_id: int) -> Bank | None:
    """Return the bank a learner practises a study text with: the published bank on the
    document with the most published items (the lowest id on a tie), or None. One query."""
    return db.session.scalar(select(Bank).where(Bank.id == _study_bank_id(document_id)))


@dataclass
class PassageMastery:
    """How well a learner knows one passage of a study text.

    ``responses`` is the number of the learner's marked responses to items citing the passage,
    ``percent`` their mean mark in percent 0-100 (None if ``responses`` is 0), ``level`` one of
    ``LEVELS``, and ``items`` the number of published items of the study bank that cite it.
    """

    passage_id: int
    number: int
    heading: str
    text: str
    responses: int
    percent: float | None
    level: str
    items: int


def passage_mastery(user_id: int, document_id: int) -> list[PassageMastery]:
    """Return every passage of a study text, in order, with the learner's accuracy and level.

    Accuracy is the mean mark (0-1, shown as percent 0-100, rounded to 0.1) of the learner's
    marked responses (``Response.mark`` not null: checked practice and review responses,
    submitted exams; any attempt, any bank) to items citing the passage. Levels:

    - ``not_seen``: no marked response yet;
    - ``weak``: accuracy below 50%;
    - ``learning``: 50% to below 80%, or 80% and more over fewer than 2 responses;
    - ``known``: 80% and more over at least 2 responses.

    Three queries, whatever the number of passages and responses.

    Args:
        user_id: the learner.
        document_id: the study text.
    Returns:
        One :class:`PassageMastery` per passage, by number.
    """
    passages = db.session.execute(
        select(Passage.id, Passage.number, Passage.heading, Passage.text)
        .where(Passage.document_id == document_id).order_by(Passage.number)
    ).all()
    marks = _passage_marks(user_id, Passage.document_id == document_id)
    items = dict(db.session.execute(
        select(Question.passage_id, func.count())
        .where(Question.bank_id == _study_bank_id(document_id), Question.status == ItemStatus.PUBLISHED.value,
               Question.passage_id.is_not(None))
        .group_by(Question.passage_id)
    ).all())
    out = []
    for p in passages:
        n, percent = marks.get(p.id, (0, None))
        out.append(PassageMastery(p.id, p.number, p.heading, p.text, n, percent, mastery_level(percent, n),
                                  items.get(p.id, 0)))
    return out


def passage_item_ids(bank_id: int, passage_id: int) -> list[int]:
    """Return the ids of the bank's published items that cite the passage, by id. One query."""
    return list(db.session.scalars(
        select(Question.id).where(Question.bank_id == bank_id, Question.passage_id == passage_id,
                                  Question.status == ItemStatus.PUBLISHED.value)
        .order_by(Question.id)
    ))


def weakest_item_ids(user_id: int, bank_id: int, limit: int = 10) -> list[int]:
    """Return up to ``limit`` published items of a bank from the learner's weakest passages.

    Passages are taken in this order: those the learner has seen (marked responses to items
    citing them, in any bank), lowest accuracy first; then those never seen; ties by
    passage number. Within a passage, items go by id. Items that cite no passage are left
    out. Two queries.

    Args:
        user_id: the learner.
        bank_id: the bank to draw the items from.
        limit: at most this many items.
    Returns:
        Item ids, weakest passage first.
    """
    rows = db.session.execute(
        select(Question.id, Question.passage_id, Passage.number)
        .join(Passage, Passage.id == Question.passage_id)
        .where(Question.bank_id == bank_id, Question.status == ItemStatus.PUBLISHED.value)
    ).all()
    if not rows:
        return []
    marks = _passage_marks(user_id, Passage.id.in_(sorted({r.passage_id for r in rows})))

    def weakness(row):
        seen = marks.get(row.passage_id)
        return (0, seen[1], row.number, row.id) if seen else (1, 0.0, row.number, row.id)

    return [r.id for r in sorted(rows, key=weakness)[:limit]]


# -- the dashboard's figures ----------------------------------------------------------------

def _zone(tz_name: str) -> ZoneInfo:
    """Return the time zone ``tz_name``, or UTC if there is no such zone."""
    try:
        return ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - any bad name (unknown, empty, a path): UTC
        return ZoneInfo("UTC")


def _local_date(when: datetime, tz: ZoneInfo) -> date:
    """Return the local date in ``tz`` of the naive UTC time ``when``."""
    return when.replace(tzinfo=timezone.utc).astimezone(tz).date()


def time_studied(attempts: list[Attempt]) -> float:
    """Return the time studied in seconds: the sum of the submitted attempts' durations
    (start to submission; an in-progress attempt counts 0). Runs no query: it reads
    ``attempts`` as :func:`finished_attempts` gives them."""
    return float(sum(max(0.0, a.duration_seconds or 0.0) for a in attempts if a.is_submitted))


@dataclass
class Streak:
    """Consecutive days studied: ``days`` (0 if none), whether the learner studied ``today``,
    and ``last_day``, the learner's last local date with any study (None if never)."""

    days: int
    today: bool
    last_day: date | None


def study_days(user_id: int, tz_name: str = "UTC") -> set[date]:
    """Return the learner's local dates (in the time zone ``tz_name``; an unknown one counts as
    UTC) on which they answered any response (``Response.answered_at``) or rated any card
    (``ReviewLog.reviewed_at``). One query."""
    tz = _zone(tz_name)
    answered = (select(Response.answered_at.label("at"))
                .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
                .join(Attempt, Attempt.id == AttemptItem.attempt_id)
                .where(Attempt.user_id == user_id))
    rated = (select(ReviewLog.reviewed_at.label("at")).join(Card, Card.id == ReviewLog.card_id)
             .where(Card.user_id == user_id))
    stamps = db.session.scalars(select(union(answered, rated).subquery().c.at)).all()
    return {_local_date(s, tz) for s in stamps if s is not None}


def study_streak(user_id: int, tz_name: str = "UTC", *, now: datetime | None = None) -> Streak:
    """Return the learner's streak: the number of consecutive days with study (see
    :func:`study_days`) ending today, or ending yesterday if there is none yet today; days are
    the learner's local dates in the time zone ``tz_name``. One query.

    Args:
        user_id: the learner.
        tz_name: IANA time zone name (an unknown one counts as UTC).
        now: naive UTC (default: the app clock).
    """
    days = study_days(user_id, tz_name)
    today = _local_date(now or clock.now(), _zone(tz_name))
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return Streak(count, today in days, max(days) if days else None)


@dataclass
class BankMastery:
    """A learner's mastery of one bank: ``known`` of its ``items`` published items have the
    learner's FSRS card in the review state (``Card.state == 2``); ``percent`` = known / items,
    percent 0-100 rounded to 0.1."""

    bank_id: int
    slug: str
    title: str
    items: int
    known: int
    percent: float


REVIEW_STATE = 2
"""``Card.state`` of a card that has graduated to spaced review (``fsrs.State.Review``)."""


def bank_mastery(user_id: int) -> list[BankMastery]:
    """Return, for every published bank with published items, the percent (0-100) of those
    items whose card for the learner is in the review state, by bank title. One query."""
    known = func.coalesce(func.sum(case((Card.state == REVIEW_STATE, 1), else_=0)), 0)
    rows = db.session.execute(
        select(Bank.id, Bank.slug, Bank.title, func.count(Question.id), known)
        .join(Question, (Question.bank_id == Bank.id) & (Question.status == ItemStatus.PUBLISHED.value))
        .outerjoin(Card, (Card.item_id == Question.id) & (Card.user_id == user_id))
        .where(Bank.published.is_(True))
        .group_by(Bank.id, Bank.slug, Bank.title).order_by(Bank.title, Bank.id)
    ).all()
    return [BankMastery(i, slug, title, n, int(k), round(100.0 * int(k) / n, 1)) for i, slug, title, n, k in rows]


@dataclass
class Overview:
    """The dashboard's figures: ``attempts`` submitted, ``seconds_studied`` (seconds),
    ``streak``, cards ``due`` (``scheduling.DueSummary``) and ``mastery`` per bank."""

    attempts: int
    seconds_studied: float
    streak: Streak
    due: DueSummary
    mastery: list[BankMastery]


def overview(user_id: int, tz_name: str, attempts: list[Attempt], *, now: datetime | None = None) -> Overview:
    """Return the dashboard's figures for a learner. Six queries (one for the streak, four
    for the due cards, one for the mastery), whatever the amount of data.

    Args:
        user_id: the learner.
        tz_name: the learner's IANA time zone, in which days are counted.
        attempts: the learner's submitted attempts (:func:`finished_attempts`).
        now: naive UTC (default: the app clock).
    """
    return Overview(
        attempts=len(attempts), seconds_studied=time_studied(attempts),
        streak=study_streak(user_id, tz_name, now=now), due=due_summary(user_id, tz_name, now=now),
        mastery=bank_mastery(user_id),
    )
