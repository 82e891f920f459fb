"""Quality gates: named checks every candidate passes before it is kept, and the bank lint.

Item gates (in the order applied; the first that fails rejects the candidate):

``complete_stem``
    Questions end with "?", cloze stems have exactly one blank, true/false statements are
    complete sentences without a blank; no stem is shorter than four words.
``no_unresolved_pronoun``
    No pronoun or demonstrative whose referent is not in the stem (see :func:`unresolved_pronoun`).
``key_supported``
    Every key phrase occurs in the cited passage (a false statement: the phrase it replaced).
``key_not_in_stem``
    No key (or accepted answer) occurs in the stem.
``enough_distractors``
    Choice items have at least three distractors.
``distractor_form``
    Distractors are distinct from the key and each other after normalising, and of the key's
    form (shape and comparable length, :func:`.build.same_form`).
``general_knowledge``
    No "in which province is <city>?" item (geography, not what the text teaches; "<city> is
    the capital of which province?" stays), and no cloze blanking the Party in a generic phrase
    ("implementing the ___'s deployment"): guessable from any such text.
``false_statement_unsupported``
    A false statement is not supported by any statement of the text.
``false_statement_fair``
    A false statement's swapped-in phrase is not spelled nearly like the original
    (``NEAR_SPELLING``: "Northwest China" for "Northeast China"), nor, for phrases other than
    names, a variant of it that the text uses elsewhere ("sustainable revitalization" for
    "comprehensive revitalization" when the text also speaks of sustainable revitalization).
``topic_key``
    The key of a cloze, short-answer or gapped single-choice item is not one of the document's
    topic phrases (named in the title or in at least half of the passages: nearly every stem
    gives it away). Single-choice questions ("In which city ...?") may have one.
``copied_sentence``
    A true/false statement or a gapped stem copies at most ``MAX_COPIED_RUN`` consecutive
    words of its passage (statements are the clause around a fact, not the whole sentence).
``absolute_distractor``
    No distractor (nor the phrase swapped into a false statement) carries an absolute word
    ("all", "never", "completely", "only", ...): test-wise learners rule those out.
``lint_distractor_length``
    Multiple-response distractors are not much shorter than the keys: the mean distractor is at
    least half the mean key, and no key is over twice the longest distractor.
``bank_rules``
    The item passes the bank-file rules (``studyapp.interchange.bankfile.item_problems``).

Bank gates (against the items kept so far): ``duplicate_stem``, ``duplicate_passage_key``
(one item per passage and key, across kinds), ``gives_away_other_item`` (a short-answer and a
single-choice item on one passage that ask the same relation both ways round, each stem
showing the other's key: the first kept wins, and the builders emit the single-choice item
first; and, generalised, a cloze, true/false statement or gapped single choice that repeats a
kept item on its passage: its stem shows a key of that item (any key of a multiple response),
its own key (a false statement: the phrase it replaced) is one, or the kept stem shows its key;
candidates are tried strongest kind first, single choice, multiple response, short answer,
cloze, true/false, so the weaker copy of a fact is the one dropped; a false statement may ask
again a fact a kept item asks, since it shows no key, provided its other words show none and it
is the only false statement on that phrase), ``reused_distractor`` (an invented distractor of two or more words, one the document
does not contain, is used by one item of the bank only), ``near_duplicate_stem``: token Jaccard of the
stems' content words (blanks filled with the key) at least ``NEAR_DUPLICATE``, or a second
copy of the same clause of a statement (a cloze and a true/false statement cut from one clause
are near duplicates whatever their blank; copies of two different clauses of one sentence are
not: see ``SAME_CLAUSE``).

Bank lint (after selection, reported): the share of single-choice items whose key is the
longest option (limit ``KEY_LONGEST_LIMIT``; the generator first tries to fix it by
re-picking distractors), multiple-response items whose distractors are much shorter than
the keys, and the near-duplicate pairs that were caught.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from difflib import SequenceMatcher

from ..interchange.records import ItemRecord
from .build import (Candidate, Context, choice_explanation, keys_stand_out, refresh_explanation, replace_once,
                    same_form)
from .text import GAP_RE, content_words, contains_phrase, jaccard, norm

NEAR_DUPLICATE = 0.7
KEY_LONGEST_LIMIT = 0.4
SAME_CLAUSE = 0.5
"""Two copies of one statement reproduce the same clause when one's words (blank filled) hold
the other's, or their Jaccard index reaches this."""
MAX_COPIED_RUN = 15
"""A true/false statement or gapped stem copies at most this many consecutive passage words."""
RESTATED = 0.8
"""A true statement is a repeat when this share of its content words is in a kept stem."""
NAME_TYPES = frozenset({"PERSON", "TITLE", "CITY", "PROVINCE", "ORG", "YEAR", "DATE", "NUMBER"})
"""Names: a false statement giving one that the text gives someone else is still clearly false."""
NEAR_SPELLING = 0.8
"""A false statement's swapped-in phrase this alike in spelling to the original is refused."""
ABSOLUTE_WORDS = re.compile(r"\b(?:all|every|never|always|completely|entirely|only|none|totally)\b", re.I)

