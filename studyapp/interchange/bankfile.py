"""Read and write studyapp's own bank format (``studyapp-bank/1``), as YAML or as JSON.

The schema is documented in ``questions/README.md``. Validation is done with
pydantic; every problem is reported with the file, the line, the item id and the
reason, and a file with any problem yields no records at all.

A bank file names its study text in ``source`` (a path beside the file, for the files
in ``questions/``) or carries it in ``document`` (its passages written out, for files
that travel: exports and uploads). A file read from an upload has no directory, so
there ``source`` is refused rather than read from the server's disk.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from .records import GAP, BankRecord, DocumentRecord, ItemRecord, OptionRecord, PassageRecord
from .sourcetext import SLUG, SourceError, parse_source

FORMAT = "studyapp-bank/1"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
Text = Field(min_length=1, max_length=5000)


class BankFileError(ValueError):
    """A bank file that fails validation.

    Attributes:
        problems: ``(file, line or None, item id or None, reason)`` tuples.
    """

    def __init__(self, problems: list[tuple[str, int | None, str | None, str]]):
        self.problems = problems
        super().__init__("\n".join(self.format(p) for p in problems))

    @staticmethod
    def format(problem: tuple[str, int | None, str | None, str]) -> str:
        """Return ``file:line: item ID: reason`` for one problem."""
        path, line, item_id, reason = problem
        where = f"{path}:{line}" if line else path
        return f"{where}: item {item_id}: {reason}" if item_id else f"{where}: {reason}"


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Text
    key: bool = False
    feedback: str = Field(default="", max_length=5000)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    kind: Literal["single_choice", "multiple_response", "true_false", "short_answer", "cloze"]
    stem: str = Text
    explanation: str = Field(default="", max_length=5000)
    passage: int | None = Field(default=None, ge=1)
    status: Literal["draft", "published", "retired"] = "published"
    origin: Literal["generated", "edited", "authored", "imported"] = "authored"
    options: list[_Option] | None = None
    key: bool | None = None
    answers: list[str] | None = None
    gaps: list[list[str]] | None = None
    true_feedback: str = Field(default="", max_length=5000)
    false_feedback: str = Field(default="", max_length=5000)

    @model_validator(mode="after")
    def _by_kind(self, info: ValidationInfo) -> "_Item":
        if not self.explanation.strip() and not (info.context or {}).get("lenient"):
            raise ValueError("explanation: give an explanation (why the key is right)")
        allowed = {
            "single_choice": {"options"}, "multiple_response": {"options"}, "true_false": {"key"},
            "short_answer": {"answers"}, "cloze": {"gaps"},
        }[self.kind]
        for name in ("options", "key", "answers", "gaps"):
            given = getattr(self, name) is not None
            if name in allowed and not given:
                raise ValueError(f"a {self.kind} item needs '{name}'")
            if name not in allowed and given:
                raise ValueError(f"a {self.kind} item takes no '{name}'")
        if (self.true_feedback or self.false_feedback) and self.kind != "true_false":
            raise ValueError("only a true_false item takes 'true_feedback' and 'false_feedback'")
        if self.options is not None:
            texts = [o.text.strip() for o in self.options]
            if len(set(t.casefold() for t in texts)) != len(texts):
                raise ValueError("two options have the same text")
            keys = sum(o.key for o in self.options)
            if self.kind == "single_choice" and (len(self.options) < 2 or keys != 1):
                raise ValueError("a single_choice item needs at least 2 options and exactly one key")
            if self.kind == "multiple_response" and (len(self.options) < 3 or keys < 1):
                raise ValueError("a multiple_response item needs at least 3 options and at least one key")
        if self.answers is not None and not [a for a in self.answers if a.strip()]:
            raise ValueError("'answers' needs at least one non-empty accepted answer")
        if self.gaps is not None:
            blanks = len(GAP.findall(self.stem))
            if blanks == 0 or blanks != len(self.gaps):
                raise ValueError(f"the stem has {blanks} gap(s) written ___ but 'gaps' lists "
                                 f"{len(self.gaps)} list(s) of accepted answers")
            if any(not [a for a in g if a.strip()] for g in self.gaps):
                raise ValueError("every gap needs at least one non-empty accepted answer")
        return self

    def record(self) -> ItemRecord:
        options: list[OptionRecord] = []
        answers: list[list[str]] = []
        if self.options is not None:
            options = [OptionRecord(o.text.strip(), o.key, o.feedback.strip()) for o in self.options]
        elif self.key is not None:
            options = [OptionRecord("True", self.key is True, self.true_feedback.strip()),
                       OptionRecord("False", self.key is False, self.false_feedback.strip())]
        elif self.answers is not None:
            answers = [[a.strip() for a in self.answers if a.strip()]]
        elif self.gaps is not None:
            answers = [[a.strip() for a in g if a.strip()] for g in self.gaps]
        return ItemRecord(
            ext_id=self.id, kind=self.kind, stem=self.stem.strip(), explanation=self.explanation.strip(),
            options=options, answers=answers, passage=self.passage, status=self.status, origin=self.origin,
        )


class _Passage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1)
    heading: str = Field(default="", max_length=300)
    text: str = Field(min_length=1, max_length=20000)


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=SLUG.pattern)
    title: str = Field(min_length=1, max_length=300)
    summary: str = ""
    based_on: str = ""
    passages: list[_Passage] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered(self) -> "_Document":
        numbers = [p.number for p in self.passages]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("passages must be numbered 1, 2, 3 ... in order")
        return self

    def record(self) -> DocumentRecord:
        return DocumentRecord(slug=self.slug, title=self.title.strip(), summary=self.summary.strip(),
                              based_on=self.based_on.strip(),
                              passages=[PassageRecord(p.number, p.text.strip(), p.heading.strip())
                                        for p in self.passages])


class _Bank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["studyapp-bank/1"]
    slug: str = Field(pattern=SLUG.pattern)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    source: str | None = None
    document: _Document | None = None
    items: list[dict] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_text(self) -> "_Bank":
        if self.source is not None and self.document is not None:
            raise ValueError("give either 'source' (a file) or 'document' (the text itself), not both")
        return self


def _reason(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "string_pattern_mismatch" and err["loc"][-1:] == ("id",):
            msg = f"{err['input']!r} is not allowed: use lower-case letters, digits, '.', '_' and '-' (at most 64)"
        elif err["type"] == "string_pattern_mismatch":
            msg = f"{err['input']!r} is not allowed: use 2 to 64 lower-case letters, digits and '-'"
        elif err["type"] == "literal_error":
            msg = f"{err['input']!r} is not allowed: {err['msg'].removeprefix('Input should be ')}"
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


def bank_file_text(slug: str, title: str, items: list[dict], *, source: str | None = None,
                   description: str = "") -> str:
    """Return the YAML text of a bank file (format ``studyapp-bank/1``).

    Args:
        slug, title, description: the bank's.
        items: item mappings in the bank-file shape (e.g. ``generation.to_bank_mapping``).
        source: the study text's path relative to the bank file, or None.
    Returns:
        The YAML text, which :func:`read_bank_file` reads back to the same items.
    Raises:
        BankFileError: an item breaks the bank-file rules (nothing is returned).
    """
    problems = [("items", None, data.get("id"), p) for data in items for p in item_problems(data)]
    if problems:
        raise BankFileError(problems)
    return _bank_yaml_text(slug, title, items, source=source, description=description)


def _bank_yaml_text(slug: str, title: str, items: list[dict], *, source: str | None = None,
                    description: str = "") -> str:
    q = _quoted
    lines = ["format: studyapp-bank/1", f"slug: {slug}", f"title: {q(title)}"]
    if description:
        lines.append(f"description: {q(description)}")
    if source:
        lines.append(f"source: {q(source)}")
    lines.append("items:")
    order = ("id", "kind", "passage", "origin", "status", "stem", "options", "key", "true_feedback", "false_feedback",
             "answers", "gaps", "explanation")
    for data in items:
        first = True
        for name in [n for n in order if n in data] + [n for n in data if n not in order]:
            value = data[name]
            lead = "  - " if first else "    "
            first = False
            if name == "options":
                lines.append(f"{lead}options:")
                for o in value:
                    key = ", key: true" if o.get("key") else ""
                    feedback = f", feedback: {q(o['feedback'])}" if o.get("feedback") else ""
                    lines.append(f"      - {{text: {q(o['text'])}{key}{feedback}}}")
            elif name in {"answers", "gaps"}:
                lines.append(f"{lead}{name}: {json.dumps(value, ensure_ascii=False)}")
            elif isinstance(value, bool):
                lines.append(f"{lead}{name}: {'true' if value else 'false'}")
            elif isinstance(value, int):
                lines.append(f"{lead}{name}: {value}")
            else:
                lines.append(f"{lead}{name}: {q(str(value))}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """Return ``text`` as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def item_mapping(item: ItemRecord) -> dict:
    """Return ``item`` as a bank-file mapping (the shape :func:`item_problems` checks and
    :func:`bank_file_text` writes): ``id``, ``kind``, ``stem``, ``explanation``, ``status``,
    ``origin``, ``passage`` when cited, and by kind ``options`` / ``key`` / ``answers`` / ``gaps``."""
    data: dict = {"id": item.ext_id, "kind": item.kind, "stem": item.stem, "explanation": item.explanation,
                  "status": item.status, "origin": item.origin}
    if item.passage is not None:
        data["passage"] = item.passage
    if item.kind in {"single_choice", "multiple_response"}:
        data["options"] = [{"text": o.text, "key": o.is_key, **({"feedback": o.feedback} if o.feedback else {})}
                           for o in item.options]
    elif item.kind == "true_false":
        data["key"] = any(o.is_key and o.text == "True" for o in item.options)
        for o in item.options:
            if o.feedback and o.text in ("True", "False"):
                data[f"{o.text.lower()}_feedback"] = o.feedback
    elif item.kind == "short_answer":
        data["answers"] = list(item.answers[0]) if item.answers else []
    elif item.kind == "cloze":
        data["gaps"] = [list(g) for g in item.answers]
    return data


