"""Item statistics per bank (Moodle's quiz statistics) and the instructor's activity figures.
No Flask imports.

Sources of the formulas:

- Moodle's quiz statistics report, for what each measure means and how to read it:
  https://docs.moodle.org/en/Quiz_statistics_report
- Moodle's developer page "Quiz statistics calculations", for the formulas:
  https://docs.moodle.org/dev/Quiz_statistics_calculations
  (now https://moodledev.io/docs/apis/subsystems/quiz/statistics-calculations).

Notation (the developer page's): attempt ``s`` of the population ``S``; ``x_p(s)`` is the
mark of item ``p`` in attempt ``s`` (a fraction 0-1 here, so ``x_p(max) - x_p(min) = 1``);
``X(s)`` is the attempt's total marks and ``X_p(s) = X(s) - x_p(s)`` the *rest of the test*.
``S_p`` is the set of attempts that included item ``p`` (attempts draw items at random from
the bank, like Moodle's random questions); ``n = |S_p|``.

- Facility index ``F_p = 100 * mean(x_p)`` (percent 0-100): the mean mark as a percentage of
  the item's maximum.
- Standard deviation ``SD_p = 100 * sqrt(V(x_p))`` (percent of the item's maximum), with the
  sample variance ``V(x_p) = sum((x_p(s) - mean(x_p))^2) / (n - 1)``.
- Discrimination index ``D_p = 100 * r(x_p, X_p)`` (-100 to 100): the product-moment
  correlation of the item's mark with the rest of the test,
  ``r = C(x_p, X_p) / sqrt(V(x_p) * V(X_p))`` with the sample covariance
  ``C(x_p, X_p) = sum((x_p(s) - mean(x_p)) * (X_p(s) - mean(X_p))) / (n - 1)``.

The population (see :data:`DEFAULT_MODES`): the *submitted* attempts of the bank in the
given modes, every attempt counted as if made by a different learner (Moodle's option
"include data from all attempts"; Moodle's default of first attempts only would drop most of
the data of a study app where learners come back). An item that was in an attempt but not
answered counts with mark 0 (Moodle's first approach to incomplete attempts: "treat omitted
items as having a score of 0"). A practice response's mark is its final mark after the
second-try penalty, as Moodle uses "the final score for the item, including penalties".

The sums are computed by the database (``COUNT``, ``AVG`` and ``SUM`` of squared and
multiplied deviations, ``NTILE`` for the thirds) over ``attempt_items LEFT JOIN responses``:
no response is loaded into Python, and a report runs a fixed number of queries whatever the
number of banks, attempts and items. The item sums, the option counts and the sizes of the
thirds come from one statement, so the attempt items and responses are read once per report
(with 10,000 learners and a million responses, reading them three times took seconds).

The pages do not run that statement on every request: :mod:`studyapp.stored_statistics` keeps
its result (the exact sums, :class:`_Sums`) and serves it while it counts every submitted
attempt or is younger than a maximum age; :func:`bank_report` and :func:`flagged_report` build
the figures from sums computed now or stored.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, Numeric, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from . import clock
from .extensions import db
from .models import (
    Attempt, AttemptItem, AttemptMode, AttemptStatus, Bank, ItemStatus, Question, Response, ResponseChoice, Role,
    User,
)

DEFAULT_MODES: tuple[str, ...] = (AttemptMode.EXAM.value, AttemptMode.PRACTICE.value)
"""The attempt modes whose submitted attempts the statistics count by default. Review
attempts are left out: they ask each learner only the items due for them (mostly ones they
got wrong before), so they are not a sample of the bank's items taken alike by everyone."""

FLAG_MIN_ATTEMPTS = 10
"""An item is flagged only once at least this many attempts of the population included it.
Below that one learner moves the facility index by ten points or more, and a correlation of a
handful of pairs is noise: a flag would send a person to fix an item that is not broken."""

TOO_EASY_ABOVE = 90.0
"""Facility index (percent) above which an item is flagged ``too_easy``: Moodle's report calls
90-94% "very easy" and 95-100% "extremely easy"."""

TOO_HARD_BELOW = 20.0
"""Facility index (percent) below which an item is flagged ``too_hard``: Moodle's report calls
11-20% "difficult" and below that "very difficult" or "something wrong with the question"."""

