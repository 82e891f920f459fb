"""Spaced review: one FSRS card per learner and item, and a log of every rating."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Card(db.Model):
    """A learner's FSRS memory state for one item (``studyapp.scheduling`` updates it).

    The columns mirror ``fsrs.Card``: ``state`` (1 learning, 2 review, 3 relearning),
    ``step`` (learning step index or None), ``stability`` (days), ``difficulty`` (1-10),
    ``due`` and ``last_review`` (naive UTC). ``reps`` and ``lapses`` count reviews and
    ratings of Again after the card had graduated.
    """

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id"),
        Index("ix_cards_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    state: Mapped[int] = mapped_column(default=1)
    step: Mapped[int | None] = mapped_column(default=0)
    stability: Mapped[float | None] = mapped_column(default=None)
    difficulty: Mapped[float | None] = mapped_column(default=None)
    due: Mapped[datetime] = mapped_column(default=utcnow)
    last_review: Mapped[datetime | None] = mapped_column(default=None)
    reps: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)

    item: Mapped["Question"] = relationship()  # noqa: F821


class ReviewLog(db.Model):
    """One rating of a card: when, how (1 Again, 2 Hard, 3 Good, 4 Easy) and from where
    (``source``: practice, exam, review or flashcard; ``response_id`` when it came from a response)."""

    __tablename__ = "review_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int]
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"), default=None)

    card: Mapped[Card] = relationship()