def _document_mapping(doc: DocumentRecord) -> dict:
    data: dict = {"slug": doc.slug, "title": doc.title}
    if doc.summary:
        data["summary"] = doc.summary
    if doc.based_on:
        data["based_on"] = doc.based_on
    data["passages"] = [{"number": p.number, **({"heading": p.heading} if p.heading else {}), "text": p.text}
                        for p in doc.passages]
    return data


def bank_json(record: BankRecord) -> str:
    """Return a bank as JSON (format ``studyapp-bank/1``, the study text carried in ``document``).

    Args:
        record: the bank, its items and (optionally) its document.
    Returns:
        Pretty-printed JSON text (UTF-8 characters kept), which :func:`read_bank_text` reads back
        to the same records. Items are written as they are, without checking the bank-file rules.
    """
    data: dict = {"format": FORMAT, "slug": record.slug, "title": record.title}
    if record.description:
        data["description"] = record.description
    if record.document is not None:
        data["document"] = _document_mapping(record.document)
    data["items"] = [item_mapping(i) for i in record.items]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def bank_yaml(record: BankRecord) -> str:
    """Return a bank as YAML (format ``studyapp-bank/1``, the study text carried in ``document``).

    Args:
        record: the bank, its items and (optionally) its document.
    Returns:
        The YAML text (one item per block, strings double-quoted), which :func:`read_bank_text`
        reads back to the same records. Items are written as they are, without checking the rules.
    """
    text = _bank_yaml_text(record.slug, record.title, [item_mapping(i) for i in record.items],
                           description=record.description)
    if record.document is None:
        return text
    doc = _document_mapping(record.document)
    q = _quoted
    lines = ["document:", f"  slug: {doc['slug']}", f"  title: {q(doc['title'])}"]
    for name in ("summary", "based_on"):
        if name in doc:
            lines.append(f"  {name}: {q(doc[name])}")
    lines.append("  passages:")
    for p in doc["passages"]:
        lines.append(f"    - number: {p['number']}")
        if "heading" in p:
            lines.append(f"      heading: {q(p['heading'])}")
        lines.append(f"      text: {q(p['text'])}")
    head, _, rest = text.partition("items:\n")
    return head + "\n".join(lines) + "\nitems:\n" + rest


