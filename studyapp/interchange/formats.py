"""The interchange formats by name: how to read a file into item records and write a bank back.

=========  ===========  ====================================================================
name       extension    module
=========  ===========  ====================================================================
gift       .gift        :mod:`.gift` (every kind; a cloze with one gap; matching, numerical,
                        essay and description are counted and listed, not imported)
aiken      .txt         :mod:`.aiken` (single choice and true/false)
csv        .csv         :mod:`.csvfile` (every kind, passages by number)
xml        .xml         :mod:`.moodlexml` (Moodle XML: every kind, a cloze with one gap; other
                        Moodle types counted and listed; parsed with defusedxml)
json       .json        :mod:`.bankfile` (studyapp's own format: every kind, passages, the study
                        text carried in ``document``)
yaml       .yaml .yml   :mod:`.bankfile` (the same format as YAML)
apkg       .apkg        :mod:`.anki` (export only: an Anki package, cloze and basic notes)
=========  ===========  ====================================================================

Reading is all-or-nothing: a problem raises :class:`.errors.InterchangeError` with the file,
the line and the reason, and nothing is returned. Writing returns the bytes and the ids of the
items the format cannot carry (listed, never silently dropped).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .aiken import parse_aiken, write_aiken
from .anki import Deck, write_apkg
from .bankfile import BankFileError, bank_json, bank_yaml, read_bank_text
from .csvfile import delimiter as csv_delimiter, parse_csv, write_csv
from .errors import InterchangeError
from .gift import GiftError, parse_gift, write_gift
from .moodlexml import parse_moodle_xml, write_moodle_xml
from .records import CARRIED, BankRecord, DocumentRecord, ItemRecord


@dataclass
class Parsed:
    """What a file holds.

    Attributes:
        items: the items studyapp can import, in file order.
        not_supported: one readable line per question of a kind studyapp does not support yet
            (they are not imported).
        document: the study text the file carries (own JSON/YAML format only), or None.
        title, description: the bank's, when the file gives them ("" otherwise).
        notes: remarks on what was read but not kept, one line each.
        carries: which of the fields ``ext_id``, ``explanation``, ``passage``, ``status``,
            ``origin`` and ``feedback`` (the options') the file gives (every file gives kind, stem, options, keys and accepted
            answers). On import, an item already in the bank keeps its own values of the others,
            so that an export imported back changes nothing; a file without ids (Aiken) finds
            the bank's items by stem and options.
    """

    items: list[ItemRecord]
    not_supported: list[str] = field(default_factory=list)
    document: DocumentRecord | None = None
    title: str = ""
    description: str = ""
    notes: list[str] = field(default_factory=list)
    carries: frozenset[str] = CARRIED


@dataclass(frozen=True)
class Format:
    """A file format.

    Attributes:
        name: as given to ``--format`` (``gift``, ``csv`` ...).
        label: a human name (``Moodle GIFT``).
        extensions: file name endings, the first used for exports (``(".gift",)``).
        media_type: the Content-Type of an export.
        read: ``(data: bytes, source: str) -> Parsed``, raising InterchangeError; None for an
            export-only format (Anki).
        write: ``(bank: BankRecord) -> (bytes, skipped ext_ids)``.
    """

    name: str
    label: str
    extensions: tuple[str, ...]
    media_type: str
    read: Callable[[bytes, str], Parsed] | None
    write: Callable[[BankRecord], tuple[bytes, list[str]]]

    @property
    def extension(self) -> str:
        """The extension of exported files."""
        return self.extensions[0]


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(source, 1, f"the file is not UTF-8 text (byte {exc.start})") from None


def _read_gift(data: bytes, source: str) -> Parsed:
    try:
        result = parse_gift(_decode(data, source), source)
    except GiftError as exc:
        raise InterchangeError(source, exc.line or 0, exc.reason) from None
    notes = [f"line {line}: {remark}" for line, remark in result.notes]
    notes += [f"line {line}: {ext_id}: {reason}" for line, ext_id, reason in result.problems]
    return Parsed(result.items, [f"line {line}: {kind}" + (f" ({title})" if title else "")
                                 for line, kind, title in result.unsupported], notes=notes,
                  carries=frozenset({"ext_id", "explanation", "feedback"}))


def _write_gift(bank: BankRecord) -> tuple[bytes, list[str]]:
    skipped: list = []
    text = write_gift(bank.items, skipped=skipped)
    return text.encode("utf-8"), [item.ext_id for item, _reason in skipped]


def _read_aiken(data: bytes, source: str) -> Parsed:
    return Parsed(parse_aiken(_decode(data, source), source), carries=frozenset())


def _read_csv(data: bytes, source: str) -> Parsed:
    items = parse_csv(data, source)
    text = data.decode("utf-8-sig")  # parse_csv has checked it decodes
    header = next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)), [])
    return Parsed(items, carries=CARRIED & {h.strip().lower() for h in header})


def _write_aiken(bank: BankRecord) -> tuple[bytes, list[str]]:
    text, skipped = write_aiken(bank.items)
    return text.encode("utf-8"), skipped


def _read_xml(data: bytes, source: str) -> Parsed:
    result = parse_moodle_xml(data, source)
    notes = [f"line {line}: {remark}" for line, remark in result.notes]
    notes += [f"line {line}: {ext_id}: {reason}" for line, ext_id, reason in result.problems]
    return Parsed(result.items, not_supported=list(result.unsupported), notes=notes,
                  carries=frozenset({"ext_id", "explanation", "feedback"}))


def _write_apkg(bank: BankRecord) -> tuple[bytes, list[str]]:
    doc = bank.document
    deck = Deck(slug=bank.slug, title=bank.title, source_title=doc.title if doc else "",
                passages={p.number: p.text for p in doc.passages} if doc else {})
    return write_apkg(bank.items, deck)


def _read_bank(as_json: bool):
    def read(data: bytes, source: str) -> Parsed:
        try:
            record = read_bank_text(_decode(data, source), source, as_json=as_json, lenient=True)
        except BankFileError as exc:
            _name, line, item_id, reason = exc.problems[0]
            more = f" (and {len(exc.problems) - 1} more problem(s))" if len(exc.problems) > 1 else ""
            raise InterchangeError(source, line, (f"item {item_id}: " if item_id else "") + reason + more) from None
        return Parsed(record.items, document=record.document, title=record.title,
                      description=record.description)
    return read


FORMATS: dict[str, Format] = {
    "gift": Format("gift", "Moodle GIFT", (".gift",), "text/plain; charset=utf-8", _read_gift, _write_gift),
    "aiken": Format("aiken", "Aiken", (".txt",), "text/plain; charset=utf-8", _read_aiken, _write_aiken),
    "xml": Format("xml", "Moodle XML", (".xml",), "application/xml", _read_xml,
                  lambda bank: write_moodle_xml(bank.items)),
    "csv": Format("csv", "CSV", (".csv",), "text/csv; charset=utf-8",
                  _read_csv, lambda bank: (write_csv(bank.items), [])),
    "json": Format("json", "studyapp JSON", (".json",), "application/json",
                   _read_bank(True), lambda bank: (bank_json(bank).encode("utf-8"), [])),
    "yaml": Format("yaml", "studyapp YAML", (".yaml", ".yml"), "application/yaml; charset=utf-8",
                   _read_bank(False), lambda bank: (bank_yaml(bank).encode("utf-8"), [])),
    "apkg": Format("apkg", "Anki package", (".apkg",), "application/octet-stream", None, _write_apkg),
}


def readable() -> list[Format]:
    """The formats that can be imported, by name."""
    return [f for f in FORMATS.values() if f.read is not None]


def format_for(path: str, name: str | None = None) -> Format:
    """Return the format called ``name``, or the one whose extension ``path`` has.

    Args:
        path: a file name (only its extension is used).
        name: a key of :data:`FORMATS`, or None to go by the extension.
    Raises:
        InterchangeError: an unknown format name or extension.
    """
    if name:
        if name not in FORMATS:
            raise InterchangeError(path, None, f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
        return FORMATS[name]
    ext = Path(path).suffix.lower()
    for fmt in FORMATS.values():
        if ext in fmt.extensions:
            return fmt
    raise InterchangeError(path, None, f"cannot tell the format from {ext or 'no extension'!r}: give the format "
                                       f"({', '.join(sorted(FORMATS))})")
