"""Learners' reports of faulty items, and the instructor's side of them. No request objects.

A learner reports an item from the result page of a submitted attempt (a reason from
``REPORT_REASONS`` and a comment). Open reports send the item back to its bank's review queue,
where an instructor reads them beside the item, fixes the item (a new version, see
``studyapp.versioning``), and resolves the reports.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import nh3
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import REPORT_REASONS, AttemptItem, ItemReport, Question
from .models.base import utcnow


class ReportError(ValueError):
    """A report that cannot be taken (HTTP 409 in the views): already reported, unknown reason."""


def file_report(user_id: int, attempt_item: AttemptItem, reason: str, comment: str) -> ItemReport:
    """Record a learner's report of the item of one of their attempt items (one transaction).

    Args:
        user_id: the learner (the owner of the attempt; the caller checks it).
        attempt_item: the reported item as it was asked (the version in the attempt).
        reason: a key of ``REPORT_REASONS``.
        comment: free text, at most 1000 characters; any HTML in it is removed (nh3).
    Returns:
        The stored report.
    Raises:
        ReportError: an unknown reason, or this attempt item was reported already.
    """
    if reason not in REPORT_REASONS:
        raise ReportError("Choose what is wrong from the list.")
    report = ItemReport(item_id=attempt_item.item_id, user_id=user_id, attempt_item_id=attempt_item.id,
                        reason=reason, comment=plain_text(comment))
    db.session.add(report)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ReportError("You have already reported this question in this attempt.") from None
    return report


@dataclass
class ReportedItem:
    """An item of a bank with its open reports (newest first); ``current`` is the item's current
    version (the one to fix), which may be newer than the reported one."""

    item: Question
    current: Question
    reports: list[ItemReport]


def plain_text(text: str, limit: int = 1000) -> str:
    """Return ``text`` with any HTML tags removed (nh3) and kept as plain text (entities turned
    back into characters: the templates escape on output), at most ``limit`` characters."""
    return html.unescape(nh3.clean(text or "", tags=set())).strip()[:limit]


def open_reports(bank_id: int) -> list[ReportedItem]:
    """Return the bank's items that have open reports, most reported first (three queries)."""
    rows = db.session.scalars(
        select(ItemReport).join(Question, Question.id == ItemReport.item_id)
        .where(Question.bank_id == bank_id, ItemReport.resolved_at.is_(None))
        .options(joinedload(ItemReport.item), joinedload(ItemReport.user))
        .order_by(ItemReport.created_at.desc(), ItemReport.id.desc())).all()
    by_ext: dict[str, ReportedItem] = {}
    current = {q.ext_id: q for q in db.session.scalars(select(Question).where(
        Question.bank_id == bank_id, Question.ext_id.in_({r.item.ext_id for r in rows}),
        Question.superseded_by_id.is_(None)))} if rows else {}
    for r in rows:
        entry = by_ext.setdefault(r.item.ext_id, ReportedItem(r.item, current.get(r.item.ext_id, r.item), []))
        entry.reports.append(r)
    return sorted(by_ext.values(), key=lambda e: (-len(e.reports), e.item.ext_id))


def resolve_reports(bank_id: int, ext_id: str, resolution: str) -> int:
    """Close every open report of an item (all its versions) of a bank, with a note (one transaction).

    Returns:
        How many reports were closed.
    """
    ids = select(Question.id).where(Question.bank_id == bank_id, Question.ext_id == ext_id)
    # one conditional UPDATE: of two resolves at once, the second finds nothing open
    closed = db.session.execute(
        update(ItemReport).where(ItemReport.item_id.in_(ids), ItemReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=plain_text(resolution))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return closed


def resolved_reports(bank_id: int, limit: int = 20) -> list[ItemReport]:
    """Return the bank's most recently resolved reports (newest first), with their notes."""
    return list(db.session.scalars(
        select(ItemReport).join(Question, Question.id == ItemReport.item_id)
        .where(Question.bank_id == bank_id, ItemReport.resolved_at.is_not(None))
        .options(joinedload(ItemReport.item), joinedload(ItemReport.user))
        .order_by(ItemReport.resolved_at.desc(), ItemReport.id.desc()).limit(limit)))
