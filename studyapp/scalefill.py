"""Fill a database with synthetic data at scale (``flask fill-scale``), for benchmarks.

What it writes (defaults: ``ScaleSpec()``): 10,000 learners ``scale-00001@scale.invalid`` ...
(display names "Scale learner 00001" ...) and one instructor ``scale-instructor@scale.invalid``,
all with the same password: it is hashed ONCE (with the app's ``PASSWORD_HASH_METHOD``) and
that one hash is stored for every account, so that 10,000 scrypt hashes do not take minutes;
2,000 published items in a few banks ``scale-1`` ... (the first bank holds half of them, the
others share the rest), each bank citing its own study text ``scale-N-source`` of numbered
passages, with all five kinds (single choice, multiple response, true/false, short answer,
cloze) and their options or accepted answers; and 1,000,000 responses in submitted exam and
practice attempts of 20 items, with the FSRS cards and review logs that submitting them
through :mod:`studyapp.attempting` would have written.

How the answers are drawn (as :mod:`studyapp.demo` does, per item): each learner has an
ability (0-1), each item a difficulty (0-0.8); a learner answers an item right with
probability ``min(0.95, ability * (1 - difficulty) + 0.15)``, and otherwise picks a distractor
or types a wrong answer (multiple response and cloze answers may be partly right). A few
items are "miskeyed" (stronger learners get them wrong more often: negative discrimination)
and some distractors are never chosen, so that every flag of the statistics appears. About 1%
of the attempt items are left unanswered (an item without a response counts 0). In practice
attempts a wrong first try is tried again in most cases, for the mark minus 1/3 (the app's
``PRACTICE_PENALTY``). Marks are computed with :mod:`studyapp.scoring`; an attempt's
``marks`` is the sum of its response marks and ``score_percent`` that sum as a percentage of
``item_count`` (rounded as :func:`studyapp.attempting.submit_attempt` rounds them). Each
marked response rates the learner's card for the item with the app's FSRS rule
(:func:`studyapp.scheduling.rating_for_response`), at the submission time for exams and at
the answer time for practice; the scheduler runs without fuzzing so that the same seed
gives the same data. Times are spread over the ``months`` before the fill (naive UTC), one
learner's attempts one after the other, none later than the day before the fill.

How it writes: ids are taken in order from ``MAX(id) + 1`` of each table (under a table lock
on PostgreSQL, the write lock on SQLite), so child rows name their parents without asking
the database; rows go in with ``COPY ... FROM STDIN`` through psycopg on PostgreSQL, and
with ``executemany`` on SQLite (``synchronous=OFF`` and a large page cache while it runs).
Everything is ONE transaction: an error or an interrupt leaves the database as it was.
On PostgreSQL the id sequences are then set past the new rows (``setval``), so that the
app inserts as usual, and, after the commit, the tables are vacuumed and analysed (as
autovacuum would do some minutes later) so that the planner knows their new sizes.
"""
from __future__ import annotations

import math
import random
import secrets
import time
from itertools import accumulate
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import fsrs

from . import clock
from .attempting import PRACTICE_PENALTY
from .scheduling import rating_for_response
from .scoring import mark_multiple, mark_single, mark_text

EMAIL_DOMAIN = "scale.invalid"
"""The domain of every account the fill makes (``.invalid`` is reserved: no mail goes out)."""
INSTRUCTOR_EMAIL = f"scale-instructor@{EMAIL_DOMAIN}"
"""The instructor account the fill makes (to look at the gradebook and the statistics)."""
BANK_PREFIX = "scale-"
"""Slug prefix of the fill's banks (``scale-1``, ...) and study texts (``scale-1-source``, ...)."""
SKIPPED_FRACTION = 0.01
"""Share of attempt items left unanswered (no response row), on top of ``responses``."""
PRACTICE_SHARE = 0.3
"""Share of attempts in practice mode (the others are exams)."""
SECOND_TRY_SHARE = 0.7
"""Share of wrong or partly right first tries in practice that are tried a second time."""
MISKEYED_SHARE = 0.03
"""Share of items that stronger learners get wrong more often (negative discrimination)."""
UNUSED_DISTRACTOR_SHARE = 0.1
"""Share of choice items with a distractor that nobody chooses."""
PASS_MARK = 60.0
"""Pass mark (percent) of the first bank; the others have none."""
BATCH_RESPONSES = 50_000
"""Learners are written in batches of about this many responses (memory stays small)."""