_PRONOUNS = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|these|those)\b",
                       re.I)
_ORDINAL_REF = re.compile(r"^(?:The\s+)?(?:first|second|third|former|latter|other|same|rest)\b", re.I)
_PERSON_PRONOUNS = {"he", "she", "him", "her", "his", "hers"}


def unresolved_pronoun(c: Candidate) -> str | None:
    """Return the first pronoun of the stem whose referent is not in the stem, or None.

    Rules: "this/these/those" and a leading "The first/second/former..." always count as
    unresolved (they point outside the sentence). "he/she/his/her..." are resolved when a
    person is named (or asked for with "Who", or blanked) before them; "it/its" when a
    thing is named before them (a non-person entity, a noun after an article, or the
    blank); "they/them/their" when a plural noun comes before them.
    """
    stem = c.stem
    quoted = re.search(r'"([^"]+)"', stem)
    if quoted:            # a sentence quoted in a question: its pronouns must resolve inside it
        stem = quoted.group(1)
    if _ORDINAL_REF.match(stem):
        return stem.split()[0 if not stem.startswith("The") else 1]
    people: list[int] = []
    if c.statement is not None:
        for m in c.statement.mentions_of("PERSON"):
            pos = stem.find(m.text)
            if pos >= 0:
                people.append(pos)
    if stem.startswith("Who ") or (c.kind == "cloze" and c.key_type == "PERSON"):
        people.append(0)
    things = []
    if c.statement is not None:
        things = [stem.find(m.text) for m in c.statement.mentions if m.type != "PERSON" and m.text in stem]
    things += [m.start() for m in re.finditer(r"\b(?:the|a|an)\s+[a-z]", stem)]
    things += [m.start() for m in re.finditer(GAP_RE, stem)]
    plurals = [m.start() for m in re.finditer(r"\b(?!(?:this|his|its|was|has|does|thus|is|us)\b)[a-z]{3,}s\b", stem)]
    for m in _PRONOUNS.finditer(stem):
        word = m.group(1).lower()
        if word in {"this", "these", "those"}:
            return word
        if word in _PERSON_PRONOUNS:
            if not any(p < m.start() for p in people):
                return word
        elif word in {"it", "its"}:
            if not any(0 <= p < m.start() for p in things):
                return word
        elif not any(p < m.start() for p in plurals):
            return word
    return None


def to_bank_mapping(item: ItemRecord) -> dict:
    """Return ``item`` as a bank-file mapping (the shape ``item_problems`` checks)."""
    from ..interchange.bankfile import item_mapping  # imported late: it pulls in the kinds registry
    return item_mapping(item)


# -- item gates ------------------------------------------------------------------------------

def gate_complete_stem(c: Candidate, ctx: Context) -> bool:
    stem = c.stem.strip()
    if len(stem.split()) < 4 or not stem[:1].isupper() and not stem.startswith("___"):
        return False
    blanks = len(GAP_RE.findall(stem))
    if c.kind == "cloze":
        return blanks == 1 and stem.endswith((".", "?", "!"))
    if c.kind == "true_false":
        return blanks == 0 and stem.endswith(".")
    return stem.endswith("?") or (blanks == 1 and stem.endswith("."))


def gate_no_unresolved_pronoun(c: Candidate, ctx: Context) -> bool:
    return unresolved_pronoun(c) is None


