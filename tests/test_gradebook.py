"""The gradebook (/teach/gradebook) and its CSV export: figures per learner and bank, sorting,
filters, pages, the export's encoding and quoting, formula injection, query counts and access."""
from __future__ import annotations

import csv
import html
import io
import random
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from studyapp import clock
from studyapp.attempting import start_attempt, submit_attempt
from studyapp.gradebook import (
    Filters, Sort, clamp_page, count_rows, gradebook_csv, gradebook_page, gradebook_rows, spreadsheet_safe,
    utc_range,
)
from studyapp.models import Attempt

from .conftest import TINY_ITEMS

URL, CSV_URL = "/teach/gradebook", "/teach/gradebook.csv"
BOM = b"\xef\xbb\xbf"


def submitted(db, user, bank, score: float, when: datetime, mode: str = "exam") -> Attempt:
    """Store a submitted attempt of ``user`` on ``bank`` with ``score`` (percent 0-100),
    submitted at ``when`` (naive UTC). The gradebook reads only these columns of attempts,
    so the rows are written directly (one test below goes through real attempts)."""
    attempt = Attempt(user_id=user.id, bank_id=bank.id, mode=mode, status="submitted", item_count=5,
                      started_at=when - timedelta(minutes=10), submitted_at=when, score_percent=score,
                      marks=score / 20)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def page_table(page: str) -> tuple[list[str], list[list[str]]]:
    """Return the heading texts and the body rows (cell texts, white space collapsed as a
    browser shows it) of the gradebook table on ``page``."""
    table = re.search(r'<table[^>]*id="gradebook".*?</table>', page, re.S)
    assert table, "no gradebook table"

    def text(cell: str) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())

    head, body = table.group(0).split("<tbody>", 1)
    headings = [text(re.sub(r'<span aria-hidden="true">.*?</span>', "", c))
                for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    rows = [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return headings, [r for r in rows if len(r) == 8]


def page_rows(client, url: str = URL) -> list[list[str]]:
    """GET ``url`` (expecting 200) and return the gradebook's body rows."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return page_table(response.get_data(as_text=True))[1]


def csv_table(data: bytes) -> list[list[str]]:
    """Parse an export: check and strip the BOM, decode UTF-8, read with the csv module."""
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def collapsed(rows: list[list[str]]) -> list[list[str]]:
    """Collapse white space in every cell (as a browser shows HTML text)."""
    return [[" ".join(c.split()) for c in row] for row in rows]


@pytest.fixture()
def banks(make_bank):
    """Two banks, "Tiny bank alpha" and "Tiny bank beta"."""
    return make_bank(TINY_ITEMS, slug="alpha"), make_bank(TINY_ITEMS, slug="beta")


@pytest.fixture()
def book(db, banks, make_user):
    """A small fixed set of attempts (all in March 2024, UTC):

    - Ann: alpha 60, 100, 80 (1-3 March); beta 50 (4 March)
    - Bob: alpha 90, 40 (5-6 March); an attempt on beta still in progress
    - Cy: beta 76, 70, 75 (7-9 March)
    - Dee: alpha 20 then 30, both submitted at 10 March 10:00 (the later id is the latest)
    - an instructor's own attempt on alpha (not a learner: left out)
    """
    alpha, beta = banks
    ann = make_user("learner", email="ann@example.org", name="Ann")
    bob = make_user("learner", email="bob@example.org", name="Bob")
    cy = make_user("learner", email="cy@example.org", name="Cy")
    dee = make_user("learner", email="dee@example.org", name="Dee")
    day = lambda d: datetime(2024, 3, d, 10, 0)  # noqa: E731
    for score, d in ((60, 1), (100, 2), (80, 3)):
        submitted(db, ann, alpha, score, day(d))
    submitted(db, ann, beta, 50, day(4))
    submitted(db, bob, alpha, 90, day(5))
    submitted(db, bob, alpha, 40, day(6))
    db.session.add(Attempt(user_id=bob.id, bank_id=beta.id, item_count=5, started_at=day(6)))
    for score, d in ((76, 7), (70, 8), (75, 9)):
        submitted(db, cy, beta, score, day(d))
    submitted(db, dee, alpha, 20, day(10))
    submitted(db, dee, alpha, 30, day(10))
    submitted(db, make_user("instructor", name="Ida"), alpha, 10, day(11))
    return {"alpha": alpha, "beta": beta, "ann": ann, "bob": bob, "cy": cy, "dee": dee}


EXPECTED = [
    ["Ann", "ann@example.org", "Tiny bank alpha", "3", "100.0", "80.0", "80.0", "2024-03-03 10:00"],
    ["Ann", "ann@example.org", "Tiny bank beta", "1", "50.0", "50.0", "50.0", "2024-03-04 10:00"],
    ["Bob", "bob@example.org", "Tiny bank alpha", "2", "90.0", "40.0", "65.0", "2024-03-06 10:00"],
    ["Cy", "cy@example.org", "Tiny bank beta", "3", "76.0", "75.0", "73.7", "2024-03-09 10:00"],
    ["Dee", "dee@example.org", "Tiny bank alpha", "2", "30.0", "30.0", "25.0", "2024-03-10 10:00"],
]
"""The gradebook of ``book`` for a viewer in UTC, by name."""


def keys(rows: list[list[str]]) -> list[tuple[str, str]]:
    """(name, bank) of each row, with "Tiny bank " left off."""
    return [(r[0], r[2].removeprefix("Tiny bank ")) for r in rows]


# -- figures ------------------------------------------------------------------------------

def test_figures_per_learner_and_bank(db, book):
    """Attempts, best, latest and average score per learner and bank are exact; in-progress
    attempts and staff attempts are left out; on a tie of submission times the later id is the latest."""
    rows = gradebook_rows(Filters())
    got = [(r.name, r.bank_title, r.attempts, r.best, r.latest, round(r.average, 4), r.last_at) for r in rows]
    assert got == [
        ("Ann", "Tiny bank alpha", 3, 100.0, 80.0, 80.0, datetime(2024, 3, 3, 10)),
        ("Ann", "Tiny bank beta", 1, 50.0, 50.0, 50.0, datetime(2024, 3, 4, 10)),
        ("Bob", "Tiny bank alpha", 2, 90.0, 40.0, 65.0, datetime(2024, 3, 6, 10)),
        ("Cy", "Tiny bank beta", 3, 76.0, 75.0, round(221 / 3, 4), datetime(2024, 3, 9, 10)),
        ("Dee", "Tiny bank alpha", 2, 30.0, 30.0, 25.0, datetime(2024, 3, 10, 10)),
    ]
    dee_latest = db.session.get(Attempt, rows[-1].latest_attempt_id)
    assert dee_latest.score_percent == 30.0


def test_page_shows_the_figures(client, login_as, book):
    """The page shows one row per learner and bank with scores to one decimal and the time of
    the last attempt; names link to the learner's history, latest scores to the attempt's result."""
    login_as("instructor")
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    headings, rows = page_table(page)
    assert headings == ["Name", "Email", "Bank", "Attempts", "Best (%)", "Latest (%)", "Average (%)",
                        "Last attempt (UTC)"]
    assert rows == EXPECTED
    assert f'href="/teach/learners/{book["ann"].id}">Ann</a>' in page
    assert "Rows 1–5 of 5" in page
    latest = gradebook_rows(Filters())[0].latest_attempt_id
    assert f'href="/attempts/{latest}/result"' in page


def test_real_attempts_are_counted(client, login_as, make_user, banks):
    """Attempts taken and submitted the ordinary way show up, and the latest score links to a
    result page the instructor can open."""
    alpha, _ = banks
    eve = make_user("learner", name="Eve")
    for _ in range(2):
        submit_attempt(start_attempt(eve, alpha, 3, rng=random.Random(1)))  # nothing answered: 0%
    login_as("instructor")
    page = client.get(URL).get_data(as_text=True)
    assert page_table(page)[1] == [["Eve", eve.email, "Tiny bank alpha", "2", "0.0", "0.0", "0.0",
                                    page_table(page)[1][0][7]]]
    result = re.search(r'href="(/attempts/\d+/result)"', page).group(1)
    assert client.get(result).status_code == 200


def test_learner_history_page_lists_every_attempt(client, login_as, book):
    """The learner page the gradebook links to lists each attempt with its mode and a link to its result."""
    login_as("instructor")
    page = client.get(f"/teach/learners/{book['ann'].id}").get_data(as_text=True)
    history = re.search(r'<table[^>]*id="history".*?</table>', page, re.S).group(0)
    assert len(re.findall(r'href="/attempts/\d+/result"', history)) == 4
    assert "<th>Mode</th>" in history and history.count("<td>exam</td>") == 4
    assert 'id="passages"' in page  # accuracy per passage


# -- sorting ------------------------------------------------------------------------------

@pytest.mark.parametrize("sort, order, expected", [
    ("name", "desc", [("Dee", "alpha"), ("Cy", "beta"), ("Bob", "alpha"), ("Ann", "alpha"), ("Ann", "beta")]),
    ("bank", "asc", [("Ann", "alpha"), ("Bob", "alpha"), ("Dee", "alpha"), ("Ann", "beta"), ("Cy", "beta")]),
    ("attempts", "asc", [("Ann", "beta"), ("Bob", "alpha"), ("Dee", "alpha"), ("Ann", "alpha"), ("Cy", "beta")]),
    ("best", "desc", [("Ann", "alpha"), ("Bob", "alpha"), ("Cy", "beta"), ("Ann", "beta"), ("Dee", "alpha")]),
    ("latest", "asc", [("Dee", "alpha"), ("Bob", "alpha"), ("Ann", "beta"), ("Cy", "beta"), ("Ann", "alpha")]),
    ("average", "desc", [("Ann", "alpha"), ("Cy", "beta"), ("Bob", "alpha"), ("Ann", "beta"), ("Dee", "alpha")]),
    ("last", "desc", [("Dee", "alpha"), ("Cy", "beta"), ("Bob", "alpha"), ("Ann", "beta"), ("Ann", "alpha")]),
    ("last", "asc", [("Ann", "alpha"), ("Ann", "beta"), ("Bob", "alpha"), ("Cy", "beta"), ("Dee", "alpha")]),
])
def test_sorting(client, login_as, book, sort, order, expected):
    """Every column sorts both ways; ties go by name, then bank, ascending (Ann's two rows
    under name descending, equal attempts)."""
    login_as("instructor")
    assert keys(page_rows(client, f"{URL}?sort={sort}&order={order}")) == expected


@pytest.mark.parametrize("query", [
    "sort=password_hash&order=desc", "sort=name;DROP TABLE users&order=asc", "sort=", "sort=email&order=desc",
])
def test_unknown_sort_key_is_ignored(client, login_as, book, query):
    """A sort key outside the whitelist is ignored (not refused): the default order, name ascending."""
    login_as("instructor")
    assert page_rows(client, f"{URL}?{query}") == EXPECTED
    assert csv_table(client.get(f"{CSV_URL}?{query}").data)[1:] == EXPECTED


def test_unknown_order_is_ascending(client, login_as, book):
    """Only order=desc sorts descending; anything else is ascending."""
    login_as("instructor")
    assert keys(page_rows(client, f"{URL}?sort=best&order=sideways"))[0] == ("Dee", "alpha")
    assert Sort.parse("best", "DESC") == Sort("best", False)
    assert Sort.parse("nope", "desc") == Sort()


def test_sort_links_toggle_and_keep_filters(client, login_as, book):
    """The current column's link turns the order round; links keep the filters."""
    login_as("instructor")
    bank = book["alpha"].id
    page = client.get(f"{URL}?sort=best&order=asc&bank={bank}").get_data(as_text=True)
    assert f'href="/teach/gradebook?sort=best&amp;order=desc&amp;bank={bank}"' in page
    assert f'href="/teach/gradebook?sort=average&amp;order=asc&amp;bank={bank}"' in page
    assert 'aria-sort="ascending"' in page


# -- filters ------------------------------------------------------------------------------

def test_bank_filter(client, login_as, book):
    """bank=<id> keeps that bank's rows; an unknown bank is refused with 400."""
    login_as("instructor")
    assert keys(page_rows(client, f"{URL}?bank={book['beta'].id}")) == [("Ann", "beta"), ("Cy", "beta")]
    for bad in ("999999", "abc"):
        response = client.get(f"{URL}?bank={bad}")
        assert response.status_code == 400
        assert "Not a valid choice" in response.get_data(as_text=True)
        assert client.get(f"{CSV_URL}?bank={bad}").status_code == 400


def test_mode_filter(client, db, login_as, book):
    """mode=practice keeps practice attempts only; the default counts every mode."""
    submitted(db, book["ann"], book["alpha"], 0, datetime(2024, 3, 12, 9, 0), mode="practice")
    login_as("instructor")
    assert page_rows(client, f"{URL}?mode=practice") == [
        ["Ann", "ann@example.org", "Tiny bank alpha", "1", "0.0", "0.0", "0.0", "2024-03-12 09:00"]]
    assert page_rows(client, f"{URL}?mode=exam") == EXPECTED
    assert page_rows(client, URL)[0][3:7] == ["4", "100.0", "0.0", "60.0"]
    assert client.get(f"{URL}?mode=cheat").status_code == 400


def test_date_range_is_read_in_the_viewers_time_zone(client, db, login_as, make_user, banks):
    """From/to are inclusive local dates in the viewer's zone: in Shanghai (UTC+8) 11 March runs
    from 10 March 16:00 UTC to 11 March 16:00 UTC, so attempts whose UTC date is the 10th count."""
    alpha, _ = banks
    fay = make_user("learner", name="Fay")
    for score, when in ((10, datetime(2024, 3, 10, 15, 59)), (20, datetime(2024, 3, 10, 16, 0)),
                        (30, datetime(2024, 3, 11, 15, 59, 59)), (40, datetime(2024, 3, 11, 16, 0))):
        submitted(db, fay, alpha, score, when)
    viewer = make_user("instructor")
    viewer.timezone = "Asia/Shanghai"
    db.session.commit()
    login_as(viewer)
    assert page_rows(client, f"{URL}?from=2024-03-11&to=2024-03-11") == [
        ["Fay", fay.email, "Tiny bank alpha", "2", "30.0", "30.0", "25.0", "2024-03-11 23:59"]]
    assert page_rows(client, f"{URL}?to=2024-03-10")[0][3:] == ["1", "10.0", "10.0", "10.0", "2024-03-10 23:59"]
    assert page_rows(client, f"{URL}?from=2024-03-12")[0][3:] == ["1", "40.0", "40.0", "40.0", "2024-03-12 00:00"]
    assert page_rows(client, f"{URL}?from=2024-03-13") == []
    assert "Last attempt (Asia/Shanghai)" in client.get(URL).get_data(as_text=True)
    # The same dates for a viewer in UTC pick other attempts.
    assert gradebook_rows(Filters(date_from=date(2024, 3, 11), date_to=date(2024, 3, 11)))[0].best == 40.0


def test_utc_range():
    """Local dates become a half-open UTC range; a 23-hour day around a clock change is whole."""
    assert utc_range(date(2024, 3, 11), date(2024, 3, 11), "Asia/Shanghai") == (
        datetime(2024, 3, 10, 16), datetime(2024, 3, 11, 16))
    assert utc_range(None, date(2024, 3, 10), "America/New_York") == (None, datetime(2024, 3, 11, 4))
    assert utc_range(date(2024, 3, 10), None, "America/New_York") == (datetime(2024, 3, 10, 5), None)
    assert utc_range(date(2024, 3, 1), date(2024, 3, 1), "Mars/Olympus") == (
        datetime(2024, 3, 1), datetime(2024, 3, 2))


@pytest.mark.parametrize("query, message", [
    ("from=2024-13-01", "Not a valid date value"),
    ("to=yesterday", "Not a valid date value"),
    ("from=2024-03-12&to=2024-03-11", "The end date is before the start date."),
    ("from=0001-01-01", "Give a date between 1900 and 9998."),
])
def test_bad_dates_are_refused(client, login_as, book, query, message):
    """A malformed or implausible date, or a start after the end, gives 400 with the reason,
    on the page (with the form) and for the export."""
    login_as("instructor")
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="gradebook-filter"' in page and 'id="gradebook"' not in page
    response = client.get(f"{CSV_URL}?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


# -- pages --------------------------------------------------------------------------------

@pytest.fixture()
def thirty(db, banks, make_user):
    """30 learners ("Learner 01" to "Learner 30"), one attempt each on alpha."""
    alpha, _ = banks
    for n in range(1, 31):
        user = make_user("learner", email=f"l{n:02d}@example.org", name=f"Learner {n:02d}")
        submitted(db, user, alpha, n, datetime(2024, 3, 1, 10, 0) + timedelta(minutes=n))
    return alpha


def test_pages(client, login_as, thirty):
    """25 rows a page: page 2 holds rows 26-30; a huge, negative or non-numeric page is clamped."""
    login_as("instructor")
    first = page_rows(client, URL)
    assert [r[0] for r in first] == [f"Learner {n:02d}" for n in range(1, 26)]
    response = client.get(f"{URL}?page=2")
    page = response.get_data(as_text=True)
    assert [r[0] for r in page_table(page)[1]] == [f"Learner {n:02d}" for n in range(26, 31)]
    assert "Rows 26–30 of 30" in page
    assert 'href="/teach/gradebook?page=1&amp;sort=name&amp;order=asc"' in page
    for huge in ("3", "99999999999999999999999", "2.0e9"):
        clamped = client.get(f"{URL}?page={huge}").get_data(as_text=True)
        expected = page_table(page)[1] if huge != "2.0e9" else first  # not an integer: page 1
        assert page_table(clamped)[1] == expected, huge
    for low in ("0", "-5", "abc", ""):
        assert page_rows(client, f"{URL}?page={low}") == first
    assert [r[0] for r in page_rows(client, f"{URL}?page=2&sort=best&order=desc")] == [
        f"Learner {n:02d}" for n in range(5, 0, -1)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("filters", ["none", "bank", "mode"])
def test_pages_by_name_are_slices_of_the_whole_order(db, banks, make_user, descending, filters):
    """Sorted by name, a page reads only the attempts of the learners that can be on it; its
    rows are still exactly that slice of the whole gradebook: learners with one or two banks
    straddling page edges, names equal but for case, equal names, a learner with attempts
    only outside the filter, an instructor, at 4 rows a page."""
    alpha, beta = banks
    names = ["bea", "Bea", "Al", "al", "Cy", "Cy", "dee", "Ed", "Flo", "gus", "Hal"]
    for n, name in enumerate(names):
        user = make_user("learner", email=f"p{n}@example.org", name=name)
        submitted(db, user, alpha, 10 * n, datetime(2024, 3, 1, 10, n))
        if n % 3 != 1:
            submitted(db, user, beta, 5 * n, datetime(2024, 3, 2, 10, n), mode="practice")
    only_beta = make_user("learner", email="zed@example.org", name="Zed")
    submitted(db, only_beta, beta, 50, datetime(2024, 3, 3))
    submitted(db, make_user("instructor", name="Ida"), alpha, 10, datetime(2024, 3, 3))
    chosen = {"none": Filters(), "bank": Filters(bank_id=alpha.id), "mode": Filters(mode="exam")}[filters]
    sort = Sort("name", descending)
    whole = gradebook_rows(chosen, sort)
    assert count_rows(chosen) == len(whole) and len(whole) > 8
    pages = [gradebook_page(chosen, sort, p, per_page=4) for p in range(1, -(-len(whole) // 4) + 1)]
    assert [r for page in pages for r in page.rows] == whole
    assert all(page.total == len(whole) for page in pages)


def test_page_module_clamps():
    """clamp_page keeps the page within 1..pages."""
    assert [clamp_page(p, 3) for p in (None, "x", -1, 0, 1, 3, 4, "10**9", 10**30)] == [1, 1, 1, 1, 1, 3, 3, 1, 3]
    assert clamp_page(5, 0) == 1


def test_export_has_every_row(client, login_as, thirty):
    """The export holds all 30 rows, not one page, in the page's order."""
    login_as("instructor")
    table = csv_table(client.get(f"{CSV_URL}?sort=best&order=desc&page=2").data)
    assert len(table) == 31
    assert [r[0] for r in table[1:]] == [f"Learner {n:02d}" for n in range(30, 0, -1)]


def test_empty_gradebook(client, login_as, db):
    """With no submitted attempts the page says so and the export is only the header."""
    login_as("instructor")
    page = client.get(URL).get_data(as_text=True)
    assert "No submitted attempts match." in page
    assert len(csv_table(client.get(CSV_URL).data)) == 1
    assert gradebook_page(Filters(), page=7).page == 1


# -- the export ---------------------------------------------------------------------------

AWKWARD = ["张伟", "Smith, Jr.", 'Ann "the Quick" O\'Neil', "Zoë Ångström", "Line\nBreak"]


@pytest.fixture()
def awkward(db, banks, make_user):
    """Learners whose names have commas, quotes, a line break and non-Latin letters."""
    alpha, beta = banks
    users = [make_user("learner", email=f"a{i}@example.org", name=name) for i, name in enumerate(AWKWARD)]
    for i, user in enumerate(users):
        submitted(db, user, alpha, 100 * (i + 1) / 7, datetime(2024, 3, 10, 17, 30) + timedelta(hours=i))
        submitted(db, user, beta, 50, datetime(2024, 3, 1, 8, 0))
    return users


def test_export_matches_the_page(client, db, login_as, make_user, awkward, banks):
    """The export (BOM stripped, read by the csv module) is the same table as the page shows,
    heading and rows, for the same filters and sort; the file name has the viewer's date."""
    viewer = make_user("instructor")
    viewer.timezone = "Asia/Shanghai"
    db.session.commit()
    login_as(viewer)
    clock.set_time(datetime(2024, 3, 10, 17, 0))  # 11 March in Shanghai
    try:
        for query in ("", "?sort=average&order=desc", f"?bank={banks[0].id}&from=2024-03-11&sort=last"):
            page = client.get(URL + query).get_data(as_text=True)
            headings, rows = page_table(page)
            response = client.get(CSV_URL + query)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert response.headers["Content-Disposition"] == 'attachment; filename="gradebook-2024-03-11.csv"'
            table = csv_table(response.data)
            assert table[0] == headings == ["Name", "Email", "Bank", "Attempts", "Best (%)", "Latest (%)",
                                            "Average (%)", "Last attempt (Asia/Shanghai)"]
            assert collapsed(table[1:]) == rows and rows, query
        assert rows[-1] == ["Line Break", "a4@example.org", "Tiny bank alpha", "1", "71.4", "71.4", "71.4",
                            "2024-03-11 05:30"]  # 5/7 of 100, at 17:30 + 4 h UTC, + 8 h in Shanghai
    finally:
        clock.reset()


def test_export_keeps_awkward_names_intact(client, login_as, awkward):
    """Names with commas, quotes, a line break and Chinese letters come back exactly; the file
    is UTF-8 with a BOM and quotes only the cells that need it."""
    login_as("instructor")
    data = client.get(CSV_URL).data
    assert data.startswith(BOM) and "张伟".encode("utf-8") in data
    table = csv_table(data)
    assert sorted({r[0] for r in table[1:]}) == sorted(AWKWARD)
    text = data[len(BOM):].decode("utf-8")
    assert '"Smith, Jr."' in text and '"Ann ""the Quick"" O\'Neil"' in text and '"Line\nBreak"' in text
    assert text.startswith("Name,Email,Bank,Attempts,Best (%)") and text.endswith("\r\n")


def test_formula_injection_is_neutralised(client, db, login_as, make_user, banks):
    """Text cells starting with =, +, -, @ get a leading apostrophe in the export (the page shows
    them as they are); numbers are unchanged."""
    alpha, _ = banks
    alpha.title = "=cmd|' /C calc'!A0"
    db.session.commit()
    names = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "Plain"]
    for i, name in enumerate(names):
        submitted(db, make_user("learner", email=f"f{i}@example.org", name=name), alpha, 42.25, datetime(2024, 3, 1))
    login_as("instructor")
    table = csv_table(client.get(CSV_URL).data)
    assert {r[0] for r in table[1:]} == {"'" + n for n in names[:4]} | {"Plain"}
    assert {r[2] for r in table[1:]} == {"'=cmd|' /C calc'!A0"}
    assert {r[4] for r in table[1:]} == {"42.2"}  # 42.25 is 42.2 in binary floating point
    page_names = {r[0] for r in page_rows(client)}
    assert page_names == set(names)


def test_spreadsheet_safe():
    """spreadsheet_safe prefixes formula starters (and tab, carriage return) and nothing else."""
    assert [spreadsheet_safe(s) for s in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", "'=1", "1.5")] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", "'=1", "1.5"]


def test_csv_module_function(db, book):
    """gradebook_csv writes the BOM, the header and the rows in the given time zone."""
    table = csv_table(gradebook_csv(gradebook_rows(Filters(), Sort("best", True)), "Asia/Shanghai"))
    assert table[0][-1] == "Last attempt (Asia/Shanghai)"
    assert table[1] == ["Ann", "ann@example.org", "Tiny bank alpha", "3", "100.0", "80.0", "80.0", "2024-03-03 18:00"]


# -- queries ------------------------------------------------------------------------------

def count_queries(client, db, url: str) -> int:
    """Return the number of SQL statements that GET ``url`` runs (after a warm-up request)."""
    assert client.get(url).status_code == 200
    statements = []

    def before(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def test_query_count_does_not_grow_with_learners(client, db, login_as, make_user, banks):
    """The page runs the same number of queries showing 3 learners as 25 of 30 (on two banks);
    so does the export with all rows."""
    alpha, beta = banks
    learners = [make_user("learner") for _ in range(30)]
    for user in learners[:3]:
        submitted(db, user, alpha, 50, datetime(2024, 3, 1))
    login_as("instructor")
    few = (count_queries(client, db, URL), count_queries(client, db, f"{CSV_URL}?sort=latest"))
    for i, user in enumerate(learners):
        submitted(db, user, alpha if i % 2 else beta, i, datetime(2024, 3, 2))
        submitted(db, user, alpha, 100 - i, datetime(2024, 3, 3))
    assert len(page_rows(client)) == 25
    many = (count_queries(client, db, URL), count_queries(client, db, f"{CSV_URL}?sort=latest"))
    assert many == few
    assert few[0] <= 4  # the user, the banks, the count, the page's rows


# -- access -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_learners_get_403(client, login_as, url):
    """Learners are refused the gradebook and the export."""
    login_as("learner")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_anonymous_users_are_sent_to_log_in(client, db, url):
    """Anonymous users are redirected to the login page."""
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_see_the_gradebook_and_its_nav_link(client, login_as, role):
    """Instructors and admins open the page and the export, and have a "Gradebook" link."""
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/teach/gradebook">Gradebook</a>' in page
    assert client.get(URL).status_code == 200 and client.get(CSV_URL).status_code == 200


def test_learners_have_no_nav_link(client, login_as):
    """The "Gradebook" link is for staff only."""
    login_as("learner")
    assert "/teach/gradebook" not in client.get("/").get_data(as_text=True)
