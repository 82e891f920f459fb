"""Item versions and regrading. No Flask request objects.

An item that learners have met in attempts is never changed in place: editing it (in the
admin or by reloading its bank file) creates a new version, a new ``Question`` row with the
same ``ext_id``, ``version`` + 1 and ``previous_id`` set, and retires the old row
(``superseded_by_id``). Past attempts keep pointing at the old row, so they show the item
as it was asked and keep their marks; statistics are per row, hence per version.

When a version corrects the key, :func:`regrade` re-marks the responses to the earlier
versions against the new key (options matched by their text) and records each change in
``Regrade`` rows, which the learners' result pages show as a note.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from .extensions import db
from .locking import lock_row
from .kinds import ResponseData, get_kind
from .models import (
    AcceptedAnswer, Attempt, AttemptItem, AttemptStatus, ItemStatus, Option, Question, Regrade, Response,
)
from .models.base import utcnow


def is_used(item_id: int) -> bool:
    """Return True if the item is in at least one attempt (learners have met it)."""
    return bool(db.session.scalar(select(func.count()).select_from(AttemptItem).where(AttemptItem.item_id == item_id)))


@dataclass
class ItemContent:
    """What a version fixes: the item as learners see and are marked against it.

    Attributes:
        kind, stem, explanation: as on ``Question``.
        passage_id: the cited passage (or None).
        options: ``(text, is_key)`` in display order (choice kinds).
        answers: ``(gap, text)`` accepted answers (text kinds).
        feedback: option text -> that option's feedback (empty ones may be left out). Not part
            of a version's identity: feedback can change in place, like status.
    """

    kind: str
    stem: str
    explanation: str
    passage_id: int | None
    options: list[tuple[str, bool]]
    answers: list[tuple[int, str]]
    feedback: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, item: Question) -> "ItemContent":
        """Return the content of a stored item (as committed, read afresh)."""
        rows = db.session.execute(select(Option.text, Option.is_key, Option.feedback)
                                  .where(Option.item_id == item.id).order_by(Option.position, Option.id)).all()
        options = [(t, bool(k)) for t, k, _f in rows]
        answers = [(g, t) for g, t in db.session.execute(
            select(AcceptedAnswer.gap, AcceptedAnswer.text).where(AcceptedAnswer.item_id == item.id)
            .order_by(AcceptedAnswer.gap, AcceptedAnswer.id))]
        row = db.session.execute(select(Question.kind, Question.stem, Question.explanation, Question.passage_id)
                                 .where(Question.id == item.id)).one()
        return cls(row.kind, row.stem, row.explanation, row.passage_id, options, answers,
                   {t: f for t, _k, f in rows if f})

    def key(self) -> tuple:
        """Return what decides marks: kind, options with keys (any order), accepted answers."""
        return self.kind, sorted(self.options), sorted(self.answers)

    def keys(self) -> tuple:
        """Return the right answers only: kind, the key options' texts, accepted answers. A new
        distractor changes :meth:`key` (what is marked) but not this (what is right)."""
        return self.kind, sorted(t for t, k in self.options if k), sorted(self.answers)


def new_version(item: Question, content: ItemContent, *, status: str | None = None,
                origin: str | None = None) -> Question:
    """Create the next version of ``item`` with ``content`` and retire ``item``. Does not commit.

    Args:
        item: the current version (not superseded).
        content: the new version's content.
        status: the new version's status (default: the old one's; the old row becomes retired).
        origin: the new version's origin (default: the old one's, "edited" if it was "generated").
    Returns:
        The new ``Question`` (flushed, so it has an id).
    Raises:
        ValueError: ``item`` is already superseded.
    """
    if item.superseded_by_id is not None:
        raise ValueError(f"item {item.ext_id} v{item.version} is superseded already")
    old_status = item.status
    new = Question(bank_id=item.bank_id, ext_id=item.ext_id, version=(item.version or 1) + 1,
                   previous_id=item.id, kind=content.kind, stem=content.stem, explanation=content.explanation,
                   passage_id=content.passage_id, status=status or old_status,
                   origin=origin or ("edited" if item.origin == "generated" else item.origin))
    new.options = [Option(text=t, is_key=k, position=i, feedback=content.feedback.get(t, ""))
                   for i, (t, k) in enumerate(content.options)]
    new.accepted_answers = [AcceptedAnswer(gap=g, text=t) for g, t in content.answers]
    # The old row leaves the current set before the new one joins it (one current row per
    # ext_id is a unique index): it points at itself until the new row has an id.
    item.status = ItemStatus.RETIRED.value
    item.superseded_by_id = item.id
    db.session.flush()
    db.session.add(new)
    db.session.flush()
    item.superseded_by_id = new.id
    db.session.flush()
    return new


def versions(item: Question) -> list[Question]:
    """Return every version of the item's ``ext_id`` in its bank, oldest first."""
    return list(db.session.scalars(select(Question).where(Question.bank_id == item.bank_id,
                                                          Question.ext_id == item.ext_id)
                                   .order_by(Question.version)))