KIND_CYCLE = ("single_choice", "multiple_response", "true_false", "short_answer", "cloze",
              "single_choice", "multiple_response", "single_choice", "true_false", "short_answer",
              "cloze", "single_choice", "multiple_response", "single_choice", "single_choice",
              "true_false", "short_answer", "cloze", "multiple_response", "single_choice")
"""The kinds of a bank's items in turn: any five items in a row hold all five kinds at the
start; over 20 items 7 single choice, 4 multiple response, 3 of each other kind."""

WORDS = ("river", "harbour", "granary", "railway", "forest", "valley", "bridge", "factory", "market",
         "college", "orchard", "mine", "port", "canal", "plain", "island", "tunnel", "meadow", "mill", "quay")
"""Synthetic answer words (accepted answers of text items)."""
WRONG_TEXTS = ("I am not sure", "no idea", "lake", "desert", "mountain", "airport", "village", "tower")
"""Wrong typed answers (none of them is in ``WORDS``)."""
TIMEZONES = ("UTC",) * 7 + ("Asia/Shanghai",) * 2 + ("Europe/Berlin",)
"""Learners' time zones, drawn uniformly from this tuple."""

# The columns written, per table, in the order of the row tuples below.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "email", "display_name", "password_hash", "role", "active", "created_at", "session_token",
              "timezone"),
    "documents": ("id", "slug", "title", "summary", "based_on", "created_at"),
    "passages": ("id", "document_id", "number", "heading", "text"),
    "banks": ("id", "slug", "title", "description", "document_id", "published", "created_at",
              "time_limit_minutes", "attempts_allowed", "pass_mark_percent", "second_try", "default_items",
              "shuffle_options", "feedback", "review_allowed"),
    "items": ("id", "bank_id", "ext_id", "kind", "stem", "explanation", "status", "origin", "passage_id",
              "created_at", "updated_at", "version", "previous_id", "superseded_by_id"),
    "options": ("id", "item_id", "position", "text", "is_key", "feedback"),
    "accepted_answers": ("id", "item_id", "gap", "text"),
    "attempts": ("id", "user_id", "bank_id", "mode", "status", "item_count", "started_at", "submitted_at", "marks",
                 "score_percent", "deadline_at", "timed_out", "pass_mark_percent"),
    "attempt_items": ("id", "attempt_id", "position", "item_id"),
    "attempt_options": ("id", "attempt_item_id", "position", "option_id"),
    "responses": ("id", "attempt_item_id", "answered_at", "mark", "tries", "final"),
    "response_choices": ("response_id", "option_id"),
    "response_texts": ("response_id", "gap", "text"),
    "cards": ("id", "user_id", "item_id", "state", "step", "stability", "difficulty", "due", "last_review", "reps",
              "lapses"),
    "review_logs": ("id", "card_id", "rating", "reviewed_at", "source", "response_id"),
}
"""Every table the fill writes, in an order where parents come before children."""

ID_TABLES = tuple(t for t, cols in COLUMNS.items() if cols[0] == "id")
"""The tables whose rows get ids from the fill (the others have composite keys)."""


class ScaleError(Exception):
    """The fill cannot run: a bad size, an unsupported database, or a database that holds
    users (without ``allow_users``) or scale data already. Nothing was written."""


