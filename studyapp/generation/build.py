"""Build candidate items of every kind from analysed statements, with their distractors.

Three families of builders:

* **relation templates** turn a recognised relation into a natural question: who hosted an
  event, where and when; which province a city is in; the post a person held; where and
  when an earlier event was held; which region bears a responsibility, and for what.
* **list builders** turn an enumeration into a multiple-response item whose keys are the
  list's items and whose distractors are lexicon entries or policy measures of the same
  form that the document does not mention.
* **copy builders** reuse one statement: a cloze with a blank over one key phrase, the
  same blank as a single-choice item, a true statement, or a false one made by swapping
  one entity for another of the same type (kept only if the text does not support it).

Builders never decide what is kept; the gates (:mod:`.gates`) do.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from ..interchange.records import OptionRecord
from .extract import (EVENT_NOUNS, HOST_VERBS, PAST_TO_BASE, Analysis, ItemList, Mention,
                      Statement)
from .lexicon import Entry, Lexicon
from .text import GAP, content_words, contains_phrase, jaccard, norm, sentence_case

KINDS = ("cloze", "single_choice", "true_false", "short_answer", "multiple_response")
KIND_STRENGTH = {"single_choice": 0, "multiple_response": 1, "short_answer": 2, "cloze": 3, "true_false": 4}
"""The order in which the kinds of one passage are tried: an item of a weaker kind that repeats a
fact a stronger one already asks is dropped (see ``gates.gives_away``)."""
MAX_COPY_WORDS = 45
"""Statements longer than this are not copied into stems (too long to read as an item)."""

COPY_TYPES = ("DATE", "YEAR", "CITY", "PROVINCE", "PERSON", "TITLE", "REGION", "THEME", "ORG",
              "FIELD", "PROCESS", "STRENGTH", "NUMBER")
"""Entity types a copy builder may blank or swap, in order of preference."""
SWAP_TYPES = ("CITY", "PROVINCE", "YEAR", "DATE", "NUMBER", "THEME", "TITLE", "REGION", "FIELD",
              "PROCESS", "STRENGTH", "PERSON")
"""Entity types a false statement may swap (ORG is left out: swapping a body is too often
arguable)."""
LEXICON_ONLY_SWAPS = frozenset({"PERSON"})
"""Types whose swaps only use lexicon entries absent from the document (a person named in
the text was usually there, so "X attended" would not be clearly false)."""
SUPPORT_JACCARD = 0.5
"""A swapped statement counts as supported if a statement naming the distractor shares this
share of content words with it."""
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]
NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
TYPE_PLURAL = {"PROVINCE": "provinces or regions", "CITY": "cities", "PERSON": "people", "THEME": "phrases",
               "FIELD": "areas", "PROCESS": "strands", "REGION": "regions", "STRENGTH": "strengths"}


@dataclass
class Candidate:
    """A draft item before the gates.

    Attributes:
        kind: an item kind (see ``KINDS``).
        stem: the question, statement or gapped sentence.
        passage: the cited passage number.
        key: the identity key: the canonical answer, the key option, the sorted keys of a
            multiple-response item, or "true:/false:" + the statement for true/false.
        answers: accepted answers (cloze, short answer).
        options: options with ``is_key`` (choice kinds; true/false gets True/False).
        explanation: why the key is right, quoting the passage.
        support: phrases that must occur in the cited passage for the key to be supported.
        key_type: entity type of the key ("" for phrases).
        rule: the builder that made it (for the report and debugging).
        swapped: for a false statement, ``(original, replacement)``.
        statement: the statement it comes from.
        pool: the distractors that were available (for re-picking in the bank lint).
    """

    kind: str
    stem: str
    passage: int
    key: str
    answers: list[str] = field(default_factory=list)
    options: list[OptionRecord] = field(default_factory=list)
    explanation: str = ""
    support: list[str] = field(default_factory=list)
    key_type: str = ""
    rule: str = ""
    swapped: tuple[str, str] | None = None
    statement: Statement | None = None
    pool: list[str] = field(default_factory=list)
    explain_head: str = ""
    explain_quoted: bool = False
    """For choice items whose explanation names the distractors: the explanation up to the
    distractors ("Passage N says: ... It names A and B"); see :func:`choice_explanation`."""

    @property
    def keys(self) -> list[str]:
        """Return the key option texts (choice kinds) or the accepted answers."""
        if self.options:
            return [o.text for o in self.options if o.is_key]
        return list(self.answers)

    @property
    def distractors(self) -> list[str]:
        """Return the texts of the options that are not keys."""
        return [o.text for o in self.options if not o.is_key]


class Context:
    """What the builders share: lexicon, analysis, random source, document facts."""

    def __init__(self, analysis: Analysis, lexicon: Lexicon, rng: random.Random, document_text: str):
        self.analysis = analysis
        self.lexicon = lexicon
        self.rng = rng
        self.doc_norm = f" {norm(document_text)} "
        self._count: dict[str, int] = {}
        self.first_seen: dict[tuple[str, str], int] = {}
        for st in analysis.statements:
            for m in st.mentions:
                self.first_seen.setdefault((m.type, m.name), st.order)
        self._support_cache: dict[tuple[str, str], bool] = {}
        self._in_doc: dict[str, bool] = {}
        self._doc_names: dict[str, list[str]] = {}
        self._absent: dict[tuple[str, str | None], list[str]] = {}
        self.truth_kept = {True: 0, False: 0}
        self.people_asked = 0
        self.lists_seen = 0
        """How many person-post relations the templates have asked (alternates the kinds)."""
        self.used: dict[str, int] = {}
        self.topic: set[str] = set()
        """Normalised forms of the document's topic phrases (named in the title, or in at least
        half of the passages): never the key of a cloze or short-answer item."""

    def occurrences(self, phrase: str) -> int:
        """Return how often ``phrase`` occurs in the whole document (whole words, normalised; cached)."""
        needle = norm(phrase)
        found = self._count.get(needle)
        if found is None:
            found = self._count[needle] = self.doc_norm.count(f" {needle} ") if needle else 0
        return found

    def is_topic(self, phrase: str) -> bool:
        """Return True if ``phrase`` is one of the document's topic phrases."""
        return norm(phrase) in self.topic

    def least_used(self, pool: list[str]) -> list[str]:
        """Return ``pool`` with distractors used less often so far first (stable)."""
        return sorted(pool, key=lambda p: self.used.get(norm(p), 0))

    def use(self, texts: list[str]) -> None:
        """Count distractors as used (so later items prefer others)."""
        for t in texts:
            self.used[norm(t)] = self.used.get(norm(t), 0) + 1

    def want_true(self) -> bool:
        """Return the truth value the kept true/false items have fewer of (ties: seeded coin)."""
        if self.truth_kept[True] != self.truth_kept[False]:
            return self.truth_kept[True] < self.truth_kept[False]
        return self.rng.random() < 0.5

    # -- facts about the document -------------------------------------------------------
    def in_document(self, phrase: str) -> bool:
        """Return True if ``phrase`` occurs anywhere in the document (whole words, normalised)."""
        needle = norm(phrase)
        found = self._in_doc.get(needle)
        if found is None:
            found = self._in_doc[needle] = bool(needle) and f" {needle} " in self.doc_norm
        return found

    def absent_entries(self, type_: str, group: str | None) -> list[str]:
        """Return the names of lexicon entries of a type (and group) that the document never mentions."""
        key = (type_, group)
        names = self._absent.get(key)
        if names is None:
            names = self._absent[key] = [e.name for e in self.lexicon.of_type(type_, group)
                                         if not any(self.in_document(f) for f in e.forms)]
        return list(names)

    def doc_names(self, type_: str) -> list[str]:
        """Return the canonical names of a type mentioned in the document, by first mention."""
        cached = self._doc_names.get(type_)
        if cached is None:
            names = [(order, name) for (t, name), order in self.first_seen.items() if t == type_]
            cached = self._doc_names[type_] = [name for _, name in sorted(names)]
        return list(cached)

    def entry(self, mention: Mention) -> Entry | None:
        """Return the lexicon entry of a mention, if any."""
        entry = self.lexicon.lookup(mention.name)
        return entry if entry and entry.type == mention.type else None

    def supported(self, statement: Statement, original: str, replacement: str) -> bool:
        """Return True if the text may support ``statement`` with ``original`` -> ``replacement``.

        True when the replacement already occurs in the statement, or some statement naming
        the replacement shares at least ``SUPPORT_JACCARD`` of the swapped statement's content
        words.
        """
        if contains_phrase(statement.text, replacement):
            return True
        cache_key = (statement.text, norm(original) + "|" + norm(replacement))
        cached = self._support_cache.get(cache_key)
        if cached is not None:
            return cached
        swapped = content_words(replace_once(statement.text, original, replacement))
        result = False
        for order in self.analysis.where.get(norm(replacement), []):
            if order != statement.order and jaccard(swapped, self.analysis.content[order]) >= SUPPORT_JACCARD:
                result = True
                break
        self._support_cache[cache_key] = result
        return result


