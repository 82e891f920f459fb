"""Progress and score history: the learner's dashboard, the instructor's learner pages, and their figures."""
from __future__ import annotations

import html
import random
import re

import pytest
from sqlalchemy import event

from studyapp.attempting import save_response, start_attempt, submit_attempt
from studyapp.extensions import db as _db
from studyapp.history import bank_progress, finished_attempts, passage_accuracy
from studyapp.kinds import ResponseData
from studyapp.models import Attempt, Question

from .conftest import TINY_ITEMS


ALL_RIGHT = {"t-single": True, "t-multi": True, "t-tf": True, "t-short": True, "t-cloze": True}


def answer_for(item: Question, right: bool) -> ResponseData:
    """Return a response to ``item`` that earns the full mark (``right``) or 0."""
    if item.kind in ("single_choice", "true_false"):
        return ResponseData(choice_ids=[next(o.id for o in item.options if o.is_key == right)])
    if item.kind == "multiple_response":
        return ResponseData(choice_ids=[o.id for o in item.options if o.is_key == right])
    gaps = max(a.gap for a in item.accepted_answers) + 1
    if not right:
        return ResponseData(texts=["nonsense"] * gaps)
    return ResponseData(texts=[next(a.text for a in item.accepted_answers if a.gap == g) for g in range(gaps)])


def take(user, bank, plan: dict[str, bool | None], submit: bool = True) -> Attempt:
    """Take an attempt with every published item of ``bank``, answering as ``plan`` says.

    Args:
        plan: item ext_id -> True (right), False (wrong) or None (left unanswered).
        submit: False to leave the attempt in progress.
    Returns:
        The attempt (submitted unless ``submit`` is False).
    """
    attempt = start_attempt(user, bank, len(plan), rng=random.Random(7))
    assert {ai.item.ext_id for ai in attempt.attempt_items} == set(plan)
    for attempt_item in attempt.attempt_items:
        right = plan[attempt_item.item.ext_id]
        if right is not None:
            save_response(attempt, attempt_item, answer_for(attempt_item.item, right), commit=False)
    if submit:
        submit_attempt(attempt)  # commits the responses and the marks together
    else:
        _db.session.commit()
    return attempt


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """Return the body rows of the table ``table_id`` as lists of cell texts."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, f"no table {table_id}"
    body = table.group(0).split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in cells])
    return rows


@pytest.fixture()
def tiny(make_bank):
    """The tiny bank of five items citing three passages (see ``TINY_ITEMS``)."""
    return make_bank(TINY_ITEMS)


# -- the learner's own page ------------------------------------------------------------

def test_dashboard_shows_only_own_attempts(client, login_as, make_user, tiny):
    """A learner's /progress/ shows their own attempts and score, and nothing of another learner."""
    ann, bob = make_user("learner", name="Ann"), make_user("learner", name="Bob")
    mine = take(ann, tiny, ALL_RIGHT)
    theirs = take(bob, tiny, {"t-single": True, "t-multi": False, "t-tf": False, "t-short": True,
                              "t-cloze": False})
    assert (mine.score_percent, theirs.score_percent) == (100.0, 40.0)
    login_as(ann)
    page = client.get("/progress/").get_data(as_text=True)
    assert f"/attempts/{mine.id}/result" in page
    assert f"/attempts/{theirs.id}/result" not in page
    assert table_rows(page, "history")[0][2] == "100%"
    assert len(table_rows(page, "history")) == 1
    assert "40%" not in page


def test_dashboard_without_attempts_invites_to_start(client, login_as, tiny):
    """A learner with no finished attempt is invited to start one."""
    login_as("learner")
    page = client.get("/progress/").get_data(as_text=True)
    assert "No finished quiz yet." in page


def test_in_progress_attempts_are_not_in_the_history(client, login_as, tiny, db):
    """An attempt not yet submitted does not appear in the history or in the figures."""
    ann = login_as("learner")
    done = take(ann, tiny, ALL_RIGHT)
    open_ = take(ann, tiny, dict.fromkeys(ALL_RIGHT, False), submit=False)
    assert [a.id for a in finished_attempts(ann.id)] == [done.id]
    assert all(p.percent == 100.0 for p in passage_accuracy(ann.id))
    page = client.get("/progress/").get_data(as_text=True)
    assert f"/attempts/{open_.id}/result" not in page


def test_learner_cannot_open_another_learners_result(client, login_as, make_user, tiny):
    """A learner gets 404 for another learner's result, and 200 for their own."""
    ann, bob = make_user("learner"), make_user("learner")
    theirs = take(bob, tiny, ALL_RIGHT)
    mine = take(ann, tiny, ALL_RIGHT)
    login_as(ann)
    assert client.get(f"/attempts/{theirs.id}/result").status_code == 404
    assert client.get(f"/attempts/{mine.id}/result").status_code == 200