@dataclass(frozen=True)
class ScaleSpec:
    """What to make.

    Attributes:
        learners: learner accounts (at least 1).
        items: items in all (at least ``banks``).
        responses: responses in all (attempt items with an answer); the attempts hold about
            1% more attempt items, left unanswered.
        banks: how many banks (1-50); the first holds half the items.
        per_attempt: items per attempt (at most the bank's items; the last attempt may be shorter).
        months: how far back the attempts go (30-day months).
        seed: seeds everything drawn at random (the same spec gives the same rows, except the
            session tokens and the timestamps, which follow the time of the fill).
    """

    learners: int = 10_000
    items: int = 2_000
    responses: int = 1_000_000
    banks: int = 4
    per_attempt: int = 20
    months: int = 6
    seed: int = 0

    def check(self) -> None:
        """Raise :class:`ScaleError` for sizes the fill cannot make."""
        if self.learners < 1:
            raise ScaleError("--learners must be at least 1")
        if not 1 <= self.banks <= 50:
            raise ScaleError("--banks must be 1-50")
        if self.items < self.banks:
            raise ScaleError(f"--items must be at least the number of banks ({self.banks})")
        if self.responses < 0:
            raise ScaleError("--responses must be 0 or more")
        if self.per_attempt < 1:
            raise ScaleError("--per-attempt must be at least 1")
        if self.months < 1:
            raise ScaleError("--months must be at least 1")

    @property
    def skipped(self) -> int:
        """Attempt items left unanswered: ``round(SKIPPED_FRACTION * responses)``."""
        return round(SKIPPED_FRACTION * self.responses)

    @property
    def attempt_items(self) -> int:
        """Attempt items in all: ``responses + skipped``."""
        return self.responses + self.skipped

    def bank_sizes(self) -> list[int]:
        """Return the number of items of each bank: the first gets half (rounded up, all of
        them with one bank), the others share the rest as evenly as can be."""
        if self.banks == 1:
            return [self.items]
        first = max(1, math.ceil(self.items / 2))
        first = min(first, self.items - (self.banks - 1))
        rest, extra = divmod(self.items - first, self.banks - 1)
        return [first] + [rest + (1 if i < extra else 0) for i in range(self.banks - 1)]


@dataclass
class FillReport:
    """What a fill wrote: ``rows`` per table, ``seconds`` it took (wall clock, the commit
    included), and the first learner's id (the learners have consecutive ids)."""

    rows: dict[str, int]
    seconds: float
    first_learner_id: int
    dialect: str

    @property
    def total_rows(self) -> int:
        """Rows written in all tables."""
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        """Rows written per second of wall-clock time."""
        return self.total_rows / self.seconds if self.seconds > 0 else float("inf")


# -- what the rows hold -----------------------------------------------------------------------

@dataclass
class _Item:
    """One item as the answer generator needs it (ids already assigned)."""

    id: int
    bank: int               # index of the bank (0-based)
    kind: str
    option_ids: list[int]   # in the item's order (true/false: True, False)
    keys: list[int]
    distractors: list[int]
    weights: list[float]    # how likely each distractor is picked when answering wrong
    accepted: list[list[str]]  # per gap (text kinds)
    difficulty: float
    miskeyed: bool


@dataclass
class _Learner:
    id: int
    ability: float
    activity: float
    attempts: list[tuple[int, str, int]] = field(default_factory=list)  # (bank index, mode, items)