WEAK_DISCRIMINATION_BELOW = 20.0
"""Discrimination index (percent, i.e. a correlation of 0.20) below which a non-negative index
is flagged ``weak_discrimination``. Moodle's report reads 20-29 as "weak" and below 20 as
"very weak"; item-analysis guides (Ebel and Frisbie's rule of thumb) likewise revise items
whose point-biserial correlation is below 0.20."""

VARIANCE_EPSILON = 1e-10
"""A sample variance (in marks squared, marks 0-1) at or below this counts as zero: the
marks are all the same up to rounding (response marks are stored to 6 decimals), and a
correlation with a constant is undefined."""

ROUND_TO = 9
"""Decimals the measures are rounded to, so that float noise (a correlation of -1e-15 for a true
zero, a facility of 90.000000000001) never crosses a flag's threshold."""

THIRDS = 3
"""Attempts are ranked into ``NTILE(3)`` groups: 1 is the top third, 3 the bottom third."""

SUMS_WORK_MEM = "64MB"
"""PostgreSQL's ``work_mem`` for the transaction that computes the sums (``SET LOCAL``), and JIT
compilation off. Measured with ``flask fill-scale`` data (EXPLAIN (ANALYZE, BUFFERS) of the sums'
statement): with the default 4 MB the materialised CTEs (half a million rows each for the
biggest bank) and the hashes of the responses and response choices spilled about 150 MB to
temporary files, and JIT compilation took about 0.1 s that it did not win back; with 64 MB
nothing spills and the statement used 10-20% less CPU (biggest bank about 3.0 -> 2.5 s, every
bank about 5.2 -> 4.5 s on a busy 2-core machine). A hash or sort may take that much memory
each, a few per statement; on PostgreSQL :mod:`studyapp.stored_statistics` computes one report
at a time."""

FLAG_CODES = ("too_easy", "too_hard", "negative_discrimination", "weak_discrimination", "unused_distractor",
              "distractor_beats_key")
"""Every flag code, in the order flags are listed."""


@dataclass(frozen=True)
class Flag:
    """Something a person can act on about an item.

    Attributes:
        code: one of :data:`FLAG_CODES`.
        name: a short human name ("Too easy").
        message: one sentence with the figures and what to do.
    """

    code: str
    name: str
    message: str


@dataclass
class OptionStats:
    """How often one option of a choice item was chosen.

    Counts are attempts (of those that included the item) whose response chose the option;
    percentages are of the attempts in the same group that included the item (0-100, None
    when the group has none). A multiple-response item's percentages need not add up to 100.

    Attributes:
        option_id, text, is_key: the option.
        chosen, top, bottom: counts overall, in the top third and in the bottom third.
        percent, top_percent, bottom_percent: the same as percentages (0-100) or None.
    """

    option_id: int
    text: str
    is_key: bool
    chosen: int = 0
    top: int = 0
    bottom: int = 0
    percent: float | None = None
    top_percent: float | None = None
    bottom_percent: float | None = None


@dataclass
class ItemStats:
    """The statistics of one item (a ``Question``) over the population.

    Attributes:
        item: the item, with its options (and bank) loaded.
        n: attempts of the population that included the item.
        facility: facility index F, percent 0-100 (None when n = 0).
        sd: standard deviation of the item's marks, percent of the maximum mark (None when n < 2).
        discrimination: discrimination index D = 100 r, -100 to 100 (None when n < 2 or when the
            item's marks or the rest-of-test marks do not vary).
        top_n, bottom_n: attempts that included the item in the top and bottom third.
        options: one :class:`OptionStats` per option of a choice item, in option order (empty
            for text items).
        flags: the :class:`Flag` list (empty below :data:`FLAG_MIN_ATTEMPTS`).
    """

    item: Question
    n: int = 0
    facility: float | None = None
    sd: float | None = None
    discrimination: float | None = None
    top_n: int = 0
    bottom_n: int = 0
    options: list[OptionStats] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def is_choice(self) -> bool:
        """True for an item with options (single choice, multiple response, true/false)."""
        return bool(self.options)


