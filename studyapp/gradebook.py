"""The gradebook: one row per learner and bank with the learner's submitted attempts
summarised, and its CSV export. No Flask request objects: the views parse the request and
pass plain values in.

Scores are percent 0-100, times naive UTC (shown and filtered in the viewer's time zone,
an IANA name such as "Asia/Shanghai"). Only users with the learner role are listed; attempts
of staff (who may try a quiz out) are left out. All figures are SQL aggregates: a page runs
two queries (a COUNT of the rows for the total, then one page of rows with GROUP BY and
LIMIT/OFFSET), the export one, whatever the number of learners, banks and attempts.

Spreadsheet formula injection: a text cell of the export (name, email, bank title) that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(``'=1+1``), so that Excel, LibreOffice and Google Sheets show it as text instead of running
it as a formula (see OWASP, "CSV Injection"). Numbers and times are written as they are: they
never start with one of those characters. A program that reads the export back should drop
that one apostrophe from text cells that start with ``'`` followed by one of the characters.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal, select

from .extensions import db
from .models import Attempt, AttemptMode, AttemptStatus, Bank, Role, User
from .timefmt import is_timezone, to_local

PER_PAGE = 25
"""Rows on one page of the gradebook."""

SORT_KEYS = ("name", "bank", "attempts", "best", "latest", "average", "last")
"""The columns the gradebook can be sorted by (the whitelist of the ``sort`` parameter)."""

STAFF_ROLES = tuple(r.value for r in Role if r is not Role.LEARNER)
"""Roles whose attempts the gradebook leaves out (instructors and admins trying a quiz out)."""

MODES = tuple(m.value for m in AttemptMode)
"""Attempt modes the gradebook can be filtered by ("practice", "exam", "review")."""

TIME_FORMAT = "%Y-%m-%d %H:%M"
"""How the time of the last attempt is written, on the page and in the export."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

BOM = "\ufeff"
"""The byte order mark that starts the export, so that spreadsheet programs read it as UTF-8."""


# -- what the request asks for ---------------------------------------------------------------

@dataclass(frozen=True)
class Sort:
    """The gradebook's order: by ``key`` (one of ``SORT_KEYS``), ascending unless ``descending``.

    Rows that tie on the key go by learner name, learner id, bank title and bank id.
    """

    key: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, key: str | None, order: str | None) -> Sort:
        """Return the sort that the query parameters ``sort`` and ``order`` ask for.

        An unknown or missing key is ignored (the default, name ascending, is used), so a
        stale or edited link still shows the gradebook; only ``order=desc`` sorts descending.

        Args:
            key: the ``sort`` parameter (e.g. "best"), or None.
            order: the ``order`` parameter ("asc" or "desc"), or None.
        """
        if key not in SORT_KEYS:
            return cls()
        return cls(key, order == "desc")

    @property
    def order(self) -> str:
        """"asc" or "desc", as the ``order`` parameter says it."""
        return "desc" if self.descending else "asc"


@dataclass(frozen=True)
class Filters:
    """Which attempts the gradebook summarises.

    ``bank_id`` and ``mode`` (one of ``MODES``) restrict to one bank or mode (None: all).
    ``date_from`` and ``date_to`` are local dates in the viewer's time zone ``tz_name``, both
    inclusive (None: open-ended); an attempt counts by the time it was submitted.
    """

    bank_id: int | None = None
    mode: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    tz_name: str = "UTC"


def utc_range(date_from: date | None, date_to: date | None, tz_name: str) -> tuple[datetime | None, datetime | None]:
    """Return the naive UTC times ``[start, end)`` that the local dates ``date_from`` to
    ``date_to`` (inclusive) cover in the time zone ``tz_name`` (an unknown one counts as UTC).

    ``start`` is local midnight at the start of ``date_from``, ``end`` local midnight at the end
    of ``date_to`` (so days of 23 or 25 hours around a clock change are whole). None stays None.

    Example: 11 March 2024 in Asia/Shanghai (UTC+8) is ``[2024-03-10 16:00, 2024-03-11 16:00)``.
    """
    tz = ZoneInfo(tz_name) if is_timezone(tz_name) else timezone.utc

    def utc_midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)

    start = utc_midnight(date_from) if date_from else None
    end = utc_midnight(date_to + timedelta(days=1)) if date_to else None
    return start, end


