"""The instructor's review queue: drafts wait here until a person approves them. No Flask imports."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Bank, ItemReport, ItemStatus, Question

ACTIONS = {"approve": ItemStatus.PUBLISHED.value, "reject": ItemStatus.RETIRED.value}
"""Review action -> the status it gives. A rejected draft is retired, not deleted, so that
generating again from the same text does not bring it back."""


def bank_status_counts() -> list[dict]:
    """Return every bank with its numbers of items per status.

    Returns:
        ``[{"bank": Bank, "draft": int, "published": int, "retired": int, "reported": int}]``
        ordered by title (``reported``: items with open learner reports).
    """
    counts: dict[int, dict[str, int]] = {}
    for bank_id, status, n in db.session.execute(
        select(Question.bank_id, Question.status, func.count()).group_by(Question.bank_id, Question.status)
    ):
        counts.setdefault(bank_id, {})[status] = n
    reported = dict(db.session.execute(
        select(Question.bank_id, func.count(func.distinct(Question.ext_id)))
        .join(ItemReport, ItemReport.item_id == Question.id).where(ItemReport.resolved_at.is_(None))
        .group_by(Question.bank_id)).all())
    banks = db.session.scalars(select(Bank).order_by(Bank.title))
    return [{"bank": b, "reported": reported.get(b.id, 0),
             **{s.value: counts.get(b.id, {}).get(s.value, 0) for s in ItemStatus}} for b in banks]


def drafts(bank_id: int) -> list[Question]:
    """Return the bank's draft items with options, accepted answers and cited passage loaded."""
    return list(db.session.scalars(
        select(Question).where(Question.bank_id == bank_id, Question.status == ItemStatus.DRAFT.value)
        .options(selectinload(Question.options), selectinload(Question.accepted_answers),
                 selectinload(Question.passage))
        .order_by(Question.id)
    ))


def review(bank_id: int, item_ids: list[int], action: str) -> int:
    """Approve (publish) or reject (retire) drafts of one bank, in one transaction.

    Items that are not drafts of this bank (another bank's, or already reviewed by someone
    else) are left alone.

    Args:
        bank_id: the bank.
        item_ids: ids of the items to act on.
        action: ``"approve"`` or ``"reject"``.
    Returns:
        How many items changed status.
    Raises:
        ValueError: an unknown action.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown review action {action!r}")
    if not item_ids:
        return 0
    changed = db.session.execute(
        update(Question)
        .where(Question.bank_id == bank_id, Question.status == ItemStatus.DRAFT.value, Question.id.in_(item_ids))
        .values(status=ACTIONS[action])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed
