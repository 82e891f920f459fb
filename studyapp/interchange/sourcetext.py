"""Parse a study text (Markdown with YAML front matter) into a :class:`DocumentRecord`.

Format::

    ---
    slug: harbin-symposium-2023
    title: ...
    summary: ...
    based_on: ...
    ---

    ## Section heading

    One paragraph is one passage; passages are numbered 1, 2, 3 ... in order.

Lines starting with ``#`` are section headings, not passages.
"""
from __future__ import annotations

import re

import yaml

from .records import DocumentRecord, PassageRecord

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class SourceError(ValueError):
    """A study text that cannot be read.

    Attributes:
        line: 1-based line number of the problem, or None.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def parse_source(text: str) -> DocumentRecord:
    """Parse a study text.

    Args:
        text: the file's content.
    Returns:
        The document with its passages numbered from 1.
    Raises:
        SourceError: missing or bad front matter, a bad slug, or no passage.
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise SourceError("the study text must start with YAML front matter between '---' lines", 1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SourceError("the front matter is not closed by a '---' line", 1) from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(f"front matter is not valid YAML: {exc}", mark.line + 2 if mark else 1) from None
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a mapping", 2)
    for key in ("slug", "title"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise SourceError(f"front matter needs a non-empty '{key}'", 2)
    if not SLUG.match(meta["slug"]):
        raise SourceError("slug must be lower-case letters, digits and '-'", 2)

    passages: list[PassageRecord] = []
    heading = ""
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            passages.append(PassageRecord(len(passages) + 1, " ".join(paragraph), heading))
            paragraph.clear()

    for line in lines[end + 1:]:
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            heading = stripped.lstrip("#").strip()
        else:
            paragraph.append(stripped)
    flush()
    if not passages:
        raise SourceError("the study text has no passage", end + 2)
    return DocumentRecord(
        slug=meta["slug"], title=meta["title"].strip(), summary=str(meta.get("summary", "")).strip(),
        based_on=str(meta.get("based_on", "")).strip(), passages=passages,
    )