def gate_key_supported(c: Candidate, ctx: Context) -> bool:
    passage = ctx.analysis.passages.get(c.passage, "")
    if c.kind == "true_false" and c.swapped is None and not c.support:
        # a true statement: its content words are the passage's (pronouns resolved aside)
        words = content_words(c.stem)
        have = content_words(passage)
        if c.statement is not None:
            for m in c.statement.mentions_of("PERSON"):
                have |= content_words(m.text)
        return bool(words) and words <= have
    return all(contains_phrase(passage, s) for s in c.support) and bool(c.support)


def gate_key_not_in_stem(c: Candidate, ctx: Context) -> bool:
    if c.kind == "true_false":
        return True
    return not any(contains_phrase(c.stem, k) for k in c.keys if len(norm(k)) > 1)


def gate_enough_distractors(c: Candidate, ctx: Context) -> bool:
    if c.kind not in {"single_choice", "multiple_response"}:
        return True
    return len(c.distractors) >= 3


def gate_distractor_form(c: Candidate, ctx: Context) -> bool:
    if c.kind not in {"single_choice", "multiple_response"}:
        return True
    texts = [norm(o.text) for o in c.options]
    if len(set(texts)) != len(texts):
        return False
    if c.kind == "single_choice":
        key = c.keys[0]
        return all(same_form(key, d) for d in c.distractors)
    keys, ds = c.keys, c.distractors
    mean_key = sum(len(k.split()) for k in keys) / len(keys)
    mean_d = sum(len(d.split()) for d in ds) / len(ds)
    return mean_d * 3 >= mean_key and mean_key * 3 >= mean_d


def gate_false_statement_unsupported(c: Candidate, ctx: Context) -> bool:
    if c.swapped is None or c.statement is None:
        return True
    if c.rule == "person.title.false" and ctx.lexicon.lookup(c.swapped[1]) is not None:
        # "X was <the post the text gives Y>": one person, one post; a post the text gives
        # someone else does not support the statement, it contradicts it.
        return not contains_phrase(c.statement.text, c.stem.split(" was ", 1)[0].rsplit(", ", 1)[-1]
                                   + ", " + c.swapped[1])
    return not ctx.supported(c.statement, *c.swapped)


def gate_general_knowledge(c: Candidate, ctx: Context) -> bool:
    if c.rule == "city.province" and "capital" not in c.stem:
        return False        # "in which province is Harbin?": geography, not what the text teaches
    if c.kind == "cloze" and c.key_type == "ORG":
        entry = ctx.lexicon.lookup(c.key)
        in_title = re.search(r"\bof\s+(?:the\s+)?$", c.stem[:c.stem.find("___")], re.I)
        if entry is not None and entry.group == "party" and not in_title:
            return False    # "implementing the ___'s deployment": the Party, guessed from any such text
    return True


def gate_false_statement_swap(c: Candidate, ctx: Context) -> bool:
    """A false statement swaps a phrase the cited passage contains for another of its type.

    Kept only when: it records the swap; the original is in the cited passage; the statement
    names the replacement; the replacement is a lexicon entry of the original's type (dates,
    years and numbers: of the same form), never an invented policy measure; and the
    explanation reads "Passage N names <original>, not <replacement>."
    """
    if c.kind != "true_false" or not c.options or c.options[0].is_key:
        return True
    if c.swapped is None:
        return False        # false only by omission
    original, replacement = c.swapped
    passage = ctx.analysis.passages.get(c.passage, "")
    if not contains_phrase(passage, original) or not contains_phrase(c.stem, replacement):
        return False
    measures = {norm(m.render(f)) for m in ctx.lexicon.measures for f in ("the_of", "verb", "gerund")}
    if norm(replacement) in measures:
        return False
    if c.key_type in {"DATE", "YEAR", "NUMBER"}:
        if not same_form(original, replacement):
            return False
    else:
        mine, theirs = ctx.lexicon.lookup(original), ctx.lexicon.lookup(replacement)
        if mine is None or theirs is None or mine.type != theirs.type:
            return False
    named = re.search(rf"Passage {c.passage} names (?P<x>.+), not (?P<y>.+)\.$", c.explanation)
    return bool(named) and named.group("y") == replacement and contains_phrase(named.group("x"), original)


