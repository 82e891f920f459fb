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

from .aiken import _representable as aiken_representable, parse_aiken, write_aiken
from .anki import Deck, _problem as anki_problem, write_apkg
from .bankfile import BankFileError, bank_json, bank_yaml, item_mapping, item_problems, read_bank_text
from .csvfile import delimiter as csv_delimiter, parse_csv, write_csv
from .errors import InterchangeError
from .gift import GiftError, parse_gift, unrepresentable as gift_unrepresentable, write_gift
from .moodlexml import parse_moodle_xml, unrepresentable as xml_unrepresentable, write_moodle_xml
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
        lines: ext_id -> the line the item starts on, where the format tells.
    """

    items: list[ItemRecord]
    not_supported: list[str] = field(default_factory=list)
    document: DocumentRecord | None = None
    title: str = ""
    description: str = ""
    notes: list[str] = field(default_factory=list)
    carries: frozenset[str] = CARRIED
    lines: dict[str, int] = field(default_factory=dict)


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
        loses: what the format does not carry, in a sentence for the export page ("" if nothing).
        skips: ``(item) -> True`` if ``write`` leaves the item out; lets the export page list them
            without writing every format (None: nothing is left out).
    """

    name: str
    label: str
    extensions: tuple[str, ...]
    media_type: str
    read: Callable[[bytes, str], Parsed] | None
    write: Callable[[BankRecord], tuple[bytes, list[str]]]
    loses: str = ""
    skips: Callable[[ItemRecord], bool] | None = None

    @property
    def extension(self) -> str:
        """The extension of exported files."""
        return self.extensions[0]


def _decode(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InterchangeError(source, line, f"the file is not UTF-8 text (byte {exc.start})") from None
    _no_nul(text, source)
    return text


def _no_nul(text: str, source: str) -> None:
    at = text.find("\x00")
    if at >= 0:
        raise InterchangeError(source, text.count("\n", 0, at) + 1,
                               "the file holds a NUL character (\\0), which text may not contain: "
                               "is it really a text file?")


MAX_LISTED = 10
"""At most this many problems are spelled out in one error (the rest are counted)."""


def checked(parsed: Parsed, source: str, fmt: "Format") -> Parsed:
    """Check what a reader returned by the rules every item obeys, whatever its format.

    Args:
        parsed: a reader's result.
        source: the file name, for messages.
        fmt: the file's format (named when nothing is found).
    Returns:
        ``parsed`` itself.
    Raises:
        InterchangeError: the file holds no item studyapp can import; an item breaks the rules
            (two options with the same text, no key, a cloze whose gaps and answers disagree,
            a NUL character ...): every problem is listed (up to :data:`MAX_LISTED`) with its
            line and item id.
    """
    if not parsed.items:
        if parsed.not_supported:
            raise InterchangeError(source, None, f"none of the file's {len(parsed.not_supported)} question(s) is of "
                                                 "a kind studyapp supports: " + "; ".join(parsed.not_supported[:3]))
        raise InterchangeError(source, None, f"no questions found: is it really a {fmt.label} file?")
    problems: list[tuple[int | None, str]] = []
    for item in parsed.items:
        line = parsed.lines.get(item.ext_id)
        texts = [item.stem, item.explanation, *(o.text for o in item.options), *(o.feedback for o in item.options),
                 *(a for gap in item.answers for a in gap)]
        if any("\x00" in t for t in texts):
            problems.append((line, f"item {item.ext_id}: a NUL character (\\0) in its text"))
            continue
        for reason in item_problems(item_mapping(item), lenient=True):
            problems.append((line, f"item {item.ext_id}: {reason}"))
    if problems:
        first_line, first = problems[0]
        rest = [f"line {line}: {reason}" if line else reason for line, reason in problems[1:MAX_LISTED]]
        more = len(problems) - MAX_LISTED
        raise InterchangeError(source, first_line, first + "".join(f"; {r}" for r in rest)
                               + (f"; and {more} more problem(s)" if more > 0 else ""))
    return parsed


def _categories_note(categories) -> list[str]:
    names = sorted({c for c in categories if c})
    if not names:
        return []
    return [f"the file's categories ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}) are not kept: "
            "every item goes into the bank you import into"]


def _read_gift(data: bytes, source: str) -> Parsed:
    try:
        result = parse_gift(_decode(data, source), source)
    except GiftError as exc:
        raise InterchangeError(source, exc.line or 0, exc.reason) from None
    notes = [f"line {line}: {remark}" for line, remark in result.notes]
    notes += [f"line {line}: {ext_id}: {reason}" for line, ext_id, reason in result.problems]
    notes += _categories_note(result.categories.values())
    return Parsed(result.items, [f"line {line}: {kind}" + (f" ({title})" if title else "")
                                 for line, kind, title in result.unsupported], notes=notes,
                  carries=frozenset({"ext_id", "explanation", "feedback"}), lines=dict(result.lines))


def _published(write):
    """Wrap a writer of a format that has no status: it writes the published items only (drafts
    and retired items would come back published) and lists the others as skipped."""
    def wrapped(bank: BankRecord) -> tuple[bytes, list[str]]:
        kept = [i for i in bank.items if i.status == "published"]
        data, skipped = write(BankRecord(bank.slug, bank.title, bank.description, bank.document, kept))
        left = {i.ext_id for i in bank.items if i.status != "published"} | set(skipped)
        return data, [i.ext_id for i in bank.items if i.ext_id in left]
    return wrapped


def _write_gift(bank: BankRecord) -> tuple[bytes, list[str]]:
    skipped: list = []
    text = write_gift(bank.items, skipped=skipped)
    return text.encode("utf-8"), [item.ext_id for item, _reason in skipped]


def _read_aiken(data: bytes, source: str) -> Parsed:
    return Parsed(parse_aiken(_decode(data, source), source), carries=frozenset())


def _read_csv(data: bytes, source: str) -> Parsed:
    _no_nul(data.decode("utf-8", "replace"), source)
    items = parse_csv(data, source)
    text = data.decode("utf-8-sig")  # parse_csv has checked it decodes
    header = next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)), [])
    return Parsed(items, carries=CARRIED & {h.strip().lower() for h in header})


