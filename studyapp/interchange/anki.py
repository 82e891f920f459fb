"""Write items as an Anki package (``.apkg``) with genanki (no Flask, no database).

Only writing is supported: studyapp does not read ``.apkg`` files.

Notes
-----
Each item becomes one note in one deck named after the bank (``::`` in the title, which
Anki would read as a sub-deck, is written as ``:``).

* **Cloze** items use the model "studyapp cloze" (Anki's cloze kind). Its fields:

  ``Text``
      the stem with gap *i* written ``{{ci::first accepted answer}}`` (c1, c2, ... in stem
      order, so each gap is its own card);
  ``Also accepted``
      the other accepted answers, separated by ``; `` (when the stem has several gaps,
      one line per gap that has any: ``Gap 2: a; b``); shown on the back only, never as a
      cloze hint (a hint would give the answer away);
  ``Explanation``, ``Passage``, ``Source``
      as for basic notes below.

* **Other kinds** use the model "studyapp basic" (one card, front and back). Its fields:

  ``Question`` (front)
      the stem; for single choice and multiple response then the options, one a line,
      lettered ``A. text``, ``B. text``, ...; multiple response adds "(Choose all that
      apply.)", true/false adds "True or false?";
  ``Answer`` (back)
      single choice: the key as ``B. text``; multiple response: every key, one a line;
      true/false: ``True`` or ``False``; short answer: the first accepted answer, then
      ``Also accepted: a; b`` when there are more;
  ``Explanation`` (back)
      the item's explanation;
  ``Passage`` (back)
      ``Passage 3: text`` when the item cites passage 3 and :attr:`Deck.passages` has its
      text (only ``Passage 3`` when it has not), empty when the item cites none;
  ``Source`` (back, after "Source:")
      :attr:`Deck.source_title`, empty if none.

Text is HTML-escaped (``&``, ``<``, ``>``) and newlines become ``<br>``; in a cloze
``Text`` field the braces (and the colons of the answers) are written as character
references so that text such as ``{{c9::x}}`` in a stem is shown, not read as a cloze.
Tags: the bank slug and the item kind (e.g. ``harbin-symposium-2023 cloze``).

Ids (stable, so that importing a newer export updates the notes instead of adding copies)
--------------------------------------------------------------------------------------
* model ids are fixed: :data:`BASIC_MODEL_ID` and :data:`CLOZE_MODEL_ID` were computed once
  with :func:`stable_id` from ``"studyapp basic model"`` and ``"studyapp cloze model"`` and
  are written here as numbers (changing them would make Anki treat the models as new);
* the deck id is :func:`deck_id_for` of the bank slug (Anki's importer finds an existing
  deck by its name, though, and gives a new deck an id of its own: what ties re-imports to
  earlier notes is the guid);
* a note's guid is ``genanki.guid_for(bank slug, ext_id)``.

Modification times, and re-importing into Anki
----------------------------------------------
Anki matches incoming notes to existing ones by guid, so a re-import never adds copies.
Whether it *changes* an existing note depends on the notes' modification times (which
genanki takes from one ``timestamp`` for the whole package) and the option "Update notes"
of Anki's package import (``ImportAnkiPackageOptions.update_notes`` in the ``anki``
library): "If newer" (the default) updates a note when the incoming time is later than the
one in the collection, "Always" when it differs, "Never" not at all. Equal times therefore
never update, whatever the option. So :func:`write_apkg` stamps the package with the time of the export by
default: an export made after an earlier import updates its notes (and the two note types'
templates and CSS) with Anki's default options, and importing the same file twice changes
nothing. Anki keeps the cards' review history either way.

Given the same ``timestamp`` (e.g. :data:`FIXED_TIMESTAMP`), the package is byte-for-byte the
same for the same items and deck (the zip entries get a fixed date); only use a fixed time
where such a reproducible file matters more than updates (Anki would treat a changed export
with the same time as unchanged).
"""
from __future__ import annotations

import hashlib
import html
import io
import re
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import genanki

from .records import GAP, ItemRecord

BASIC_MODEL_ID = 1649888532
"""``stable_id("studyapp basic model")``; fixed, do not change."""
CLOZE_MODEL_ID = 1637385923
"""``stable_id("studyapp cloze model")``; fixed, do not change."""
FIXED_TIMESTAMP = 1_700_000_000.0
"""2023-11-14 22:13:20 UTC: a time to pass as ``timestamp`` for a reproducible package."""
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