def item_problems(data: dict, *, lenient: bool = False) -> list[str]:
    """Check one item, given as a bank-file mapping, by the bank-file rules.

    Args:
        data: an item as it would appear in a bank file (``id``, ``kind``, ``stem``, ...).
        lenient: the rules of imports (no explanation needed; see :data:`LENIENT`).
    Returns:
        The problems found, as readable sentences (empty if the item is valid).
    """
    try:
        _Item.model_validate(data, context=LENIENT if lenient else None)
    except ValidationError as exc:
        return _reason(exc)
    return []


LENIENT = {"lenient": True}
"""Validation context for imports: an item may come without an explanation (Aiken, GIFT and
Moodle XML questions often have none); the bank files in ``questions/`` must have one."""


def _item_lines(text: str) -> list[int]:
    """Return the 1-based line of each entry of the top-level ``items`` list."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "items" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def read_bank_file(path: str | Path) -> BankRecord:
    """Read and validate a bank file and the study text it names in ``source``.

    Args:
        path: the YAML bank file; ``source`` inside it is relative to the file.
    Returns:
        The bank with its document and items.
    Raises:
        BankFileError: with every problem found (file, line, item id, reason).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BankFileError([(str(path), None, None, f"cannot read the file: {exc}")]) from None
    return read_bank_text(text, str(path), base_dir=path.parent)


