r"""Read and write items as CSV (one item a row), e.g. for a spreadsheet.

Format
======

The first row is a header naming the columns, in any order::

    id,kind,stem,options,keys,answers,explanation,passage,status,origin

``id``, ``kind`` and ``stem`` are required; the others may be left out of the
header (``status`` defaults to ``published``, ``origin`` to ``imported``).
Every later row is an item; rows whose cells are all empty are ignored.

* ``id``: the item's id: lower-case letters, digits, ``.``, ``_``, ``-`` (at most
  64), unique in the file.
* ``kind``: ``single_choice``, ``multiple_response``, ``true_false``,
  ``short_answer`` or ``cloze``.
* ``stem``: the question (cloze: with ``___`` for each gap). May span lines (quoted).
* ``options`` (choice kinds): the options separated by ``|`` (written `` | ``;
  spaces around each option are ignored). A ``|`` inside an option is written
  ``\|`` and a backslash ``\\``; any other backslash is kept as it is.
  ``true_false`` items leave it empty (or write ``True | False``).
* ``keys``: choice kinds: the numbers (1-based) of the keyed options, separated by
  commas, semicolons or spaces (``2`` or ``1, 3``). ``true_false``: ``true`` or
  ``false`` (``1``/``2`` also work: option 1 is True).
* ``answers`` (text kinds): the accepted answers separated by ``|``, escaped as
  in ``options``; a ``cloze`` item separates its gaps by ``||`` (written `` || ``),
  gap 1 first: ``Harbin | Ha'erbin || Heilongjiang``.
* ``explanation``: free text, may be empty.
* ``passage``: the number of the cited passage, or empty.
* ``status``: ``draft``, ``published`` or ``retired``; ``origin``: ``generated``,
  ``edited``, ``authored`` or ``imported``.

The file is UTF-8, with or without a byte order mark; the delimiter is a comma or a
semicolon (the one the header row uses); quoting follows RFC 4180 (Python's ``csv``
module); LF or CRLF line ends. :func:`write_csv` writes UTF-8 with a byte order mark
(so spreadsheet programs detect UTF-8), commas, CRLF, and every column; reading it
back gives the same items.

A file with any error yields nothing: :class:`InterchangeError` names the row (the
header is row 1, as in a spreadsheet), the column and the reason.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by a spreadsheet program (OWASP's "CSV injection"): :func:`write_csv` writes
it with a leading ``'`` (which spreadsheets show as text), and :func:`parse_csv` removes a
``'`` before such a character, so the round trip stays exact.
"""
from __future__ import annotations

import csv
import io
import re

from .errors import InterchangeError
from .records import GAP, ItemRecord, OptionRecord

COLUMNS = ["id", "kind", "stem", "options", "keys", "answers", "explanation", "passage", "status", "origin"]
REQUIRED = {"id", "kind", "stem"}
KINDS = ("single_choice", "multiple_response", "true_false", "short_answer", "cloze")
CHOICE = {"single_choice", "multiple_response", "true_false"}
STATUSES = ("draft", "published", "retired")
ORIGINS = ("generated", "edited", "authored", "imported")
ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _join(parts: list[str]) -> str:
    return " | ".join(_escape(p) for p in parts)


def _split(cell: str) -> list[list[str]]:
    """Split a cell into groups (by ``||``) of parts (by ``|``), unescaping ``\\|`` and ``\\\\``."""
    groups: list[list[str]] = [[]]
    part: list[str] = []
    i = 0
    while i < len(cell):
        c = cell[i]
        if c == "\\" and i + 1 < len(cell) and cell[i + 1] in "\\|":
            part.append(cell[i + 1])
            i += 2
            continue
        if c == "|":
            groups[-1].append("".join(part).strip())
            part = []
            if cell[i + 1:i + 2] == "|":
                groups.append([])
                i += 1
            i += 1
            continue
        part.append(c)
        i += 1
    groups[-1].append("".join(part).strip())
    return groups