CSS = """\
.card { font-family: sans-serif; font-size: 20px; line-height: 1.4; text-align: left;
        color: black; background-color: white; max-width: 40em; margin: 0 auto; }
.options { margin-top: .6em; }
.key { font-weight: bold; }
.cloze { font-weight: bold; color: #1a5fb4; }
.accepted, .explanation, .passage, .source { margin-top: .8em; }
.passage { font-size: 16px; color: #444; border-left: 3px solid #ccc; padding-left: .6em; }
.source { font-size: 14px; color: #666; }
"""

_BACK = (
    '{{#Explanation}}<div class="explanation">{{Explanation}}</div>{{/Explanation}}'
    '{{#Passage}}<div class="passage">{{Passage}}</div>{{/Passage}}'
    '{{#Source}}<div class="source">Source: {{Source}}</div>{{/Source}}'
)
BASIC_FIELDS = ["Question", "Answer", "Explanation", "Passage", "Source"]
CLOZE_FIELDS = ["Text", "Also accepted", "Explanation", "Passage", "Source"]
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


@dataclass(frozen=True)
class Deck:
    """What an export needs besides the items: bank slug and title, the source title, passage texts by number (1-based).

    Attributes:
        slug: the bank's slug (deck id, guids and a tag are made from it; no spaces).
        title: the bank's title, used as the deck name.
        source_title: the title of the document the items cite ("" if none).
        passages: passage number (1-based) -> passage text.
    """

    slug: str
    title: str
    source_title: str = ""
    passages: dict[int, str] = field(default_factory=dict)


def stable_id(text: str) -> int:
    """Return an id in genanki's range (``1 << 30`` to ``(1 << 31) - 1``) made from ``text``.

    Args:
        text: any string; the same string always gives the same id.
    Returns:
        The first 8 bytes of the SHA-256 of ``text`` (UTF-8), modulo ``1 << 30``, plus ``1 << 30``.
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def deck_id_for(slug: str) -> int:
    """Return the Anki deck id of the bank ``slug``: ``stable_id("studyapp deck " + slug)``."""
    return stable_id(f"studyapp deck {slug}")


def _models() -> tuple[genanki.Model, genanki.Model]:
    # Made per export: genanki fills in the field and template dicts when it writes.
    basic = genanki.Model(
        BASIC_MODEL_ID, "studyapp basic",
        fields=[{"name": n} for n in BASIC_FIELDS],
        templates=[{
            "name": "Card 1",
            "qfmt": '<div class="question">{{Question}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer"><div class="key">{{Answer}}</div>' + _BACK,
        }],
        css=CSS,
    )
    cloze = genanki.Model(
        CLOZE_MODEL_ID, "studyapp cloze",
        fields=[{"name": n} for n in CLOZE_FIELDS],
        templates=[{
            "name": "Cloze",
            "qfmt": "{{cloze:Text}}",
            "afmt": ("{{cloze:Text}}"
                     '{{#Also accepted}}<div class="accepted">Also accepted: {{Also accepted}}</div>'
                     "{{/Also accepted}}" + _BACK),
        }],
        css=CSS,
        model_type=genanki.Model.CLOZE,
    )
    return basic, cloze


def _html(text: str) -> str:
    """Escape ``text`` for an Anki field: ``&``, ``<``, ``>`` escaped, newlines as ``<br>``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(text, quote=False).replace("\n", "<br>")


def _accepted(answers: list[str]) -> list[str]:
    return [a.strip() for a in answers if a.strip()]


def _problem(item: ItemRecord) -> str | None:
    """Return why ``item`` cannot be exported, or None."""
    if not item.stem.strip():
        return "empty stem"
    if item.kind in {"single_choice", "multiple_response", "true_false"}:
        keys = sum(o.is_key for o in item.options)
        if not 2 <= len(item.options) <= len(LETTERS):
            return f"{len(item.options)} options"
        if any(not o.text.strip() for o in item.options):
            return "an empty option"
        if keys == 0 or (item.kind != "multiple_response" and keys != 1):
            return f"{keys} keys"
        return None
    if item.kind == "short_answer":
        return None if item.answers and _accepted(item.answers[0]) else "no accepted answer"
    if item.kind == "cloze":
        gaps = len(GAP.findall(item.stem))
        if gaps == 0:
            return "a cloze without a gap"
        if len(item.answers) != gaps or any(not _accepted(a) for a in item.answers):
            return "a gap without an accepted answer"
        return None
    return f"unknown kind {item.kind!r}"


def _passage(item: ItemRecord, deck: Deck) -> str:
    if item.passage is None:
        return ""
    text = deck.passages.get(item.passage, "")
    return _html(f"Passage {item.passage}: {text}" if text.strip() else f"Passage {item.passage}")