@dataclass
class BankStatistics:
    """The statistics of one bank.

    Attributes:
        bank: the bank.
        modes: the attempt modes counted.
        attempts: submitted attempts in the population.
        top, middle, bottom: attempts in each third (NTILE(3) sizes).
        items: one :class:`ItemStats` per published item and per other item with data, by item id.
    """

    bank: Bank
    modes: tuple[str, ...]
    attempts: int
    top: int
    middle: int
    bottom: int
    items: list[ItemStats]

    @property
    def flagged(self) -> list[ItemStats]:
        """The items with at least one flag."""
        return [s for s in self.items if s.flags]


# -- the population in SQL ------------------------------------------------------------------

def _scored(bank_ids: Sequence[int] | None, modes: Sequence[str]):
    """Return ``(scored, ranked)``: CTEs of the population's attempt items and attempts.

    ``scored`` has one row per attempt item of the population. Columns: ``item_id``,
    ``response_id`` (None when unanswered), ``x`` (the item's mark 0-1, 0 when unanswered or
    unmarked), ``rest`` (the attempt's total marks minus ``x``) and ``third`` (1 top, 2 middle,
    3 bottom); only what the sums need, since half a million rows of it are kept while the
    statement runs. ``ranked`` has one row per attempt: ``attempt_id``, ``bank_id``, ``total``
    (marks) and ``third``.

    Only learners' attempts count (not those of instructors or admins trying a quiz out).

    The thirds: ``NTILE(3) OVER (PARTITION BY bank_id ORDER BY total DESC, attempt_id ASC)``
    over the population's attempts, where ``total`` is the attempt's total marks rounded to 6
    decimals (so that float noise does not break ties). Ties are broken by attempt id: of two
    attempts with the same total, the earlier one (lower id) is ranked higher. NTILE gives
    groups whose sizes differ by at most one, the larger ones first: 6 attempts make 2/2/2,
    7 make 3/2/2, 8 make 3/3/2; with one or two attempts the bottom third is empty. Attempts
    are ranked by total marks, like the rest-of-test score of the discrimination index (the
    same ranking as by percent when the attempts ask the same number of items).
    """
    conditions = [Attempt.status == AttemptStatus.SUBMITTED.value, Attempt.mode.in_(list(modes)),
                  User.role == Role.LEARNER.value]     # staff trying a quiz out are not counted
    if bank_ids is not None:
        conditions.append(Attempt.bank_id.in_(list(bank_ids)))
    marks = (
        select(AttemptItem.attempt_id, Attempt.bank_id, AttemptItem.item_id, Response.id.label("response_id"),
               func.coalesce(Response.mark, 0.0).label("x"))
        .select_from(AttemptItem)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        .where(*conditions)
        .cte("stat_marks")
    )
    total = func.sum(marks.c.x)
    ranked = (
        select(marks.c.attempt_id, marks.c.bank_id, total.label("total"),
               func.ntile(THIRDS).over(
                   partition_by=marks.c.bank_id,
                   order_by=(func.round(cast(total, Numeric), 6).desc(), marks.c.attempt_id),
               ).label("third"))
        .group_by(marks.c.attempt_id, marks.c.bank_id)
        .cte("stat_ranked")
    )
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite makes no automatic index on a CTE with a window function, nor (it turned out)
        # reliably on the attempt items joined to it: it scanned every attempt item once per
        # attempt (minutes with 10,000 attempts). So the attempt items and responses are read
        # again, through their own indexes, for the attempts of ``ranked``.
        x = func.coalesce(Response.mark, 0.0)
        scored = (
            select(AttemptItem.item_id, Response.id.label("response_id"), x.label("x"),
                   (ranked.c.total - x).label("rest"), ranked.c.third)
            .select_from(ranked)
            .join(AttemptItem, AttemptItem.attempt_id == ranked.c.attempt_id)
            .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        )
    else:
        # PostgreSQL reads the attempt items once (``marks``) and joins each to its attempt's
        # total and third. ``ranked`` is grouped again by attempt alone, a no-op on its rows,
        # so that the planner knows there is one row per attempt: about a CTE it knows
        # nothing, and it took the join for a hundred million rows (a merge join that sorted
        # every attempt item, and a cost high enough for JIT compilation that cost more than
        # it saved); now it hashes the attempts.
        thirds = (
            select(ranked.c.attempt_id, func.max(ranked.c.total).label("total"),
                   func.max(ranked.c.third).label("third"))
            .group_by(ranked.c.attempt_id)
            .subquery("stat_thirds")
        )
        scored = (
            select(marks.c.item_id, marks.c.response_id, marks.c.x, (thirds.c.total - marks.c.x).label("rest"),
                   thirds.c.third)
            .join(thirds, thirds.c.attempt_id == marks.c.attempt_id)
        )
    return scored.cte("stat_scored"), ranked