def test_learner_cannot_open_teach_pages(client, login_as, make_user):
    """A learner gets 403 on the instructor's pages about learners."""
    other = make_user("learner")
    login_as("learner")
    assert client.get("/teach/learners").status_code == 403
    assert client.get(f"/teach/learners/{other.id}").status_code == 403


# -- the instructor's pages --------------------------------------------------------------

def test_instructor_sees_all_learners_with_counts_and_means(client, login_as, make_user, tiny):
    """/teach/learners lists every learner with their finished attempts and mean score."""
    ann = make_user("learner", email="ann@example.org", name="Ann")
    bob = make_user("learner", email="bob@example.org", name="Bob")
    take(ann, tiny, ALL_RIGHT)  # 100
    take(ann, tiny, {"t-single": False, "t-multi": True, "t-tf": False, "t-short": True, "t-cloze": True})  # 60
    take(bob, tiny, {"t-single": True, "t-multi": False, "t-tf": False, "t-short": True, "t-cloze": False})  # 40
    take(bob, tiny, ALL_RIGHT, submit=False)  # in progress: not counted
    login_as("instructor")
    response = client.get("/teach/learners")
    assert response.status_code == 200
    rows = {row[1]: row for row in table_rows(response.get_data(as_text=True), "learners")}
    assert rows["ann@example.org"][0] == "Ann"
    assert rows["ann@example.org"][3:5] == ["2", "80%"]
    assert rows["bob@example.org"][3:5] == ["1", "40%"]
    instructor_row = next(r for r in rows.values() if r[2] == "instructor")
    assert instructor_row[3:5] == ["0", "–"]