def gate_false_statement_fair(c: Candidate, ctx: Context) -> bool:
    if c.swapped is None:
        return True
    original, replacement = c.swapped
    if c.key_type not in {"DATE", "YEAR", "NUMBER"} and \
            SequenceMatcher(None, original.lower(), replacement.lower()).ratio() >= NEAR_SPELLING:
        return False        # "Northwest China" for "Northeast China" reads as a misprint
    mine, theirs = content_words(original), content_words(replacement)
    new, shared = theirs - mine, theirs & mine
    if new and shared and c.key_type not in NAME_TYPES:
        # "sustainable revitalization" for "comprehensive ...": the text uses it elsewhere too
        return not any(new | shared <= words for words in ctx.analysis.content)
    return True


def gate_topic_key(c: Candidate, ctx: Context) -> bool:
    if c.kind not in {"cloze", "short_answer"} and not (c.kind == "single_choice" and GAP_RE.search(c.stem)):
        return True
    return not any(ctx.is_topic(k) for k in [c.key] + list(c.answers))


def longest_copied_run(stem: str, passage: str) -> int:
    """Return the length of the longest run of consecutive words ``stem`` shares with ``passage``."""
    a, b = norm(stem).split(), norm(passage).split()
    where: dict[str, list[int]] = {}
    for j, w in enumerate(b):
        where.setdefault(w, []).append(j)
    best = 0
    for i, w in enumerate(a):
        for j in where.get(w, ()):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best


def gate_copied_sentence(c: Candidate, ctx: Context) -> bool:
    if not (c.kind in {"true_false", "cloze"} or GAP_RE.search(c.stem)):
        return True
    return longest_copied_run(c.stem, ctx.analysis.passages.get(c.passage, "")) <= MAX_COPIED_RUN


def gate_absolute_distractor(c: Candidate, ctx: Context) -> bool:
    texts = list(c.distractors) if c.kind != "true_false" else ([c.swapped[1]] if c.swapped else [])
    return not any(ABSOLUTE_WORDS.search(t) for t in texts)


def gate_lint_distractor_length(c: Candidate, ctx: Context) -> bool:
    if c.kind != "multiple_response" or not c.distractors:
        return True
    if keys_stand_out(c.keys, c.distractors):
        return False        # every key clearly longer than every distractor: picked by length
    mean_key = sum(len(k) for k in c.keys) / len(c.keys)
    mean_d = sum(len(d) for d in c.distractors) / len(c.distractors)
    longest_d = max(len(d) for d in c.distractors)
    return mean_d * 2 >= mean_key and max(len(k) for k in c.keys) <= longest_d * 2


def gate_bank_rules(c: Candidate, ctx: Context) -> bool:
    from ..interchange.bankfile import item_problems  # imported late: it pulls in the kinds registry
    return not item_problems(to_bank_mapping(to_record(c)))


ITEM_GATES: list[tuple[str, Callable[[Candidate, Context], bool]]] = [
    ("complete_stem", gate_complete_stem),
    ("no_unresolved_pronoun", gate_no_unresolved_pronoun),
    ("key_supported", gate_key_supported),
    ("key_not_in_stem", gate_key_not_in_stem),
    ("enough_distractors", gate_enough_distractors),
    ("distractor_form", gate_distractor_form),
    ("general_knowledge", gate_general_knowledge),
    ("false_statement_swap", gate_false_statement_swap),
    ("false_statement_unsupported", gate_false_statement_unsupported),
    ("false_statement_fair", gate_false_statement_fair),
    ("topic_key", gate_topic_key),
    ("copied_sentence", gate_copied_sentence),
    ("absolute_distractor", gate_absolute_distractor),
    ("lint_distractor_length", gate_lint_distractor_length),
    ("bank_rules", gate_bank_rules),
]
BANK_GATES = ("duplicate_stem", "duplicate_passage_key", "gives_away_other_item", "reused_distractor",
              "near_duplicate_stem")
GATE_NAMES = tuple(name for name, _ in ITEM_GATES) + BANK_GATES


def ext_id(passage: int, kind: str, key: str) -> str:
    """Return the stable id of an item: "gen-" + 12 hex digits of sha1(passage|kind|key)."""
    digest = hashlib.sha1(f"{passage}|{kind}|{norm(key)}".encode(), usedforsecurity=False).hexdigest()
    return f"gen-{digest[:12]}"


def to_record(c: Candidate) -> ItemRecord:
    """Return the :class:`ItemRecord` of a candidate (status draft, origin generated)."""
    answers = [list(c.answers)] if c.kind in {"cloze", "short_answer"} else []
    options = list(c.options) if c.kind in {"single_choice", "multiple_response", "true_false"} else []
    return ItemRecord(ext_id=ext_id(c.passage, c.kind, c.key), kind=c.kind, stem=c.stem,
                      explanation=choice_explanation(c), options=options, answers=answers, passage=c.passage,
                      status="draft", origin="generated")