def _in_third(column, third: int):
    """SQL: 1 when ``column`` is ``third``, else 0 (to be summed)."""
    return case((column == third, 1), else_=0)


@dataclass
class _Moments:
    """One item's sums from the database (marks 0-1)."""

    n: int
    mean: float
    ss_x: float        # sum of squared deviations of x
    ss_rest: float     # sum of squared deviations of the rest of the test
    sp: float          # sum of products of the deviations
    top_n: int
    bottom_n: int


@dataclass
class _Sums:
    """Everything a report needs from the population, as :func:`_population_sums` reads it.

    Attributes:
        moments: ``{item_id: _Moments}`` for the items the population included.
        counts: ``{option_id: (chosen, chosen in the top third, chosen in the bottom third)}``.
        thirds: ``{bank_id: (attempts, top, middle, bottom)}``.
    """

    moments: dict[int, _Moments]
    counts: dict[int, tuple[int, int, int]]
    thirds: dict[int, tuple[int, int, int, int]]
    last: dict[int, int] = field(default_factory=dict)
    """``{bank_id: the highest attempt id of the bank's population}``."""

    @property
    def attempts(self) -> int:
        """Submitted attempts of the population, all its banks together."""
        return sum(t[0] for t in self.thirds.values())

    @property
    def max_attempt_id(self) -> int | None:
        """The highest attempt id of the population (None without attempts)."""
        return max(self.last.values(), default=None)

    def to_json(self) -> dict:
        """Return the sums as JSON-able data (keys as strings, floats exact: JSON keeps a
        float's shortest repr, which reads back as the same float)."""
        return {"moments": {str(k): [m.n, m.mean, m.ss_x, m.ss_rest, m.sp, m.top_n, m.bottom_n]
                            for k, m in self.moments.items()},
                "counts": {str(k): list(v) for k, v in self.counts.items()},
                "thirds": {str(k): list(v) for k, v in self.thirds.items()},
                "last": {str(k): v for k, v in self.last.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "_Sums":
        """Return the sums that :meth:`to_json` wrote."""
        return cls({int(k): _Moments(int(v[0]), float(v[1]), float(v[2]), float(v[3]), float(v[4]), int(v[5]),
                                     int(v[6])) for k, v in data["moments"].items()},
                   {int(k): (int(v[0]), int(v[1]), int(v[2])) for k, v in data["counts"].items()},
                   {int(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3])) for k, v in data["thirds"].items()},
                   {int(k): int(v) for k, v in data["last"].items()})


