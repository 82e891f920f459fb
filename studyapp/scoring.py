"""Marking a response against an item's key. Pure functions: no database, no Flask.

Marks are fractions 0-1 of the item's one mark.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class MarkResult:
    """The outcome of marking one response.

    Attributes:
        mark: fraction 0-1 of the item's mark.
        answered: False when the learner gave no answer at all.
    """

    mark: float
    answered: bool = True

    @property
    def correct(self) -> bool:
        """True for a full mark."""
        return self.mark >= 1.0 - 1e-9

    @property
    def partial(self) -> bool:
        """True for a mark strictly between 0 and 1."""
        return 0.0 < self.mark < 1.0 - 1e-9

    @property
    def label(self) -> str:
        """``correct``, ``partially correct``, ``incorrect`` or ``not answered``."""
        if not self.answered:
            return "not answered"
        if self.correct:
            return "correct"
        return "partially correct" if self.partial else "incorrect"


def normalise_answer(text: str) -> str:
    """Return the form in which typed answers are compared.

    Unicode NFKC normalisation (so full-width and half-width forms agree),
    invisible format characters removed (zero-width spaces, joiners, direction marks:
    category Cf), case folding, surrounding space removed and inner runs of white
    space collapsed to one space.

    Args:
        text: the typed answer or an accepted answer.
    Returns:
        The normalised string (may be empty).
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").casefold()
    return _SPACES.sub(" ", text).strip()


def mark_single(chosen: Iterable[int], keys: Iterable[int]) -> MarkResult:
    """Mark a single-choice (or true/false) response.

    Args:
        chosen: ids of the chosen options (0 or 1 of them).
        keys: ids of the key options.
    Returns:
        Mark 1 if exactly one option is chosen and it is a key, else 0.
    """
    chosen = set(chosen)
    if not chosen:
        return MarkResult(0.0, answered=False)
    return MarkResult(1.0 if len(chosen) == 1 and chosen <= set(keys) else 0.0)


def mark_multiple(chosen: Iterable[int], keys: Iterable[int], options: Iterable[int]) -> MarkResult:
    """Mark a multiple-response item with partial credit.

    Rule (as Moodle's multiple-answer item with equal weights): each key chosen earns
    ``1/k`` and each distractor chosen costs ``1/d``, where ``k`` is the number of keys
    and ``d`` the number of distractors; the total is clamped to 0-1. Choosing every
    option therefore earns 0, and choosing all keys and nothing else earns 1.

    Args:
        chosen: ids of the chosen options.
        keys: ids of the key options (at least one).
        options: ids of all options of the item.
    Returns:
        The mark, a fraction 0-1.
    """
    chosen, keys, options = set(chosen), set(keys), set(options)
    if not chosen:
        return MarkResult(0.0, answered=False)
    distractors = options - keys
    earned = len(chosen & keys) / len(keys) if keys else 0.0
    if distractors:
        earned -= len(chosen & distractors) / len(distractors)
    return MarkResult(round(min(1.0, max(0.0, earned)), 6))


def mark_text(answers: Sequence[str], accepted: Sequence[Iterable[str]]) -> MarkResult:
    """Mark a short-answer or cloze response gap by gap.

    Args:
        answers: the typed text per gap (short answer: one gap).
        accepted: per gap, the accepted answers.
    Returns:
        The fraction 0-1 of gaps whose normalised answer equals a normalised accepted
        answer (see :func:`normalise_answer`).
    """
    if not accepted:
        return MarkResult(0.0, answered=False)
    answers = list(answers) + [""] * (len(accepted) - len(answers))
    if not any(normalise_answer(a) for a in answers):
        return MarkResult(0.0, answered=False)
    right = sum(
        1 for typed, ok in zip(answers, accepted)
        if normalise_answer(typed) and normalise_answer(typed) in {normalise_answer(a) for a in ok}
    )
    return MarkResult(round(right / len(accepted), 6))