@dataclass
class RegradeReport:
    """What :func:`regrade` did: responses re-marked, how many marks changed, attempts rescored."""

    responses: int = 0
    changed: int = 0
    attempts: int = 0


def regrade(item: Question) -> RegradeReport:
    """Re-mark the submitted responses to every earlier version of ``item`` against ``item``'s
    key, in one transaction, and record each changed mark (``Regrade``).

    A chosen option is matched to ``item``'s option with the same text (an option the new
    version no longer has counts as a distractor); typed answers are compared with the new
    accepted answers. A practice second try keeps its penalty (``attempting.PRACTICE_PENALTY``).
    Each affected attempt's marks and score (percent 0-100) are recomputed, and the bank's stored
    item statistics (``studyapp.stored_statistics``) are deleted in the same transaction.

    Args:
        item: the current version, whose key is the corrected one.
    Returns:
        The :class:`RegradeReport`.
    """
    from .attempting import PRACTICE_PENALTY, response_data

    # Regrades of one item run one after the other (a no-op UPDATE of its row: row lock on
    # PostgreSQL, write lock on SQLite), and each reads the marks the previous one committed.
    lock_row(Question, item.id)
    kind = get_kind(item.kind)
    by_text = {o.text: o.id for o in item.options}
    old_ids = [v.id for v in versions(item) if v.id != item.id and v.kind == item.kind]
    report = RegradeReport()
    if not old_ids:
        db.session.commit()
        return report
    rows = db.session.scalars(
        select(Response).join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(AttemptItem.item_id.in_(old_ids), Attempt.status == AttemptStatus.SUBMITTED.value)
        .order_by(Response.id)  # the regrades are recorded in the order the responses were given
        .execution_options(populate_existing=True)).all()
    touched: dict[int, list[tuple[Response, float, float]]] = {}
    for response in rows:
        data = response_data(response)
        texts = {o.id: o.text for o in response.attempt_item.item.options}
        mapped = ResponseData(choice_ids=[by_text.get(texts.get(c), -1) for c in data.choice_ids], texts=data.texts)
        raw = kind.mark(item, mapped).mark if not mapped.empty else 0.0
        new_mark = round(max(0.0, raw - PRACTICE_PENALTY * max(0, (response.tries or 1) - 1)), 6)
        report.responses += 1
        old_mark = response.mark or 0.0
        if abs(new_mark - old_mark) > 1e-9:
            touched.setdefault(response.attempt_item.attempt_id, []).append((response, old_mark, new_mark))
    for attempt_id, changes in touched.items():
        attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
        old_score = attempt.score_percent or 0.0
        for response, _old, new_mark in changes:
            response.mark = new_mark
        db.session.flush()
        # the attempt's marks are the sum of its responses' marks, recomputed (never adjusted)
        total = db.session.scalar(select(func.coalesce(func.sum(Response.mark), 0.0))
                                  .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
                                  .where(AttemptItem.attempt_id == attempt_id))
        attempt.marks = round(float(total), 6)
        attempt.score_percent = round(100.0 * attempt.marks / attempt.item_count, 2) if attempt.item_count else 0.0
        for response, old_mark, new_mark in changes:
            db.session.add(Regrade(response_id=response.id, corrected_item_id=item.id, old_mark=old_mark,
                                   new_mark=new_mark, old_score=old_score, new_score=attempt.score_percent,
                                   regraded_at=utcnow()))
            report.changed += 1
        report.attempts += 1
    if touched:     # marks changed: stored item statistics of the bank (and of all banks) are dropped
        from .stored_statistics import invalidate

        invalidate({item.bank_id})
    db.session.commit()
    return report