class _Ids:
    """Next id per table (``MAX(id) + 1`` when the fill starts)."""

    def __init__(self, start: dict[str, int]):
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _content_rows(spec: ScaleSpec, ids: _Ids, rng: random.Random, now: datetime):
    """Return ``(rows per table, banks as (id, pass mark, second try), items as _Item list)``
    for the documents, passages, banks, items, options and accepted answers."""
    rows: dict[str, list[tuple]] = {t: [] for t in ("documents", "passages", "banks", "items", "options",
                                                    "accepted_answers")}
    created = now - timedelta(days=30 * spec.months + 7)
    banks: list[tuple[int, float | None, bool]] = []
    items: list[_Item] = []
    number = 0
    for b, size in enumerate(spec.bank_sizes()):
        n = b + 1
        doc_id = ids.take("documents")
        rows["documents"].append((doc_id, f"{BANK_PREFIX}{n}-source", f"Scale study text {n}",
                                  f"A synthetic study text for benchmarks ({size} items cite it).",
                                  "Generated by flask fill-scale.", created))
        n_passages = max(3, min(60, math.ceil(size / 12)))
        passage_ids = []
        for p in range(1, n_passages + 1):
            pid = ids.take("passages")
            passage_ids.append(pid)
            rows["passages"].append((pid, doc_id, p, f"Section {(p - 1) // 5 + 1}" if p % 5 == 1 else "",
                                     f"Scale passage {p} of study text {n}: region {p} planned "
                                     f"{WORDS[p % len(WORDS)]} works and a {WORDS[(p * 7) % len(WORDS)]} "
                                     f"programme over {p + 2} years, reviewed each spring."))
        bank_id = ids.take("banks")
        pass_mark = PASS_MARK if b == 0 else None
        banks.append((bank_id, pass_mark, True))
        rows["banks"].append((bank_id, f"{BANK_PREFIX}{n}", f"Scale bank {n}",
                              f"Synthetic bank {n} of {spec.banks} made by flask fill-scale.", doc_id, True,
                              created, None, None, pass_mark, True, spec.per_attempt, True, "any", True))
        for j in range(size):
            number += 1
            item_id = ids.take("items")
            kind = KIND_CYCLE[j % len(KIND_CYCLE)]
            passage = j % n_passages
            word = WORDS[number % len(WORDS)]
            option_ids: list[int] = []
            keys: list[int] = []
            accepted: list[list[str]] = []
            if kind == "single_choice":
                stem = f"Scale item {number}: which option is right about region {passage + 1}'s {word}?"
                texts = [f"Option {c} of item {number}" for c in "ABCD"]
                key_positions = {rng.randrange(4)}
            elif kind == "multiple_response":
                stem = f"Scale item {number}: which of these hold for the {word} plan? Select all that apply."
                texts = [f"Statement {c} of item {number}" for c in "ABCDE"]
                key_positions = set(rng.sample(range(5), rng.choice((2, 2, 3))))
            elif kind == "true_false":
                stem = f"Scale item {number}: the {word} plan of region {passage + 1} ran for {passage + 3} years."
                texts = ["True", "False"]
                key_positions = {rng.randrange(2)}
            elif kind == "short_answer":
                stem = f"Scale item {number}: name the works that region {passage + 1} planned first (one word)."
                texts, key_positions = [], set()
                accepted = [[word, word + "s"]]
            else:
                gaps = rng.choice((1, 2, 2, 3))
                blanks = " and ".join(["___"] * gaps)
                stem = f"Scale item {number}: the plan named {blanks} as its first works."
                accepted = [[WORDS[(number + 3 * g) % len(WORDS)]] for g in range(gaps)]
                texts, key_positions = [], set()
            for pos, text in enumerate(texts):
                oid = ids.take("options")
                option_ids.append(oid)
                if pos in key_positions:
                    keys.append(oid)
                rows["options"].append((oid, item_id, pos, text, pos in key_positions, ""))
            for gap, answers in enumerate(accepted):
                for text in answers:
                    rows["accepted_answers"].append((ids.take("accepted_answers"), item_id, gap, text))
            distractors = [o for o in option_ids if o not in keys]
            weights = [1.0 + rng.random() for _ in distractors]
            if len(distractors) > 1 and rng.random() < UNUSED_DISTRACTOR_SHARE:
                weights[-1] = 0.0
            rows["items"].append((item_id, bank_id, f"scale-{number:05d}", kind, stem,
                                  f"Scale passage {passage + 1} of study text {n} gives the answer.",
                                  "published", "authored", passage_ids[passage], created, created, 1, None, None))
            items.append(_Item(item_id, b, kind, option_ids, keys, distractors, weights, accepted,
                               rng.random() * 0.8, rng.random() < MISKEYED_SHARE))
    return rows, banks, items


def _plan_learners(spec: ScaleSpec, first_id: int, rng: random.Random) -> list[_Learner]:
    """Return the learners with their attempts (bank, mode, number of items), holding exactly
    ``spec.attempt_items`` attempt items: every learner gets one attempt first (while there
    are items left), then each further attempt goes to a learner drawn by activity."""
    learners = [_Learner(first_id + i, rng.betavariate(2.2, 1.8), rng.lognormvariate(0, 0.7))
                for i in range(spec.learners)]
    sizes = spec.bank_sizes()
    bank_weights = list(accumulate(sizes))
    learner_weights = list(accumulate(learner.activity for learner in learners))
    left = spec.attempt_items
    k = 0
    while left > 0:
        learner = learners[k] if k < len(learners) else rng.choices(learners, cum_weights=learner_weights)[0]
        bank = rng.choices(range(len(sizes)), cum_weights=bank_weights)[0]
        n = min(spec.per_attempt, sizes[bank], left)
        mode = "practice" if rng.random() < PRACTICE_SHARE else "exam"
        learner.attempts.append((bank, mode, n))
        left -= n
        k += 1
    return learners