# -- bank gates ----------------------------------------------------------------------------

class Bank:
    """The items kept so far, with indexes for the duplicate gates.

    Near-duplicate search uses prefix filtering: with tokens ordered by document frequency
    (rare first), two sets with Jaccard >= t share a token among the first
    ``len - ceil(t * len) + 1`` tokens of each, so only items sharing a prefix token are
    compared. Cost grows with the number of items, not its square.
    """

    def __init__(self, frequency: dict[str, int], threshold: float = NEAR_DUPLICATE,
                 in_document: Callable[[str], bool] | None = None, topic: set[str] | None = None):
        self.frequency = frequency
        self.topic = set(topic or ())
        self.topic_words = {w for t in self.topic for w in content_words(t)}
        self.in_document = in_document or (lambda phrase: False)
        self.invented: set[str] = set()
        self.threshold = threshold
        self.items: list[Candidate] = []
        self.tokens: list[set[str]] = []
        self.stems: set[str] = set()
        self.pairs: set[tuple[int, str]] = set()
        self.index: dict[str, list[int]] = {}
        self.near_pairs: list[tuple[str, str]] = []
        self.copied: dict[int, list[tuple[str, set[str]]]] = {}
        self.keys: set[str] = set()

    def novelty(self, c: Candidate) -> int:
        """Return how many of the candidate's keys no kept item has as a key (true/false: 0: an
        item with a new key is tried before a statement of the same clause)."""
        if c.kind == "true_false":
            return 0
        return sum(1 for k in c.keys[:1] if norm(k) not in self.keys) if c.kind != "multiple_response" \
            else sum(1 for k in c.keys if norm(k) not in self.keys)

    def _prefix(self, tokens: set[str]) -> list[str]:
        ordered = sorted(tokens, key=lambda t: (self.frequency.get(t, 0), t))
        size = len(ordered) - math.ceil(self.threshold * len(ordered)) + 1
        return ordered[:max(1, size)]

    def stem_tokens(self, c: Candidate) -> set[str]:
        """Return the content words of a stem with its blank filled by the key.

        Filling the blank makes two items cut from the same sentence (a cloze on one phrase,
        a true/false statement, a choice item with a blank elsewhere) look as alike as they
        are to a learner who sees both.
        """
        keys = c.keys
        filler = " ".join(keys) if c.kind == "multiple_response" else (keys[0] if keys else "")
        tokens = content_words(GAP_RE.sub(lambda _: f" {filler} ", c.stem))
        return tokens - self.topic_words    # the topic is in nearly every stem: it makes no stem alike

    def check(self, c: Candidate) -> str | None:
        """Return the name of the bank gate ``c`` fails, or None."""
        if norm(c.stem) in self.stems:
            return "duplicate_stem"
        if (c.passage, norm(c.key)) in self.pairs or (c.passage, _false_key(c)) in self.pairs:
            return "duplicate_passage_key"     # (a second false statement on one phrase, too)
        if any(gives_away(c, k) or gives_away(k, c) for k in self.items if k.passage == c.passage):
            return "gives_away_other_item"
        if self.repeats_kept(c):
            return "gives_away_other_item"
        if any(norm(d) in self.invented for d in self.invented_distractors(c)):
            return "reused_distractor"
        if is_copy(c) and c.statement is not None:
            mine = self.stem_tokens(c)
            for stem, tokens in self.copied.get(c.statement.order, ()):
                if mine <= tokens or tokens <= mine or jaccard(mine, tokens) >= SAME_CLAUSE:
                    self.near_pairs.append((stem, c.stem))
                    return "near_duplicate_stem"
        tokens = self.stem_tokens(c)
        if tokens:
            seen: set[int] = set()
            for tok in self._prefix(tokens):
                for i in self.index.get(tok, ()):
                    if i in seen:
                        continue
                    seen.add(i)
                    if "list.count" in {c.rule, self.items[i].rule}:
                        continue        # "how many provinces ...?" and "which provinces ...?" differ
                    if jaccard(tokens, self.tokens[i]) >= self.threshold:
                        self.near_pairs.append((self.items[i].stem, c.stem))
                        return "near_duplicate_stem"
        return None

    def repeats_kept(self, c: Candidate) -> bool:
        """Return True if cloze or true/false ``c`` shows or repeats the key of a kept item (not a
        true/false one) on its passage: its stem contains one of that item's keys (any key of a
        multiple-response item), its own key is one, or, for a cloze or gap item, its stem with
        the blank filled shows all of a kept key of three or more words. A false statement only
        fails when its words other than the swapped-in phrase show a kept key (asking a fact
        again falsely gives nothing away).

        Candidates are tried strongest kind first, so the weaker copy of a fact is the one dropped,
        and no gapped sentence or statement carries the answer of a neighbouring item.
        """
        if not is_gapped_copy(c):
            return False
        mine = [k for k in (c.answers if c.kind != "true_false" else c.swapped[:1] if c.swapped else [])
                if not self.is_topic(k)]
        said = content_words(c.stem) - self.topic_words if c.kind == "true_false" and c.swapped is None else set()
        for i, k in enumerate(self.items):
            if k.passage != c.passage:
                continue
            if any(contains_phrase(k.stem, m) for m in mine):
                return True         # the kept stem shows this one's key
            if said and len(said & self.tokens[i]) >= RESTATED * len(said):
                return True         # a true statement the kept stem (blank filled) already says
            if k.kind == "true_false":
                continue
            if c.kind == "true_false" and c.swapped is not None:
                # A false statement may ask again a fact a kept item asks: it shows no key (the
                # phrase it swaps in may be another item's key or option: stated falsely, it
                # tells nothing). Its other words must not show a key.
                rest = replace_once(c.stem, c.swapped[1], " ")
                if any(not self.is_topic(key) and contains_phrase(rest, key) for key in item_keys(k)):
                    return True
                continue
            filled = GAP_RE.sub(lambda _: " " + " and ".join(c.keys) + " ", c.stem) \
                if c.kind in {"cloze", "multiple_response"} and c.keys else ""
            for key in item_keys(k):
                if self.is_topic(key):
                    continue
                if norm(key) in {norm(m) for m in mine} or contains_phrase(c.stem, key):
                    return True
                if filled and len(key.split()) >= 3 and contains_phrase(filled, key):
                    return True     # the gapped stem shows all of a long key but the blank
        return False

    def is_topic(self, phrase: str) -> bool:
        q = norm(phrase)
        return len(q) <= 1 or q in self.topic or re.sub(r"^the ", "", q) in self.topic

    def add(self, c: Candidate) -> None:
        """Keep ``c``."""
        i = len(self.items)
        tokens = self.stem_tokens(c)
        self.items.append(c)
        self.tokens.append(tokens)
        self.stems.add(norm(c.stem))
        self.pairs.add((c.passage, norm(c.key)))
        if c.swapped is not None:
            self.pairs.add((c.passage, _false_key(c)))
        self.invented.update(norm(d) for d in self.invented_distractors(c))
        if is_copy(c) and c.statement is not None:
            self.copied.setdefault(c.statement.order, []).append((c.stem, tokens))
        if c.kind != "true_false":
            self.keys.update(norm(k) for k in c.keys)
        for tok in self._prefix(tokens) if tokens else ():
            self.index.setdefault(tok, []).append(i)


    def invented_distractors(self, c: Candidate) -> list[str]:
        """Return the distractors of ``c`` (a false statement: its swapped-in phrase) that are
        invented phrases (:func:`is_invented`) the document does not contain."""
        texts = list(c.distractors) if c.kind != "true_false" else ([c.swapped[1]] if c.swapped else [])
        return [t for t in texts if is_invented(t) and not self.in_document(t)]