def name_options(texts: list[str], conjunction: str = "and", quoted: bool = False) -> str:
    """Return option texts joined for an explanation; quoted ("achieve X") when they are verb
    phrases, which "It names ..." could not take as they are."""
    return join_names([f'"{t}"' for t in texts] if quoted else list(texts), conjunction)


def choice_explanation(c: Candidate) -> str:
    """Return the explanation of ``c`` built from its final options: a choice item whose
    explanation names what the text does not mention names its own distractors, whatever
    swaps, repairs or lint re-picks happened after it was built."""
    if c.explain_head and c.kind in {"single_choice", "multiple_response"}:
        ds = c.distractors
        tail = f"; it does not mention {name_options(ds, 'or', c.explain_quoted)}." if ds else "."
        return c.explain_head + tail
    return c.explanation


def refresh_explanation(c: Candidate) -> None:
    """Rebuild, in place, the explanation of ``c`` from its final options."""
    c.explanation = choice_explanation(c)


def false_explanation(n: int, st: Statement, original: str, replacement: str) -> str:
    """Return the explanation of a false statement made by swapping ``original`` (a phrase of
    passage ``n``) for ``replacement``: "False. Passage N says: "..." Passage N names X, not Y."."""
    return f"False. Passage {n} says: {quote(st)} Passage {n} names {original}, not {replacement}."


def replace_once(text: str, old: str, new: str) -> str:
    """Replace the first whole-word occurrence of ``old`` in ``text`` by ``new``."""
    return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", lambda _: new, text, count=1)


def occurrences(text: str, phrase: str) -> int:
    """Return how often ``phrase`` occurs in ``text`` as whole words (case-insensitive)."""
    return len(re.findall(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, flags=re.I))


# -- answers -------------------------------------------------------------------------------

def date_forms(text: str) -> list[str]:
    """Return accepted spellings of a date such as "September 7th" or "7 September 2023"."""
    month = next((mo for mo in MONTH_NAMES if mo.lower() in text.lower()), None)
    day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", text)
    year = re.search(r"\b((?:19|20)\d\d)\b", text)
    if not month or not day:
        return [text]
    d = int(day.group(1))
    suffix = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = [text, f"{month} {d}", f"{month} {d}{suffix}", f"{d} {month}", f"{d}{suffix} {month}",
             f"the {d}{suffix} of {month}"]
    if year:
        y = year.group(1)
        forms += [f"{d} {month} {y}", f"{month} {d}, {y}", f"{month} {d} {y}", f"{month} {d}{suffix}, {y}"]
    return unique(forms)


def answer_forms(mention: Mention, ctx: Context) -> list[str]:
    """Return the accepted answers for a mention: its surface form first, then variants."""
    forms = [mention.text]
    entry = ctx.entry(mention)
    if mention.type == "DATE":
        forms = date_forms(mention.text)
    elif mention.type == "NUMBER":
        word = mention.text.lower()
        if word in NUMBERS:
            forms += [word, str(NUMBERS.index(word) + 2)]
    elif entry:
        forms += list(entry.forms)
    if mention.type == "PROVINCE":
        forms += [f"{f} Province" for f in list(forms)]
    elif mention.type == "CITY":
        forms += [f"{mention.name} City"]
    elif mention.type in {"REGION", "ORG", "THEME", "TITLE"}:
        forms += [re.sub(r"^(?:the|a|an)\s+", "", f, flags=re.I) for f in list(forms)]
    return unique(forms)