def _population_sums(bank_ids: Sequence[int] | None, modes: Sequence[str]) -> _Sums:
    """Return the item sums, option counts and third sizes of the population (see
    :func:`_scored`) in ONE query: three grouped selects over the same CTEs joined by
    ``UNION ALL``, so the database reads the attempt items and responses once (a CTE that a
    statement names several times is computed once, by PostgreSQL and by SQLite alike).

    Item sums: the deviations are taken from the item's means (``AVG`` per item, joined back)
    before squaring, which keeps zero variance zero up to rounding. Option counts: the
    attempts whose response chose the option (``response_choices`` joined on the response).

    Every row of the union has the same columns: ``part`` ("item", "option" or "bank"),
    ``key`` (item, option or bank id), ``n``, then ``mean``, ``ss_x``, ``ss_rest``, ``sp``
    (items only) and ``a``, ``b``, ``c``: top and bottom counts for items and options, the
    three third sizes for banks, and ``last``: the bank's highest attempt id (banks only; what
    stored sums record they cover, read in the same statement so that it matches them).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # for this transaction only (SET LOCAL): see SUMS_WORK_MEM
        db.session.execute(select(func.set_config("work_mem", SUMS_WORK_MEM, True),
                                  func.set_config("jit", "off", True)))
    scored, ranked = _scored(bank_ids, modes)
    means = (
        select(scored.c.item_id, func.avg(scored.c.x).label("mx"), func.avg(scored.c.rest).label("mr"))
        .group_by(scored.c.item_id)
        .subquery("stat_means")
    )
    dx, dr = scored.c.x - means.c.mx, scored.c.rest - means.c.mr
    none, no_count = cast(null(), Float), cast(null(), Integer)   # typed, so that the union's columns agree
    items = (
        select(literal("item").label("part"), scored.c.item_id.label("key"), func.count().label("n"),
               func.avg(scored.c.x).label("mean"), func.sum(dx * dx).label("ss_x"),
               func.sum(dr * dr).label("ss_rest"), func.sum(dx * dr).label("sp"),
               func.sum(_in_third(scored.c.third, 1)).label("a"),
               func.sum(_in_third(scored.c.third, THIRDS)).label("b"), no_count.label("c"),
               no_count.label("last"))
        .join(means, means.c.item_id == scored.c.item_id)
        .group_by(scored.c.item_id)
    )
    options = (
        select(literal("option"), ResponseChoice.option_id, func.count(), none, none, none, none,
               func.sum(_in_third(scored.c.third, 1)), func.sum(_in_third(scored.c.third, THIRDS)), no_count,
               no_count)
        .select_from(scored)
        .join(ResponseChoice, ResponseChoice.response_id == scored.c.response_id)
        .group_by(ResponseChoice.option_id)
    )
    banks = (
        select(literal("bank"), ranked.c.bank_id, func.count(), none, none, none, none,
               *(func.sum(_in_third(ranked.c.third, t)) for t in (1, 2, 3)), func.max(ranked.c.attempt_id))
        .group_by(ranked.c.bank_id)
    )
    sums = _Sums({}, {}, {})
    for part, key, n, mean, ss_x, ss_r, sp, a, b, c, last in db.session.execute(union_all(items, options, banks)):
        if part == "item":
            sums.moments[key] = _Moments(int(n), float(mean), float(ss_x or 0), float(ss_r or 0), float(sp or 0),
                                         int(a or 0), int(b or 0))
        elif part == "option":
            sums.counts[key] = (int(n), int(a or 0), int(b or 0))
        else:
            sums.thirds[key] = (int(n), int(a or 0), int(b or 0), int(c or 0))
            sums.last[key] = int(last)
    return sums


# -- the measures (pure) ------------------------------------------------------------------------

def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def measures(n: int, mean: float, ss_x: float, ss_rest: float, sp: float) -> tuple[float | None, ...]:
    """Return ``(facility, sd, discrimination)`` from an item's sums.

    Args:
        n: attempts that included the item.
        mean: mean mark (fraction 0-1).
        ss_x: sum of squared deviations of the item's marks from their mean (marks squared).
        ss_rest: the same for the rest-of-test marks ``X - x``.
        sp: sum of products of the two deviations.
    Returns:
        Facility (percent 0-100; None when n = 0), SD (percent of the maximum mark; None when
        n < 2; 0 when the marks do not vary) and discrimination (100 r, -100 to 100; None when
        n < 2 or either variance is zero, see :data:`VARIANCE_EPSILON`), each rounded to
        :data:`ROUND_TO` decimals.
    """
    if n < 1:
        return None, None, None
    facility = round(100.0 * mean, ROUND_TO)
    if n < 2:
        return facility, None, None
    var_x, var_rest = ss_x / (n - 1), ss_rest / (n - 1)
    if var_x <= VARIANCE_EPSILON:
        return facility, 0.0, None
    sd = round(100.0 * math.sqrt(var_x), ROUND_TO)
    if var_rest <= VARIANCE_EPSILON:
        return facility, sd, None
    r = (sp / (n - 1)) / math.sqrt(var_x * var_rest)
    return facility, sd, round(100.0 * max(-1.0, min(1.0, r)), ROUND_TO)


def _quote(options: Iterable[OptionStats]) -> str:
    return ", ".join(f"“{o.text}”" for o in options)


def item_flags(stats: ItemStats) -> list[Flag]:
    """Return the flags of an item (none below :data:`FLAG_MIN_ATTEMPTS` attempts).

    - ``too_easy``: facility above :data:`TOO_EASY_ABOVE`.
    - ``too_hard``: facility below :data:`TOO_HARD_BELOW`.
    - ``negative_discrimination``: D < 0.
    - ``weak_discrimination``: 0 <= D < :data:`WEAK_DISCRIMINATION_BELOW`.
    - ``unused_distractor``: a distractor (option not a key) that no attempt chose.
    - ``distractor_beats_key``: in the top third, a distractor chosen by more attempts than a
      key (for several keys: than the least chosen key).
    """
    if stats.n < FLAG_MIN_ATTEMPTS:
        return []
    flags = []
    f, d = stats.facility, stats.discrimination
    if f is not None and f > TOO_EASY_ABOVE:
        flags.append(Flag("too_easy", "Too easy", (
            f"Facility is {f:.0f}% (above {TOO_EASY_ABOVE:.0f}%): almost everyone gets it right, so it tells "
            "learners apart very little; make the distractors more plausible or ask something less obvious.")))
    if f is not None and f < TOO_HARD_BELOW:
        flags.append(Flag("too_hard", "Too hard", (
            f"Facility is {f:.0f}% (below {TOO_HARD_BELOW:.0f}%): most learners get it wrong; check the key and "
            "the wording, and whether the cited passage really teaches it.")))
    if d is not None and d < 0:
        flags.append(Flag("negative_discrimination", "Negative discrimination", (
            f"Discrimination is {d:.0f}%: learners who did worse on the rest of the quiz did better on this item; "
            "check the key for a mistake and the stem for an ambiguity.")))
    elif d is not None and d < WEAK_DISCRIMINATION_BELOW:
        flags.append(Flag("weak_discrimination", "Weak discrimination", (
            f"Discrimination is {d:.0f}% (below {WEAK_DISCRIMINATION_BELOW:.0f}%): the item barely separates "
            "stronger from weaker learners; sharpen the stem or replace weak distractors.")))
    distractors = [o for o in stats.options if not o.is_key]
    unused = [o for o in distractors if o.chosen == 0]
    if unused:
        flags.append(Flag("unused_distractor", "Unused distractor", (
            f"Nobody chose {_quote(unused)} in {stats.n} attempts: "
            f"{'it fools' if len(unused) == 1 else 'they fool'} no one; replace "
            f"{'it' if len(unused) == 1 else 'them'} with a plausible wrong answer.")))
    keys = [o for o in stats.options if o.is_key]
    if keys and stats.top_n:
        weakest_key = min(keys, key=lambda o: o.top)
        beating = sorted((o for o in distractors if o.top > weakest_key.top), key=lambda o: -o.top)
        if beating:
            counted = [f"“{o.text}” ({o.top})" for o in beating]
            listed = counted[0] if len(counted) == 1 else f"{', '.join(counted[:-1])} and {counted[-1]}"
            flags.append(Flag("distractor_beats_key", "Distractor beats the key", (
                f"In the top third ({stats.top_n} attempts), {listed} {'was' if len(beating) == 1 else 'were'} "
                f"chosen more often than the key “{weakest_key.text}” ({weakest_key.top}); check the key, and "
                f"whether {'that distractor' if len(beating) == 1 else 'those distractors'} can also be defended.")))
    return flags


# -- reports --------------------------------------------------------------------------------------

def _check_modes(modes: Iterable[str]) -> tuple[str, ...]:
    """Return ``modes`` without repeats, in order; ValueError for an unknown mode or none."""
    known = {m.value for m in AttemptMode}
    chosen = tuple(dict.fromkeys(modes))
    unknown = [m for m in chosen if m not in known]
    if unknown or not chosen:
        raise ValueError(f"unknown or no attempt modes: {unknown or chosen!r}")
    return chosen


def _build(items: list[Question], moments: dict[int, _Moments],
           counts: dict[int, tuple[int, int, int]]) -> list[ItemStats]:
    """Combine loaded items with their sums and option counts into :class:`ItemStats`."""
    out = []
    for item in items:
        m = moments.get(item.id)
        stats = ItemStats(item=item)
        if m is not None:
            stats.n, stats.top_n, stats.bottom_n = m.n, m.top_n, m.bottom_n
            stats.facility, stats.sd, stats.discrimination = measures(m.n, m.mean, m.ss_x, m.ss_rest, m.sp)
        for o in item.options:
            chosen, top, bottom = counts.get(o.id, (0, 0, 0))
            stats.options.append(OptionStats(
                o.id, o.text, o.is_key, chosen, top, bottom,
                _percent(chosen, stats.n), _percent(top, stats.top_n), _percent(bottom, stats.bottom_n)))
        stats.flags = item_flags(stats)
        out.append(stats)
    return out


def bank_statistics(bank: Bank, modes: Iterable[str] = DEFAULT_MODES) -> BankStatistics:
    """Return the item statistics of one bank, computed now (three queries, whatever its size:
    the population's sums, the items, their options). Pages use
    :func:`studyapp.stored_statistics.bank_statistics_stored`, which keeps the sums.

    Args:
        bank: the bank.
        modes: attempt modes to count (default :data:`DEFAULT_MODES`: exam and practice).
    Returns:
        A :class:`BankStatistics` listing the bank's published items and any other item of it
        that the population included, by item id.
    Raises:
        ValueError: an unknown mode, or none.
    """
    modes = _check_modes(modes)
    return bank_report(bank, modes, _population_sums([bank.id], modes))


def bank_report(bank: Bank, modes: tuple[str, ...], sums: _Sums) -> BankStatistics:
    """Return the :class:`BankStatistics` of ``bank`` from its population's sums (computed now or
    stored), loading the items and their options as they are now (two queries).

    Args:
        bank: the bank.
        modes: the (checked) attempt modes the sums count.
        sums: :func:`_population_sums` of the bank (other banks' entries are ignored).
    """
    moments, counts = sums.moments, sums.counts
    n, top, middle, bottom = sums.thirds.get(bank.id, (0, 0, 0, 0))
    items = list(db.session.scalars(
        select(Question).where(Question.bank_id == bank.id,
                               or_(Question.status == ItemStatus.PUBLISHED.value, Question.id.in_(list(moments))))
        .options(selectinload(Question.options)).order_by(Question.id)
    ))
    return BankStatistics(bank, modes, n, top, middle, bottom, _build(items, moments, counts))


def flagged_items(modes: Iterable[str] = DEFAULT_MODES) -> list[ItemStats]:
    """Return the flagged items of every bank, computed now (a fixed number of queries, whatever
    the number of banks, attempts and items). Pages use
    :func:`studyapp.stored_statistics.flagged_items_stored`, which keeps the sums.

    Args:
        modes: attempt modes to count (default :data:`DEFAULT_MODES`).
    Returns:
        :class:`ItemStats` with at least one flag, each item's bank loaded, ordered by bank
        title and item id.
    """
    modes = _check_modes(modes)
    return flagged_report(_population_sums(None, modes))


def flagged_report(sums: _Sums) -> list[ItemStats]:
    """Return the flagged items from the sums of every bank's population (computed now or
    stored), loading the items, their options and banks as they are now (two queries).

    Returns:
        :class:`ItemStats` with at least one flag, ordered by bank title and item id.
    """
    moments = {i: m for i, m in sums.moments.items() if m.n >= FLAG_MIN_ATTEMPTS}
    items = list(db.session.scalars(
        select(Question).where(Question.id.in_(list(moments)))
        .options(selectinload(Question.options), joinedload(Question.bank))
    ))
    items.sort(key=lambda q: (q.bank.title, q.bank_id, q.id))
    return [s for s in _build(items, moments, sums.counts) if s.flags]


# -- recent activity (instructor home) ------------------------------------------------------------

ACTIVITY_DAYS = 14
"""Days of recent activity on the instructor's home page (today included)."""


