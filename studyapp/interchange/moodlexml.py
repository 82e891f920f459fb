"""Read and write Moodle XML (https://docs.moodle.org/en/Moodle_XML_format); no Flask, no database.

A ``<quiz>`` holds ``<question type="...">`` elements with ``<name>``, ``<questiontext>``,
``<generalfeedback>``, ``<hidden>``, ``<idnumber>`` and ``<answer fraction="...">`` elements
(``<text>``, ``<feedback>``). A text's ``format`` attribute decides how it is read: ``html``
is reduced to its text with :func:`.gift.html_text` (``<br>`` kept as a line break; runs of
white space read as one space, but a tab or a space written as a character reference,
``&#9;`` or ``&#32;``/``&#x20;``, is kept: that is how the writer keeps them);
``moodle_auto_format`` (the default), ``plain_text`` and ``markdown`` are kept as written, stripped.

Reading is all or nothing: any problem raises :class:`InterchangeError` and yields no item.

* The file must be UTF-8. It is parsed with :mod:`defusedxml`: a DTD, entity declarations
  (the "billion laughs") and external entities are refused. The root must be ``<quiz>``.
* ``multichoice`` with ``<single>true</single>`` (Moodle's default) is a single_choice item
  keyed by its one answer at fraction 100 (the others, partial credit included, are
  distractors); ``<single>false</single>`` a multiple_response item keyed by the answers
  with a positive fraction. Answer feedback goes to ``OptionRecord.feedback``.
* ``truefalse`` is a true_false item (``True``/``False``, the answer at 100 is the key,
  answer feedback on the options); ``shortanswer`` a short_answer item accepting its
  answers at 100 (others are noted, not kept; ``\\*`` reads as ``*``), or a cloze with one
  gap when its text holds exactly one ``___`` (as :mod:`.gift` reads a missing-word question).
* The general feedback is the explanation; ``<hidden>1</hidden>`` makes a draft, other items
  are published; origin is ``imported``. Category pseudo-questions are no items: they set
  the category of the questions after them (:attr:`MoodleXmlResult.categories`).
* ext_id: ``<idnumber>`` when it is a valid id, else the slug of ``<name>``, else ``xml-`` +
  12 hex digits of a hash of the question; repeats get ``-2``, ``-3``...
* Other types (matching, numerical, essay, description, cloze i.e. Moodle's embedded
  answers, calculated, ddwtos...) are listed in :attr:`MoodleXmlResult.unsupported`.

Not carried either way: passage numbers (Moodle has no place for them), origin, grades and
penalties, shuffling and numbering, combined feedback, hints, tags, files, case-sensitive
short answers; a retired item is written hidden and reads back as a draft.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html import escape
# Only the tree classes: parsing goes through defusedxml's DefusedXMLParser (TreeBuilder is its target).
from xml.etree.ElementTree import Element, ParseError, TreeBuilder  # nosec B405 # parsed by defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .bankfile import ID_PATTERN, item_mapping, item_problems
from .errors import InterchangeError
from .gift import html_text
from .records import GAP, ItemRecord, OptionRecord

SUPPORTED = ("multichoice", "truefalse", "shortanswer")
FORMATS = ("html", "moodle_auto_format", "plain_text", "markdown")
_ID = re.compile(ID_PATTERN)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DECLARED = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BR = re.compile(r"<br\s*/?>[ \t]*\r?\n?", re.IGNORECASE)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WILDCARD = re.compile(r"(?<!\\)\*")
# White space HTML would collapse, written as character references so that it reads back: a tab,
# and a space next to other white space or at either end of the text.
_KEPT_SPACE = re.compile(r"(?<![^ \t\n]) | (?=[ \t\n]|\Z)")
# Those references when reading, and the stand-ins they have while the HTML is reduced to text
# (control characters, which XML text cannot hold, so no file has them).
_KEPT_REF = re.compile(r"&#(?:0*(9|32)|[xX]0*(9|20));|&(Tab);")
_KEPT_STAND_IN = {"9": "\x01", "Tab": "\x01", "32": "\x02", "20": "\x02"}
_KEPT_BACK = str.maketrans({"\x01": "\t", "\x02": " "})


@dataclass
class MoodleXmlResult:
    """What :func:`parse_moodle_xml` read.

    Attributes:
        items: the supported questions as neutral records (origin ``imported``).
        categories: ext_id -> the category text in force for that item ("" if none).
        names: ext_id -> the question's ``<name>`` ("" if none).
        lines: ext_id -> the line the ``<question>`` starts on.
        unsupported: one readable line per question of a type not supported yet, e.g.
            ``question 4 (/quiz/question[4], line 30): matching 'Capitals'``.
        notes: ``(line, remark)`` about things read but not kept: short answers below 100%,
            partial credit read as a wrong answer, wildcards, case-sensitive matching.
        problems: ``(line, ext_id, reason)`` where an item breaks the bank-file rules
            (``bankfile.item_problems``), e.g. no general feedback to serve as explanation;
            the items are still returned (as :mod:`.gift` does).
    """

    items: list[ItemRecord] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- parsing

class _LineTarget(TreeBuilder):
    """A tree builder that records the line each element starts on (by ``id``)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):  # noqa: D102
        element = super().start(tag, attrs)
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def _parse(data: bytes, source: str) -> tuple[Element, dict[int, int]]:
    """Parse the bytes safely; return the root and id(element) -> line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InterchangeError(source, line, f"the file is not UTF-8 text (byte {exc.start})") from None
    declared = _DECLARED.match(data)
    if declared and declared.group(1).decode().lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise InterchangeError(source, 1, f"the file declares encoding {declared.group(1).decode()!r}; "
                                          "only UTF-8 is read")
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        raise InterchangeError(source, parser.parser.CurrentLineNumber,
                               "the file declares a DTD or entities (<!DOCTYPE ...>, <!ENTITY ...>), "
                               "which are not allowed") from None
    except ParseError as exc:
        line, column = exc.position
        reason = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise InterchangeError(source, line, f"not well-formed XML: {reason} (column {column + 1})") from None
    return root, target.lines


# ---------------------------------------------------------------- reading

def _html(fragment: str) -> str:
    """The text of an HTML fragment, ``<br>`` kept as a line break, tabs and spaces written as
    character references kept (see :data:`_KEPT_REF`)."""
    fragment = _KEPT_REF.sub(lambda m: _KEPT_STAND_IN[next(g for g in m.groups() if g)], fragment)
    text = html_text(_BR.sub("\n", fragment))
    return re.sub(r" *\n *", "\n", text).translate(_KEPT_BACK)


class _Reader:
    def __init__(self, data: bytes, source: str):
        self.source, self.data, self.result, self.category = source, data, MoodleXmlResult(), ""
        self.used: set[str] = set()
        self.lines: dict[int, int] = {}

    def line(self, element: Element | None) -> int | None:
        return self.lines.get(id(element)) if element is not None else None

    def error(self, element: Element | None, path: str, reason: str) -> InterchangeError:
        return InterchangeError(self.source, self.line(element), f"{path}: {reason}")

    def note(self, element: Element, remark: str) -> None:
        self.result.notes.append((self.line(element), remark))

    def text(self, parent: Element, path: str, tag: str, required: bool = False) -> str:
        """The converted text of ``parent/tag/text`` ("" if absent), by the format attribute."""
        element = parent.find(tag)
        where = f"{path}/{tag}" if tag != "." else path
        if element is None and required:
            raise self.error(parent, path, f"<{tag}> is missing")
        if element is None:
            return ""
        fmt = element.get("format", "moodle_auto_format")
        if fmt not in FORMATS:
            raise self.error(element, where, f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        inner = element.find("text")
        if inner is None and required:
            raise self.error(element, where, "<text> is missing")
        if inner is None:
            return ""
        if len(inner):
            raise self.error(inner[0], f"{where}/text", f"<{inner[0].tag}> inside <text>: put HTML in "
                                                         "<![CDATA[ ... ]]> or escape it")
        raw = inner.text or ""
        if fmt == "html" and re.search(r"<(img|video|audio|object|embed|iframe)\b", raw, re.IGNORECASE):
            self.note(inner, f"{where}: an image or other media is not kept (items are text): check the "
                             "question still makes sense without it")
        if fmt == "markdown" and tag == "questiontext":
            self.note(inner, f"{where}: Markdown is kept as written (studyapp shows it as plain text)")
        return _html(raw) if fmt == "html" else raw.strip()

    def run(self) -> MoodleXmlResult:
        root, self.lines = _parse(self.data, self.source)
        if root.tag != "quiz":
            raise self.error(root, f"/{root.tag}", f"the root element must be <quiz>, not <{root.tag}>")
        for number, question in enumerate(root, start=1):
            if question.tag != "question":  # the first of its name: the ones before are questions
                raise self.error(question, f"/quiz/{question.tag}[1]",
                                 f"<{question.tag}> where a <question> was expected")
            self.question(question, number, f"/quiz/question[{number}]")
        for item in self.result.items:
            for reason in item_problems(item_mapping(item)):
                self.result.problems.append((self.result.lines[item.ext_id], item.ext_id, reason))
        return self.result

    def question(self, q: Element, number: int, path: str) -> None:
        qtype = (q.get("type") or "").strip()
        if not qtype:
            raise self.error(q, path, "the question has no type attribute")
        if qtype == "category":
            self.category = self.text(q, path, "category", required=True)
            return
        name = self.text(q, path, "name")
        if qtype not in SUPPORTED:
            label = qtype + (" (Moodle's embedded answers)" if qtype in ("cloze", "multianswer") else "")
            label += f" '{name}'" if name else ""
            self.result.unsupported.append(f"question {number} ({path}, line {self.line(q)}): {label}")
            return
        stem = self.text(q, path, "questiontext", required=True)
        if not stem:
            raise self.error(q.find("questiontext"), f"{path}/questiontext", "the question has no text")
        explanation = self.text(q, path, "generalfeedback")
        hidden = (q.findtext("hidden") or "0").strip().lower()
        if hidden not in ("0", "1", "true", "false"):
            raise self.error(q.find("hidden"), f"{path}/hidden", f"{hidden!r} is not 0 or 1")
        idnumber = (q.findtext("idnumber") or "").strip()
        answers = self.answers(q, path)
        content = stem + "".join(f"\x1e{f:g}\x1f{t}" for f, t, _fb, _el in answers)
        ext_id = self.ext_id(idnumber, name, qtype, content, q.find("idnumber"), f"{path}/idnumber")
        if idnumber and ext_id != idnumber:
            self.note(q, f"<idnumber>{idnumber}</idnumber> cannot be an id (lower-case letters, digits, "
                         f"'.', '_', '-'): the item's id is {ext_id}")
        label = f"question '{name}'" if name else "the question"
        if qtype == "multichoice":
            item = self.choice(q, path, label, answers, ext_id, stem, explanation)
        elif qtype == "truefalse":
            item = self.true_false(q, path, label, answers, ext_id, stem, explanation)
        else:
            item = self.short(q, path, label, answers, ext_id, stem, explanation)
        item.origin = "imported"
        item.status = "draft" if hidden in ("1", "true") else "published"
        self.used.add(ext_id)
        res = self.result
        res.items.append(item)
        res.categories[ext_id], res.names[ext_id], res.lines[ext_id] = self.category, name, self.line(q)

    def answers(self, q: Element, path: str) -> list[tuple[float, str, str, Element]]:
        """``(fraction, text, feedback, element)`` of each ``<answer>``."""
        out = []
        for k, answer in enumerate(q.findall("answer"), start=1):
            where = f"{path}/answer[{k}]"
            raw = answer.get("fraction", "0").strip()
            if not _NUMBER.fullmatch(raw):
                raise self.error(answer, where, f'fraction "{raw}" is not a number')
            fraction = float(raw)
            if not -100 <= fraction <= 100:
                raise self.error(answer, where, f"fraction {raw} is outside -100..100")
            text = self.text(answer, where, ".", required=True)
            if not text:
                raise self.error(answer, where, "the answer has no text")
            out.append((fraction, text, self.text(answer, where, "feedback"), answer))
        return out

    def choice(self, q, path, label, answers, ext_id, stem, explanation) -> ItemRecord:
        single = (q.findtext("single") or "true").strip().lower()
        if single not in ("true", "1", "false", "0"):
            raise self.error(q.find("single"), f"{path}/single", f"{single!r} is not true or false")
        if single in ("true", "1"):
            full = [a for a in answers if a[0] == 100]
            if len(full) != 1:
                raise self.error(q, path, f"{label} is a single-answer multichoice: it needs exactly one "
                                          f"answer with fraction 100, not {len(full)}")
            for f, t, _, answer in [a for a in answers if 0 < a[0] < 100]:
                self.note(answer, f"{ext_id}: partial-credit answer {t!r} ({f:g}%) read as a wrong answer")
            options = [OptionRecord(t, f == 100, fb) for f, t, fb, _ in answers]
            return ItemRecord(ext_id, "single_choice", stem, explanation, options=options)
        if not any(f > 0 for f, _, _, _ in answers):
            raise self.error(q, path, f"{label} has no answer with a positive fraction")
        options = [OptionRecord(t, f > 0, fb) for f, t, fb, _ in answers]
        return ItemRecord(ext_id, "multiple_response", stem, explanation, options=options)

    def true_false(self, q, path, label, answers, ext_id, stem, explanation) -> ItemRecord:
        by_value: dict[str, tuple[float, str]] = {}
        for k, (f, t, fb, answer) in enumerate(answers, start=1):
            value = t.strip().lower()
            if value not in ("true", "false") or value in by_value:
                raise self.error(answer, f"{path}/answer[{k}]",
                                 f"a true/false answer must be 'true' or 'false' (once each), not {t!r}")
            by_value[value] = (f, fb)
        full = [v for v, (f, _) in by_value.items() if f == 100]
        if len(full) != 1:
            raise self.error(q, path, f"{label} is a true/false question: one of its answers "
                                      "'true' / 'false' needs fraction 100")
        key = full[0] == "true"
        return ItemRecord(ext_id, "true_false", stem, explanation, options=[
            OptionRecord("True", key, by_value.get("true", (0, ""))[1]),
            OptionRecord("False", not key, by_value.get("false", (0, ""))[1])])

    def short(self, q, path, label, answers, ext_id, stem, explanation) -> ItemRecord:
        accepted = []
        for f, t, fb, answer in answers:
            if fb:
                self.note(answer, f"{ext_id}: feedback on the answer {t!r} not kept (studyapp keeps feedback "
                                  "on options only)")
            if f != 100:
                self.note(answer, f"{ext_id}: answer {t!r} ({f:g}%) not kept (only 100% answers are)")
                continue
            if _WILDCARD.search(t):
                self.note(answer, f"{ext_id}: the wildcard in {t!r} is kept as a plain '*'")
            accepted.append(t.replace("\\*", "*"))
        if not accepted:
            raise self.error(q, path, f"{label} is a short-answer question with no answer at fraction 100")
        if (q.findtext("usecase") or "0").strip() not in ("0", ""):
            self.note(q, f"{ext_id}: case-sensitive matching is not kept")
        gaps = len(GAP.findall(stem))
        if gaps > 1:
            raise self.error(q, path, f"{label} is a short-answer question with {gaps} ___ gaps")
        kind = "cloze" if gaps == 1 else "short_answer"
        return ItemRecord(ext_id, kind, stem, explanation, answers=[accepted])

    def ext_id(self, idnumber: str, name: str, qtype: str, stem: str, q=None, path: str = "") -> str:
        """The item's id: its ``<idnumber>`` when that is a valid id (a repeated one is an
        error), else ``xml-`` and 12 hex digits of a hash of the type, name, question text and
        answers (``stem`` is given with the answers' fractions and text).
        Names are not ids: Moodle names questions "Question 1" and the like in every file."""
        if _ID.match(idnumber):
            if idnumber in self.used:
                raise self.error(q, path, f"<idnumber>{idnumber}</idnumber> is used twice: idnumbers are "
                                          "the items' ids and must differ")
            return idnumber
        text = "\x1f".join((qtype, name, stem))
        digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()  # an id, not a secret
        base = f"xml-{digest[:12]}"
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        return candidate


def parse_moodle_xml(data: bytes, source: str = "<xml>") -> MoodleXmlResult:
    """Read a Moodle XML file.

    Args:
        data: the file's bytes (UTF-8).
        source: its name, used in error messages.
    Returns:
        The items and the report (see :class:`MoodleXmlResult`).
    Raises:
        InterchangeError: with the source, the line (or None) and a reason that starts with
            the XML path, e.g. ``/quiz/question[3]/answer[2]: fraction "abc" is not a number``;
            nothing is returned then.
    """
    return _Reader(data, source).run()


def read_moodle_xml(data: bytes, source: str = "<xml>") -> tuple[list[ItemRecord], list[str]]:
    """Read a Moodle XML file into item records.

    Args:
        data: the file's bytes (UTF-8).
        source: its name, used in error messages.
    Returns:
        ``(items, not_supported)``: the items in file order, and one readable line per
        question of a type studyapp does not support yet, e.g.
        ``question 4 (/quiz/question[4], line 30): matching 'Capitals'``.
    Raises:
        InterchangeError: the first problem (see :func:`parse_moodle_xml`); nothing is returned.
    """
    result = parse_moodle_xml(data, source)
    return result.items, result.unsupported


# ---------------------------------------------------------------- writing

def _html_text(text: str) -> str:
    """A plain text as an HTML fragment in CDATA: escaped (so no ``]]>`` inside), line breaks as
    ``<br>``, and the white space HTML would collapse as character references (a tab ``&#9;``, a
    space next to other white space or at an end ``&#32;``), so that it reads back as written."""
    body = escape(text, quote=False).replace("\r\n", "\n")
    body = _KEPT_SPACE.sub("&#32;", body).replace("\t", "&#9;")
    return "<![CDATA[" + body.replace("\n", "<br>\n") + "]]>"


def _fractions(keys: int) -> list[str]:
    """``keys`` positive fractions summing to exactly 100 (five decimals, the last takes the rest)."""
    unit = round(10_000_000 / keys)
    parts = [unit] * (keys - 1) + [10_000_000 - unit * (keys - 1)]
    return [f"{p // 100000}.{p % 100000:05d}".rstrip("0").rstrip(".") for p in parts]


def unrepresentable(item: ItemRecord) -> str | None:
    """Why ``item`` cannot be written as Moodle XML (and read back), or None if it can."""
    keys = sum(o.is_key for o in item.options)
    gaps = len(GAP.findall(item.stem))
    texts = [item.stem] + [o.text for o in item.options] + [a for gap in item.answers for a in gap]
    if item.kind not in ("single_choice", "multiple_response", "true_false", "short_answer", "cloze"):
        return f"unknown kind {item.kind!r}"
    if any(not t.strip() for t in texts):
        return "an empty stem, option or accepted answer"
    if item.kind == "cloze" and gaps != 1:
        return f"a cloze with {gaps} gaps: a short-answer question holds one"
    if item.kind in ("short_answer", "cloze") and len(item.answers) != 1:
        return f"{len(item.answers)} lists of accepted answers: a short-answer question holds one"
    if item.kind == "short_answer" and gaps:
        return "a short-answer stem with ___ would be read back as a cloze"
    if item.kind == "single_choice" and keys != 1 or item.kind == "multiple_response" and not 1 <= keys <= 10:
        return f"a {item.kind} item with {keys} keys (Moodle has fractions for 1 to 10 keys)"
    texts += [item.ext_id, item.explanation] + [o.feedback for o in item.options]
    if any(_NOT_XML.search(t) for t in texts):
        return "a control character XML cannot hold"
    return None


def _answer(fraction: str, text: str, fmt: str, feedback: str = "") -> list[str]:
    body = _html_text(text) if fmt == "html" else escape(text, quote=False)
    lines = [f'    <answer fraction="{fraction}" format="{fmt}">', f"      <text>{body}</text>"]
    if feedback:
        lines.append(f'      <feedback format="html"><text>{_html_text(feedback)}</text></feedback>')
    lines.append("    </answer>")
    return lines


def _question(item: ItemRecord) -> list[str]:
    qtype = {"single_choice": "multichoice", "multiple_response": "multichoice",
             "true_false": "truefalse"}.get(item.kind, "shortanswer")
    penalty = "1" if qtype == "truefalse" else "0.3333333"
    hidden = "0" if item.status == "published" else "1"
    plain = escape(item.ext_id, quote=False)
    lines = [f'  <question type="{qtype}">',
             f"    <name><text>{plain}</text></name>",
             f'    <questiontext format="html"><text>{_html_text(item.stem)}</text></questiontext>',
             f'    <generalfeedback format="html"><text>{_html_text(item.explanation)}</text></generalfeedback>',
             "    <defaultgrade>1</defaultgrade>", f"    <penalty>{penalty}</penalty>",
             f"    <hidden>{hidden}</hidden>", f"    <idnumber>{plain}</idnumber>"]
    if item.kind == "single_choice":
        lines += ["    <single>true</single>", "    <shuffleanswers>false</shuffleanswers>",
                  "    <answernumbering>abc</answernumbering>"]
        for o in item.options:
            lines += _answer("100" if o.is_key else "0", o.text, "html", o.feedback)
    elif item.kind == "multiple_response":
        lines += ["    <single>false</single>", "    <shuffleanswers>false</shuffleanswers>",
                  "    <answernumbering>abc</answernumbering>"]
        shares = iter(_fractions(sum(o.is_key for o in item.options)))
        for o in item.options:
            lines += _answer(next(shares) if o.is_key else "-100", o.text, "html", o.feedback)
    elif item.kind == "true_false":
        key = any(o.is_key and o.text.strip().lower() == "true" for o in item.options)
        feedback = {o.text.strip().lower(): o.feedback for o in item.options}
        lines += _answer("100" if key else "0", "true", "moodle_auto_format", feedback.get("true", ""))
        lines += _answer("0" if key else "100", "false", "moodle_auto_format", feedback.get("false", ""))
    else:
        lines.append("    <usecase>0</usecase>")
        for accepted in item.answers[0]:
            lines += _answer("100", accepted.replace("*", "\\*"), "moodle_auto_format")
    lines.append("  </question>")
    return lines


def write_moodle_xml(items: list[ItemRecord], category: str | None = None) -> tuple[bytes, list[str]]:
    """Write items as a Moodle XML file.

    Names and idnumbers are the ext_ids; texts are written as HTML (escaped, in CDATA; a tab,
    and a space HTML would collapse, as a character reference, so that they read back);
    the explanation is the general feedback; option feedback is the answers' feedback.
    A multiple_response item's keys share fraction 100 (e.g. 33.33333, 33.33333, 33.33334)
    and its distractors get -100, so that ticking every box scores nothing. A cloze with one
    gap is a short-answer question whose text keeps the ``___``. ``<hidden>`` is 0 for a
    published item and 1 for a draft or retired one, so a retired item reads back as a draft.
    Passages are not written.

    Args:
        items: the items, of any kind the project has.
        category: if given, a category question first: ``$course$/top/<category>`` (a
            category starting with ``$`` is written as it is).
    Returns:
        ``(data, skipped)``: the UTF-8 bytes, which :func:`read_moodle_xml` reads back to
        the same kinds, stems, explanations, options (order, keys, feedback), accepted
        answers, ext_ids and status (but retired -> draft); and the ext_ids of the items
        the format cannot carry (a cloze with several gaps, a control character...), which
        are left out.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    if category:
        path = category if category.startswith("$") else f"$course$/top/{category}"
        lines += ['  <question type="category">',
                  f"    <category><text>{escape(path, quote=False)}</text></category>", "  </question>"]
    skipped = []
    for item in items:
        if unrepresentable(item):
            skipped.append(item.ext_id)
            continue
        lines += _question(item)
    lines.append("</quiz>")
    return ("\n".join(lines) + "\n").encode("utf-8"), skipped