def unique(items: list[str]) -> list[str]:
    """Return ``items`` without repeats after :func:`norm` (first spelling kept), blanks dropped."""
    seen, out = set(), []
    for item in items:
        key = norm(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


# -- distractors ---------------------------------------------------------------------------

def shape(text: str) -> str:
    """Return a coarse form of an option: digits, capitalised name, or lower-case phrase."""
    if re.fullmatch(r"[\d\s,.-]+(?:st|nd|rd|th)?", text):
        return "digits"
    if re.search(r"\d", text):
        return "date"
    return "name" if text[:1].isupper() else "phrase"


def same_form(key: str, other: str) -> bool:
    """Return True if ``other`` has the key's form: same shape and a comparable length.

    Comparable: the word counts differ by at most a factor of two (one-word keys accept up
    to three words).
    """
    if shape(key) != shape(other):
        return False
    a, b = len(key.split()), len(other.split())
    if a == 1:
        return b <= 3
    return b * 2 >= a and b <= a * 2 + 1


def year_pool(key: str, ctx: Context) -> list[str]:
    """Return years near ``key`` that the document does not mention."""
    y = int(key)
    near = [y + d for d in (-1, 1, -2, 2, -3, 3, -4, 4, -5, 5)]
    return [str(v) for v in near if str(v) not in ctx.analysis.years]


def date_pool(key: str, ctx: Context) -> list[str]:
    """Return dates of the same month and style as ``key`` (other days)."""
    m = re.search(r"\b(\d{1,2})(st|nd|rd|th)?\b", key)
    if not m:
        return []
    d = int(m.group(1))
    out = []
    for delta in (-2, 3, -4, 5, 7, -6, 1, -1):
        nd = d + delta
        if not 1 <= nd <= 28:
            continue
        suffix = ""
        if m.group(2):
            suffix = "th" if 10 <= nd % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(nd % 10, "th")
        out.append(key[:m.start()] + f"{nd}{suffix}" + key[m.end():])
    return [o for o in out if not ctx.in_document(o)]


def number_pool(key: str) -> list[str]:
    """Return other counts in the key's spelling (word or digits, same capitalisation)."""
    word = key.lower()
    if word not in NUMBERS:
        return []
    i = NUMBERS.index(word)
    near = [NUMBERS[j] for j in (i - 1, i + 1, i + 2, i - 2, i + 3) if 0 <= j < len(NUMBERS)]
    return [n.capitalize() if key[:1].isupper() else n for n in near]


def pool_for(mention: Mention, ctx: Context, *, lexicon_only: bool = False) -> list[str]:
    """Return candidate distractors for a mention: same type (and group), document first.

    Ordering is deterministic; the two tiers (document, lexicon) are each shuffled with the
    context's seeded random source so different seeds give different choices.
    """
    if mention.type == "YEAR":
        return year_pool(mention.text, ctx)
    if mention.type == "DATE":
        return date_pool(mention.text, ctx)
    if mention.type == "NUMBER":
        return number_pool(mention.text)
    entry = ctx.entry(mention)
    group = entry.group if entry else ""
    if mention.type == "THEME" and not group:
        return []
    doc_tier = []
    if not lexicon_only:
        for name in ctx.doc_names(mention.type)[:50]:
            other = ctx.lexicon.lookup(name)
            if (other.group if other else "") == group and name != mention.name:
                doc_tier.append(name)
    lex_tier = ctx.absent_entries(mention.type, group)
    ctx.rng.shuffle(doc_tier)
    ctx.rng.shuffle(lex_tier)
    return doc_tier + lex_tier


def choose(key: str, accepted: list[str], pool: list[str], n: int, ctx: Context,
           statement: Statement | None, original: str, *, check_support: bool = True) -> list[str]:
    """Pick ``n`` distractors for ``key`` from ``pool``.

    A distractor must differ from the key, its accepted answers and the other distractors
    after normalising case, spaces and punctuation; have the key's form
    (:func:`same_form`); and not make the source statement supported by the text when it
    replaces the key (:meth:`Context.supported`). If the pool allows, at least one chosen
    distractor is at least as long as the key, so that the key is not always the longest
    option.
    """
    taken = {norm(a) for a in accepted} | {norm(key)}
    valid: list[str] = []
    for cand in ctx.least_used(pool):
        c = norm(cand)
        if not c or c in taken or not same_form(key, cand):
            continue
        if statement is not None and _named_elsewhere(cand, statement, original, ctx):
            continue    # "intelligent upgrading" beside "..., and intelligent transformation": the same thing
        if statement is not None and check_support and ctx.supported(statement, original, cand):
            continue
        taken.add(c)
        valid.append(cand)
    chosen = valid[:n]
    if len(valid) > n and all(len(d) < len(key) for d in chosen):
        longer = [d for d in valid[n:] if len(d) >= len(key)]
        if longer:
            chosen[-1] = longer[0]
    ctx.use(chosen)
    return chosen


def _named_elsewhere(candidate: str, statement: Statement, original: str, ctx: Context) -> bool:
    """Return True if the statement names ``candidate`` (under any of its lexicon forms) outside
    the phrase ``original`` it would replace: such a distractor is also true, or the same thing."""
    entry = ctx.lexicon.lookup(candidate)
    forms = set(entry.forms) if entry else {candidate}
    rest = replace_once(statement.text, original, " ")
    return any(contains_phrase(rest, f) for f in forms)


def shuffled_options(keys: list[str], distractors: list[str], rng: random.Random) -> list[OptionRecord]:
    """Return key and distractor options in a seeded random order."""
    options = [OptionRecord(k, True) for k in keys] + [OptionRecord(d, False) for d in distractors]
    rng.shuffle(options)
    return options


def quote(statement: Statement) -> str:
    """Return the source sentence of a statement as a quotation for explanations."""
    return f"\"{statement.source}\""


def join_names(names: list[str], conjunction: str = "and") -> str:
    """Return "A", "A and B" or "A, B and C" (or with another conjunction)."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


# -- relation templates ----------------------------------------------------------------------

def _first(statement: Statement, type_: str, after: int = 0) -> Mention | None:
    return next((m for m in statement.mentions if m.type == type_ and m.start >= after), None)


def _base(verb: str) -> str:
    words = verb.split()
    words[0] = PAST_TO_BASE.get(words[0].lower(), words[0])
    if words[-1] == "for" and words[0] in {"urge", "advocate"}:
        words = words[:-1]
    return " ".join(words)


def _event_in(text: str) -> str:
    m = re.search(rf"\b({EVENT_NOUNS})\b", text, flags=re.I)
    return m.group(1).lower() if m else "meeting"


def _city_choice(city, stem: str, fact: str, rule: str, n: int, st: str, ctx) -> "Candidate":
    """Return a single-choice "in which city" candidate whose key is ``city``.

    Args:
        city: the CITY entity of sentence ``st`` (passage ``n``).
        stem: the question; fact: the sentence that ends the explanation; rule: the rule's name.
    Returns:
        The candidate, with three distractors of type CITY chosen from the document, then the lexicon.
    """
    pool = pool_for(city, ctx)
    ds = choose(city.text, answer_forms(city, ctx), pool, 3, ctx, st, city.text)
    return Candidate(
        "single_choice", stem, n, city.name, options=shuffled_options([city.text], ds, ctx.rng),
        explanation=f"Passage {n} says: {quote(st)} {fact}",
        support=[city.text], key_type="CITY", rule=rule, statement=st, pool=pool)


_PRONOUN_WORD = re.compile(r"\b(?:he|she|him|her|his|they|them|their|it|its|this|these|those)\b", re.I)


def _true_statement(said: str, n: int, st: Statement, support: list[str], key_type: str, rule: str) -> Candidate:
    """Return a true true/false candidate stating ``said``, which passage ``n`` (statement ``st``) supports."""
    return Candidate(
        "true_false", said, n, "true:" + norm(said),
        options=[OptionRecord("True", True), OptionRecord("False", False)],
        explanation=f"True. Passage {n} says: {quote(st)}", support=support, key_type=key_type, rule=rule,
        statement=st)


def _false_statement(said: str, n: int, st: Statement, original: str, replacement: str, key_type: str,
                     rule: str) -> Candidate:
    """Return a false true/false candidate: ``said`` states ``replacement`` where passage ``n``
    (statement ``st``) gives ``original``, a name the text ties to this one fact only."""
    return Candidate(
        "true_false", said, n, "false:" + norm(said),
        options=[OptionRecord("True", False), OptionRecord("False", True)],
        explanation=false_explanation(n, st, original, replacement), support=[original], key_type=key_type,
        rule=rule, swapped=(original, replacement), statement=st)


def template_candidates(st: Statement, ctx: Context) -> list[Candidate]:
    """Return the relation-template candidates of a statement (questions, not copies)."""
    out: list[Candidate] = []
    text = st.text
    n = st.passage
    subj = st.subject

    # R1: PERSON hosted/chaired a symposium in CITY (on DATE).
    if subj is not None:
        m = re.compile(rf"\s+(?P<verb>{HOST_VERBS})\s+(?:a|the)\s+(?P<event>{EVENT_NOUNS})\b").match(text, subj.end)
        if m:
            verb, event = m.group("verb"), m.group("event")
            city = _first(st, "CITY", m.end())
            if city and not re.match(r"\s*in\s+$", text[m.end():city.start]):
                city = None
            date = _first(st, "DATE")
            where = when = ""     # "in Harbin" / "on 7 September" would give the where/when items away
            person = answer_forms(subj, ctx)
            out.append(Candidate(
                "short_answer", f"Who {verb} the {event}{where}{when}?", n, subj.name, person,
                explanation=f"Passage {n} says: {quote(st)} The answer is {subj.name}.",
                support=[subj.text], key_type="PERSON", rule="host.who", statement=st))
            base = PAST_TO_BASE.get(verb.split()[0], verb.split()[0])
            base = base + verb[len(verb.split()[0]):]
            if city:
                out.append(_city_choice(
                    city, f"In which city did {subj.text} {base} the {event}{when}?",
                    f"The {event} was held in {city.text}.", "host.where", n, st, ctx))
            if date:
                out.append(Candidate(
                    "short_answer", f"On what date did {subj.text} {base} the {event}{where}?", n, date.text,
                    date_forms(date.text),
                    explanation=f"Passage {n} says: {quote(st)} The date was {date.text}.",
                    support=[date.text], key_type="DATE", rule="host.when", statement=st))
            prov = _first(st, "PROVINCE", city.end) if city else None
            if prov is not None and re.fullmatch(r",\s+", text[city.end:prov.start]):
                # "in Harbin, Heilongjiang Province": the province of the event (what the text
                # teaches), not "in which province is Harbin?" (geography).
                pool = pool_for(prov, ctx)
                ds = choose(prov.text, answer_forms(prov, ctx), pool, 3, ctx, st, prov.text)
                out.append(Candidate(
                    "single_choice", f"In which province did {subj.text} {base} the {event}?", n, prov.name,
                    options=shuffled_options([prov.text], ds, ctx.rng),
                    explanation=f"Passage {n} says: {quote(st)} The {event} was held in {city.text}, "
                                f"{prov.text}.",
                    support=[prov.text], key_type="PROVINCE", rule="host.province", statement=st, pool=pool))
            # False statements on the where and the when (each contradicts the text: one place,
            # one date). Neither shows the other's key.
            if city:
                wrong = choose(city.text, answer_forms(city, ctx), pool_for(city, ctx), 1, ctx, st, city.text)
                if wrong:
                    out.append(_false_statement(
                        f"According to the text, {subj.text} {verb} the {event} in {wrong[0]}.", n, st,
                        city.text, wrong[0], "CITY", "host.where.false"))
            if date:
                wrong = choose(date.text, date_forms(date.text), pool_for(date, ctx), 1, ctx, st, date.text)
                if wrong:
                    out.append(_false_statement(
                        f"According to the text, {subj.text} {verb} the {event} on {wrong[0]}.", n, st,
                        date.text, wrong[0], "DATE", "host.when.false"))

    # R2: CITY, (the capital of) PROVINCE (Province).
    for city in st.mentions_of("CITY"):
        prov = _first(st, "PROVINCE", city.end)
        if prov is None:
            continue
        between = text[city.end:prov.start]
        capital = re.fullmatch(r",\s+the\s+capital\s+of\s+", between)
        if not capital and not re.fullmatch(r",\s+", between):
            continue
        if capital:
            stem = f"According to the text, {city.text} is the capital of which province?"
            rel = "the capital of"
        else:
            stem = f"According to the text, in which province is {city.text}?"
            rel = "in"
        pool = pool_for(prov, ctx)
        ds = choose(prov.text, answer_forms(prov, ctx), pool, 3, ctx, st, prov.text)
        out.append(Candidate(
            "single_choice", stem, n, prov.name, options=shuffled_options([prov.text], ds, ctx.rng),
            explanation=f"Passage {n} says: {quote(st)} {city.text} is {rel} {prov.text}.",
            support=[city.text, prov.text], key_type="PROVINCE", rule="city.province", statement=st, pool=pool))

    # R3: PERSON, TITLE / PERSON ... as (a) TITLE.
    for person in st.mentions_of("PERSON"):
        title = _first(st, "TITLE", person.end)
        if title is None:
            continue
        between = text[person.end:title.start]
        if any(p.start > person.end and p.start < title.start for p in st.mentions_of("PERSON")):
            continue
        attended = re.search(r"\b(?:took part|attended|was present|participated)\b.*\bas\s+(?:a|an|the)?\s*$", between)
        if not (re.fullmatch(r",\s+", between) or attended):
            continue
        event = _event_in(ctx.analysis.passages.get(n, "")) if attended else ""
        pool = [d for d in pool_for(title, ctx)]
        ds = choose(title.text, answer_forms(title, ctx), pool, 3, ctx, None, title.text)
        if attended:
            stem = f"According to the text, in what capacity did {person.text} take part in the {event}?"
            who = f"Who took part in the {event} as {title.text}?"
        else:
            stem = f"According to the text, which post did {person.text} hold?"
            who = f"According to the text, who was {title.text}?"
        # One person in two is asked the other way round (who held the post?): both ways for
        # one person would give each other away, and the bank wants short answers too.
        ctx.people_asked += 1
        if ctx.people_asked % 2:
            out.append(Candidate(
                "single_choice", stem, n, title.name, options=shuffled_options([title.text], ds, ctx.rng),
                explanation=f"Passage {n} says: {quote(st)} {person.text} is named as {title.text}.",
                support=[person.text, title.text], key_type="TITLE", rule="person.title", statement=st,
                pool=pool))
        out.append(Candidate(
            "short_answer", who, n, person.name, answer_forms(person, ctx),
            explanation=f"Passage {n} says: {quote(st)} The answer is {person.text}.",
            support=[person.text, title.text], key_type="PERSON", rule="title.person", statement=st))
        role = f"took part in the {event} as" if attended else "was"
        if not ds:
            said = f"According to the text, {person.text} {role} {title.text}."
            out.append(_true_statement(said, n, st, [person.text, title.text], "TITLE", "person.title.true"))
        else:
            said = f"According to the text, {person.text} {role} {ds[0]}."
            out.append(Candidate(
                "true_false", said, n, "false:" + norm(said),
                options=[OptionRecord("True", False), OptionRecord("False", True)],
                explanation=false_explanation(n, st, f"{person.text} as {title.text}", ds[0]),
                support=[person.text, title.text], key_type="TITLE", rule="person.title.false",
                swapped=(title.text, ds[0]), statement=st))

    # R3c: "officials, including PERSON, TITLE, ..., reported on X": a true statement that
    # PERSON reported on X (no key of another item: the post is asked elsewhere).
    for person in st.mentions_of("PERSON"):
        if not re.search(r"\bincluding\s+$", text[:person.start]):
            continue
        did = re.search(r",\s+(?P<verb>reported|spoke|briefed|presented)\s+(?P<obj>on\s+[^,.;]+)", text[person.end:])
        if did is None:
            continue
        obj = re.split(r"\s+(?:in|of|for)\s+(?:their|its|his|her)\b", did.group("obj"))[0].strip()
        if len(obj.split()) < 3 or _PRONOUN_WORD.search(obj):
            continue
        said = f"According to the text, {person.text} {did.group('verb')} {obj}."
        out.append(_true_statement(said, n, st, [person.text], "PERSON", "person.reported.true"))

    # R3b: PERSON, who heads ORG.
    for person in st.mentions_of("PERSON"):
        org = _first(st, "ORG", person.end)
        if org and re.fullmatch(r",\s+who\s+(?:heads|leads|directs)\s+(?:the\s+)?", text[person.end:org.start]):
            pool = pool_for(org, ctx, lexicon_only=True)
            ds = choose(org.text, answer_forms(org, ctx), pool, 3, ctx, st, org.text)
            out.append(Candidate(
                "single_choice", f"According to the text, which body does {person.text} head?", n, org.name,
                options=shuffled_options([org.text], ds, ctx.rng),
                explanation=f"Passage {n} says: {quote(st)} {person.text} heads the {org.text}.",
                support=[person.text, org.text], key_type="ORG", rule="person.heads", statement=st, pool=pool))
            out.append(Candidate(
                "short_answer", f"According to the text, who heads the {org.text}?", n, person.name,
                answer_forms(person, ctx),
                explanation=f"Passage {n} says: {quote(st)} The answer is {person.text}.",
                support=[person.text, org.text], key_type="PERSON", rule="heads.person", statement=st))

    # R4: the previous/earlier EVENT ... held in CITY / in YEAR.
    m = re.search(rf"\b(?P<mod>previous|last|earlier|preceding|first)\s+(?P<event>{EVENT_NOUNS})\b[^.]*?\bheld\b", text)
    if m:
        mod, event = "previous", m.group("event")
        if event == "meeting":
            event = _event_in(ctx.analysis.passages.get(n, ""))
        city = _first(st, "CITY", m.start())
        year = _first(st, "YEAR", m.start())
        if city:
            out.append(_city_choice(
                city, f"In which city was the {mod} {event} held?",
                f"The {mod} {event} was held in {city.text}.", "earlier.where", n, st, ctx))
            wrong = choose(city.text, answer_forms(city, ctx), pool_for(city, ctx), 1, ctx, st, city.text)
            if wrong:
                out.append(_false_statement(
                    f"According to the text, the {mod} {event} was held in {wrong[0]}.", n, st, city.text,
                    wrong[0], "CITY", "earlier.where.false"))
        if year:
            where = ""            # "the previous symposium in Shenyang" gives the city away
            pool = pool_for(year, ctx)
            ds = choose(year.text, [year.text], pool, 3, ctx, st, year.text)
            out.append(Candidate(
                "short_answer", f"In which year was the {mod} {event}{where} held?", n, year.text, [year.text],
                explanation=f"Passage {n} says: {quote(st)} It was held in {year.text}.",
                support=[year.text], key_type="YEAR", rule="earlier.when", statement=st))
            if not city:     # (with a city asked as single choice, the year is a short answer)
                out.append(Candidate(
                    "single_choice", f"In which year was the {mod} {event}{where} held?", n, year.text,
                    options=shuffled_options([year.text], ds, ctx.rng),
                    explanation=f"Passage {n} says: {quote(st)} It was held in {year.text}.",
                    support=[year.text], key_type="YEAR", rule="earlier.when", statement=st, pool=pool))
            wrong = choose(year.text, [year.text], pool_for(year, ctx), 1, ctx, st, year.text)
            if wrong:
                out.append(_false_statement(
                    f"According to the text, the {mod} {event} took place in {wrong[0]}.", n, st, year.text,
                    wrong[0], "YEAR", "earlier.when.false"))

    # R5: REGION bears a primary responsibility for Xing THEME / primary responsibility of REGION in Xing THEME.
    for region in st.mentions_of("REGION"):
        theme = _first(st, "THEME", region.end)
        if theme is None:
            continue
        between = text[region.end:theme.start]
        g = re.fullmatch(r"\s+(?:bears|has|shoulders)\s+(?:a|the)\s+(?P<resp>(?:primary|major|special|"
                         r"important)\s+responsibility)\s+for\s+(?P<ger>\w+ing)\s+", between)
        if not g:
            g = re.fullmatch(r"\s+in\s+(?P<ger>\w+ing)\s+", between)
            h = re.search(r"(?P<resp>(?:primary|major|special|important)\s+responsibility)\s+of\s+$",
                          text[:region.start])
            if not (g and h):
                continue
            resp = h.group("resp")
        else:
            resp = g.group("resp")
        ger = g.group("ger")
        theme_phrase = re.sub(r"^China's\s+", "", theme.text)
        out.append(Candidate(
            "short_answer", f"According to the text, which region bears the {resp} for {ger} {theme_phrase}?",
            n, region.name, answer_forms(region, ctx),
            explanation=f"Passage {n} says: {quote(st)} The answer is {region.name}.",
            support=[region.text, theme.text], key_type="REGION", rule="responsibility.who", statement=st))
        pool = pool_for(theme, ctx)
        ds = choose(theme_phrase, answer_forms(theme, ctx), pool, 3, ctx, st, theme.text)
        region_text = re.sub(r"^the\s", "", region.text)
        region_text = region.text if region_text == region.text else "the " + region_text
        out.append(Candidate(
            "single_choice", f"According to the text, what does {region_text} bear the {resp} for {ger}?",
            n, theme.name, options=shuffled_options([theme_phrase], ds, ctx.rng),
            explanation=f"Passage {n} says: {quote(st)} The answer is {theme_phrase}.",
            support=[theme_phrase], key_type="THEME", rule="responsibility.what", statement=st, pool=pool))
        # "The primary responsibility" is one: another theme in its place contradicts the text.
        wrong = [d for d in ctx.least_used(pool) if norm(d) not in {norm(x) for x in ds}
                 and not ctx.supported(st, theme.text, d) and same_form(theme_phrase, d)][:1]
        if wrong:
            ctx.use(wrong)
            out.append(_false_statement(
                f"According to the text, {region_text} bears the {resp} for {ger} {wrong[0]}.", n, st,
                theme_phrase, wrong[0], "THEME", "responsibility.false"))
    return out


# -- lists -------------------------------------------------------------------------------

def _list_pool(lst: ItemList, st: Statement, ctx: Context) -> tuple[list[str], str]:
    """Return (distractor pool, key type) for a list: same entity type, or policy measures."""
    if lst.type:
        groups = {(ctx.lexicon.lookup(i).group if ctx.lexicon.lookup(i) else "") for i in lst.items}
        if lst.type == "THEME":     # absent themes of the keys' groups (each key must have one)
            if not all(groups):
                return [], ""
            pool = unique([p for g in sorted(groups) for p in ctx.absent_entries(lst.type, g)])
        else:
            pool = ctx.absent_entries(lst.type, None)
        ctx.rng.shuffle(pool)
        return pool, lst.type
    typed: dict[str, int] = {}
    for item in lst.items:
        entry = ctx.lexicon.lookup(item)
        for m in st.mentions:
            if norm(m.text) in norm(item) and m.type in {"STRENGTH", "PROCESS", "FIELD"}:
                entry = ctx.lexicon.lookup(m.name)
                break
        if entry and entry.type in {"STRENGTH", "PROCESS", "FIELD"}:
            typed[entry.type] = typed.get(entry.type, 0) + 1
    if typed:
        type_ = max(sorted(typed), key=lambda t: typed[t])
        if typed[type_] * 2 >= len(lst.items):
            pool = ctx.absent_entries(type_, None)
            ctx.rng.shuffle(pool)
            return pool, type_
    if lst.form in {"the_of", "verb", "gerund"}:
        # Preferred: the list's own items with a theme (field, process) they name swapped for an
        # absent entry of the same lexicon group ("the deepening of tax reform" for "... of
        # state-owned enterprise reform"); then the lexicon's measures.
        derived = _theme_swaps(lst, st, ctx)
        ctx.rng.shuffle(derived)
        pool = [m.render(lst.form) for m in ctx.lexicon.measures]
        pool = [p for p in pool if not ctx.in_document(p)]
        if lst.form == "gerund" and lst.items[0][:1].isupper():
            pool = [sentence_case(p) for p in pool]
        ctx.rng.shuffle(pool)
        return unique(derived + pool), "MEASURE"
    return [], ""


def _theme_swaps(lst: ItemList, st: Statement, ctx: Context) -> list[str]:
    """Return, for each list item naming a grouped theme, the item with that theme replaced by
    an entry of the same group that the document never mentions (at most one per item)."""
    out = []
    for item in lst.items:
        options = []
        for m in st.mentions:
            if m.type != "THEME" or not contains_phrase(item, m.text):
                continue
            entry = ctx.entry(m)
            if entry is None or not entry.group:
                continue
            for name in ctx.absent_entries(m.type, entry.group):
                swapped = replace_once(item, m.text, name)
                if swapped != item and not ctx.in_document(swapped):
                    options.append(swapped)
        if options:     # one per item: three variants of one key would point at it
            out.append(ctx.rng.choice(options))
    return unique(out)


LENGTH_RATIO = 1.3
"""A multiple-response item whose shortest key is longer than this times its longest distractor
gives its keys away by length."""
LENGTH_MARGIN = 5
"""... and so does one whose every key is at least this many characters longer than every
distractor."""


def keys_stand_out(keys: list[str], distractors: list[str]) -> bool:
    """Return True if every key is longer than every distractor by a clear margin: the shortest
    key exceeds the longest distractor by ``LENGTH_MARGIN`` characters or more, or is longer
    than ``LENGTH_RATIO`` times it."""
    if not keys or not distractors:
        return False
    shortest_key = min(len(k) for k in keys)
    longest_d = max(len(d) for d in distractors)
    return shortest_key - longest_d >= LENGTH_MARGIN or shortest_key > LENGTH_RATIO * longest_d


def pick_list_distractors(keys: list[str], pool: list[str], type_: str, ctx: Context, n: int = 3) -> list[str]:
    """Return ``n`` distractors for list keys from ``pool`` (least used first); when those would
    leave the keys standing out by length (:func:`keys_stand_out`), the ones nearest the keys'
    mean length instead."""
    key_norms = {norm(k) for k in keys}
    eligible = [p for p in ctx.least_used(pool) if norm(p) not in key_norms
                and (type_ in {"MEASURE", "PROVINCE", "STRENGTH", "FIELD", "PROCESS"} or same_form(keys[0], p))]
    eligible = unique(eligible)
    ds = eligible[:n]
    if keys_stand_out(keys, ds) or keys_stand_out(ds, keys):
        mean = sum(len(k) for k in keys) / len(keys)
        ds = sorted(eligible, key=lambda p: abs(len(p) - mean))[:n]
    longest_key = max((len(k) for k in keys), default=0)
    if ds and longest_key > 2 * max(len(d) for d in ds):
        # no key more than twice the longest distractor (the bank lint): swap in the longest
        longer = sorted((p for p in eligible if p not in ds), key=len, reverse=True)
        if longer and len(longer[0]) > max(len(d) for d in ds):
            ds[-1] = longer[0]
    return ds


def _list_stem(lst: ItemList, st: Statement) -> str | None:
    """Return a question for a list from its trigger, or None when no template fits."""
    s = st.subject.text if st.subject is not None else ""
    low = st.text.lower()
    if lst.trigger == "entities":
        if lst.type == "PROVINCE" and "secretar" in low:
            return ("According to the text, Party secretaries of which of the following provinces or "
                    "regions reported on the revitalization work?")
        return None
    if lst.trigger == "need" and s:
        return f"Which of the following did {s} {_base(lst.verb)} the need to do?"
    if lst.trigger == "importance" and s:
        extra = ""
        shared = re.search(r"\s+of\s+(?P<obj>[^,]+)$", lst.items[-1])
        if shared and all(len(i.split()) <= 2 for i in lst.items[:-1]):
            lst.items[-1] = lst.items[-1][:shared.start()]
            extra = f" for {shared.group('obj')}"
            lst.extra = f" in {shared.group('obj')}"
        if extra:
            return f"Which of the following did {s} {_base(lst.verb)}{extra}?"
        return f"Which of the following did {s} {_base(lst.verb)} the importance of?"
    if lst.trigger == "verb" and s:
        verb = lst.verb
        if verb in {"named", "mentioned", "pointed to", "set out", "outlined"}:
            if lst.pool_type == "STRENGTH":
                return f"Which of the following did {s} {_base(verb)} as strengths of the region?"
            return None
        return f"Which of the following did {s} {_base(verb)}?"
    if lst.trigger == "such_as":
        return f"Which of the following does the text give as examples of {lst.head}?"
    if lst.trigger == "colon":
        pre = st.text[:lst.start].rstrip(": ")
        m = re.match(r"^(?P<x>.+?)\s+(?:has|have|includes?|comprises?)\s+(?:\w+\s+)?(?P<noun>\w+s)$", pre)
        if m:
            x = m.group("x")
            x = x[:1].lower() + x[1:] if x.split()[0] in {"The", "A", "An"} else x
            lst.extra = f"{m.group('noun')} of {x}"
            return f"According to the text, which of the following are {m.group('noun')} of {x}?"
        return None
    if lst.trigger == "subject":
        return f"Which of the following {lst.verb} {lst.head}?"
    return None


_VERB_AS_WRITTEN = {"urged for": "urged", "advocated for": "advocated"}


def _list_statement(lst: ItemList, st: Statement, item: str) -> str | None:
    """Return a one-item statement of a list ("According to the text, S called for X."), or None."""
    s = st.subject.text if st.subject is not None else ""
    verb = _VERB_AS_WRITTEN.get(lst.verb, lst.verb)
    if lst.trigger == "entities":
        if lst.type == "PROVINCE" and "secretar" in st.text.lower():
            return f"According to the text, the Party secretary of {item} reported on the revitalization work."
        return None
    if lst.trigger == "need" and s:
        return f"According to the text, {s} {verb} the need to {item}."
    if lst.trigger == "importance" and s:
        return f"According to the text, {s} {verb} the importance of {item}{lst.extra}."
    if lst.trigger == "verb" and s and verb not in {"named", "mentioned", "pointed to", "set out", "outlined"}:
        return f"According to the text, {s} {verb} {item}."
    if (lst.trigger == "verb" and s and lst.pool_type == "STRENGTH" and len(item.split()) <= 4
            and item.split(" of ")[0].endswith("s")):
        return f"According to the text, {s} {verb} {item} as one of the region's strengths."
    if lst.trigger == "such_as":
        if not item.split(" of ")[0].endswith("s") or len(item.split()) > 6:
            return None    # "include solid industrial base" would lack its article
        return f"According to the text, {lst.head} include {item}."
    if lst.trigger == "colon" and lst.extra:
        return f"According to the text, the {lst.extra} include {item}."
    if lst.trigger == "subject":
        head = re.sub(r"\bas\s+(?!the\b|one\b)", "as one of the ", lst.head, count=1)
        return f"{sentence_case(item)} was {head}."
    return None


def list_candidates(st: Statement, ctx: Context) -> list[Candidate]:
    """Return candidates built from the statement's lists (template stems, not copies).

    Each list with a question template gives a multiple-response item (keys: the items;
    distractors: same-type lexicon entries or policy measures absent from the document)
    and a true/false statement about one item (true) or one distractor (false).
    """
    out = []
    n = st.passage
    for lst in st.lists:
        pool, type_ = _list_pool(lst, st, ctx)
        lst.pool_type = type_
        stem = _list_stem(lst, st)
        if stem is None:
            continue
        keys = unique(lst.items)
        key_norms = {norm(k) for k in keys}
        if len(keys) >= 3:
            longest = max(keys, key=len)
            rest = [k for k in keys if k is not longest]
            if len(longest) > 2 * max(len(k) for k in rest):
                keys = rest     # a key twice as long as the others stands out: leave it unoffered
        if not lst.type and len(keys) >= 2 and _split_list(lst, st, keys, pool, ctx, out):
            continue
        ds = pick_list_distractors(keys, pool, type_, ctx)
        ctx.use(ds)
        verbal = lst.form in {"verb", "gerund"}
        mr = Candidate(
            "multiple_response", stem, n, "|".join(sorted(key_norms)),
            options=shuffled_options(keys, ds, ctx.rng),
            explain_head=f"Passage {n} says: {quote(st)} It names {name_options(keys, quoted=verbal)}",
            explain_quoted=verbal, support=keys, key_type=type_, rule=f"list.{lst.trigger}", statement=st,
            pool=pool)
        refresh_explanation(mr)
        out.append(mr)
        count = _count_candidate(lst, st, stem, keys, ctx)
        if count is not None:
            out.append(count)
        closed = lst.trigger == "entities" and lst.type and type_ == lst.type
        if (ctx.want_true() and not closed) or not ds:
            start = ctx.rng.randrange(len(keys))
            said, item = None, keys[start]
            for item in keys[start:] + keys[:start]:
                said = _list_statement(lst, st, item)
                if said:
                    break
            if said:
                out.append(_true_statement(said, n, st, [item], type_, f"list.true.{lst.trigger}"))
        else:
            if not closed:
                continue
            # A false statement swaps a listed entity for an absent one of the same type, and only
            # in a closed list of entities ("secretaries from A, B and C reported"), which the
            # passage then contradicts; never a policy measure (false only by omission).
            said, wrong = None, ds[0]
            for wrong in ds:
                said = _list_statement(lst, st, wrong)
                if said:
                    break
            if said:
                out.append(Candidate(
                    "true_false", said, n, "false:" + norm(said),
                    options=[OptionRecord("True", False), OptionRecord("False", True)],
                    explanation=false_explanation(n, st, join_names(keys), wrong),
                    support=[keys[0]], key_type=type_, rule=f"list.false.{lst.trigger}",
                    swapped=(keys[0], wrong), statement=st))
    return out


_OF_TAIL = re.compile(r"^(?P<head>(?:the\s+)?\w+(?:\s+and\s+\w+)?\s+of\s+)(?P<tail>(?:\w[\w-]*\s+){0,3}\w[\w-]*)$")
"""A list item "the expansion of industrial chains": a cloze blanks the tail after "of" (four words at most)."""


def _split_list(lst: ItemList, st: Statement, keys: list[str], pool: list[str], ctx: Context,
                out: list[Candidate]) -> bool:
    """Ask every other list of policy measures one item at a time instead of as one
    multiple-response item: a true statement on one item, a cloze on the words after "of" in
    another ("S urged the expansion of ___."), and a single-choice question on a third (its
    distractors: measures of the same form the document does not mention).

    Returns True (the items appended to ``out``) when the list was split, False when the
    caller should build a multiple-response item: every other eligible list, lists whose
    items have no one-item statement, or when fewer than two items could be asked.
    """
    if lst.form not in {"the_of", "verb", "gerund"}:
        return False
    if _list_statement(lst, st, keys[0]) is None:
        return False
    if len(keys) < 3:
        ctx.lists_seen += 1         # every other list of another form
        if ctx.lists_seen % 2:
            return False
    n = st.passage
    made: list[Candidate] = []
    # an item holding a list of its own ("transform advantages in science, education and
    # industry ...") is asked by that list's gap item: asked alone, it would show its keys
    left = [k for k in keys if not any(other is not lst and len(other.items) >= 2
                                       and all(contains_phrase(k, i) for i in other.items) for other in st.lists)]
    # the cloze first: it needs an item of the form "the X of Y"
    for item in left:
        m = _OF_TAIL.match(item)
        said = _list_statement(lst, st, m.group("head") + GAP) if m else None
        # the words before the blank must occur once in the whole text ("development of" also
        # precedes "the private economy" elsewhere: the blank would have several answers)
        bare = re.sub(r"^the\s+", "", m.group("head").strip()) if m else ""
        if said and said.count(GAP) == 1 and ctx.occurrences(bare) == 1:
            made.append(Candidate(
                "cloze", said, n, m.group("tail"), [m.group("tail")],
                explanation=f"Passage {n} says: {quote(st)} The missing words are \"{m.group('tail')}\".",
                support=[m.group("tail")], key_type="", rule=f"list.split.cloze", statement=st))
            left.remove(item)
            break
    said = _list_statement(lst, st, left[0]) if left else None
    if said:
        made.append(_true_statement(said, n, st, [left[0]], "", "list.split.true"))
        left.pop(0)
    stem = _list_single_stem(lst, st)
    if left and stem:
        key = left[0]
        others = {norm(k) for k in keys}
        listed = [content_words(k) for k in keys]
        # not a variant of a listed item ("... of marine resources" beside "... of ecological
        # resources"): a learner could argue it is also what the text calls for
        eligible = [p for p in ctx.least_used(pool) if norm(p) not in others and same_form(key, p)
                    and not ABSOLUTE.search(p)
                    and not any(jaccard(content_words(p), words) >= 0.5 for words in listed)][:8]
        # of the least used, the three nearest the key in length (a short key among long
        # distractors is picked by its length)
        ds = sorted(eligible, key=lambda p: abs(len(p) - len(key)))[:3]
        if len(ds) == 3:
            ctx.use(ds)
            sc = Candidate(
                "single_choice", stem, n, key, options=shuffled_options([key], ds, ctx.rng),
                explain_head=f"Passage {n} says: {quote(st)} It names \"{key}\"",
                explain_quoted=True, support=[key], key_type="MEASURE", rule="list.split.choice",
                statement=st, pool=pool)
            refresh_explanation(sc)
            made.append(sc)
    if len(made) < 2:
        return False
    out.extend(made)
    return True


ABSOLUTE = re.compile(r"\b(?:all|every|never|always|completely|entirely|only|none|totally)\b", re.I)


def _list_single_stem(lst: ItemList, st: Statement) -> str | None:
    """Return a single-choice question asking one item of a list, or None."""
    s = st.subject.text if st.subject is not None else ""
    if lst.trigger == "verb" and s and lst.verb not in {"named", "mentioned", "pointed to", "set out", "outlined"}:
        return f"According to the text, which of the following did {s} {_base(lst.verb)}?"
    if lst.trigger == "need" and s:
        return f"According to the text, which of the following did {s} {_base(lst.verb)} the need to do?"
    if lst.trigger == "subject" and lst.verb == "were":
        head = re.sub(r"\bas\s+(?!the\b|one\b)", "as one of the ", lst.head, count=1)
        return f"According to the text, which of the following was {head}?"
    return None


def _count_candidate(lst: ItemList, st: Statement, stem: str, keys: list[str], ctx: Context) -> Candidate | None:
    """Return "... how many provinces ...?" for a closed list of three or more entities (the
    number of them the passage names), or None. Distractors: the neighbouring numbers."""
    m = re.search(r"\bwhich of the following (?P<noun>[a-z ]+?s)\b", stem)
    if lst.trigger != "entities" or not lst.type or not m or not 3 <= len(keys) <= len(NUMBERS):
        return None
    n = st.passage
    key = NUMBERS[len(keys) - 2]
    near = [len(keys) - 1, len(keys) + 1, len(keys) + 2, len(keys) - 2]
    ds = [NUMBERS[k - 2] for k in near if 2 <= k <= len(NUMBERS) + 1][:3]
    if len(ds) < 3:
        return None
    question = stem[:m.start()] + "how many " + stem[m.start("noun"):]
    return Candidate(
        "single_choice", question, n, key, options=sorted([OptionRecord(sentence_case(key), True)] +
                                                          [OptionRecord(sentence_case(d)) for d in ds],
                                                          key=lambda o: NUMBERS.index(o.text.lower())),
        explanation=f"Passage {n} says: {quote(st)} It names {len(keys)}: {join_names(keys)}.",
        support=keys, key_type="NUMBER", rule="list.count", statement=st)


def list_gap_candidates(st: Statement, ctx: Context) -> list[Candidate]:
    """Return multiple-response candidates that blank a whole entity list in the statement."""
    out = []
    if st.words > MAX_COPY_WORDS:
        return out
    for lst in st.lists:
        if lst.trigger != "entities" or lst.type not in {"PROVINCE", "FIELD", "PROCESS", "CITY", "THEME"}:
            continue
        pool, type_ = _list_pool(lst, st, ctx)
        keys = unique(lst.items)
        ds = pick_list_distractors(keys, pool, type_, ctx)
        head, tail = st.text[:lst.start], st.text[lst.end:].rstrip(".")
        cut = head.rfind(", ")
        if len(head.split()) > 12 and cut > 0:   # quote the clause of the list, not the sentence
            head = "... " + head[cut + 2:]
        cut = tail.find(", ")
        if cut >= 0:
            tail = tail[:cut] + " ..."
        body = head + GAP + tail
        n = st.passage
        plural = TYPE_PLURAL.get(lst.type, "items")
        gap = Candidate(
            "multiple_response", f"Which of the following {plural} fill the gap in \"{body}\"?", n,
            "|".join(sorted(norm(k) for k in keys)), options=shuffled_options(keys, ds, ctx.rng),
            explain_head=f"Passage {n} says: {quote(st)} It names {join_names(keys)}",
            support=keys, key_type=type_, rule="list.gap", statement=st, pool=pool)
        refresh_explanation(gap)
        out.append(gap)
    return out


# -- copies ------------------------------------------------------------------------------

def _focus(st: Statement, speaker: str = "") -> list[Mention]:
    """Return the mentions of a statement that can be blanked, by type preference then position.

    The main speaker is left out: "___ stressed ..." would nearly always be answered by the
    speaker, and swapping the speaker for someone else makes a trivially false statement.
    """
    seen, out = set(), []
    rank = {t: i for i, t in enumerate(COPY_TYPES)}
    for m in sorted(st.mentions, key=lambda m: (rank.get(m.type, 99), m.start)):
        if m.type not in rank or norm(m.text) in seen or (speaker and m.name == speaker):
            continue
        if occurrences(st.text, m.text) != 1:
            continue
        if m.type == "NUMBER" and not re.match(r"\s+[a-z]+s\b", st.text[m.end:]):
            continue
        if m.type == "PERSON" and m is st.subject and m.start > 0:
            continue
        seen.add(norm(m.text))
        out.append(m)
    return out


_INTRO_PHRASE = re.compile(r"^(?:On|In|At|During|Since|After|Before)\s[^,]{1,40},\s+")
_CLAUSE_END = re.compile(r",|;|\s+(?:as well as|such as|in order to|which|who|through)\s")
_FINITE = re.compile(r"\b(?:\w+ed|was|were|is|are|has|have|faces|bears|urged|said)\b")
_LEAD_CONNECTIVE = re.compile(r"^(?:Furthermore|Moreover|Additionally|In addition|Also|In conclusion),\s+")
_PARENTHESIS = re.compile(r"\s*\([^()]*\)")
_MID_CONNECTIVE = re.compile(r"\s+(?:also|additionally|further)(?=\s)")
_SLOGAN_TAIL = re.compile(r"\b(?:importance|need)\s+(?:of|to)\s+(?:the\s+)?$", re.I)
MAX_CLAUSE_WORDS = 20
"""A clause cut around a fact is at most this many words (else the whole sentence is used)."""


def clause_around(st: Statement, m: Mention) -> tuple[str, int, int]:
    """Return ``(clause, start, end)``: the clause of ``st`` holding mention ``m`` and its offsets.

    A leading adverbial ("On September 7th, ") is dropped when the mention is not in it; the
    clause ends at the first comma, "such as", "which", ... after the mention (a person keeps
    the title that follows as an apposition). The mention must come after a finite verb of
    the clause and no comma may separate them (a list item in the middle of a list would
    lose its verb); otherwise, or when the clause is too long, the whole sentence is used.
    Connectives ("Furthermore,", "also") are dropped either way.
    """
    text = st.text
    left, stop = 0, len(text)
    intro = _INTRO_PHRASE.match(text)
    if intro and m.start >= intro.end():
        left = intro.end()
    before = text[left:m.start]
    in_intro = intro is not None and m.start < intro.end()
    if not in_intro and "," not in before and _FINITE.search(before):
        end = m.end
        inside = next((lst for lst in st.lists if lst.start <= m.start < lst.end), None)
        if inside is not None:
            end = inside.end      # never cut a list after one of its items
        if m.type == "PERSON":
            title = next((t for t in st.mentions_of("TITLE") if re.fullmatch(r",\s+", text[m.end:t.start])), None)
            if title is not None:
                end = title.end
        cut = _CLAUSE_END.search(text, end)
        stop = cut.start() if cut else len(text)
        if len(text[left:stop].split()) > MAX_CLAUSE_WORDS:
            left, stop = 0, len(text)
    else:
        left = 0
    head, tail = text[left:m.start], text[m.end:stop].rstrip(" ,.;") + "."
    if not re.search(r"\([^)]*$", head) and not re.match(r"^[^(]*\)", tail):
        head, tail = _PARENTHESIS.sub("", head), _PARENTHESIS.sub("", tail)   # "(the existing stock)"
    head = _LEAD_CONNECTIVE.sub("", head)
    cleaned = _MID_CONNECTIVE.sub("", head, count=1)
    if cleaned == head:
        tail = _MID_CONNECTIVE.sub("", tail, count=1)
    head = sentence_case(cleaned)
    return head + m.text + tail, len(head), len(head) + len(m.text)


_ORDINAL_HEAD = re.compile(r"^The (?:first|second|third|fourth|fifth|last) (?=is |was )")
_COUNTED = re.compile(r"\b(?P<n>two|three|four|five)\s+(?P<noun>[a-z]+s)\b", re.I)


def _resolved_clause(st: Statement, m: Mention, ctx: Context) -> tuple[str, int, int]:
    clause, ms, me = clause_around(st, m)
    resolved = resolve_ordinal(clause, st, ctx)
    shift = len(resolved) - len(clause)
    if shift and ms + shift >= 0 and resolved[ms + shift:me + shift] == m.text:
        return resolved, ms + shift, me + shift
    return clause, ms, me


def resolve_ordinal(clause: str, st: Statement, ctx: Context) -> str:
    """Return ``clause`` with a leading "The first is ..." made "One of the two approaches is ...",
    the counted noun taken from an earlier statement of the passage ("Two approaches were ...");
    unchanged when there is none."""
    m = _ORDINAL_HEAD.match(clause)
    if not m:
        return clause
    for prev in reversed(ctx.analysis.statements[:st.order]):
        if prev.passage != st.passage:
            break
        counted = _COUNTED.search(prev.text)
        if counted:
            # "Two approaches were singled out as key to X." + "The first is to ..." -> "One of the
            # approaches singled out as key to X is to ...": without the number, which the
            # counting sentence's own item asks
            described = re.match(r"\s+(?:were|are|was|is)\s+(?P<how>\w+ed\b[^.;]*)", prev.text[counted.end():])
            how = f" {described.group('how').strip()}" if described and len(described.group('how').split()) <= 10 else ""
            return f"One of the {counted.group('noun')}{how} " + clause[m.end():]
    return clause


def copy_candidates(st: Statement, ctx: Context) -> dict[str, list[Candidate]]:
    """Return the copy candidates of a statement, by kind (cloze, single_choice, true_false).

    Stems are the clause around the blanked or swapped phrase (:func:`clause_around`), not
    the whole sentence where a shorter clause stands on its own.
    """
    out: dict[str, list[Candidate]] = {"cloze": [], "single_choice": [], "true_false": []}
    if st.words > MAX_COPY_WORDS or not st.text.endswith("."):
        return out
    n = st.passage
    for m in _focus(st, ctx.analysis.speaker):
        clause, ms, me = _resolved_clause(st, m, ctx)
        stem = clause[:ms] + GAP + clause[me:]
        answers = answer_forms(m, ctx)
        if ctx.is_topic(m.text) or ctx.is_topic(m.name) or _SLOGAN_TAIL.search(clause[:ms]):
            pass     # never blank the topic, nor the tail of a slogan ("the importance of ___")
        else:
            out["cloze"].append(Candidate(
                "cloze", stem, n, m.name if m.type not in {"DATE", "NUMBER"} else m.text, answers,
                explanation=f"Passage {n} says: {quote(st)} The missing words are \"{m.text}\".",
                support=[m.text], key_type=m.type, rule=f"copy.cloze.{m.type.lower()}", statement=st))
        if m.type in {"PERSON", "ORG"}:
            continue
        pool = pool_for(m, ctx)
        ds = choose(m.text, answers, pool, 3, ctx, st, m.text)
        out["single_choice"].append(Candidate(
            "single_choice", stem, n, m.name if m.type not in {"DATE", "NUMBER"} else m.text,
            options=shuffled_options([m.text], ds, ctx.rng),
            explanation=f"Passage {n} says: {quote(st)} The missing words are \"{m.text}\".",
            support=[m.text], key_type=m.type, rule=f"copy.choice.{m.type.lower()}", statement=st, pool=pool))
    # true/false: true statements (the clause around one fact), and false ones made by
    # swapping one entity of the clause for another of the same type
    rank = {t: i for i, t in enumerate(SWAP_TYPES)}
    seen_true: set[str] = set()
    for m in sorted(_focus(st, ctx.analysis.speaker), key=lambda m: (rank.get(m.type, 99), m.start)):
        clause, ms, me = _resolved_clause(st, m, ctx)
        clause = sentence_case(clause)
        if norm(clause) not in seen_true:
            seen_true.add(norm(clause))
            out["true_false"].append(Candidate(
                "true_false", clause, n, "true:" + norm(clause),
                options=[OptionRecord("True", True), OptionRecord("False", False)],
                explanation=f"True. Passage {n} says: {quote(st)}", support=[], key_type=m.type,
                rule="copy.true", statement=st))
        if m.type not in rank or (m.type == "NUMBER" and st.lists):
            continue    # "has four strands: A, B and C" would contradict itself
        before = clause[:ms].split()[-1:]
        pool = pool_for(m, ctx, lexicon_only=m.type in LEXICON_ONLY_SWAPS)
        picked = choose(m.text, answer_forms(m, ctx), pool, 1, ctx, st, m.text)
        if not picked:
            continue
        repl = picked[0]
        if before and before[0].lower() in {"a", "an"} and (
                (repl[:1].lower() in "aeiou") != (before[0].lower() == "an")):
            continue
        false_text = clause[:ms] + repl + clause[me:]
        out["true_false"].append(Candidate(
            "true_false", sentence_case(false_text), n, "false:" + norm(false_text),
            options=[OptionRecord("True", False), OptionRecord("False", True)],
            explanation=false_explanation(n, st, m.text, repl),
            support=[m.text], key_type=m.type, rule=f"copy.false.{m.type.lower()}", swapped=(m.text, repl),
            statement=st))
    return out
