"""Split a source text into numbered passages.

A passage is a **paragraph** (lines separated by a blank line), as in the project's study
texts, where items cite paragraph numbers (``studyapp.interchange.sourcetext``). Items are
built from the sentences inside a passage and cite the paragraph's number; the explanation
quotes the sentence.

Not passages: Markdown headings (``#`` lines), short title-like lines (one line, at most
15 words, no closing punctuation), and date lines (``date 2023-09-09 ...``,
``Published: ...``). Headings and title lines become the ``heading`` of the passages that
follow. A text that starts with YAML front matter (``---``) is parsed by
:func:`studyapp.interchange.sourcetext.parse_source`, so the passage numbers are the same
as when the study text is loaded with its bank.
"""
from __future__ import annotations

import re

from ..interchange.records import PassageRecord
from ..interchange.sourcetext import SourceError, parse_source
from .source import GenerationInputError

DATE_LINE = re.compile(
    r"^\s*(?:(?:date[d]?|published|posted|updated)\b[:\s]*)?"
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\b[\s:|,-]*", re.I)
_DATE_WORD = re.compile(r"^\s*(date[d]?|published|posted|updated)\b[:\s]", re.I)
_END_PUNCT = tuple('.?!:;"\')…')
MAX_TITLE_WORDS = 15


def is_title_line(line: str) -> bool:
    """Return True for a short single line without closing punctuation (a title or heading)."""
    stripped = line.strip()
    return bool(stripped) and len(stripped.split()) <= MAX_TITLE_WORDS and not stripped.endswith(_END_PUNCT)


def split_passages(text: str) -> tuple[dict[str, str], list[PassageRecord]]:
    """Split ``text`` into passages.

    Args:
        text: plain text or Markdown, optionally with YAML front matter.
    Returns:
        ``(meta, passages)``: meta has ``title``, ``slug``, ``summary``, ``based_on`` when the
        front matter (or the first heading, for ``title``) gives them; passages are numbered
        from 1.
    Raises:
        GenerationInputError: malformed front matter.
    """
    if text.lstrip("\ufeff").startswith("---"):
        try:
            doc = parse_source(text.lstrip("\ufeff"))
        except SourceError as exc:
            where = f" (line {exc.line})" if exc.line else ""
            raise GenerationInputError(f"The front matter of the text cannot be read{where}: {exc}") from None
        meta = {"title": doc.title, "slug": doc.slug, "summary": doc.summary, "based_on": doc.based_on}
        return meta, doc.passages

    meta: dict[str, str] = {}
    passages: list[PassageRecord] = []
    heading = ""
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                passages.append(PassageRecord(len(passages) + 1, " ".join(paragraph), heading))
                paragraph.clear()

        for line in lines:
            dated = DATE_LINE.match(line) or _DATE_WORD.match(line)
            if line.startswith("#"):
                flush()
                heading = line.lstrip("#").strip()
                meta.setdefault("title", heading)
            elif dated:
                flush()
                rest = line[dated.end():].strip()
                if rest:
                    heading = rest
                    meta.setdefault("title", rest)
            elif len(lines) == 1 and is_title_line(line):
                heading = line
                meta.setdefault("title", line)
            else:
                paragraph.append(line)
        flush()
    return meta, passages