def _false_key(c: Candidate) -> str:
    """Return the identity of the fact a false statement contradicts ("" for other items)."""
    return "false-of:" + norm(c.swapped[0]) if c.swapped is not None else ""


def is_invented(text: str) -> bool:
    """Return True for a made-up phrase of two or more words (a policy measure, a strength), not
    a proper name (a title, a region, a body: those are real, and may recur)."""
    bare = re.sub(r"^(?:the|a|an)\s+", "", text.strip(), flags=re.I)
    return len(bare.split()) >= 2 and bare[:1].islower()


def item_keys(c: Candidate) -> list[str]:
    """Return the key phrases of a short-answer or single-choice item (its key and accepted answers)."""
    return [k for k in [c.key] + c.keys if len(norm(k)) > 1]


def gives_away(a: Candidate, b: Candidate) -> bool:
    """Return True if short-answer ``a`` and single-choice ``b`` ask one relation both ways round:
    each stem contains a key of the other ("Which post did Cai Qi hold?" / "Who was Director of
    the General Office?")."""
    if (a.kind, b.kind) != ("short_answer", "single_choice"):
        return False
    return (any(contains_phrase(a.stem, k) for k in item_keys(b))
            and any(contains_phrase(b.stem, k) for k in item_keys(a)))


def repick_reused(c: Candidate, bank: Bank, ctx: Context) -> None:
    """Replace, in place, the distractors of a choice item that another kept item already uses
    (invented phrases, see :func:`is_invented`) by unused ones of its pool, where it has some."""
    if c.kind not in {"single_choice", "multiple_response"}:
        return
    reused = {norm(d) for d in bank.invented_distractors(c)} & bank.invented
    if not reused:
        return
    key = c.keys[0]
    for o in c.options:
        if o.is_key or norm(o.text) not in reused:
            continue
        taken = {norm(x.text) for x in c.options} | {norm(a) for a in c.answers}
        for p in c.pool:
            q = norm(p)
            if (q in taken or q in bank.invented or ABSOLUTE_WORDS.search(p)
                    or (c.kind == "single_choice" and not same_form(key, p))
                    or (c.kind == "single_choice" and c.statement is not None
                        and ctx.supported(c.statement, key, p))):
                continue
            if c.kind == "multiple_response" and keys_stand_out(
                    c.keys, [p] + [x.text for x in c.options if not x.is_key and x is not o]):
                continue
            o.text = p
            break
    refresh_explanation(c)


