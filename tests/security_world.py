"""A small, complete world for the security tests: one bank with items of every kind, a draft,
a study text, attempts (one in progress, one submitted and reported), FSRS cards due, and a
user of each role, so that every URL parameter of every route resolves to a real row.

Used by ``tests/test_route_security.py`` (who may open what) and ``tests/test_xss.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from studyapp import clock
from studyapp.attempting import save_response, start_attempt, submit_attempt
from studyapp.extensions import db
from studyapp.kinds import ResponseData
from studyapp.models import Bank, Card, Document, Passage, Question, User
from studyapp.reports import file_report

from .conftest import TINY_ITEMS

DRAFT_ITEM = """\
  - id: t-draft
    kind: single_choice
    status: draft
    passage: 3
    stem: "A draft waiting for review."
    options:
      - {text: "Yes", key: true}
      - {text: "No"}
    explanation: "Passage three."
"""

ROLES = ("anonymous", "learner", "other_learner", "instructor", "admin")
"""Who visits: nobody logged in, the learner who owns the attempts, another learner (who owns
nothing of the first one's), an instructor and an admin."""


@dataclass
class World:
    """Ids and names of the rows the routes' parameters point at."""

    users: dict[str, User]
    bank: str                      # slug of the published bank ("tiny")
    bank_id: int
    document: str                  # slug of its study text ("tiny-source")
    document_id: int
    learner_id: int                # the learner who owns the attempts
    open_attempt: int              # the learner's practice attempt in progress (item 1: t-short)
    done_attempt: int              # the learner's submitted exam (item 1 not reported, item 2 reported)
    item: int                      # current version of t-single (published, in attempts)
    unseen_item: int               # t-cloze: published, in no attempt, nobody's flashcard yet
    draft: int                     # t-draft (a draft: in the review queue, deletable)
    reported_ext_id: str           # ext_id of the item with an open report
    spare_bank: int                # a bank with no items or attempts (deletable)
    spare_document: int            # a study text no item cites (deletable)
    spare_passage: int             # a passage of the tiny text that no item cites (deletable)
    spare_user: int                # a learner with no attempts (deletable)
    passage_id: int                # passage 1 of the tiny text (cited by t-single and t-short)


def _item(ext_id: str) -> Question:
    return db.session.scalar(select(Question).where(Question.ext_id == ext_id, Question.superseded_by_id.is_(None)))


def build_world(make_bank, make_user) -> World:
    """Create the world (committed) and return the ids the routes need."""
    bank = make_bank(TINY_ITEMS + DRAFT_ITEM)
    users = {
        "learner": make_user("learner", email="learner@example.org", name="Lena Learner"),
        "other_learner": make_user("learner", email="other@example.org", name="Otto Other"),
        "instructor": make_user("instructor", email="instructor@example.org", name="Ida Instructor"),
        "admin": make_user("admin", email="admin@example.org", name="Adam Admin"),
    }
    spare_user = make_user("learner", email="spare@example.org", name="Spare Learner")
    learner = users["learner"]
    single, short, tf = _item("t-single"), _item("t-short"), _item("t-tf")

    # A submitted exam: t-single answered wrongly, t-tf answered; t-tf then reported.
    done = start_attempt(learner, bank, 2, mode="exam", item_ids=[single.id, tf.id])
    by_item = {ai.item_id: ai for ai in done.attempt_items}
    save_response(done, by_item[single.id],
                  ResponseData(choice_ids=[next(o.id for o in single.options if o.text == "Wrong A")]))
    save_response(done, by_item[tf.id], ResponseData(choice_ids=[next(o.id for o in tf.options if o.is_key)]))
    submit_attempt(done)
    second = next(ai for ai in done.attempt_items if ai.position == 2)
    file_report(learner.id, second, "typo", "A typo in the stem.")
    reported_ext_id = second.item.ext_id

    # A practice attempt in progress whose first item is the short-answer one.
    open_attempt = start_attempt(learner, bank, 2, mode="practice", item_ids=[short.id, single.id])
    # The learner's cards (made when the exam was marked) are due now: a review session can start.
    db.session.execute(update(Card).where(Card.user_id == learner.id).values(due=clock.now() - timedelta(days=1)))

    spare_bank = Bank(slug="spare-bank", title="Spare bank", description="Nothing in it.")
    spare_document = Document(slug="spare-text", title="Spare text", summary="", based_on="")
    spare_passage = Passage(document_id=bank.document.id, number=50, heading="", text="An uncited passage.")
    db.session.add_all([spare_bank, spare_document, spare_passage])
    db.session.commit()
    return World(
        users=users, bank=bank.slug, bank_id=bank.id, document=bank.document.slug, document_id=bank.document.id,
        learner_id=learner.id, open_attempt=open_attempt.id,
        done_attempt=done.id, item=single.id, unseen_item=_item("t-cloze").id, draft=_item("t-draft").id, reported_ext_id=reported_ext_id,
        spare_bank=spare_bank.id, spare_document=spare_document.id, spare_passage=spare_passage.id,
        spare_user=spare_user.id, passage_id=bank.document.passages[0].id,
    )


def snapshot() -> dict[str, list[str]]:
    """Every row of every table (as text, sorted): equal snapshots mean nothing was written."""
    db.session.rollback()
    with db.engine.connect() as conn:
        return {table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in db.metadata.sorted_tables}


def row_counts() -> dict[str, int]:
    """The number of rows of every table."""
    return {name: len(rows) for name, rows in snapshot().items()}
