"""Read and write Moodle's GIFT format (no Flask, no database).

The format is documented at https://docs.moodle.org/en/GIFT_format. This module
follows that page:

* questions are separated by blank lines; lines starting with ``//`` are comments;
* ``$CATEGORY: path`` sets the category of the questions that follow;
* ``::Title::`` names a question; ``[html]``, ``[markdown]``, ``[plain]`` (and
  ``[moodle]``) prefix a text with its format (html is reduced to its text with
  :mod:`html.parser`, other markers are only removed);
* the answers sit in braces: ``{=right ~wrong}`` (single choice),
  ``{~%50%a ~%50%b ~%-100%c}`` (multiple response: positive weights are keys,
  zero or negative ones distractors), ``{T}``/``{TRUE}``/``{F}``/``{FALSE}``
  (true/false), ``{=a =b}`` (short answer, several accepted answers);
  text on both sides of the braces makes a missing-word question, read here as
  a cloze with one ``___`` gap (or a choice item whose stem holds the ``___``);
* ``#text`` after an answer is that answer's feedback, ``####text`` the general
  feedback (read into ``ItemRecord.explanation``);
* ``\\~ \\= \\# \\{ \\} \\:`` and ``\\\\`` escape the special characters, ``\\n`` is a
  newline; a backslash before any other character is kept as it is (as Moodle
  does), a backslash ending a question is an error.

Matching (``->``), numerical (``{#...}``), essay (``{}``) and description (no
braces) questions are not supported yet: they are listed in
:attr:`GiftResult.unsupported` and produce no item.

Conventions of this module (not part of GIFT):

* a short-answer question whose text holds exactly one ``___`` gap is read as a
  cloze: that is how :func:`write_gift` writes a cloze whose gap ends the stem
  (GIFT's missing-word form needs text after the braces);
* :func:`write_gift` cannot write a cloze with several gaps (GIFT has no such
  question): by default it raises :class:`GiftError`; pass a list as ``skipped``
  to leave such items out and receive them there.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .bankfile import ID_PATTERN, item_mapping, item_problems
from .records import GAP, ItemRecord, OptionRecord

ESCAPABLE = "~=#{}:\\"
_FORMAT = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_ID = re.compile(ID_PATTERN)


class GiftError(ValueError):
    """A GIFT text that cannot be read (or an item that cannot be written).

    Attributes:
        source: the name of the text (a file name or ``<gift>``).
        line: 1-based line of the problem, or None.
        reason: what is wrong.
    """

    def __init__(self, source: str, line: int | None, reason: str):
        self.source, self.line, self.reason = source, line, reason
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")


@dataclass
class GiftResult:
    """What :func:`parse_gift` read.

    Attributes:
        items: the supported questions as neutral records (origin ``imported``).
        categories: ext_id -> the ``$CATEGORY`` in force for that item ("" if none).
        titles: ext_id -> the question's ``::title::`` ("" if none).
        lines: ext_id -> the line the question starts on.
        feedback: ext_id -> ``(answer, feedback)`` pairs of per-answer feedback (also kept in
            ``OptionRecord.feedback`` for choice and true/false items; feedback on a short
            answer's accepted answers is only reported here and in ``notes``).
        comments: ``(line, text)`` of every ``//`` comment line.
        unsupported: ``(line, kind, title)`` of every question of a kind not
            supported yet (matching, numerical, essay, description).
        notes: ``(line, remark)`` about things read but not kept (e.g. partial
            credit answers of a short-answer question).
        problems: ``(line, ext_id, reason)`` where an item breaks the bank-file
            rules (``bankfile.item_problems``), e.g. no general feedback to serve
            as explanation; the items are still returned.
    """

    items: list[ItemRecord] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    feedback: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    comments: list[tuple[int, str]] = field(default_factory=list)
    unsupported: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- reading

class _Text(HTMLParser):
    """Collects the text of an HTML fragment (tags dropped, entities decoded)."""

    BLOCK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: D102
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):  # noqa: D102
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):  # noqa: D102
        if not self.skip:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    """Return the text of an HTML fragment: tags removed, entities decoded, spaces collapsed."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts)).strip()


# A block is a list of (char, escaped, line) triples.
Chars = list[tuple[str, bool, int]]


def _decode(lines: list[tuple[int, str]], source: str) -> Chars:
    """Turn the raw lines of a question into characters flagged as escaped or not."""
    out: Chars = []
    for k, (number, raw) in enumerate(lines):
        if k:
            out.append(("\n", False, number))
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\":
                if i + 1 >= len(raw):
                    if k == len(lines) - 1:
                        raise GiftError(source, number, "a backslash ends the question: escape it as \\\\")
                    out.append(("\\", False, number))  # a backslash at a line end, kept as text
                    i += 1
                    continue
                nxt = raw[i + 1]
                if nxt in ESCAPABLE:
                    out.append((nxt, True, number))
                elif nxt == "n":
                    out.append(("\n", True, number))
                else:
                    out.append(("\\", True, number))
                    out.append((nxt, False, number))
                i += 2
                continue
            out.append((ch, False, number))
            i += 1
    return out


def _text(chars: Chars) -> str:
    return "".join(c for c, _, _ in chars)


def _find(chars: Chars, target: str, start: int = 0) -> int:
    """Index of the first unescaped ``target`` (a string) at or after ``start``, or -1."""
    n = len(target)
    for i in range(start, len(chars) - n + 1):
        if all(chars[i + j][0] == target[j] and not chars[i + j][1] for j in range(n)):
            return i
    return -1


def _strip(chars: Chars) -> Chars:
    a, b = 0, len(chars)
    while a < b and chars[a][0].isspace() and not chars[a][1]:
        a += 1
    while b > a and chars[b - 1][0].isspace() and not chars[b - 1][1]:
        b -= 1
    return chars[a:b]


def _format(chars: Chars) -> tuple[str | None, Chars]:
    """Split a leading unescaped ``[format]`` marker off a text."""
    stripped = _strip(chars)
    m = _FORMAT.match(_text(stripped))
    if m and not any(e for _, e, _ in stripped[:m.end()]):
        return m.group(1).lower(), stripped[m.end():]
    return None, chars


def _render(chars: Chars, fmt: str | None, own_marker: bool = True) -> str:
    if own_marker:
        own, chars = _format(chars)
        fmt = own or fmt
    text = _text(chars)
    if fmt == "html":
        return html_text(text)
    return text.strip()


def _split_answers(chars: Chars) -> list[Chars]:
    """Split the inside of the braces at unescaped ``=`` and ``~`` (each part keeps its marker)."""
    parts: list[Chars] = []
    current: Chars | None = None
    lead: Chars = []
    for item in chars:
        ch, esc, _ = item
        if not esc and ch in "=~":
            # '=' inside an answer is a marker only at the start of a token; GIFT requires
            # a literal '=' or '~' to be escaped, so every unescaped one starts an answer.
            current = [item]
            parts.append(current)
        elif current is None:
            lead.append(item)
        else:
            current.append(item)
    if _strip(lead):
        parts.insert(0, lead)
    return parts


def _slug(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("-._")
    return text[:64].strip("-._")


class _Reader:
    def __init__(self, text: str, source: str):
        self.source = source
        self.result = GiftResult()
        self.category = ""
        self.count = 0
        self.used: set[str] = set()
        self.text = text

    def error(self, line: int | None, reason: str) -> GiftError:
        return GiftError(self.source, line, reason)

    def run(self) -> GiftResult:
        block: list[tuple[int, str]] = []
        lines = self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[0].startswith("\ufeff"):
            lines[0] = lines[0][1:]
        for number, raw in enumerate(lines, start=1):
            stripped = raw.strip()
            if stripped.startswith("//"):
                self.result.comments.append((number, stripped[2:].strip()))
                continue
            if stripped.startswith("$CATEGORY:") and not block:
                self.category = stripped[len("$CATEGORY:"):].strip()
                continue
            if not stripped:
                if block:
                    self.question(block)
                    block = []
                continue
            block.append((number, raw))
        if block:
            self.question(block)
        for item in self.result.items:
            data = item_mapping(item)
            for reason in item_problems(data):
                self.result.problems.append((self.result.lines[item.ext_id], item.ext_id, reason))
        return self.result

    def question(self, block: list[tuple[int, str]]) -> None:
        first = block[0][0]
        self.count += 1
        chars = _decode(block, self.source)
        chars = _strip(chars)
        title = ""
        if _find(chars, "::") == 0:
            end = _find(chars, "::", 2)
            if end < 0:
                raise self.error(first, "a title opened with '::' is not closed")
            title = _text(chars[2:end]).strip()
            chars = chars[end + 2:]
        fmt, chars = _format(chars)
        if fmt == "markdown":
            self.result.notes.append((first, "Markdown is kept as written (studyapp shows it as plain text)"))
        if fmt == "html" and re.search(r"<(img|video|audio|object|embed|iframe)\b", _text(chars), re.IGNORECASE):
            self.result.notes.append((first, "an image or other media is not kept (items are text): check the "
                                             "question still makes sense without it"))
        opening = _find(chars, "{")
        if opening < 0:
            if _find(chars, "}") >= 0:
                raise self.error(chars[_find(chars, "}")][2], "'}' without '{' (escape it as \\})")
            self.result.unsupported.append((first, "description", title))
            return
        brace_line = chars[opening][2]
        closing = _find(chars, "}", opening + 1)
        if closing < 0:
            raise self.error(brace_line, "the '{' opened here is never closed")
        nested = _find(chars, "{", opening + 1)
        if 0 <= nested < closing:
            raise self.error(chars[nested][2], "'{' inside an answer block (escape it as \\{)")
        rest = chars[closing + 1:]
        if _find(rest, "{") >= 0 or _find(rest, "}") >= 0:
            bad = rest[max(_find(rest, "{"), _find(rest, "}"))][2]
            raise self.error(bad, "a second answer block in one question (escape braces as \\{ \\})")
        before, inside, after = chars[:opening], chars[opening + 1:closing], rest
        after_text = _render(after, fmt, own_marker=False)
        stem_before = _render(before, fmt, own_marker=False)

        general = ""
        g = _find(inside, "####")
        if g >= 0:
            general = _render(inside[g + 4:], fmt)
            inside = inside[:g]
        body = _strip(inside)
        body_text = _text(body)

        kind_unsupported = None
        if not body:
            kind_unsupported = "essay"
        elif body[0][0] == "#" and not body[0][1]:
            kind_unsupported = "numerical"
        elif _find(body, "->") >= 0:
            kind_unsupported = "matching"
        if kind_unsupported:
            self.result.unsupported.append((first, kind_unsupported, title))
            return

        stem = stem_before
        if after_text:
            stem = _join_gap(_text(before), _text(after), stem_before, after_text)
        ext_id = self.ext_id(title, stem + "\x1e" + body_text, first)
        feedback: list[tuple[str, str]] = []

        tf = re.fullmatch(r"(TRUE|T|FALSE|F)\b", body_text.split("#", 1)[0].strip())
        if tf and body[0][0] not in "=~":
            value = tf.group(1).startswith("T")
            fb = _feedbacks(body)
            # the first feedback is shown for the wrong answer, the second for the right one
            for text, right in zip(fb, (not value, value)):
                feedback.append(("True" if right else "False", _render(text, fmt)))
            chosen = dict(feedback)
            item = ItemRecord(ext_id, "true_false", stem, general,
                              options=[OptionRecord("True", value, chosen.get("True", "")),
                                       OptionRecord("False", not value, chosen.get("False", ""))])
        else:
            item = self.answers(body, fmt, stem, general, ext_id, brace_line, feedback)
        if not item.stem:
            raise self.error(first, "the question has no text")
        item.origin = "imported"
        self.used.add(ext_id)
        res = self.result
        res.items.append(item)
        res.categories[ext_id] = self.category
        res.titles[ext_id] = title
        res.lines[ext_id] = first
        res.feedback[ext_id] = [f for f in feedback if f[1]]

    def answers(self, body: Chars, fmt, stem, general, ext_id, line, feedback) -> ItemRecord:
        parts = _split_answers(body)
        if not parts or parts[0][0][0] not in "=~" or parts[0][0][1]:
            raise self.error(line, f"answers must start with '=' or '~', not {_text(_strip(parts[0]))!r}")
        answers: list[tuple[str, float | None, str, str]] = []  # marker, weight, text, feedback
        for part in parts:
            marker = part[0][0]
            rest = part[1:]
            fb_at = _find(rest, "#")
            fb = ""
            if fb_at >= 0:
                fb = _render(rest[fb_at + 1:], fmt)
                rest = rest[:fb_at]
            rest = _strip(rest)
            weight = None
            m = _WEIGHT.match(_text(rest))
            if m and not any(e for _, e, _ in rest[:m.end()]):
                weight = float(m.group(1))
                rest = rest[m.end():]
            elif rest and rest[0][0] == "%" and not rest[0][1]:
                raise self.error(part[0][2], f"a bad weight in {_text(part)!r}: write it as %50% or %-25%")
            text = _render(rest, fmt)
            if not text:
                raise self.error(part[0][2], f"an empty answer after '{marker}'")
            answers.append((marker, weight, text, fb))
            feedback.append((text, fb))
        equals = [a for a in answers if a[0] == "="]
        tildes = [a for a in answers if a[0] == "~"]
        if not tildes:
            accepted = [t for _, w, t, _f in equals if w is None or w >= 100]
            for _, w, t, fb in equals:
                if fb:
                    self.result.notes.append((line, f"{ext_id}: feedback on accepted answer {t!r} not kept "
                                                    "(studyapp keeps feedback on options only)"))
                if w is not None and w < 100:
                    self.result.notes.append((line, f"{ext_id}: partial-credit answer {t!r} ({w:g}%) not kept"))
            if not accepted:
                raise self.error(line, "no correct answer (a short answer needs an '=' answer worth 100%)")
            if GAP.search(stem) and len(GAP.findall(stem)) == 1:
                return ItemRecord(ext_id, "cloze", stem, general, answers=[accepted])
            if GAP.search(stem):
                raise self.error(line, "a short-answer question with several ___ gaps")
            return ItemRecord(ext_id, "short_answer", stem, general, answers=[accepted])
        if len(equals) > 1:
            raise self.error(line, "several '=' answers among '~' answers: mark several keys with ~%w% weights")
        if equals:
            if equals[0][1] is not None and equals[0][1] <= 0:
                raise self.error(line, "no correct answer (the '=' answer has no positive weight)")
            options = [OptionRecord(t, m == "=", fb) for m, w, t, fb in answers]
            kind = "single_choice"
        else:
            options = [OptionRecord(t, w is not None and w > 0, fb) for m, w, t, fb in answers]
            keys = sum(o.is_key for o in options)
            if keys == 0:
                raise self.error(line, "no correct answer (give one '=' answer or positive ~%w% weights)")
            total = sum(w for m, w, t, fb in answers if w is not None and w > 0)
            if abs(total - 100) > 0.01:
                self.result.notes.append((line, f"the keys' weights add up to {total:g}%: weights are not kept, "
                                                "studyapp marks the keys and distractors by its own rule"))
            kind = "multiple_response"
        return ItemRecord(ext_id, kind, stem, general, options=options)

    def ext_id(self, title: str, stem: str, line: int) -> str:
        """The item's id: its title when the title is a valid id (``::hs23-001::``; a repeated one
        is an error), else ``gift-`` and 12 hex digits of a hash of the title, the question text and
        its answers (``stem`` is given with the answers' text).
        A title such as ``::Question 1::`` is a name, not an id: files made in Moodle repeat such
        names, and one file's question must not replace another's. The same question gets the same
        id in every file; an identical question repeated in a file gets ``-2``, ``-3``."""
        if title and _ID.match(title):
            if title in self.used:
                raise self.error(line, f"the title ::{title}:: is used twice: a title written as an id "
                                       "is the item's id and must be unique")
            return title
        digest = hashlib.sha1("\x1f".join((title, stem)).encode("utf-8"), usedforsecurity=False).hexdigest()
        base = f"gift-{digest[:12]}"
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        return candidate


def _join_gap(raw_before: str, raw_after: str, before: str, after: str) -> str:
    """Return the cloze stem ``before ___ after``, keeping whether spaces touched the braces."""
    left = " " if before and raw_before[-1:].isspace() else ""
    right = " " if after and raw_after[:1].isspace() else ""
    return f"{before}{left}___{right}{after}"


def _feedbacks(body: Chars) -> list[Chars]:
    """The ``#feedback`` parts of a true/false answer (wrong-answer first, then right-answer)."""
    out: list[Chars] = []
    at = _find(body, "#")
    while at >= 0:
        nxt = _find(body, "#", at + 1)
        out.append(body[at + 1: nxt if nxt >= 0 else len(body)])
        at = nxt
    return out


def parse_gift(text: str, source: str = "<gift>") -> GiftResult:
    """Read a GIFT text.

    Args:
        text: the GIFT text.
        source: its name, used in error messages.
    Returns:
        The items and the report (see :class:`GiftResult`).
    Raises:
        GiftError: with the source, the line and the reason; nothing is returned then.
    """
    return _Reader(text, source).run()


# ---------------------------------------------------------------- writing

def escape(text: str, guard: bool = True) -> str:
    """Escape GIFT's special characters (and newlines) in a text; with ``guard``, a text that
    starts with a format marker or ``//`` gets ``[plain]`` in front (kept as text)."""
    out = []
    for ch in text:
        if ch in ESCAPABLE:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    result = "".join(out)
    if guard and (_FORMAT.match(result) or result.lstrip().startswith("//")):
        result = "[plain]" + result  # keep a leading [html] / // as text
    return result


def unrepresentable(item: ItemRecord) -> str | None:
    """Why ``item`` cannot be written as GIFT, or None if it can."""
    if item.kind == "cloze":
        gaps = len(GAP.findall(item.stem))
        if gaps != 1 or len(item.answers) != 1:
            return f"a cloze with {gaps} gaps: GIFT's missing-word question has exactly one"
    if item.kind == "short_answer" and GAP.search(item.stem):
        return "a short-answer stem with ___ would be read back as a cloze"
    if item.kind not in ("single_choice", "multiple_response", "true_false", "short_answer", "cloze"):
        return f"unknown kind {item.kind!r}"
    return None


def _weight(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text


def _option_feedback(option: OptionRecord, esc=None) -> str:
    return f" #{(esc or escape)(option.feedback)}" if option.feedback else ""


def _looks_like_html(item: ItemRecord) -> bool:
    """True if a text of the item holds ``<`` or ``&`` (which Moodle's default text format would
    read as markup) and no run of white space (which HTML would collapse)."""
    texts = [item.stem, item.explanation, *(o.text for o in item.options), *(o.feedback for o in item.options),
             *(a for gap in item.answers for a in gap)]
    return any("<" in t or "&" in t for t in texts) and not any(
        re.search(r"\s\s|[\t\n\r]", t) or t != t.strip() or _FORMAT.match(t) or t.startswith("//") for t in texts)


def _item_gift(item: ItemRecord) -> str:
    # Text with < or & is written as [html] with entities (&lt; &amp;), so that Moodle shows it
    # as text rather than reading it as markup; parse_gift decodes it back.
    mark, esc = "", escape
    if _looks_like_html(item):
        mark, esc = "[html]", (lambda t: escape(html.escape(t, quote=False), guard=False))
    general = f" ####{esc(item.explanation)}" if item.explanation else ""
    head = f"::{escape(item.ext_id)}::"
    if item.kind == "true_false":
        key = any(o.is_key and o.text.strip().lower() in ("true", "t") for o in item.options)
        right = next((o.feedback for o in item.options if o.is_key), "")
        wrong = next((o.feedback for o in item.options if not o.is_key), "")
        # {T#feedback for a wrong answer#feedback for a right answer}
        fb = f"#{esc(wrong) or ' '}#{esc(right)}" if right else (f"#{esc(wrong)}" if wrong else "")
        return f"{head}{mark}{esc(item.stem)} {{{'TRUE' if key else 'FALSE'}{fb}{general}}}"
    if item.kind in ("single_choice", "multiple_response"):
        lines = [f"{head}{mark}{esc(item.stem)} {{"]
        if item.kind == "single_choice":
            for o in item.options:
                lines.append(f"\t{'=' if o.is_key else '~'}{esc(o.text)}{_option_feedback(o, esc)}")
        else:
            keys = sum(o.is_key for o in item.options)
            for o in item.options:
                w = _weight(100 / keys) if o.is_key else "-100"
                lines.append(f"\t~%{w}%{esc(o.text)}{_option_feedback(o, esc)}")
        if general:
            lines.append(f"\t{general.strip()}")
        lines.append("}")
        return "\n".join(lines)
    answers = " ".join(f"={esc(a)}" for a in item.answers[0])
    if item.kind == "short_answer":
        return f"{head}{mark}{esc(item.stem)} {{{answers}{general}}}"
    # cloze with one gap
    m = GAP.search(item.stem)
    before, after = item.stem[:m.start()], item.stem[m.end():]
    if not after.strip():  # gap ends the stem: keep the ___ and put the answers after it
        return f"{head}{mark}{esc(item.stem)} {{{answers}{general}}}"
    return f"{head}{mark}{esc(before)}{{{answers}{general}}}{esc(after)}"


def write_gift(items: list[ItemRecord], category: str | None = None, *,
               skipped: list[tuple[ItemRecord, str]] | None = None) -> str:
    """Write items as GIFT.

    Titles are the ext_ids, the general feedback (``####``) is the explanation.

    Args:
        items: the items, of any kind the project has.
        category: written first as ``$CATEGORY: ...`` if given.
        skipped: if a list is given, items GIFT cannot represent (a cloze with
            several gaps) are left out and appended to it as ``(item, reason)``;
            if None, such an item raises :class:`GiftError` and nothing is written.
    Returns:
        The GIFT text, which :func:`parse_gift` reads back to the same kinds, stems,
        options and keys, accepted answers and explanations.
    """
    blocks = []
    if category:
        blocks.append(f"$CATEGORY: {category}")
    for item in items:
        reason = unrepresentable(item)
        if reason:
            if skipped is None:
                raise GiftError("write_gift", None, f"item {item.ext_id}: {reason}")
            skipped.append((item, reason))
            continue
        blocks.append(_item_gift(item))
    return "\n\n".join(blocks) + "\n"
