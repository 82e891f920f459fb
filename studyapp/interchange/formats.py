"""The interchange formats by name: how to read a file into item records and write records back.

=========  ==========  =====================================================================
name       extension   module
=========  ==========  =====================================================================
csv        .csv        :mod:`.csvfile` (every kind)
gift       .gift       :mod:`.gift` (every kind; a cloze with one gap; matching, numerical,
                       essay and description are counted and listed, not imported)
aiken      .txt        :mod:`.aiken` (single choice and true/false)
=========  ==========  =====================================================================

Reading is all-or-nothing: a problem raises :class:`.errors.InterchangeError` with the file,
the line and the reason, and nothing is returned. Writing returns the bytes and the ids of the
items the format cannot carry (listed, never silently dropped).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .aiken import parse_aiken, write_aiken
from .csvfile import parse_csv, write_csv
from .gift import GiftError, parse_gift, write_gift
from .errors import InterchangeError
from .records import ItemRecord


@dataclass(frozen=True)
class Format:
    """A file format: ``read(data: bytes, source: str) -> (items, not imported)`` where "not
    imported" lists, one line each, the questions of kinds studyapp does not support yet; and
    ``write(items) -> (bytes, skipped ext_ids)``."""

    name: str
    extension: str
    read: Callable[[bytes, str], tuple[list[ItemRecord], list[str]]]
    write: Callable[[list[ItemRecord]], tuple[bytes, list[str]]]


def _read_text(parse):
    def read(data: bytes, source: str) -> tuple[list[ItemRecord], list[str]]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InterchangeError(source, 1, f"the file is not UTF-8 text (byte {exc.start})") from None
        out = parse(text, source)
        return out if isinstance(out, tuple) else (out, [])
    return read


def _write_aiken(items: list[ItemRecord]) -> tuple[bytes, list[str]]:
    text, skipped = write_aiken(items)
    return text.encode("utf-8"), skipped


def _read_gift(text: str, source: str) -> tuple[list[ItemRecord], list[str]]:
    try:
        result = parse_gift(text, source)
    except GiftError as exc:
        raise InterchangeError(source, exc.line or 0, exc.reason) from None
    return result.items, [f"line {line}: {kind}" + (f" ({title})" if title else "")
                          for line, kind, title in result.unsupported]


def _write_gift(items: list[ItemRecord]) -> tuple[bytes, list[str]]:
    skipped: list = []
    text = write_gift(items, skipped=skipped)
    return text.encode("utf-8"), [item.ext_id for item, _reason in skipped]


FORMATS: dict[str, Format] = {
    "gift": Format("gift", ".gift", _read_text(_read_gift), _write_gift),
    "csv": Format("csv", ".csv", lambda data, source: (parse_csv(data, source), []),
                  lambda items: (write_csv(items), [])),
    "aiken": Format("aiken", ".txt", _read_text(parse_aiken), _write_aiken),
}


def format_for(path: str, name: str | None = None) -> Format:
    """Return the format called ``name``, or the one whose extension ``path`` has.

    Raises:
        InterchangeError: an unknown format name or extension.
    """
    if name:
        if name not in FORMATS:
            raise InterchangeError(path, 0, f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
        return FORMATS[name]
    ext = Path(path).suffix.lower()
    for fmt in FORMATS.values():
        if fmt.extension == ext:
            return fmt
    raise InterchangeError(path, 0, f"cannot tell the format from {ext or 'no extension'!r}: give --format "
                                    f"({', '.join(sorted(FORMATS))})")
