"""Find what is worth asking: statements (sentences or clauses, pronouns resolved) with
their entity mentions, lists ("A, B and C") and relations between mentions.

Everything here is rule-based: spaCy's tokenizer, sentencizer and EntityRuler (built
from the lexicon, see :mod:`.nlp`), plus a few regular expressions over the resolved
statement text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.language import Language

from ..interchange.records import PassageRecord
from .lexicon import Lexicon
from .text import content_words, norm, sentence_case

# -- English word lists ---------------------------------------------------------------

PAST_TO_BASE = {
    "hosted": "host", "chaired": "chair", "presided": "preside", "convened": "convene", "held": "hold",
    "attended": "attend", "stressed": "stress", "emphasized": "emphasize", "emphasised": "emphasise",
    "underscored": "underscore", "highlighted": "highlight", "urged": "urge", "called": "call",
    "advocated": "advocate", "encouraged": "encourage", "backed": "back", "supported": "support",
    "mentioned": "mention", "named": "name", "pointed": "point", "placed": "place",
    "expressed": "express", "wanted": "want", "asked": "ask", "said": "say", "stated": "state",
    "noted": "note", "reiterated": "reiterate", "gave": "give", "delivered": "deliver",
    "reported": "report", "briefed": "brief", "outlined": "outline", "proposed": "propose",
    "demanded": "demand", "required": "require", "pledged": "pledge", "listed": "list",
    "singled": "single", "set": "set",
}
"""Past tense -> base form, for the verbs that question templates move behind 'did'."""

SPLIT_VERBS = frozenset(PAST_TO_BASE) - {"held", "set", "placed", "singled", "pointed", "named"}
"""Verbs after which ``S v1 X and v2 Y`` is split into two statements."""

BASE_VERBS = frozenset("""
achieve transform strengthen promote develop build deepen expand improve advance accelerate foster
cultivate consolidate extend increase enhance protect ensure support boost create upgrade reform
modernize modernise implement pursue safeguard encourage nurture reach turn play find win push
drive make raise reinforce use put keep open attract integrate optimize optimise coordinate
stabilize stabilise guarantee secure tap unleash revitalize revitalise construct establish form
speed step focus give take carry bring move adopt apply help lead maintain preserve restore regain
rejuvenate spur sustain tackle address solve reduce cut lower prevent control manage uphold adhere
stick follow bolster leverage harness utilize utilise explore innovate invest link connect share
serve meet fulfil fulfill shoulder bear add relocate relax privatize merge
""".split())
"""Base verbs that start an item of a verb-phrase list (``the need to A, B and C``)."""

INTRO = re.compile(
    r"^(?:Furthermore|Additionally|Moreover|In addition|Also|Besides|Meanwhile|However|In conclusion|"
    r"Finally|In closing|Lastly|At the same time|In his speech|In her speech|On the whole|Overall|"
    r"Above all),\s+")
PRONOUN_SUBJECT = re.compile(r"^(?:(?P<intro>[^,]{1,60}),\s+)?(?P<pron>He|She|he|she)\b(?!')")
POSSESSIVE_START = re.compile(r"^(His|Her)\s+")
DEMONSTRATIVE_START = re.compile(r"^(This|That|These|Those)\s+(?=[a-z])")
NOT_SUBJECT_BEFORE = frozenset("by with including and of to for as from among between like than".split())
EVENT_NOUNS = "symposium|meeting|conference|forum|session|summit|seminar"
HOST_VERBS = "hosted|chaired|presided over|convened|held|led"


@dataclass
class Mention:
    """An entity found in a statement.

    Attributes:
        start, end: character offsets in the statement's ``text``.
        text: the surface form.
        type: PERSON, CITY, ... (lexicon types) or DATE, YEAR, NUMBER.
        name: canonical name (the lexicon's ``name``; the surface form otherwise).
        group: the lexicon group ("" if none).
    """

    start: int
    end: int
    text: str
    type: str
    name: str
    group: str = ""


@dataclass
class ItemList:
    """An enumeration ``A, B and C`` in a statement.

    Attributes:
        items: the items' texts, cleaned (leading possessives removed).
        start, end: span of the whole list in the statement text.
        trigger: what introduced it: need, importance, verb, such_as, colon, subject, entities.
        verb: the trigger verb (past tense) when there is one.
        head: for ``such_as`` and ``colon``: the noun phrase the list exemplifies.
        form: the_of, verb, gerund, np: the grammatical form of the items.
        type: the entity type when every item is an entity of one type, else "".
    """

    items: list[str]
    start: int
    end: int
    trigger: str
    verb: str = ""
    head: str = ""
    form: str = "np"
    type: str = ""
    tail: str = ""
    extra: str = ""
    pool_type: str = ""


@dataclass
class Statement:
    """A sentence or clause of a passage, with pronouns resolved.

    Attributes:
        passage: number of the passage it comes from.
        order: position among all statements of the document (0-based).
        text: the statement as it can be shown in a stem (ends with '.').
        source: the sentence of the passage it comes from, as written there.
        mentions: entities, by position.
        subject: the PERSON mention that is the subject, or None.
        lists: enumerations found in it.
    """

    passage: int
    order: int
    text: str
    source: str
    mentions: list[Mention] = field(default_factory=list)
    subject: Mention | None = None
    lists: list[ItemList] = field(default_factory=list)
    words: int = 0

    def mentions_of(self, *types: str) -> list[Mention]:
        """Return the mentions of the given types, by position."""
        return [m for m in self.mentions if m.type in types]


@dataclass
class Analysis:
    """Statements of a document plus indexes used for support checks."""

    statements: list[Statement]
    passages: dict[int, str]
    names: dict[str, set[str]]           # type -> canonical names mentioned in the document
    where: dict[str, list[int]]          # norm(name or surface) -> statement orders
    years: set[str]
    speaker: str = ""                    # canonical name of the main speaker
    content: list[set[str]] = field(default_factory=list)


# -- pronoun resolution ----------------------------------------------------------------

def _subject(doc_sent, ents) -> object | None:
    """Return the first PERSON entity of a sentence that is not the object of a preposition."""
    for ent in ents:
        if ent.label_ != "PERSON":
            continue
        before = doc_sent.doc[ent.start - 1].lower_ if ent.start > doc_sent.start else ""
        if before in NOT_SUBJECT_BEFORE:
            continue
        # A subject comes before the first comma of the main clause or after an intro phrase.
        return ent
    return None


def resolve(sentence: str, speaker: str, persons: tuple[str, ...] = ()) -> tuple[str, bool]:
    """Replace subject pronouns (and a leading possessive) with ``speaker``.

    A sentence-initial "He"/"She" (also after an introductory phrase: "To meet it, he ...")
    and "His"/"Her" become the speaker; a later "he"/"she" does too unless a person is named
    before it in the same sentence (then it refers to that person and is left alone). A
    leading demonstrative ("That earlier meeting") becomes "The".

    Args:
        sentence: one sentence.
        speaker: surface form of the current speaker (e.g. "President Xi"), or "".
        persons: surface forms of the people named in the sentence.
    Returns:
        ``(text, changed)``; pronouns that cannot be resolved are left in place (the
        pronoun gate drops items that still show them).
    """
    changed = False
    if speaker:
        m = PRONOUN_SUBJECT.match(sentence)
        if m and not any(p in (m.group("intro") or "") for p in persons):
            sentence = sentence[:m.start("pron")] + speaker + sentence[m.end("pron"):]
            changed = True
        m = POSSESSIVE_START.match(sentence)
        if m:
            sentence = speaker + "'s " + sentence[m.end():]
            changed = True
        for m in reversed(list(re.finditer(r"\b(he|she)\b", sentence))):
            before = sentence[:m.start()]
            if any(p in before for p in persons) or speaker in before:
                continue
            sentence = sentence[:m.start()] + speaker + sentence[m.end():]
            changed = True
    m = DEMONSTRATIVE_START.match(sentence)
    if m:
        sentence = "The " + sentence[m.end():]
        changed = True
    return sentence, changed


def find_subject(text: str, mentions: list["Mention"]) -> "Mention | None":
    """Return the first PERSON mention that is not governed by a preposition, or None."""
    for m in mentions:
        if m.type != "PERSON":
            continue
        before = text[:m.start].rstrip().split()
        if before and (before[-1].lower() in NOT_SUBJECT_BEFORE or before[-2:] == ["According", "to"]
                       or " ".join(before[-2:]).lower() == "according to"):
            continue
        return m
    return None


def strip_intro(sentence: str) -> str:
    """Remove a leading discourse marker ("Furthermore, ...") and re-capitalise."""
    stripped = INTRO.sub("", sentence, count=1)
    return sentence_case(stripped)


def split_clauses(sentence: str, subject: str | None) -> list[str]:
    """Split a sentence into statements: at ';', ', while', and ``S v1 X and v2 Y``.

    Args:
        sentence: a resolved sentence ending in punctuation.
        subject: the subject's surface form when it starts the sentence, else None.
    Returns:
        One or more statements, each ending with '.'.
    """
    body = sentence.rstrip()
    end = body[-1] if body[-1:] in ".!?" else "."
    body = body.rstrip(".!?").strip()
    parts = [p.strip() for p in re.split(r";\s+|,\s+while\s+", body) if p.strip()]
    if len(parts) > 1 and all(len(p.split()) >= 4 for p in parts):
        return [sentence_case(p) + end for p in parts]
    to = re.search(r"\s+to\s+[a-z]+", body)
    also = re.search(r"\s+and\s+to\s+(?=[a-z]+\s)", body)
    if to and also and to.start() < also.start() and len(body[:to.start()].split()) >= 3:
        first = body[:also.start()]
        second = body[:to.start()] + " to " + body[also.end():]
        if len(first.split()) >= 6 and len(second.split()) >= 6:
            return [first + end, second + end]
    # "S's ability to regain its glory and achieve greater success in ...": two infinitives
    # sharing one "to" (the second a base verb right after "and") make two statements
    both = re.search(r"\s+(?:ability|efforts?|determination|capacity)\s+to\s+(?P<v1>[a-z]+)\b", body)
    if both and both.group("v1") in BASE_VERBS:
        second_verb = next((m for m in re.finditer(r"\s+and\s+(?P<v2>[a-z]+)\b", body[both.end():])
                            if m.group("v2") in BASE_VERBS), None)
        if second_verb is not None:
            cut = both.end() + second_verb.start()
            first = body[:cut]
            second = body[:both.end() - len(both.group("v1"))] + body[both.end() + second_verb.start("v2"):]
            if len(first.split()) >= 6 and len(second.split()) >= 6:
                return [first + end, second + end]
    if subject and body.startswith(subject):
        verbs = "|".join(sorted(SPLIT_VERBS))
        m = re.search(rf"\s+and\s+(?:also\s+)?(?=(?:{verbs})\b)", body)
        if m and len(body[:m.start()].split()) >= 5 and len(body[m.end():].split()) >= 3:
            return [body[:m.start()] + end, f"{subject} {body[m.end():]}{end}"]
    return [body + end]


# -- lists -----------------------------------------------------------------------------

_TRIGGERS = [
    ("need", re.compile(r"\b(?P<verb>stressed|emphasized|emphasised|underscored|highlighted|reiterated|"
                        r"noted|stated) the need to\s+")),
    ("importance", re.compile(r"\b(?P<verb>stressed|emphasized|emphasised|underscored|highlighted|"
                              r"reiterated|noted) the importance of\s+")),
    ("such_as", re.compile(r"\s(?P<head>(?:the|its|their)\s[^,]{3,80}?),\s+such as\s+")),
    ("verb", re.compile(r"\b(?P<verb>called for|urged for|urged|advocated for|advocated|encouraged|"
                        r"backed|supported|mentioned|named|pointed to|placed emphasis on|"
                        r"set out|proposed|outlined)\s+(?!the need\b|the importance\b|that\b|on\b|to\b)")),
    ("colon", re.compile(r":\s+")),
]
_DETERMINER = re.compile(r"^(?:the|a|an|its|their|his|her|our)\s", re.I)
_POSSESSIVE = re.compile(r"^(?:(?:its|their|his|her|our)\s+|(?:the\s+)?(?:[A-Z][\w-]*\s+)*[A-Z][\w-]*'s\s+)")


def _split_items(text: str) -> list[str]:
    """Split ``A, B, and C`` / ``A, B and C`` / ``A and B`` into items (depth-0 commas only)."""
    pieces, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current).strip())
    pieces = [p for p in pieces if p]
    if not pieces:
        return []
    last = pieces[-1]
    out = []
    for piece in pieces[:-1]:
        out.extend(p.strip() for p in re.split(r"\s+and\s+(?=(?:its|their|his|her)\s)", piece))
    pieces = out + [last]
    if len(pieces) > 1 and re.match(r"^(?:and|or|as well as|together with|along with)\s", last):
        pieces[-1] = re.sub(r"^(?:and|or|as well as|together with|along with)\s+", "", last)
    else:
        m = re.search(r"\s(?:and|as well as)\s", last)
        if not m:
            return pieces if len(pieces) > 1 else []
        pieces[-1:] = [last[:m.start()].strip(), last[m.end():].strip()]
    return [p for p in pieces if p]


def _merge(items: list[str], starts_item) -> list[str]:
    """Merge pieces that do not start a new item into the previous one (nested lists)."""
    out: list[str] = []
    for i, piece in enumerate(items):
        if out and not starts_item(piece):
            joiner = ", and " if i == len(items) - 1 else ", "
            out[-1] = out[-1] + joiner + piece
        else:
            out.append(piece)
    return out


def _form(items: list[str]) -> str:
    first = items[0].split()[0].lower()
    if first in BASE_VERBS:
        return "verb"
    if first.endswith("ing") and len(first) > 5 and first not in {"networking"}:
        return "gerund"
    if all(re.match(r"^(?:the|a|an)\s", i, re.I) for i in items):
        return "the_of"
    return "np"


def find_lists(statement: Statement) -> list[ItemList]:
    """Find the enumerations of a statement (entity lists and phrase lists)."""
    text = statement.text.rstrip(".!?")
    found: list[ItemList] = []

    # Entity lists: two or more mentions of one type separated only by commas/and.
    ments = statement.mentions
    i = 0
    while i < len(ments):
        j = i
        while j + 1 < len(ments) and ments[j + 1].type == ments[i].type and re.fullmatch(
                r"\s*(?:provinces?|regions?)?\s*,?\s*(?:and|or|as well as)?\s*(?:of|in|from)?\s*",
                text[ments[j].end:ments[j + 1].start]):
            j += 1
        if j - i >= 1 and ments[i].type in {"PROVINCE", "CITY", "PERSON", "FIELD", "PROCESS", "REGION", "THEME"}:
            span = ments[i:j + 1]
            found.append(ItemList([m.name for m in span], span[0].start, span[-1].end, "entities",
                                  type=ments[i].type))
        i = j + 1

    for trigger, pattern in _TRIGGERS:
        for m in pattern.finditer(text):
            rest = text[m.end():]
            tail = ""
            also = re.search(r",\s+as well as\s", rest)
            if also and len(_split_items(rest[:also.start()])) >= 2:
                tail, rest = rest[also.start():], rest[:also.start()]
            items = _split_items(rest)
            if len(items) < 2:
                continue
            if trigger == "need":
                items = _merge(items, lambda p: re.sub(r"^(?:and|or)\s+", "", p).split()[0].lower() in BASE_VERBS)
            elif _DETERMINER.match(items[0]) and not re.match(r"^(?:its|their|his|her|our)\s", items[0]):
                # ("its rich resources, solid industrial foundation, and ...": a possessive
                # applies to every item; an article starts each one)
                items = _merge(items, lambda p: bool(_DETERMINER.match(re.sub(r"^(?:and|or)\s+", "", p))))
            items = [_POSSESSIVE.sub("", re.sub(r"^(?:and|or)\s+", "", i)).strip(" ,;") for i in items]
            # "strategic significance in areas such as energy and defense": the nested examples
            # are a list of their own, whose gap item shows this one: leave it out
            nested = re.compile(r"\s+in\s+(?:areas|fields|sectors|domains)\s+such\s+as\s+")
            nested_dropped = len(items) >= 3 and sum(1 for i in items if not nested.search(i)) >= 2
            if nested_dropped:
                items = [i for i in items if not nested.search(i)]
            elif any(nested.search(i) for i in items):
                continue
            if trigger != "need":
                purpose = re.search(r"\s+(?:so as |in order )?to\s+([a-z]+)\b", items[-1])
                if purpose and purpose.group(1) in BASE_VERBS:
                    tail = items[-1][purpose.start():] + tail
                    items[-1] = items[-1][:purpose.start()]
            if len(items) < 2 or any(not (1 <= len(i.split()) <= 14) for i in items):
                continue
            forms = {_form([i]) for i in items}
            if len(items) == 2 and not nested_dropped and not (len(forms) == 1 and forms & {"verb", "gerund", "the_of"}):
                continue
            found.append(ItemList(items, m.end(), m.end() + len(rest), trigger,
                                  verb=m.groupdict().get("verb") or "", head=m.groupdict().get("head") or "",
                                  form=_form(items), tail=tail))
    # A list that is the subject: "A and B were highlighted as ..."
    m = re.match(r"^(?P<list>.+?)\s+(?P<be>were|are)\s+(?P<rest>\w+ed\b.*)$", text)
    if m and len(m.group("list").split()) <= 30:
        items = _split_items(m.group("list"))
        if items and not any(mm.start == 0 for mm in statement.mentions):
            items[0] = items[0][:1].lower() + items[0][1:]
        if len(items) >= 2 and all(1 <= len(i.split()) <= 14 for i in items):
            found.append(ItemList(items, 0, m.end("list"), "subject", verb=m.group("be"),
                                  head=m.group("rest"), form=_form(items)))
    return found


# -- analysis --------------------------------------------------------------------------

def _mentions(doc, lexicon: Lexicon, offset: int = 0) -> list[Mention]:
    out = []
    for ent in doc.ents:
        label = ent.label_
        if label == "GPE":
            continue
        if label not in {"PERSON", "TITLE", "ORG", "PROVINCE", "CITY", "REGION", "THEME", "FIELD",
                         "PROCESS", "STRENGTH", "DATE", "YEAR", "NUMBER"}:
            continue
        name = ent.ent_id_ or ent.text
        entry = lexicon.lookup(name) if ent.ent_id_ else None
        out.append(Mention(ent.start_char - offset, ent.end_char - offset, ent.text, label,
                           entry.name if entry else name, entry.group if entry else ""))
    return out


def analyse(passages: list[PassageRecord], nlp: Language, lexicon: Lexicon) -> Analysis:
    """Turn passages into statements with mentions and lists.

    Args:
        passages: the document's numbered passages.
        nlp: the pipeline from :func:`.nlp.get_pipeline`.
        lexicon: the lexicon the pipeline was built from.
    Returns:
        The :class:`Analysis` (statements in document order, indexes for support checks).
    """
    speaker_surface, speaker_name = "", ""
    region = ""
    subjects: dict[str, int] = {}
    pending: list[tuple[int, str, str, str | None]] = []   # passage, text, source, subject surface
    for passage, doc in zip(passages, nlp.pipe([p.text for p in passages], batch_size=64)):
        for sent in doc.sents:
            source = sent.text.strip()
            if len(source.split()) < 5 or not re.search(r"[A-Za-z]", source):
                continue
            ents = list(sent.ents)
            persons = tuple(e.text for e in ents if e.label_ == "PERSON")
            resolved, changed = resolve(source, speaker_surface, persons)
            subject = _subject(sent, ents)
            if subject is not None:
                speaker_surface, speaker_name = subject.text, subject.ent_id_ or subject.text
                subject_surface = subject.text if resolved.startswith(subject.text) else None
            else:
                subject_surface = speaker_surface if changed and resolved.startswith(speaker_surface) else None
            if subject_surface:
                subjects[speaker_name] = subjects.get(speaker_name, 0) + 1
            resolved = strip_intro(resolved)
            its = re.search(r"\bits\b", resolved)
            if its and region:
                before = resolved[:its.start()]
                if not re.search(r"\b(?:the|a|an)\s+[a-z]", before) and not any(
                        e.label_ not in {"PERSON", "DATE", "YEAR", "NUMBER"} and e.text in before for e in ents):
                    resolved = before + region + "'s" + resolved[its.end():]
                    changed = True
            regions = [e for e in ents if e.label_ == "REGION"]
            if regions:
                region = regions[-1].text
            if subject_surface is None and subject is not None and resolved.startswith(subject.text):
                subject_surface = subject.text
            for clause in split_clauses(resolved, subject_surface):
                pending.append((passage.number, clause, source, subject_surface))

    statements: list[Statement] = []
    where: dict[str, list[int]] = {}
    names: dict[str, set[str]] = {}
    years: set[str] = set()
    docs = nlp.pipe([p[1] for p in pending], batch_size=256)
    for order, ((number, text, source, subject_surface), doc) in enumerate(zip(pending, docs)):
        mentions = _mentions(doc, lexicon)
        subject = find_subject(text, mentions)
        st = Statement(number, order, text, source, mentions, subject, words=len(text.split()))
        st.lists = find_lists(st)
        statements.append(st)
        for m in mentions:
            names.setdefault(m.type, set()).add(m.name)
            for key in {norm(m.name), norm(m.text)}:
                bucket = where.setdefault(key, [])
                if not bucket or bucket[-1] != order:
                    bucket.append(order)
            if m.type in {"YEAR", "DATE"}:
                years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", m.text))
    full = " ".join(p.text for p in passages)
    years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", full))
    speaker = max(sorted(subjects), key=lambda k: subjects[k]) if subjects else ""
    return Analysis(statements, {p.number: p.text for p in passages}, names, where, years,
                    speaker, [content_words(s.text) for s in statements])