def test_instructor_sees_one_learners_history(client, login_as, make_user, tiny):
    """/teach/learners/<id> shows that learner's attempts and not another's."""
    ann = make_user("learner", name="Ann")
    bob = make_user("learner", name="Bob")
    anns = take(ann, tiny, ALL_RIGHT)
    bobs = take(bob, tiny, ALL_RIGHT)
    login_as("instructor")
    response = client.get(f"/teach/learners/{ann.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Progress of Ann ({ann.email})" in page
    assert f"/attempts/{anns.id}/result" in page
    assert f"/attempts/{bobs.id}/result" not in page


def test_instructor_unknown_learner_is_404(client, login_as):
    """/teach/learners/<id> of nobody is 404."""
    login_as("instructor")
    assert client.get("/teach/learners/999999").status_code == 404


def test_instructor_opens_a_learners_result(client, login_as, make_user, tiny):
    """An instructor can open a learner's result page, which names the learner."""
    ann = make_user("learner", name="Ann")
    attempt = take(ann, tiny, ALL_RIGHT)
    login_as("instructor")
    response = client.get(f"/attempts/{attempt.id}/result")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "learner: Ann" in page
    assert '<div class="display-5" id="score">100%</div>' in page


# -- the figures ------------------------------------------------------------------------

SIXTY = {"t-single": False, "t-multi": True, "t-tf": False, "t-short": True, "t-cloze": True}


@pytest.mark.parametrize("plans, best, latest", [
    ([ALL_RIGHT, SIXTY], 100.0, 60.0),
    ([SIXTY, ALL_RIGHT], 100.0, 100.0),
])
def test_best_and_latest_per_bank(client, login_as, tiny, plans, best, latest):
    """Best is the highest score on the bank; latest is the score of the last attempt submitted."""
    ann = login_as("learner")
    attempts = [take(ann, tiny, plan) for plan in plans]
    [row] = bank_progress(finished_attempts(ann.id))
    assert (row.attempts, row.best, row.latest, row.latest_attempt_id) == (2, best, latest, attempts[-1].id)
    page = client.get("/progress/").get_data(as_text=True)
    assert table_rows(page, "bank-progress") == [[tiny.title, "2", f"{best:.0f}%", f"{latest:.0f}%"]]
    assert f'<a href="/attempts/{attempts[-1].id}/result">{latest:.0f}%</a>' in page
    assert [r[2] for r in table_rows(page, "history")] == [f"{a.score_percent:.0f}%" for a in reversed(attempts)]


def test_best_and_latest_are_kept_per_bank(login_as, make_bank):
    """Two banks give two rows, each with its own attempts, best and latest."""
    one = make_bank(TINY_ITEMS, slug="one")
    two = make_bank(TINY_ITEMS, slug="two")
    ann = login_as("learner")
    take(ann, one, ALL_RIGHT)
    take(ann, two, SIXTY)
    take(ann, one, SIXTY)
    rows = {r.bank.slug: (r.attempts, r.best, r.latest) for r in bank_progress(finished_attempts(ann.id))}
    assert rows == {"one": (2, 100.0, 60.0), "two": (1, 60.0, 60.0)}


def test_accuracy_per_passage_from_marks_weakest_first(client, login_as, tiny):
    """Accuracy per passage is the mean mark of its items over all attempts, weakest first."""
    ann = login_as("learner")
    take(ann, tiny, ALL_RIGHT)
    # Passage 1: t-single wrong, t-short right; passage 2 all right; passage 3: t-tf wrong.
    take(ann, tiny, SIXTY)
    got = [(p.number, p.asked, p.percent) for p in passage_accuracy(ann.id)]
    # §3: t-tf right once, wrong once -> 50%; §1: t-single 1+0, t-short 1+1 -> 75%; §2 -> 100%.
    assert got == [(3, 2, 50.0), (1, 4, 75.0), (2, 4, 100.0)]
    page = client.get("/progress/").get_data(as_text=True)
    rows = table_rows(page, "passages")
    assert [(r[0].split()[0], r[1], r[2]) for r in rows] == [("§3", "2", "50%"), ("§1", "4", "75%"),
                                                            ("§2", "4", "100%")]
    assert "Third passage text." in rows[0][0]


def test_passage_accuracy_counts_marked_responses_as_the_map_does(login_as, tiny):
    """Per passage, the dashboard counts the learner's marked responses, like the progress map:
    items left unanswered are not counted (the attempt's score counts them as 0), and the
    figures equal the map's."""
    from studyapp.history import passage_mastery

    ann = login_as("learner")
    attempt = take(ann, tiny, {"t-single": True, "t-multi": True, "t-tf": None, "t-short": False,
                               "t-cloze": True})
    assert attempt.score_percent == 60.0
    got = {p.number: (p.asked, p.percent) for p in passage_accuracy(ann.id)}
    assert got == {1: (2, 50.0), 2: (2, 100.0)}
    on_map = {p.number: (p.responses, p.percent) for p in passage_mastery(ann.id, tiny.document_id) if p.responses}
    assert on_map == got


def test_partial_marks_are_averaged(login_as, tiny):
    """A partly right multiple-response item contributes its fractional mark to the passage."""
    ann = login_as("learner")
    attempt = start_attempt(ann, tiny, 5, rng=random.Random(3))
    for ai in attempt.attempt_items:
        if ai.item.ext_id == "t-multi":
            one_key = next(o.id for o in ai.item.options if o.is_key)
            save_response(attempt, ai, ResponseData(choice_ids=[one_key]))
        elif ai.item.ext_id == "t-cloze":
            save_response(attempt, ai, answer_for(ai.item, True))
    submit_attempt(attempt)
    got = {p.number: p.percent for p in passage_accuracy(ann.id)}
    assert got[2] == 75.0  # (0.5 + 1) / 2


# -- query counts ----------------------------------------------------------------------

class QueryCounter:
    """Count the SQL statements run on ``engine`` while active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def queries_for(client, db, url: str) -> int:
    """Return the number of queries that GET ``url`` runs (after a warm-up request)."""
    assert client.get(url).status_code == 200
    with QueryCounter(db.engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_dashboard_query_count_does_not_grow_with_attempts(client, login_as, make_bank, db):
    """/progress/ runs as many queries with 8 attempts on 4 banks as with 2 attempts on 1 bank."""
    banks = [make_bank(TINY_ITEMS, slug=slug) for slug in ("one", "two", "three", "four")]
    ann = login_as("learner")
    take(ann, banks[0], ALL_RIGHT)
    take(ann, banks[0], SIXTY)
    few = queries_for(client, db, "/progress/")
    for bank in banks[1:]:
        take(ann, bank, SIXTY)
        take(ann, bank, ALL_RIGHT)
    assert len(finished_attempts(ann.id)) == 8
    many = queries_for(client, db, "/progress/")
    assert many == few
    # The user, the attempts with their banks, the passage figures, the streak, the due cards (4),
    # the mastery per bank.
    assert few <= 9


def test_teach_pages_query_count_does_not_grow(client, login_as, make_user, make_bank, db):
    """/teach/learners and /teach/learners/<id> run a fixed number of queries, whatever the data."""
    banks = [make_bank(TINY_ITEMS, slug=slug) for slug in ("one", "two", "three")]
    ann = make_user("learner")
    take(ann, banks[0], ALL_RIGHT)
    login_as("instructor")
    few = (queries_for(client, db, "/teach/learners"), queries_for(client, db, f"/teach/learners/{ann.id}"))
    for bank in banks[1:]:
        take(make_user("learner"), bank, SIXTY)
        take(ann, bank, SIXTY)
    many = (queries_for(client, db, "/teach/learners"), queries_for(client, db, f"/teach/learners/{ann.id}"))
    assert many == few