def _basic_fields(item: ItemRecord, deck: Deck) -> list[str]:
    question = _html(item.stem.strip())
    if item.kind in {"single_choice", "multiple_response"}:
        lines = [_html(f"{LETTERS[i]}. {o.text.strip()}") for i, o in enumerate(item.options)]
        if item.kind == "multiple_response":
            lines.append("(Choose all that apply.)")
        question += '<div class="options">' + "<br>".join(lines) + "</div>"
        answer = "<br>".join(_html(f"{LETTERS[i]}. {o.text.strip()}")
                             for i, o in enumerate(item.options) if o.is_key)
    elif item.kind == "true_false":
        question += '<div class="options">True or false?</div>'
        answer = _html(next(o.text.strip() for o in item.options if o.is_key))
    else:  # short_answer
        accepted = _accepted(item.answers[0])
        answer = _html(accepted[0])
        if len(accepted) > 1:
            answer += "<br>" + _html("Also accepted: " + "; ".join(accepted[1:]))
    return [question, answer, _html(item.explanation.strip()), _passage(item, deck), _html(deck.source_title)]


def _cloze_fields(item: ItemRecord, deck: Deck) -> list[str]:
    parts = GAP.split(item.stem.strip())
    answers = [_accepted(a) for a in item.answers]
    text = _html(parts[0]).translate(_BRACES)
    for number, (accepted, after) in enumerate(zip(answers, parts[1:]), start=1):
        first = _html(accepted[0]).translate(_BRACES).replace(":", "&#58;")
        text += f"{{{{c{number}::{first}}}}}" + _html(after).translate(_BRACES)
    others = [(number, accepted[1:]) for number, accepted in enumerate(answers, start=1) if accepted[1:]]
    if len(answers) == 1:
        also = _html("; ".join(others[0][1])) if others else ""
    else:
        also = "<br>".join(_html(f"Gap {number}: " + "; ".join(rest)) for number, rest in others)
    return [text, also, _html(item.explanation.strip()), _passage(item, deck), _html(deck.source_title)]


def write_apkg(items: list[ItemRecord], deck: Deck, *,
               timestamp: float | None = None) -> tuple[bytes, list[str]]:
    """Write ``items`` as an Anki package of one deck (see the module docstring for the notes).

    Args:
        items: the items, exported in this order.
        deck: the bank's slug and title, the source title and the passage texts.
        timestamp: seconds since the epoch written as the notes', cards' and note types'
            modification time; None (the default) means now. Anki updates notes it already
            has only from a package with a later time; the same items, deck and timestamp
            give the same bytes.
    Returns:
        ``(data, not_exported)``: the ``.apkg`` file's bytes (a zip holding
        ``collection.anki2`` and ``media``) and the ext_ids of the items that could not be
        exported (an unknown kind, an empty stem, a choice item without a key or with more
        than 26 options, a cloze without a gap or with a gap without an accepted answer,
        a short answer without an accepted answer, or an ext_id already exported), in item
        order. Every other item is one note.
    Raises:
        ValueError: ``deck.slug`` is empty or holds whitespace (it is an Anki tag), or
            ``deck.title`` is empty.
    """
    if not deck.slug or re.search(r"\s", deck.slug):
        raise ValueError(f"the bank slug {deck.slug!r} cannot be an Anki tag (empty or with whitespace)")
    if not deck.title.strip():
        raise ValueError("the deck needs a title")
    basic, cloze = _models()
    anki_deck = genanki.Deck(deck_id_for(deck.slug), deck.title.strip().replace("::", ":"))
    skipped: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item.ext_id in seen or _problem(item):
            skipped.append(item.ext_id)
            continue
        seen.add(item.ext_id)
        is_cloze = item.kind == "cloze"
        anki_deck.add_note(genanki.Note(
            model=cloze if is_cloze else basic,
            fields=_cloze_fields(item, deck) if is_cloze else _basic_fields(item, deck),
            tags=[deck.slug, item.kind],
            guid=genanki.guid_for(deck.slug, item.ext_id),
        ))
    with tempfile.TemporaryDirectory(prefix="studyapp-apkg-") as tmp:
        path = Path(tmp) / "deck.apkg"
        genanki.Package(anki_deck).write_to_file(str(path), timestamp=time.time() if timestamp is None else timestamp)
        return _fixed_dates(path.read_bytes()), skipped


def _fixed_dates(data: bytes) -> bytes:
    """Return the zip ``data`` rewritten with a fixed date on every entry (and compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info))
    return out.getvalue()