def _answer(item: _Item, right: bool, rng: random.Random) -> tuple[list[int], list[str], float]:
    """Return ``(chosen option ids, typed texts, raw mark 0-1)`` of one answer to ``item``."""
    kind = item.kind
    if kind in ("single_choice", "true_false"):
        chosen = [item.keys[0]] if right else rng.choices(item.distractors, weights=item.weights)
        return chosen, [], mark_single(chosen, item.keys).mark
    if kind == "multiple_response":
        if right:
            chosen = list(item.keys)
        elif rng.random() < 0.5:   # part of the keys, perhaps with a distractor
            chosen = rng.sample(item.keys, rng.randrange(1, len(item.keys)))
            if rng.random() < 0.5:
                chosen += rng.choices(item.distractors, weights=item.weights)
        else:
            chosen = rng.choices(item.distractors, weights=item.weights)
        chosen = sorted(set(chosen))
        return chosen, [], mark_multiple(chosen, item.keys, item.option_ids).mark
    texts = []
    for g, answers in enumerate(item.accepted):
        # a cloze answer that is wrong overall still gets some gaps right
        ok = right or (len(item.accepted) > 1 and rng.random() < 0.35)
        if ok:
            text = rng.choice(answers)
            style = rng.random()
            if style < 0.1:
                text = text.upper()
            elif style < 0.2:
                text = f"  {text} "
        else:
            text = rng.choice(WRONG_TEXTS)
        texts.append(text)
    return [], texts, mark_text(texts, item.accepted).mark


def _right_chance(ability: float, item: _Item) -> float:
    """Chance (0-1) that a learner of ``ability`` answers ``item`` right."""
    if item.miskeyed:
        return max(0.05, 0.8 - 0.7 * ability)
    return min(0.95, ability * (1 - item.difficulty) + 0.15)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc)


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value is not None else None