def is_gapped_copy(c: Candidate) -> bool:
    """Return True for the weak kinds the bank drops when they repeat a kept item: clozes,
    true/false statements, and single-choice items that gap a copied clause."""
    return c.kind in {"cloze", "true_false"} or (c.kind == "single_choice" and c.rule.startswith("copy.")) \
        or c.rule == "list.gap"


def is_copy(c: Candidate) -> bool:
    """Return True for items whose stem reproduces a statement of the text (one per statement)."""
    return c.rule.startswith("copy.") or c.rule == "list.gap"


def key_is_longest(c: Candidate) -> bool:
    """Return True if the key is strictly the longest option of a single-choice item."""
    key = c.keys[0]
    return all(len(key) > len(d) for d in c.distractors)


def lint(items: list[Candidate], ctx: Context) -> tuple[float, list[str]]:
    """Lint the kept items as a bank; re-pick distractors to keep the key-longest share low.

    Returns:
        ``(share of single-choice items whose key is the longest option, messages)``.
    """
    messages: list[str] = []
    choice = [c for c in items if c.kind == "single_choice"]
    longest = [c for c in choice if key_is_longest(c)]
    limit = int(KEY_LONGEST_LIMIT * len(choice))
    for c in longest:
        if sum(key_is_longest(x) for x in choice) <= limit:
            break
        key = c.keys[0]
        longer = [p for p in c.pool if len(p) >= len(key) and norm(p) not in {norm(o.text) for o in c.options}
                  and same_form(key, p)
                  and not (c.statement is not None and ctx.supported(c.statement, key, p))]
        if longer:
            ds = c.distractors
            # replace the shortest distractor
            shortest = min(range(len(ds)), key=lambda i: (len(ds[i]), i))
            for o in c.options:
                if not o.is_key and o.text == ds[shortest]:
                    o.text = longer[0]
                    break
            refresh_explanation(c)
    share = (sum(key_is_longest(c) for c in choice) / len(choice)) if choice else 0.0
    if share > KEY_LONGEST_LIMIT:
        messages.append(f"key_longest: the key is the longest option in {share:.0%} of single-choice "
                        f"items (limit {KEY_LONGEST_LIMIT:.0%})")
    for c in items:
        if c.kind == "multiple_response":
            mean_key = sum(len(k) for k in c.keys) / len(c.keys)
            mean_d = sum(len(d) for d in c.distractors) / max(1, len(c.distractors))
            if mean_d * 2 < mean_key:
                messages.append(f"distractor_length: distractors much shorter than keys in: {c.stem}")
    return share, messages