def _write_aiken(bank: BankRecord) -> tuple[bytes, list[str]]:
    text, skipped = write_aiken(bank.items)
    return text.encode("utf-8"), skipped


def _read_xml(data: bytes, source: str) -> Parsed:
    _no_nul(data.decode("utf-8", "replace"), source)
    result = parse_moodle_xml(data, source)
    notes = [f"line {line}: {remark}" for line, remark in result.notes]
    notes += [f"line {line}: {ext_id}: {reason}" for line, ext_id, reason in result.problems]
    notes += _categories_note(result.categories.values())
    return Parsed(result.items, not_supported=list(result.unsupported), notes=notes,
                  carries=frozenset({"ext_id", "explanation", "feedback"}), lines=dict(result.lines))


def _write_apkg(bank: BankRecord) -> tuple[bytes, list[str]]:
    doc = bank.document
    deck = Deck(slug=bank.slug, title=bank.title, source_title=doc.title if doc else "",
                passages={p.number: p.text for p in doc.passages} if doc else {})
    return write_apkg(bank.items, deck)


def _read_bank(as_json: bool):
    def read(data: bytes, source: str, base_dir: Path | None = None) -> Parsed:
        try:
            record = read_bank_text(_decode(data, source), source, as_json=as_json, lenient=True,
                                    base_dir=base_dir)
        except BankFileError as exc:
            def one(problem):
                _name, line, item_id, reason = problem
                return line, (f"item {item_id}: " if item_id else "") + reason
            listed = [one(p) for p in exc.problems]
            first_line, first = listed[0]
            rest = [f"line {line}: {r}" if line else r for line, r in listed[1:MAX_LISTED]]
            more = len(listed) - MAX_LISTED
            raise InterchangeError(source, first_line, first + "".join(f"; {r}" for r in rest)
                                   + (f"; and {more} more problem(s)" if more > 0 else "")) from None
        return Parsed(record.items, document=record.document, title=record.title,
                      description=record.description)
    return read


FORMATS: dict[str, Format] = {
    "gift": Format("gift", "Moodle GIFT", (".gift",), "text/plain; charset=utf-8", _read_gift,
                   _published(_write_gift), "passages, status and origin (only published items are written), "
                   "clozes with several gaps", lambda i: i.status != "published" or bool(gift_unrepresentable(i))),
    "xml": Format("xml", "Moodle XML", (".xml",), "application/xml", _read_xml,
                  lambda bank: write_moodle_xml(bank.items), "passages and origin; drafts and retired items "
                  "are written hidden (they come back as drafts); clozes with several gaps",
                  lambda i: bool(xml_unrepresentable(i))),
    "aiken": Format("aiken", "Aiken", (".txt", ".aiken"), "text/plain; charset=utf-8", _read_aiken,
                    _published(_write_aiken), "ids, explanations, feedback, passages, status (only published "
                    "items are written); only single choice and true/false",
                    lambda i: i.status != "published" or not aiken_representable(i)),
    "csv": Format("csv", "CSV", (".csv",), "text/csv; charset=utf-8", _read_csv,
                  lambda bank: (write_csv(bank.items), []), "per-option feedback"),
    "json": Format("json", "studyapp JSON", (".json",), "application/json",
                   _read_bank(True), lambda bank: (bank_json(bank).encode("utf-8"), [])),
    "yaml": Format("yaml", "studyapp YAML", (".yaml", ".yml"), "application/yaml; charset=utf-8",
                   _read_bank(False), lambda bank: (bank_yaml(bank).encode("utf-8"), [])),
    "apkg": Format("apkg", "Anki package", (".apkg",), "application/octet-stream", None,
                   _published(_write_apkg), "per-option feedback, status (only published items are written); "
                   "export only", lambda i: i.status != "published" or bool(anki_problem(i))),
}


def left_out(fmt: Format, bank: BankRecord) -> list[str]:
    """The ext_ids of the bank's items that ``fmt.write`` leaves out, without writing the file."""
    return [i.ext_id for i in bank.items if fmt.skips is not None and fmt.skips(i)]


def readable() -> list[Format]:
    """The formats that can be imported, by name."""
    return [f for f in FORMATS.values() if f.read is not None]


def read_file(fmt: "Format", data: bytes, source: str, base_dir: Path | None = None) -> Parsed:
    """Read a file in ``fmt`` and check it (:func:`checked`).

    Args:
        fmt: the format; it must be readable.
        data: the file's bytes.
        source: its name, for messages.
        base_dir: for studyapp's own bank files: the directory their ``source`` is relative to
            (the CLI gives the file's directory; an upload has none).
    Returns:
        What the file holds.
    Raises:
        InterchangeError: the format cannot be imported, or the file has a problem (file, line,
            reason); nothing is returned then.
    """
    if fmt.read is None:
        raise InterchangeError(source, None, f"{fmt.label} files can be exported, not imported")
    parsed = fmt.read(data, source, base_dir) if fmt.name in ("json", "yaml") else fmt.read(data, source)
    return checked(parsed, source, fmt)


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
    raise InterchangeError(path, None, f"cannot tell the format from {ext or 'no extension'!r}: choose one of "
                                       f"{', '.join(f.name for f in readable())}")
