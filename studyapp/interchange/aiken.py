"""Read and write the Aiken format (single-choice questions in plain text).

The format is Moodle's, documented at https://docs.moodle.org/en/Aiken_format::

    What is the correct answer to this question?
    A. Is it this one?
    B. Maybe this answer?
    C) Possibly this one?
    ANSWER: B

    Next question ...

Rules applied here (following that page and Moodle's importer):

* A question is its question line(s), then two or more option lines, then the
  ``ANSWER: X`` line. Question lines are joined with a newline (Moodle since 2.x
  accepts a question over several lines).
* An option line is a capital letter, ``.`` or ``)``, a space, then the option text.
* ``ANSWER:`` is in capitals; the letter must be one of the options' letters.
* Questions are separated by blank lines (a line after an ``ANSWER`` line also
  starts a new question).
* The file is UTF-8, with or without a byte order mark; LF, CRLF or CR line ends.

Aiken has no ids, explanations or passages. Imported items get the id
``aiken-`` + 12 hex digits of a hash of the question and options (the same file
imports to the same ids), kind ``single_choice`` (``true_false`` when the options
are exactly ``True`` and ``False`` in that order) and origin ``imported``.

A file with any error yields nothing: :class:`InterchangeError` names the line.
"""
from __future__ import annotations

import hashlib
import re

from .errors import InterchangeError
from .records import ItemRecord, OptionRecord

OPTION = re.compile(r"^([A-Z])[.)][ \t]+(\S.*)$")
ANSWER = re.compile(r"^ANSWER:[ \t]*(\S*)\s*$")
ANSWER_LIKE = re.compile(r"^answer\s*:", re.IGNORECASE)
LINES = re.compile(r"\r\n|\r|\n")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ext_id(stem: str, options: list[OptionRecord], taken: set[str]) -> str:
    text = "\x1f".join([stem] + [o.text for o in options])
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()  # an id, not a secret
    base = f"aiken-{digest[:12]}"
    ext_id, n = base, 2
    while ext_id in taken:
        ext_id, n = f"{base}-{n}", n + 1
    taken.add(ext_id)
    return ext_id


def parse_aiken(text: str, source: str = "<aiken>") -> list[ItemRecord]:
    """Parse an Aiken file.

    Args:
        text: the file's text (a leading byte order mark is ignored).
        source: the name used in error messages.
    Returns:
        The items, in file order.
    Raises:
        InterchangeError: the first problem found (line and reason); nothing is returned.
    """
    text = text.removeprefix("\ufeff")
    items: list[ItemRecord] = []
    taken: set[str] = set()
    stem_lines: list[str] = []
    start = 0
    options: list[tuple[str, str, int]] = []  # (letter, text, line)

    def fail(line: int, reason: str) -> InterchangeError:
        return InterchangeError(source, line, reason)

    def unfinished(line: int) -> InterchangeError:
        return fail(start, "the question starting here has no 'ANSWER: X' line "
                           f"(expected before line {line})" if options else
                    "the question starting here has no options and no 'ANSWER: X' line")

    lines = LINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            if stem_lines:
                raise unfinished(number)
            continue
        option = OPTION.match(line)
        answer = ANSWER.match(line)
        if answer:
            if not stem_lines:
                raise fail(number, "an ANSWER line before any question")
            if len(options) < 2:
                raise fail(number, f"the question has {len(options)} option(s); Aiken needs at least two")
            letter = answer.group(1)
            letters = [o[0] for o in options]
            if len(letter) != 1 or letter not in letters:
                raise fail(number, f"the answer {letter!r} is not one of the options' letters "
                                   f"({', '.join(letters)})")
            stem = "\n".join(stem_lines)
            records = [OptionRecord(t, l == letter) for l, t, _ in options]
            kind = "true_false" if [o.text for o in records] == ["True", "False"] else "single_choice"
            items.append(ItemRecord(ext_id=_ext_id(stem, records, taken), kind=kind, stem=stem,
                                    options=records, origin="imported"))
            stem_lines, options = [], []
            continue
        if ANSWER_LIKE.match(line):
            raise fail(number, "write the answer line as 'ANSWER: X' (capitals, a colon, one option letter)")
        if option:
            if not stem_lines:
                raise fail(number, "an option before any question")
            letter, option_text = option.group(1), option.group(2).strip()
            for other, other_text, other_line in options:
                if other == letter:
                    raise fail(number, f"option letter {letter} is used twice (also line {other_line})")
                if other_text.casefold() == option_text.casefold():
                    raise fail(number, f"two options have the same text (also line {other_line})")
            options.append((letter, option_text, number))
            continue
        if options:
            raise fail(number, "a line after the options that is neither an option ('A. text') "
                               "nor the 'ANSWER: X' line")
        if not stem_lines:
            start = number
        stem_lines.append(line)
    if stem_lines:
        raise unfinished(len(lines) + 1)
    return items


def _representable(item: ItemRecord) -> bool:
    if item.kind not in {"single_choice", "true_false"}:
        return False
    if not 2 <= len(item.options) <= len(LETTERS) or sum(o.is_key for o in item.options) != 1:
        return False
    stem_lines = item.stem.split("\n")
    for line in stem_lines:
        if not line or line != line.strip() or OPTION.match(line) or ANSWER_LIKE.match(line):
            return False
    for option in item.options:
        if not option.text or option.text != option.text.strip() or "\n" in option.text or "\r" in option.text:
            return False
    return True


def write_aiken(items: list[ItemRecord]) -> tuple[str, list[str]]:
    """Write items as an Aiken file.

    Single-choice and true/false items (as ``A. True`` / ``B. False``) are written;
    other kinds, and items Aiken cannot carry (more than 26 options, a question line
    that would read as an option or ANSWER line, blank lines in the question, an
    option over several lines), are skipped.

    Args:
        items: the items.
    Returns:
        ``(text, skipped)``: the file's text (LF line ends, no byte order mark) and
        the ext_ids of the items left out. Ids, explanations and passages are not written.
    """
    blocks: list[str] = []
    skipped: list[str] = []
    for item in items:
        if not _representable(item):
            skipped.append(item.ext_id)
            continue
        lines = item.stem.split("\n")
        lines += [f"{LETTERS[i]}. {o.text}" for i, o in enumerate(item.options)]
        key = next(i for i, o in enumerate(item.options) if o.is_key)
        lines.append(f"ANSWER: {LETTERS[key]}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks), skipped
