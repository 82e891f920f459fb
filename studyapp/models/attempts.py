"""Attempts (one sitting of a quiz), the items they fix, and responses with their marks."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class AttemptStatus(str, enum.Enum):
    """An attempt is in progress until it is submitted, exactly once."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class AttemptMode(str, enum.Enum):
    """How an attempt gives feedback: practice and review after each response (with a second
    try in practice), exam only after submission (with an optional time limit)."""

    PRACTICE = "practice"
    EXAM = "exam"
    REVIEW = "review"


class Attempt(db.Model):
    """One sitting of a quiz by a learner.

    ``score_percent`` (0-100) and ``marks`` (sum of response marks, each 0-1) are set
    when the attempt is submitted. ``deadline_at`` (UTC) is set for a timed exam; an exam
    closed because its time ran out has ``timed_out`` set.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_status", "user_id", "status"),
        # The gradebook counts learner and bank pairs of submitted attempts from this index alone
        # (the status is in it so that SQLite, too, need not read the table).
        Index("ix_attempts_submitted_user_bank", "user_id", "bank_id", "status",
              sqlite_where=text("status = 'submitted'"), postgresql_where=text("status = 'submitted'")),
        CheckConstraint("status in ('in_progress', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16), default=AttemptMode.EXAM.value)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS.value)
    item_count: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    marks: Mapped[float | None]
    score_percent: Mapped[float | None]
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    timed_out: Mapped[bool] = mapped_column(default=False)
    pass_mark_percent: Mapped[float | None] = mapped_column(default=None)
    """The bank's pass mark when the attempt started (percent 0-100; exam mode only)."""

    user: Mapped["User"] = relationship()  # noqa: F821
    bank: Mapped["Bank"] = relationship()  # noqa: F821
    attempt_items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_submitted(self) -> bool:
        return self.status == AttemptStatus.SUBMITTED.value

    @property
    def gives_feedback_at_once(self) -> bool:
        """True for practice and review attempts: each response is marked when it is checked."""
        return self.mode in (AttemptMode.PRACTICE.value, AttemptMode.REVIEW.value)

    @property
    def passed(self) -> bool | None:
        """True/False against the pass mark once submitted; None without a pass mark or score."""
        if self.pass_mark_percent is None or self.score_percent is None:
            return None
        return self.score_percent >= self.pass_mark_percent

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to submission, or None while in progress."""
        if self.submitted_at is None:
            return None
        return (self.submitted_at - self.started_at).total_seconds()


class AttemptItem(db.Model):
    """An item fixed into an attempt at ``position`` (1-based)."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int]
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)

    attempt: Mapped[Attempt] = relationship(back_populates="attempt_items")
    item: Mapped["Question"] = relationship()  # noqa: F821
    shown_options: Mapped[list[AttemptOption]] = relationship(
        order_by="AttemptOption.position", cascade="all, delete-orphan"
    )
    response: Mapped[Response | None] = relationship(
        back_populates="attempt_item", uselist=False, cascade="all, delete-orphan"
    )


class AttemptOption(db.Model):
    """The order in which an option of an attempt item is shown (fixed at the start)."""

    __tablename__ = "attempt_options"
    __table_args__ = (UniqueConstraint("attempt_item_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"))
    position: Mapped[int]
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id", ondelete="RESTRICT"))

    option: Mapped["Option"] = relationship()  # noqa: F821


class Response(db.Model):
    """A learner's answer to one item of an attempt (at most one per attempt item).

    ``mark`` is a fraction 0-1: set when the response is checked (practice, review) or when
    the attempt is submitted (exam). ``tries`` counts the checked tries (practice allows a
    second one after a wrong first); ``final`` is set once feedback with the key was shown,
    after which the response cannot change.
    """

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(
        ForeignKey("attempt_items.id", ondelete="CASCADE"), unique=True
    )
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the learner last saved or checked it (set by ``attempting``; marking leaves it)."""
    mark: Mapped[float | None]
    tries: Mapped[int] = mapped_column(default=0)
    final: Mapped[bool] = mapped_column(default=False)

    attempt_item: Mapped[AttemptItem] = relationship(back_populates="response")
    choices: Mapped[list[ResponseChoice]] = relationship(cascade="all, delete-orphan")
    texts: Mapped[list[ResponseText]] = relationship(
        order_by="ResponseText.gap", cascade="all, delete-orphan"
    )


class ResponseChoice(db.Model):
    """An option chosen in a response."""

    __tablename__ = "response_choices"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id", ondelete="RESTRICT"), primary_key=True)

    option: Mapped["Option"] = relationship()  # noqa: F821


class ResponseText(db.Model):
    """The text typed for gap ``gap`` (0 for short answer) in a response."""

    __tablename__ = "response_texts"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    gap: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class Regrade(db.Model):
    """A response re-marked after its item's key was corrected (a new version of the item).

    ``old_mark`` and ``new_mark`` are fractions 0-1; ``old_score``/``new_score`` the attempt's
    score in percent 0-100 before and after; ``corrected_item_id`` the version whose key was used.
    """

    __tablename__ = "regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    corrected_item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    old_mark: Mapped[float]
    new_mark: Mapped[float]
    old_score: Mapped[float]
    new_score: Mapped[float]
    regraded_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship()