@dataclass
class DayCount:
    """Attempts submitted on one local day."""

    day: date
    attempts: int


def _zone(tz_name: str) -> ZoneInfo:
    """Return the zone ``tz_name`` (an unknown name counts as UTC)."""
    try:
        return ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - any bad name: UTC
        return ZoneInfo("UTC")


def local_days(tz_name: str, days: int, now: datetime) -> tuple[list[date], list[datetime]]:
    """Return the last ``days`` local days (today last) in the zone ``tz_name``, and the
    ``days + 1`` naive-UTC instants at which they start and today ends (DST-aware)."""
    tz = _zone(tz_name)
    today = now.replace(tzinfo=timezone.utc).astimezone(tz).date()
    dates = [today - timedelta(days=days - 1 - i) for i in range(days + 1)]
    bounds = [datetime.combine(d, time(), tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None) for d in dates]
    return dates[:-1], bounds


def attempts_per_day(tz_name: str = "UTC", days: int = ACTIVITY_DAYS, now: datetime | None = None) -> list[DayCount]:
    """Return the number of attempts submitted (any bank, any mode) on each of the last ``days``
    days, oldest first, days counted in the time zone ``tz_name`` (one query).

    Args:
        tz_name: IANA time zone of the days (the viewer's; unknown: UTC).
        days: how many days, today included.
        now: naive UTC (default: the app clock).
    Returns:
        ``days`` :class:`DayCount` rows, one per day, zero for a day without attempts.
    """
    dates, bounds = local_days(tz_name, days, now or clock.now())
    when = Attempt.submitted_at
    row = db.session.execute(
        select(*(func.sum(case(((when >= bounds[i]) & (when < bounds[i + 1]), 1), else_=0)) for i in range(days)))
        .where(Attempt.status == AttemptStatus.SUBMITTED.value, when >= bounds[0], when < bounds[-1])
    ).one()
    return [DayCount(dates[i], int(row[i] or 0)) for i in range(days)]