def read_bank_text(text: str, name: str, *, base_dir: Path | None = None, as_json: bool = False,
                   lenient: bool = False) -> BankRecord:
    """Read and validate the text of a bank file (YAML, or JSON with ``as_json``).

    Args:
        text: the file's content.
        name: the file's name, for messages.
        base_dir: the directory ``source`` is relative to; None (an upload) refuses ``source``.
        as_json: parse as JSON (strictly) rather than YAML.
        lenient: accept items without an explanation (see :data:`LENIENT`).
    Returns:
        The bank with its document (read from ``source`` or ``document``) and items.
    Raises:
        BankFileError: with every problem found (file, line, item id, reason); nothing is returned.
    """
    try:
        data = json.loads(text) if as_json else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise BankFileError([(name, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BankFileError([(name, mark.line + 1 if mark else None, None,
                              f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except RecursionError:
        raise BankFileError([(name, None, None, "the file is nested too deeply")]) from None
    if not isinstance(data, dict):
        raise BankFileError([(name, 1, None, "the file must be a mapping with format, slug, title, items")])
    try:
        bank = _Bank.model_validate(data)
    except ValidationError as exc:
        raise BankFileError([(name, None, None, r) for r in _reason(exc)]) from None

    problems: list[tuple[str, int | None, str | None, str]] = []
    document = bank.document.record() if bank.document else None
    if bank.source and base_dir is None:
        problems.append((name, None, None, "'source' names a file beside the bank file, which an uploaded "
                                           "file does not have: carry the text in 'document' instead"))
    elif bank.source:
        source_path = (base_dir / bank.source)
        try:
            document = parse_source(source_path.read_text(encoding="utf-8"))
        except OSError as exc:
            problems.append((name, None, None, f"source {bank.source}: cannot read: {exc.strerror or exc}"))
        except SourceError as exc:
            problems.append((str(source_path), exc.line, None, str(exc)))

    lines = _item_lines(text)
    items: list[ItemRecord] = []
    seen: set[str] = set()
    context = LENIENT if lenient else None
    for index, raw in enumerate(bank.items):
        line = lines[index] if index < len(lines) else None
        item_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else f"#{index + 1}"
        try:
            item = _Item.model_validate(raw, context=context)
        except ValidationError as exc:
            problems.extend((name, line, item_id, r) for r in _reason(exc))
            continue
        if item.id in seen:
            problems.append((name, line, item_id, "duplicate item id"))
            continue
        seen.add(item.id)
        if item.passage is not None:
            if not bank.source and not bank.document:
                if not lenient:  # an import checks the number against the bank's own study text
                    problems.append((name, line, item_id,
                                     "cites a passage but the bank has no 'source' or 'document'"))
            elif document and item.passage > len(document.passages):
                problems.append((name, line, item_id,
                                 f"passage {item.passage} does not exist (the source has {len(document.passages)})"))
        items.append(item.record())
    if problems:
        raise BankFileError(problems)
    return BankRecord(slug=bank.slug, title=bank.title, description=bank.description.strip(),
                      document=document, items=items)