def delimiter(text: str) -> str:
    """Return the delimiter of a CSV text: ``;`` if its first line has more semicolons than commas, else ``,``."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_csv(data: bytes, source: str = "<csv>") -> list[ItemRecord]:
    """Parse a CSV file of items (format in this module's docstring).

    Args:
        data: the file's bytes.
        source: the name used in error messages.
    Returns:
        The items, in file order.
    Raises:
        InterchangeError: the first problem (row, column, reason); nothing is returned.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InterchangeError(source, line, "the file is not UTF-8 text") from None
    if not text.strip():
        raise InterchangeError(source, 1, "the file is empty: it needs a header row")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InterchangeError(source, reader.line_num, f"not valid CSV: {exc}") from None
    header = [h.strip().lower() for h in rows[0]]
    for name in header:
        if name not in COLUMNS:
            raise InterchangeError(source, 1, f"unknown column {name!r} (columns: {', '.join(COLUMNS)})", name)
        if header.count(name) > 1:
            raise InterchangeError(source, 1, f"column {name!r} appears twice", name)
    missing = [c for c in COLUMNS if c in REQUIRED and c not in header]
    if missing:
        raise InterchangeError(source, 1, f"the header lacks the column(s) {', '.join(missing)}")
    items: list[ItemRecord] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InterchangeError(source, number, f"the row has {len(row)} cells but the header has {len(header)}")
        cells = {name: _unguard(row[i].replace("\r\n", "\n").replace("\r", "\n")) if i < len(row) else ""
                 for i, name in enumerate(header)}
        item = _item(cells, source, number)
        if item.ext_id in seen:
            raise InterchangeError(source, number, f"column 'id': {item.ext_id!r} is also the id of row "
                                                   f"{seen[item.ext_id]}", "id")
        seen[item.ext_id] = number
        items.append(item)
    return items


def _item(cells: dict[str, str], source: str, row: int) -> ItemRecord:
    def fail(column: str, reason: str) -> InterchangeError:
        return InterchangeError(source, row, f"column '{column}': {reason}", column)

    get = lambda name: cells.get(name, "").strip()  # noqa: E731
    ext_id = get("id")
    if not ext_id:
        raise fail("id", "the id is missing")
    if not ID.match(ext_id):
        raise fail("id", f"{ext_id!r} is not allowed: use lower-case letters, digits, '.', '_' and '-' (at most 64)")
    kind = get("kind").lower()
    if kind not in KINDS:
        raise fail("kind", f"unknown kind {get('kind')!r} (kinds: {', '.join(KINDS)})")
    stem = get("stem")
    if not stem:
        raise fail("stem", "the stem is missing")
    status = get("status").lower() or "published"
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r} (statuses: {', '.join(STATUSES)})")
    origin = get("origin").lower() or "imported"
    if origin not in ORIGINS:
        raise fail("origin", f"unknown origin {origin!r} (origins: {', '.join(ORIGINS)})")
    passage = None
    if get("passage"):
        if not get("passage").isdigit() or int(get("passage")) < 1:
            raise fail("passage", f"{get('passage')!r} is not a passage number (1, 2, ...)")
        passage = int(get("passage"))
    options: list[OptionRecord] = []
    answers: list[list[str]] = []
    if kind in CHOICE:
        if get("answers"):
            raise fail("answers", f"a {kind} item takes no answers (its options and keys say it)")
        options, keys = _choice(kind, get("options"), get("keys"), fail)
        options = [OptionRecord(t, i in keys) for i, t in enumerate(options, start=1)]
    else:
        if get("options"):
            raise fail("options", f"a {kind} item takes no options")
        if get("keys"):
            raise fail("keys", f"a {kind} item takes no keys (its answers say it)")
        if not get("answers"):
            raise fail("answers", f"a {kind} item needs its accepted answers")
        groups = _split(get("answers"))
        if kind == "short_answer" and len(groups) > 1:
            raise fail("answers", "a short_answer item has one gap: separate its answers by '|', not '||'")
        for number, group in enumerate(groups, start=1):
            if any(not a for a in group):
                where = f" of gap {number}" if kind == "cloze" else ""
                raise fail("answers", f"an empty accepted answer{where} (two '|' with nothing between?)")
        if kind == "cloze":
            blanks = len(GAP.findall(stem))
            if blanks == 0:
                raise fail("stem", "a cloze stem needs a gap written ___")
            if blanks != len(groups):
                raise fail("answers", f"the stem has {blanks} gap(s) but the answers give {len(groups)} "
                                      "(separate gaps by '||')")
        answers = groups
    return ItemRecord(ext_id=ext_id, kind=kind, stem=stem, explanation=get("explanation"), options=options,
                      answers=answers, passage=passage, status=status, origin=origin)


