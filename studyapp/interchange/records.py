"""Neutral records: what parsers produce and ``store`` writes. No database, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

GAP = re.compile(r"_{3,}")
"""A gap in a cloze stem: three or more underscores."""


CARRIED = frozenset({"ext_id", "explanation", "passage", "status", "origin", "feedback"})
"""Item fields that some file formats do not carry (every format carries kind, stem, options,
keys and accepted answers); ``feedback`` stands for the options' feedback."""


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
    """An option of a choice item; ``is_key`` marks a key; ``feedback`` is what a learner who
    chose it reads after submitting ("" for none)."""

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
