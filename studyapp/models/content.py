"""Content: source documents and their passages, banks, items, options and accepted answers."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class ItemKind(str, enum.Enum):
    """The kinds of item; each has a class in ``studyapp.kinds``."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_RESPONSE = "multiple_response"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"
    CLOZE = "cloze"


class ItemStatus(str, enum.Enum):
    """Review state: only published items are put into new attempts."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class ItemOrigin(str, enum.Enum):
    """Where an item came from: ``edited`` is a generated item that a person changed."""

    GENERATED = "generated"
    EDITED = "edited"
    AUTHORED = "authored"
    IMPORTED = "imported"


class Document(db.Model):
    """A source document (study text), split into numbered passages."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    based_on: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="document", order_by="Passage.number", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.title


class Passage(db.Model):
    """A numbered paragraph of a document; items cite the passage that supports their key."""

    __tablename__ = "passages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    heading: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="passages")

    @property
    def label(self) -> str:
        """Short citation such as ``§3``."""
        return f"§{self.number}"

    def __str__(self) -> str:
        return f"{self.document.slug if self.document else '?'} §{self.number}: {self.text[:60]}"


class Bank(db.Model):
    """A named collection of items on one source (Moodle: a question category)."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Quiz settings (set by instructors in the admin).
    time_limit_minutes: Mapped[int | None] = mapped_column(default=None)
    """Exam mode: minutes from the start until responses are refused (None: no limit)."""
    attempts_allowed: Mapped[int | None] = mapped_column(default=None)
    """Exam mode: how many exam attempts a learner may start on this bank (None: unlimited)."""
    pass_mark_percent: Mapped[float | None] = mapped_column(default=None)
    """The score (percent 0-100) at or above which an exam attempt passes (None: no pass mark)."""
    second_try: Mapped[bool] = mapped_column(default=True)
    """Practice mode: a wrong first response may be tried once more, for reduced marks."""
    default_items: Mapped[int] = mapped_column(default=10)
    """How many items a quiz on this bank offers by default (the learner may change it)."""
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    """Shuffle the options of choice items in each attempt (true/false keeps True, False)."""
    feedback: Mapped[str] = mapped_column(String(16), default="any")
    """When feedback is shown: "any" (the learner picks practice, with feedback after each
    answer, or exam), or "after_submission" (exams only: nothing before submitting)."""
    review_allowed: Mapped[bool] = mapped_column(default=True)
    """Learners may review their submitted attempts item by item (keys, explanations); if
    not, their result page shows the score only."""

    document: Mapped[Document | None] = relationship()
    items: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.id")

    def __str__(self) -> str:
        return self.title


class Question(db.Model):
    """An item: stem, kind, options or accepted answers, explanation, cited passage, status.

    ``ext_id`` is the stable id from the bank file, shared by all versions of an item.
    Editing an item that learners have met creates a new version (a new row, ``version`` + 1,
    ``previous_id`` pointing back); the old row is retired and its ``superseded_by_id``
    points forward, so past attempts keep showing, and keep the marks of, the item as it was
    asked. Only one version per ``ext_id`` (the current one, not superseded) is unique in a bank.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("bank_id", "ext_id", "version"),
        Index("uq_items_bank_id_ext_id_current", "bank_id", "ext_id", unique=True,
              sqlite_where=text("superseded_by_id IS NULL"), postgresql_where=text("superseded_by_id IS NULL")),
        Index("ix_items_bank_status", "bank_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    stem: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.DRAFT.value)
    origin: Mapped[str] = mapped_column(String(16), default=ItemOrigin.AUTHORED.value)
    passage_id: Mapped[int | None] = mapped_column(ForeignKey("passages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"), default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), default=None)

    bank: Mapped[Bank] = relationship(back_populates="items")
    passage: Mapped[Passage | None] = relationship()
    options: Mapped[list[Option]] = relationship(
        back_populates="item", order_by="Option.position", cascade="all, delete-orphan"
    )
    accepted_answers: Mapped[list[AcceptedAnswer]] = relationship(
        back_populates="item", order_by="(AcceptedAnswer.gap, AcceptedAnswer.id)",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return f"{self.ext_id}: {self.stem[:60]}"


class Option(db.Model):
    """A choice of a choice item; ``is_key`` marks a key, otherwise it is a distractor.

    ``feedback`` is what a learner who chose this option reads after submitting (Moodle's
    per-answer feedback; "" for none)."""

    __tablename__ = "options"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    is_key: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str] = mapped_column(Text, default="", server_default="")

    item: Mapped[Question] = relationship(back_populates="options")

    def __str__(self) -> str:
        return self.text


class AcceptedAnswer(db.Model):
    """An accepted answer of a short-answer item (gap 0) or of gap ``gap`` of a cloze item."""

    __tablename__ = "accepted_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    gap: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)

    item: Mapped[Question] = relationship(back_populates="accepted_answers")

    def __str__(self) -> str:
        return f"gap {self.gap + 1}: {self.text}"