@dataclass
class Decile:
    """Submitted attempts whose score falls in ``[low, high)`` percent (the last bin includes 100)."""

    low: int
    high: int
    attempts: int

    @property
    def label(self) -> str:
        """``"0-9"`` ... ``"90-100"``: the whole percentages the bin holds."""
        return f"{self.low}-{self.high if self.high == 100 else self.high - 1}"


def score_deciles(since: datetime | None = None) -> list[Decile]:
    """Return how many submitted attempts (any bank, any mode) scored in each tenth of 0-100%
    (one query).

    Args:
        since: count attempts submitted at or after this naive-UTC time (None: all).
    Returns:
        Ten :class:`Decile` rows: [0, 10), [10, 20), ..., [90, 100] percent.
    """
    score = Attempt.score_percent
    bins = [case(((score >= 10 * i) & ((score < 10 * (i + 1)) if i < 9 else (score <= 100)), 1), else_=0)
            for i in range(10)]
    query = select(*(func.sum(b) for b in bins)).where(
        Attempt.status == AttemptStatus.SUBMITTED.value, score.is_not(None))
    if since is not None:
        query = query.where(Attempt.submitted_at >= since)
    row = db.session.execute(query).one()
    return [Decile(10 * i, 10 * (i + 1), int(row[i] or 0)) for i in range(10)]


@dataclass
class RecentActivity:
    """What the instructor's home page shows of the last days.

    Attributes:
        days: attempts submitted per local day, oldest first (:func:`attempts_per_day`).
        deciles: the score distribution of the attempts submitted in those days (:func:`score_deciles`).
        since: naive UTC start of the first day.
        tz_name: the zone the days are counted in.
    """

    days: list[DayCount]
    deciles: list[Decile]
    since: datetime
    tz_name: str

    @property
    def attempts(self) -> int:
        """Attempts submitted in those days."""
        return sum(d.attempts for d in self.days)


def recent_activity(tz_name: str = "UTC", days: int = ACTIVITY_DAYS, now: datetime | None = None) -> RecentActivity:
    """Return attempts per day over the last ``days`` local days and the deciles of their
    scores (two queries).

    Args:
        tz_name: IANA time zone of the days (the viewer's; unknown: UTC).
        days: how many days, today included.
        now: naive UTC (default: the app clock).
    """
    now = now or clock.now()
    _dates, bounds = local_days(tz_name, days, now)
    return RecentActivity(attempts_per_day(tz_name, days, now), score_deciles(bounds[0]), bounds[0], tz_name)
