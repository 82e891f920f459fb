"""A learner's score history and accuracy per passage. No Flask imports.

Percentages are 0-100. Every function runs a fixed number of queries, whatever
the number of attempts.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from .extensions import db
from .models import Attempt, AttemptItem, AttemptStatus, Bank, Document, Passage, Question, Response


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
    """Return accuracy per cited passage over the user's submitted attempts, weakest first.

    An item asked but left unanswered counts as mark 0.
    """
    mark = func.coalesce(Response.mark, 0.0)
    rows = db.session.execute(
        select(
            Document.slug, Document.title, Passage.number, Passage.heading, Passage.text,
            func.count(AttemptItem.id).label("asked"), func.avg(mark).label("avg"),
        )
        .select_from(AttemptItem)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.item_id)
        .join(Passage, Passage.id == Question.passage_id)
        .join(Document, Document.id == Passage.document_id)
        .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.SUBMITTED.value)
        .group_by(Document.slug, Document.title, Passage.number, Passage.heading, Passage.text)
    ).all()
    out = [PassageAccuracy(r.slug, r.title, r.number, r.heading, r.text, r.asked, round(100.0 * float(r.avg), 1))
           for r in rows]
    return sorted(out, key=lambda p: (p.percent, p.document_slug, p.number))
