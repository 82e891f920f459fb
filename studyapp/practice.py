"""Practice attempts chosen from the study text and the learner's history. No Flask imports.

Each function starts (and commits) one practice attempt through
:func:`studyapp.attempting.start_attempt`, or raises without writing anything.
"""
from __future__ import annotations

from sqlalchemy import select

from .attempting import EmptyBank, start_attempt
from .extensions import db
from .history import passage_item_ids, study_bank, weakest_item_ids
from .models import Attempt, AttemptMode, Bank, Document, Passage, User

WEAKEST_ITEMS = 10
"""How many items "Practise my weakest" asks at most."""


class NothingToPractise(EmptyBank):
    """There is no published item to practise there (the message says where)."""


def start_passage_practice(user: User, document: Document, passage: Passage) -> Attempt:
    """Start a practice attempt with exactly the published items of the document's study bank
    (:func:`studyapp.history.study_bank`) that cite ``passage``, in id order.

    Raises:
        NothingToPractise: no published bank uses the document, or none of its items cites the passage.
    """
    bank = study_bank(document.id)
    ids = passage_item_ids(bank.id, passage.id) if bank is not None else []
    if not ids:
        raise NothingToPractise(f"§{passage.number} has no published items to practise yet.")
    return start_attempt(user, bank, len(ids), mode=AttemptMode.PRACTICE.value, item_ids=ids)


def start_weakest_practice(user: User, bank: Bank, limit: int = WEAKEST_ITEMS) -> Attempt:
    """Start a practice attempt with up to ``limit`` items of ``bank`` from the learner's weakest
    passages (:func:`studyapp.history.weakest_item_ids`: lowest accuracy first, then unseen).

    Raises:
        NothingToPractise: the bank has no published item that cites a passage.
    """
    ids = weakest_item_ids(user.id, bank.id, limit)
    if not ids:
        raise NothingToPractise("This bank has no published items on its study text to practise yet.")
    return start_attempt(user, bank, len(ids), mode=AttemptMode.PRACTICE.value, item_ids=ids)


def find_passage(document_id: int, number: int) -> Passage | None:
    """Return passage ``number`` of a document, or None."""
    return db.session.scalar(select(Passage).where(Passage.document_id == document_id, Passage.number == number))
