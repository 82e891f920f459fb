"""The domain lexicon: entity names with their types, and policy measures for distractors.

The file format is documented at the top of ``questions/lexicon.yaml``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .text import norm

DEFAULT_LEXICON = Path(__file__).resolve().parents[2] / "questions" / "lexicon.yaml"
"""The lexicon shipped with the project."""


@dataclass(frozen=True)
class Entry:
    """One named thing of the lexicon.

    Attributes:
        type: PERSON, TITLE, ORG, PROVINCE, CITY, REGION, THEME, FIELD, PROCESS, STRENGTH.
        name: canonical form (used as key and option text).
        aliases: other spellings, matched in texts and accepted as typed answers.
        group: a narrower pool for distractors ("" = the type's pool of ungrouped entries).
    """

    type: str
    name: str
    aliases: tuple[str, ...] = ()
    group: str = ""

    @property
    def forms(self) -> tuple[str, ...]:
        """Return the name followed by its aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Measure:
    """A policy measure used as a distractor in lists: verb, its noun, and an object."""

    verb: str
    noun: str
    object: str

    def render(self, form: str) -> str:
        """Return the measure as a ``the_of`` noun phrase, a ``verb`` phrase or a ``gerund``."""
        if form == "the_of":
            return f"the {self.noun} of {self.object}"
        if form == "gerund":
            return f"{gerund(self.verb)} {self.object}"
        return f"{self.verb} {self.object}"


def gerund(verb: str) -> str:
    """Return the -ing form of a base verb (English spelling rules for regular verbs)."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    one_syllable = len(re.findall(r"[aeiouy]+", verb)) == 1
    if (one_syllable and len(verb) >= 3 and verb[-1] not in "aeiouwxy" and verb[-2] in "aeiou"
            and verb[-3] not in "aeiou"):
        return verb + verb[-1] + "ing"
    return verb + "ing"


@dataclass
class Lexicon:
    """Entries by type plus the measures list.

    Attributes:
        entries: every entry, in file order.
        measures: policy measures for list distractors.
    """

    entries: list[Entry] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_form: dict[str, Entry] = {}
        for entry in self.entries:
            for form in entry.forms:
                self._by_form.setdefault(norm(form), entry)

    def lookup(self, text: str) -> Entry | None:
        """Return the entry one of whose forms normalises to ``text``, or None."""
        return self._by_form.get(norm(text))

    def of_type(self, type_: str, group: str | None = None) -> list[Entry]:
        """Return the entries of a type (and group, when given), in file order."""
        return [e for e in self.entries if e.type == type_ and (group is None or e.group == group)]

    @property
    def fingerprint(self) -> tuple:
        """Return a hashable summary, used to cache the pipeline built for this lexicon."""
        return tuple((e.type, e.forms) for e in self.entries)


def parse_lexicon(data: object, origin: str = "lexicon") -> Lexicon:
    """Build a :class:`Lexicon` from the parsed YAML mapping.

    Raises:
        ValueError: for a malformed file, naming the offending entry.
    """
    if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
        raise ValueError(f"{origin}: expected a mapping with 'entities'")
    entries: list[Entry] = []
    for type_, items in data["entities"].items():
        if not isinstance(items, list):
            raise ValueError(f"{origin}: entities.{type_} must be a list")
        for raw in items:
            if isinstance(raw, str):
                raw = {"name": raw}
            if not isinstance(raw, dict) or not str(raw.get("name", "")).strip():
                raise ValueError(f"{origin}: entities.{type_}: entry without a name: {raw!r}")
            aliases = raw.get("aliases") or []
            if not isinstance(aliases, list):
                raise ValueError(f"{origin}: entities.{type_}.{raw['name']}: aliases must be a list")
            entries.append(Entry(str(type_), str(raw["name"]).strip(),
                                 tuple(str(a).strip() for a in aliases if str(a).strip()),
                                 str(raw.get("group", "") or "")))
    measures = []
    for raw in data.get("measures") or []:
        try:
            measures.append(Measure(str(raw["verb"]), str(raw["noun"]), str(raw["object"])))
        except (KeyError, TypeError):
            raise ValueError(f"{origin}: measures: need verb, noun and object: {raw!r}") from None
    return Lexicon(entries, measures)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Lexicon:
    with open(path, encoding="utf-8") as handle:
        return parse_lexicon(yaml.safe_load(handle), path)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read a lexicon file (default: ``questions/lexicon.yaml``), cached while unchanged.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is malformed.
    """
    path = Path(path or DEFAULT_LEXICON)
    return _load(str(path), path.stat().st_mtime)
