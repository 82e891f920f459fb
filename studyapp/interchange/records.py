"""Neutral records: what parsers produce and ``store`` writes. No database, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

GAP = re.compile(r"_{3,}")
"""A gap in a cloze stem: three or more underscores."""


@dataclass
class PassageRecord:
    """A numbered passage (1-based ``number``) under an optional section ``heading``."""

    number: int
    text: str
    heading: str = ""


@dataclass
class DocumentRecord:
    """A source document and its passages."""

    slug: str
    title: str
    summary: str = ""
    based_on: str = ""
    passages: list[PassageRecord] = field(default_factory=list)


@dataclass
class OptionRecord:
    """An option of a choice item; ``is_key`` marks a key.

    ``feedback`` is the text shown to a learner who picks this option, as formats
    such as Moodle XML carry it per answer ("" if none). Bank files and the
    database do not keep it.
    """

    text: str
    is_key: bool = False
    feedback: str = ""


@dataclass
class ItemRecord:
    """An item.

    Attributes:
        ext_id: stable id, unique within the bank.
        kind: a name from ``studyapp.kinds.KINDS``.
        stem: the question text (cloze: with ``___`` gaps).
        options: choice kinds only.
        answers: text kinds only: per gap, the accepted answers.
        passage: number of the cited passage in the bank's document, or None.
        status: draft, published or retired.
        origin: generated, edited (generated, then changed by a person), authored or imported.
    """

    ext_id: str
    kind: str
    stem: str
    explanation: str = ""
    options: list[OptionRecord] = field(default_factory=list)
    answers: list[list[str]] = field(default_factory=list)
    passage: int | None = None
    status: str = "published"
    origin: str = "authored"


@dataclass
class BankRecord:
    """A bank with its items and (optionally) the document its items cite."""

    slug: str
    title: str
    description: str = ""
    document: DocumentRecord | None = None
    items: list[ItemRecord] = field(default_factory=list)