class _Generator:
    """Makes the attempts, responses, cards and review logs of learners, batch by batch."""

    def __init__(self, spec: ScaleSpec, ids: _Ids, items: list[_Item], banks, rng: random.Random,
                 now: datetime, retention: float):
        self.spec, self.ids, self.rng, self.now = spec, ids, rng, now
        self.banks = banks
        self.by_bank: list[list[_Item]] = [[] for _ in banks]
        for item in items:
            self.by_bank[item.bank].append(item)
        self.scheduler = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)
        self.skip_left = spec.skipped
        self.slots_left = spec.attempt_items
        self.days = 30 * spec.months

    def _skip(self) -> bool:
        """Selection sampling: exactly ``spec.skipped`` of the attempt items are skipped."""
        skip = self.rng.random() * self.slots_left < self.skip_left
        self.slots_left -= 1
        if skip:
            self.skip_left -= 1
        return skip

    def _starts(self, n: int) -> list[datetime]:
        """Return ``n`` start times, strictly increasing (at least 2 s apart), on days from a
        first day in the window up to yesterday, between 06:00 and 21:00 UTC."""
        rng = self.rng
        yesterday = (self.now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        first = rng.randrange(0, max(1, self.days * 2 // 3))   # days counted from the window's start
        starts = []
        for _ in range(n):
            day = yesterday - timedelta(days=self.days - 1 - (first + rng.randrange(self.days - first)))
            starts.append(day + timedelta(seconds=rng.randrange(6 * 3600, 21 * 3600)))
        starts.sort()
        for k in range(1, n):
            starts[k] = max(starts[k], starts[k - 1] + timedelta(seconds=2))
        return starts

    def learner_rows(self, learner: _Learner, rows: dict[str, list[tuple]]) -> None:
        """Append the rows of one learner's attempts (and cards) to ``rows``.

        Each attempt runs from its start until the next one starts at the latest (the last one
        until a minute before the fill): a learner with attempts closer together than their
        answering times answers faster, so that no two attempts overlap and every time is in
        the past. FSRS ratings are applied in time order: practice answers when they are
        given, exam answers at submission.
        """
        rng, ids = self.rng, self.ids
        n = len(learner.attempts)
        if not n:
            return
        starts = self._starts(n)
        ends = starts[1:] + [self.now - timedelta(minutes=1)]
        cards: dict[int, list] = {}   # item id -> [card id, fsrs.Card, reps, lapses]
        for (bank, mode, size), start, end in zip(learner.attempts, starts, ends):
            attempt_id = ids.take("attempts")
            bank_id, pass_mark, second_try = self.banks[bank]
            practice = mode == "practice"
            answers = []   # (attempt item id, item id, chosen, texts, raw mark, tries, mark, seconds after start)
            elapsed = 0.0
            for position, item in enumerate(rng.sample(self.by_bank[bank], size), start=1):
                ai_id = ids.take("attempt_items")
                rows["attempt_items"].append((ai_id, attempt_id, position, item.id))
                if item.option_ids:
                    shown = list(item.option_ids)
                    if item.kind != "true_false":
                        rng.shuffle(shown)
                    for pos, oid in enumerate(shown):
                        rows["attempt_options"].append((ids.take("attempt_options"), ai_id, pos, oid))
                if self._skip():
                    elapsed += rng.randrange(3, 15)
                    continue
                chance = _right_chance(learner.ability, item)
                chosen, texts, raw = _answer(item, rng.random() < chance, rng)
                tries, mark = 1, raw
                elapsed += rng.randrange(15, 90)
                if practice and raw < 1 and second_try and rng.random() < SECOND_TRY_SHARE:
                    chosen, texts, raw = _answer(item, rng.random() < min(0.95, chance + 0.25), rng)
                    tries = 2
                    mark = round(max(0.0, raw - PRACTICE_PENALTY), 6)
                    elapsed += rng.randrange(10, 40)
                answers.append((ai_id, item.id, chosen, texts, raw, tries, mark, elapsed))
            elapsed += rng.randrange(10, 60)
            scale = min(1.0, (end - start).total_seconds() * 0.99 / elapsed)
            total = 0.0
            marked = []   # (item id, raw mark, tries, response id), for the exam's ratings
            for ai_id, item_id, chosen, texts, raw, tries, mark, seconds in answers:
                at = start + timedelta(seconds=seconds * scale)
                rid = ids.take("responses")
                rows["responses"].append((rid, ai_id, at, mark, tries, True))
                for oid in chosen:
                    rows["response_choices"].append((rid, oid))
                for gap, text in enumerate(texts):
                    rows["response_texts"].append((rid, gap, text))
                total += mark
                if practice:   # checked at once: the card is rated when it is answered
                    self._review(cards, learner.id, item_id, raw, tries, rid, at, mode, rows)
                else:
                    marked.append((item_id, raw, tries, rid))
            submitted = start + timedelta(seconds=elapsed * scale)
            for item_id, raw, tries, rid in marked:   # exams are marked (and rated) at submission
                self._review(cards, learner.id, item_id, raw, tries, rid, submitted, mode, rows)
            rows["attempts"].append((
                attempt_id, learner.id, bank_id, mode, "submitted", size, start, submitted, round(total, 6),
                round(100.0 * total / size, 2) if size else 0.0, None, False,
                pass_mark if mode == "exam" else None))
        for item_id, (card_id, card, reps, lapses) in cards.items():
            rows["cards"].append((card_id, learner.id, item_id, card.state.value, card.step, card.stability,
                                  card.difficulty, _naive(card.due), _naive(card.last_review), reps, lapses))

    def _review(self, cards, user_id, item_id, raw, tries, response_id, when, source, rows) -> None:
        """Rate the learner's card for an item as :func:`studyapp.scheduling.record_review` does."""
        entry = cards.get(item_id)
        if entry is None:
            card_id = self.ids.take("cards")
            entry = cards[item_id] = [card_id, fsrs.Card(card_id=card_id, state=fsrs.State.Learning, step=0,
                                                         due=_aware(when)), 0, 0]
        rating = rating_for_response(raw, tries)
        before = entry[1].state
        entry[1], _log = self.scheduler.review_card(entry[1], rating, review_datetime=_aware(when))
        entry[2] += 1
        if rating == fsrs.Rating.Again and before == fsrs.State.Review:
            entry[3] += 1
        rows["review_logs"].append((self.ids.take("review_logs"), entry[0], rating.value, when, source,
                                    response_id))


# -- writing ------------------------------------------------------------------------------------

class _Writer:
    """Writes row tuples into tables inside one open transaction."""

    def write(self, table: str, rows: Sequence[tuple]) -> None:
        raise NotImplementedError


class _PgWriter(_Writer):
    """PostgreSQL: ``COPY table (columns) FROM STDIN`` through psycopg 3."""

    def __init__(self, conn):
        self.conn = conn

    def write(self, table, rows):
        if not rows:
            return
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _sqlite_value(value):
    """Return ``value`` as SQLAlchemy stores it in SQLite (datetimes as ISO text with microseconds)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class _SqliteWriter(_Writer):
    """SQLite: ``executemany`` of one INSERT per table."""

    def __init__(self, conn):
        self.conn = conn

    def write(self, table, rows):
        if not rows:
            return
        cols = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # nosec B608 # table and column names are this module's constants, values are parameters
        if any(c.endswith("_at") or c in ("due", "last_review") for c in cols):
            rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
        self.conn.executemany(sql, rows)


# -- the fill -------------------------------------------------------------------------------------

def _scalar(cur, sql: str, params: tuple = ()):
    cur.execute(sql, params)
    row = cur.fetchone()
    return row[0] if row else None


def _preflight(cur, param: str, allow_users: bool) -> int:
    """Refuse a database that cannot take the fill; return the number of users it holds.

    Raises:
        ScaleError: no schema, scale data already there, or users without ``allow_users``.
    """
    try:
        users = _scalar(cur, "SELECT COUNT(*) FROM users")
    except Exception as exc:  # noqa: BLE001 - the driver's "no such table" in either dialect
        raise ScaleError(f"the database has no studyapp schema (run 'flask --app studyapp db upgrade' first): "
                         f"{exc}") from None
    taken = _scalar(cur, f"SELECT COUNT(*) FROM users WHERE email LIKE {param}", (f"%@{EMAIL_DOMAIN}",))  # nosec B608 # only the driver's placeholder (%s or ?) is formatted in
    banks = _scalar(cur, f"SELECT COUNT(*) FROM banks WHERE slug LIKE {param}", (f"{BANK_PREFIX}%",))  # nosec B608 # only the driver's placeholder (%s or ?) is formatted in
    if taken or banks:
        raise ScaleError(f"the database holds scale data already ({taken} accounts @{EMAIL_DOMAIN}, {banks} banks "
                         f"{BANK_PREFIX}*); fill an empty database instead")
    if users and not allow_users:
        raise ScaleError(f"the database has {users} user(s) already: fill-scale adds thousands of accounts "
                         "and a million responses, meant for a database of its own; pass --yes to add them anyway")
    return users


def fill_scale(engine, spec: ScaleSpec, password_hash: str, *, allow_users: bool = False,
               retention: float = 0.9, now: datetime | None = None,
               progress: Callable[[int, int, float], None] | None = None) -> FillReport:
    """Fill the database behind ``engine`` as the module docstring describes, in one transaction.

    Args:
        engine: a SQLAlchemy engine on PostgreSQL (psycopg 3) or SQLite, with the schema migrated.
        spec: the sizes and the seed.
        password_hash: the one password hash stored for every account the fill makes.
        allow_users: write into a database that holds users already (never one that holds
            scale data).
        retention: FSRS desired retention (fraction 0-1) of the scheduler that rates the cards.
        now: naive UTC time of the fill (default: the app clock); every timestamp is before it.
        progress: called after each batch with ``(responses written, responses in all, seconds)``.
    Returns:
        A :class:`FillReport`.
    Raises:
        ScaleError: a bad spec, another database than PostgreSQL or SQLite, or a database
            refused by :func:`_preflight`. Nothing is written.
    """
    spec.check()
    dialect = engine.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise ScaleError(f"fill-scale supports PostgreSQL and SQLite, not {dialect}")
    if dialect == "postgresql" and engine.dialect.driver != "psycopg":
        raise ScaleError("fill-scale needs the psycopg 3 driver on PostgreSQL (postgresql+psycopg://...)")
    started = time.perf_counter()
    now = now or clock.now()
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        if dialect == "sqlite":
            with _sqlite_bulk(conn):
                report = _fill(conn, _SqliteWriter(conn), "?", spec, password_hash, allow_users, retention, now,
                               progress, started)
        else:
            try:
                report = _fill(conn, _PgWriter(conn), "%s", spec, password_hash, allow_users, retention, now,
                               progress, started)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            # What autovacuum would do a while later: planner statistics for the new sizes, and
            # the visibility map that lets index-only scans skip the table (outside a transaction).
            conn.autocommit = True
            try:
                conn.execute(f"VACUUM (ANALYZE) {', '.join(COLUMNS)}")
            finally:
                conn.autocommit = False
    finally:
        raw.close()
    report.seconds = time.perf_counter() - started
    return report


class _sqlite_bulk:
    """Context manager: one ``BEGIN IMMEDIATE`` transaction on a sqlite3 connection, committed
    on success and rolled back on any error, with ``synchronous=OFF``, a 256 MB page cache and
    temporary storage in memory meanwhile (all put back after). ``synchronous=OFF`` gives up
    durability against a power cut during the fill, not atomicity: the journal still rolls
    back an interrupted fill."""

    PRAGMAS = (("synchronous", "OFF"), ("cache_size", "-262144"), ("temp_store", "MEMORY"))

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.old = {p: self.conn.execute(f"PRAGMA {p}").fetchone()[0] for p, _ in self.PRAGMAS}
        self.isolation = self.conn.isolation_level
        if self.conn.in_transaction:
            self.conn.rollback()
        self.conn.isolation_level = None   # no implicit transactions: ours is explicit
        for pragma, value in self.PRAGMAS:
            self.conn.execute(f"PRAGMA {pragma}={value}")
        self.conn.execute("BEGIN IMMEDIATE")   # the write lock: nobody else takes ids meanwhile
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.conn.execute("COMMIT")
            elif self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        finally:
            for pragma, value in self.old.items():
                self.conn.execute(f"PRAGMA {pragma}={value}")
            self.conn.isolation_level = self.isolation
        return False


def _fill(conn, writer: _Writer, param: str, spec: ScaleSpec, password_hash: str, allow_users: bool,
          retention: float, now: datetime, progress, started: float) -> FillReport:
    """Write everything inside the transaction the caller opened (and commits)."""
    cur = conn.cursor()
    if param == "%s":
        try:
            # Nobody else may insert into these tables until the fill commits (ids are MAX + 1);
            # readers are not blocked.
            cur.execute(f"LOCK TABLE {', '.join(COLUMNS)} IN SHARE ROW EXCLUSIVE MODE")
        except Exception as exc:  # noqa: BLE001 - psycopg's UndefinedTable and the like
            raise ScaleError(f"the database has no studyapp schema (run 'flask --app studyapp db upgrade' "
                             f"first): {exc}") from None
    _preflight(cur, param, allow_users)
    ids = _Ids({t: (_scalar(cur, f"SELECT COALESCE(MAX(id), 0) FROM {t}") or 0) + 1 for t in ID_TABLES})  # nosec B608 # table names from ID_TABLES, this module's constant
    counts = {t: 0 for t in COLUMNS}

    def flush(rows: dict[str, list[tuple]]) -> None:
        for table in COLUMNS:   # parents before children
            batch = rows.get(table)
            if batch:
                writer.write(table, batch)
                counts[table] += len(batch)
                batch.clear()

    rng = random.Random(spec.seed)  # nosec B311 # seeded on purpose: the same fill for the same seed
    content, banks, items = _content_rows(spec, ids, rng, now)
    flush(content)
    # One password hash for everyone (see the module docstring); session tokens are unique.
    width = max(5, len(str(spec.learners)))
    first_learner = ids.next["users"]
    learners = _plan_learners(spec, first_learner, rng)
    ids.next["users"] = first_learner + len(learners)
    earliest = now - timedelta(days=30 * spec.months + 1)
    user_rows = [(learner.id, f"scale-{k:0{width}d}@{EMAIL_DOMAIN}", f"Scale learner {k:0{width}d}",
                  password_hash, "learner", True, earliest, secrets.token_hex(32), rng.choice(TIMEZONES))
                 for k, learner in enumerate(learners, start=1)]
    user_rows.append((ids.take("users"), INSTRUCTOR_EMAIL, "Scale instructor", password_hash, "instructor", True,
                      earliest, secrets.token_hex(32), "UTC"))
    flush({"users": user_rows})

    generator = _Generator(spec, ids, items, banks, rng, now, retention)
    rows: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
    written = 0
    for learner in learners:
        generator.learner_rows(learner, rows)
        if len(rows["responses"]) >= BATCH_RESPONSES:
            written += len(rows["responses"])
            flush(rows)
            if progress:
                progress(written, spec.responses, time.perf_counter() - started)
    flush(rows)
    if counts["responses"] != spec.responses or counts["attempt_items"] != spec.attempt_items:
        raise AssertionError(f"wrote {counts['responses']} responses and {counts['attempt_items']} attempt "
                             f"items, planned {spec.responses} and {spec.attempt_items}")
    if param == "%s":
        for table in ID_TABLES:   # the app's next insert takes MAX(id) + 1
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608 # table names from ID_TABLES, this module's constant
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    elif _scalar(cur, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"):
        for table in ID_TABLES:   # tables made with AUTOINCREMENT keep their counter there
            cur.execute(f"UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM {table}) WHERE name = ?", (table,))  # nosec B608 # table names from ID_TABLES, this module's constant
    return FillReport(counts, 0.0, first_learner, "postgresql" if param == "%s" else "sqlite")