def clamp_page(raw: str | int | None, pages: int) -> int:
    """Return the page number to show: ``raw`` read as an integer and kept within
    ``1..pages`` (1 for anything that is not an integer, or when there are no pages)."""
    try:
        page = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        page = 1
    return max(1, min(page, max(pages, 1)))


# -- the rows --------------------------------------------------------------------------------

@dataclass
class GradebookRow:
    """One learner on one bank: ``attempts`` submitted attempts with their ``best``,
    ``latest`` (that of ``latest_attempt_id``, the last submitted) and ``average`` score
    (percent 0-100), and ``last_at``, when the latest was submitted (naive UTC)."""

    user_id: int
    name: str
    email: str
    bank_id: int
    bank_title: str
    attempts: int
    best: float | None
    latest: float | None
    average: float | None
    last_at: datetime
    latest_attempt_id: int


@dataclass
class GradebookPage:
    """One page of the gradebook: ``rows`` (at most ``per_page``) of ``total`` in all;
    ``page`` is 1-based, of ``pages`` (at least 1, even with no rows)."""

    rows: list[GradebookRow]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row in the whole gradebook (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The 1-based position of the page's last row (0 when empty)."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def _attempt_conditions(filters: Filters) -> list:
    """Return the SQL conditions on ``Attempt`` alone that pick the attempts ``filters`` asks
    for: submitted, in the bank, mode and dates asked for."""
    # The status is written into the SQL (not bound), so that SQLite, too, sees that the partial
    # index ix_attempts_submitted_user_bank (WHERE status = 'submitted') applies.
    conditions = [Attempt.status == literal(AttemptStatus.SUBMITTED.value, literal_execute=True)]
    if filters.bank_id is not None:
        conditions.append(Attempt.bank_id == filters.bank_id)
    if filters.mode is not None:
        conditions.append(Attempt.mode == filters.mode)
    start, end = utc_range(filters.date_from, filters.date_to, filters.tz_name)
    if start is not None:
        conditions.append(Attempt.submitted_at >= start)
    if end is not None:
        conditions.append(Attempt.submitted_at < end)
    return conditions


def _conditions(filters: Filters) -> list:
    """Return the SQL conditions (on ``Attempt`` joined to ``User``) that pick the attempts
    ``filters`` asks for: submitted, by a learner, in the bank, mode and dates asked for."""
    return [*_attempt_conditions(filters), User.role == Role.LEARNER.value]


def _first_learners(filters: Filters, sort: Sort, count: int):
    """SQL subquery: the ids of the first ``count`` learners in the name order of ``sort``
    (``lower(name)``, then name and id) who have an attempt that ``filters`` picks.

    Sorted by name, the rows of the gradebook are grouped by learner, and every listed
    learner has at least one row; so the first ``count`` rows are all rows of these
    learners, and a page of rows can be taken from their attempts alone instead of from
    everyone's. The index ``ix_users_role_name`` lets the database walk the learners in
    that order and stop after ``count`` of them (ascending order; descending sorts them).
    """
    name = func.lower(User.display_name)
    has_attempt = select(Attempt.id).where(Attempt.user_id == User.id, *_attempt_conditions(filters)).exists()
    return (
        select(User.id).where(User.role == Role.LEARNER.value, has_attempt)
        .order_by(name.desc() if sort.descending else name, User.display_name, User.id)
        .limit(count)
    )


def count_rows(filters: Filters) -> int:
    """Return the number of gradebook rows (learner and bank pairs) ``filters`` gives. One query.

    Counted as every user's pairs less the pairs of staff (instructors and admins, who are
    few; ``users.role`` only ever holds a :class:`Role`): the same number as the learners'
    pairs, without joining every attempt to its user. Without other filters, the pairs of
    submitted attempts are read in order from the index ``ix_attempts_submitted_user_bank``
    (measured with 10,000 learners and 50,500 attempts: 9 ms instead of 18 ms).
    """
    everyone = (select(Attempt.user_id, Attempt.bank_id).where(*_attempt_conditions(filters))
                .group_by(Attempt.user_id, Attempt.bank_id).subquery())
    staff = (select(Attempt.user_id, Attempt.bank_id).join(User, User.id == Attempt.user_id)
             .where(*_attempt_conditions(filters), User.role.in_(STAFF_ROLES))
             .group_by(Attempt.user_id, Attempt.bank_id).subquery())
    return db.session.scalar(select(select(func.count()).select_from(everyone).scalar_subquery()
                                    - select(func.count()).select_from(staff).scalar_subquery())) or 0


def gradebook_rows(filters: Filters, sort: Sort = Sort(), *, limit: int | None = None,
                   offset: int = 0) -> list[GradebookRow]:
    """Return the gradebook's rows in the order ``sort`` asks for. One query.

    The latest attempt of a learner on a bank is the one submitted last (the highest id on
    a tie), found with a window function (``ROW_NUMBER() OVER (PARTITION BY learner, bank)``);
    the figures are aggregates over the attempts ``filters`` picks. Sorted by name with a
    ``limit`` (a page), only the attempts of the learners that can be on the page are read
    (see :func:`_first_learners`), so the first pages cost the same however many learners
    there are; other sorts need every learner's figures first.

    Args:
        filters: which attempts count.
        sort: the order of the rows.
        limit: at most this many rows (None: all).
        offset: skip this many rows first.
    Returns:
        The rows, at most ``limit``.
    """
    ranked = (
        select(
            Attempt.id, Attempt.user_id, Attempt.bank_id, Attempt.score_percent, Attempt.submitted_at,
            func.row_number().over(
                partition_by=(Attempt.user_id, Attempt.bank_id),
                order_by=(Attempt.submitted_at.desc(), Attempt.id.desc()),
            ).label("recency"),
        )
        .join(User, User.id == Attempt.user_id)
        .where(*_conditions(filters))
    )
    if sort.key == "name" and limit is not None:
        ranked = ranked.where(Attempt.user_id.in_(_first_learners(filters, sort, offset + limit)))
    ranked = ranked.subquery()
    newest = ranked.c.recency == 1
    per_pair = (
        select(
            ranked.c.user_id, ranked.c.bank_id,
            func.count().label("attempts"),
            func.max(ranked.c.score_percent).label("best"),
            func.max(case((newest, ranked.c.score_percent))).label("latest"),
            func.avg(ranked.c.score_percent).label("average"),
            func.max(ranked.c.submitted_at).label("last_at"),
            func.max(case((newest, ranked.c.id))).label("latest_attempt_id"),
        )
        .group_by(ranked.c.user_id, ranked.c.bank_id)
        .subquery()
    )
    columns = {
        "name": func.lower(User.display_name), "bank": func.lower(Bank.title),
        "attempts": per_pair.c.attempts, "best": per_pair.c.best, "latest": per_pair.c.latest,
        "average": per_pair.c.average, "last": per_pair.c.last_at,
    }
    key = columns[sort.key]
    ties = (func.lower(User.display_name), User.display_name, User.id, func.lower(Bank.title), Bank.id)
    query = (
        select(
            per_pair.c.user_id, User.display_name, User.email, per_pair.c.bank_id, Bank.title,
            per_pair.c.attempts, per_pair.c.best, per_pair.c.latest, per_pair.c.average,
            per_pair.c.last_at, per_pair.c.latest_attempt_id,
        )
        .join(User, User.id == per_pair.c.user_id)
        .join(Bank, Bank.id == per_pair.c.bank_id)
        .order_by(key.desc() if sort.descending else key.asc(), *ties)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        GradebookRow(
            user_id=r.user_id, name=r.display_name, email=r.email, bank_id=r.bank_id, bank_title=r.title,
            attempts=int(r.attempts), best=_float(r.best), latest=_float(r.latest), average=_float(r.average),
            last_at=r.last_at, latest_attempt_id=int(r.latest_attempt_id),
        )
        for r in db.session.execute(query)
    ]


def _float(value) -> float | None:
    """Return a database number (float or Decimal) as a float; None stays None."""
    return None if value is None else float(value)


def gradebook_page(filters: Filters, sort: Sort = Sort(), page: str | int | None = 1,
                   per_page: int = PER_PAGE) -> GradebookPage:
    """Return one page of the gradebook. Two queries: the COUNT, then the page's rows.

    Args:
        filters: which attempts count.
        sort: the order of the rows.
        page: the 1-based page asked for; clamped to the pages there are (see :func:`clamp_page`).
        per_page: rows per page (at least 1).
    """
    per_page = max(1, per_page)
    total = count_rows(filters)
    pages = max(1, math.ceil(total / per_page))
    page = clamp_page(page, pages)
    rows = gradebook_rows(filters, sort, limit=per_page, offset=(page - 1) * per_page) if total else []
    return GradebookPage(rows, total, page, pages, per_page)


def bank_choices() -> list[tuple[int, str]]:
    """Return ``(id, title)`` of every bank, by title, for the bank filter. One query."""
    return [(i, title) for i, title in db.session.execute(select(Bank.id, Bank.title).order_by(Bank.title, Bank.id))]


# -- cells, as the page and the export show them ---------------------------------------------

def header(tz_name: str) -> list[str]:
    """Return the column headings; the time column names the time zone ``tz_name``."""
    return ["Name", "Email", "Bank", "Attempts", "Best (%)", "Latest (%)", "Average (%)",
            f"Last attempt ({tz_name})"]


def percent_text(value: float | None) -> str:
    """Return a score (percent 0-100) with one decimal ("66.7"), or "" for None."""
    return "" if value is None else f"{value:.1f}"


def row_cells(row: GradebookRow, tz_name: str) -> list[str]:
    """Return the cells of ``row`` as text, in the order of :func:`header`: scores with one
    decimal, the last attempt's time in the time zone ``tz_name`` as ``TIME_FORMAT``."""
    return [
        row.name, row.email, row.bank_title, str(row.attempts),
        percent_text(row.best), percent_text(row.latest), percent_text(row.average),
        to_local(row.last_at, tz_name).strftime(TIME_FORMAT),
    ]


def spreadsheet_safe(text: str) -> str:
    """Return ``text`` with a leading apostrophe if it starts with a character that makes a
    spreadsheet read it as a formula (``FORMULA_STARTS``): ``"=SUM(A1)"`` -> ``"'=SUM(A1)"``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


TEXT_COLUMNS = (0, 1, 2)
"""The columns of :func:`row_cells` that hold text people typed (name, email, bank title)."""


def gradebook_csv(rows: list[GradebookRow], tz_name: str) -> bytes:
    """Return the export of ``rows``: UTF-8 with a byte order mark, a header row, then one
    line per row (the cells of :func:`row_cells`), quoted by the ``csv`` module where needed
    (commas, quotes, line breaks), lines ended by CRLF (RFC 4180). Text cells go through
    :func:`spreadsheet_safe`. Runs no query.

    Args:
        rows: the gradebook rows, in the order to write them.
        tz_name: the viewer's time zone, in which the last attempt's time is written.
    Returns:
        The file's bytes.
    """
    out = io.StringIO()
    writer = csv.writer(out)  # the "excel" dialect: quotes only where needed, CRLF
    writer.writerow(header(tz_name))
    for row in rows:
        cells = row_cells(row, tz_name)
        writer.writerow([spreadsheet_safe(c) if i in TEXT_COLUMNS else c for i, c in enumerate(cells)])
    return (BOM + out.getvalue()).encode("utf-8")


def csv_filename(now: datetime, tz_name: str) -> str:
    """Return the export's file name with the viewer's local date: ``gradebook-2024-03-11.csv``.

    Args:
        now: the current time, naive UTC.
        tz_name: the viewer's time zone.
    """
    return f"gradebook-{to_local(now, tz_name).date().isoformat()}.csv"