def _choice(kind: str, options_cell: str, keys_cell: str, fail) -> tuple[list[str], set[int]]:
    if kind == "true_false":
        options = ["True", "False"]
        if options_cell:
            given = _split(options_cell)
            if len(given) > 1 or [t.casefold() for t in given[0]] != ["true", "false"]:
                raise fail("options", "a true_false item's options are empty or 'True | False'")
        word = keys_cell.lower()
        if word in {"true", "false"}:
            return options, {1 if word == "true" else 2}
    else:
        if not options_cell:
            raise fail("options", f"a {kind} item needs options")
        groups = _split(options_cell)
        if len(groups) > 1:
            raise fail("options", "'||' between options: separate options by one '|' (write \\| for a '|')")
        options = groups[0]
        if any(not t for t in options):
            raise fail("options", "an empty option (two '|' with nothing between?)")
        folded = [t.casefold() for t in options]
        if len(set(folded)) != len(folded):
            raise fail("options", "two options have the same text")
        least = 2 if kind == "single_choice" else 3
        if len(options) < least:
            raise fail("options", f"a {kind} item needs at least {least} options (it has {len(options)})")
    if not keys_cell:
        raise fail("keys", "no key: give the number of the keyed option"
                   + ("" if kind != "true_false" else " or true/false"))
    keys: set[int] = set()
    for token in re.split(r"[\s,;]+", keys_cell):
        if not token:
            continue
        if not token.isdigit():
            raise fail("keys", f"{token!r} is not an option number (1 is the first option)")
        number = int(token)
        if not 1 <= number <= len(options):
            raise fail("keys", f"key {number} is out of range (the item has {len(options)} options)")
        keys.add(number)
    if kind != "multiple_response" and len(keys) != 1:
        raise fail("keys", f"a {kind} item has exactly one key (given: {len(keys)})")
    return options, keys


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cells starting with one of these are formulas to a spreadsheet program (OWASP "CSV injection")."""


def _guard(cell: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'`` (shown as text)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _unguard(cell: str) -> str:
    """Undo :func:`_guard`: ``'=x`` reads as ``=x`` (a ``'`` before anything else is kept)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def write_csv(items: list[ItemRecord]) -> bytes:
    """Write items as CSV (UTF-8 with a byte order mark, commas, CRLF, every column).

    Args:
        items: items of any kind.
    Returns:
        The file's bytes; :func:`parse_csv` reads them back to the same items.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in items:
        options = keys = answers = ""
        if item.kind == "true_false":
            key = next((o for o in item.options if o.is_key), None)
            keys = "true" if key is not None and key.text == "True" else "false"
        elif item.kind in CHOICE:
            options = _join([o.text for o in item.options])
            keys = ", ".join(str(i) for i, o in enumerate(item.options, start=1) if o.is_key)
        else:
            answers = " || ".join(_join(gap) for gap in item.answers)
        writer.writerow([_guard(c) for c in (item.ext_id, item.kind, item.stem, options, keys, answers,
                                             item.explanation)]
                        + ["" if item.passage is None else item.passage, item.status, item.origin])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
