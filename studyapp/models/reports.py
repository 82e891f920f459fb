"""Learners' reports of faulty items: they send the item back to the review queue."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class ReportReason(str, enum.Enum):
    """Why a learner reports an item."""

    WRONG_KEY = "wrong_key"
    AMBIGUOUS = "ambiguous"
    TYPO = "typo"
    PASSAGE = "passage"
    OTHER = "other"


REPORT_REASONS = {
    ReportReason.WRONG_KEY.value: "The key is wrong",
    ReportReason.AMBIGUOUS.value: "More than one answer is right, or none is",
    ReportReason.TYPO.value: "A typo or unclear wording",
    ReportReason.PASSAGE.value: "The cited passage does not support the key",
    ReportReason.OTHER.value: "Something else",
}
"""Reason code -> what the learner and the instructor read."""


class ItemReport(db.Model):
    """One learner's report of one item, from the result page of an attempt that asked it.

    Open until an instructor resolves it (``resolved_at``); one report per learner and item
    while open is enforced by the view (a learner may report again after a resolution).
    """

    __tablename__ = "item_reports"
    __table_args__ = (UniqueConstraint("attempt_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")

    item: Mapped["Question"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship()  # noqa: F821

    @property
    def reason_text(self) -> str:
        return REPORT_REASONS.get(self.reason, self.reason)
