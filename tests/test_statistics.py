"""Item statistics (facility, SD, discrimination, options per third, flags) and the instructor's
home page: figures checked against hand computation, empty and degenerate cases, flags, query
counts and access."""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from studyapp import clock
from studyapp.attempting import save_response, start_attempt, submit_attempt
from studyapp.kinds import ResponseData
from studyapp.models import Attempt
from studyapp.statistics import (
    FLAG_MIN_ATTEMPTS, bank_statistics, flagged_items, measures, recent_activity, score_deciles,
)

from .test_progress import table_rows

# -- helpers ------------------------------------------------------------------------------------

ANCHOR = """\
  - id: {id}
    kind: short_answer
    passage: 3
    stem: "Anchor {id}: say yes."
    answers: ["yes"]
    explanation: "Yes."
"""

SINGLE = """\
  - id: {id}
    kind: single_choice
    passage: 1
    stem: "Target {id}: pick K."
    options:
      - {{text: "K", key: true}}
      - {{text: "D1"}}
      - {{text: "D2"}}
      - {{text: "D3"}}
    explanation: "K is right."
"""

TRUE_FALSE = """\
  - id: {id}
    kind: true_false
    passage: 1
    stem: "Target {id}: this is true."
    key: true
    explanation: "It is true."
"""

HAND_ITEMS = SINGLE.format(id="q1") + """\
  - id: q2
    kind: multiple_response
    passage: 2
    stem: "Pick both keys."
    options:
      - {text: "K1", key: true}
      - {text: "K2", key: true}
      - {text: "E1"}
      - {text: "E2"}
    explanation: "K1 and K2."
  - id: q3
    kind: short_answer
    passage: 3
    stem: "Name the city."
    answers: ["Harbin"]
    explanation: "Harbin."
"""


def sit(user, bank, answers: dict, mode: str = "exam", submit: bool = True) -> Attempt:
    """Take and submit one attempt on ``bank`` with exactly the items of ``answers``, in that order.

    Args:
        answers: item ext_id -> a list of option texts to choose, a typed text, or None (not answered).
        mode: the attempt mode.
        submit: False to leave the attempt in progress.
    """
    items = {q.ext_id: q for q in bank.items}
    attempt = start_attempt(user, bank, len(answers), random.Random(1), mode=mode,
                            item_ids=[items[e].id for e in answers])
    for attempt_item in attempt.attempt_items:
        answer = answers[attempt_item.item.ext_id]
        if answer is None:
            continue
        if isinstance(answer, str):
            data = ResponseData(texts=[answer])
        else:
            data = ResponseData(choice_ids=[o.id for o in attempt_item.item.options if o.text in answer])
        save_response(attempt, attempt_item, data, commit=False)
    if submit:
        submit_attempt(attempt)
    else:
        from studyapp.extensions import db

        db.session.commit()
    return attempt


def by_ext(stats) -> dict:
    return {s.item.ext_id: s for s in stats.items}


def options_of(item_stats) -> dict[str, tuple[int, int, int]]:
    """Return ``{option text: (chosen, top third, bottom third)}``."""
    return {o.text: (o.chosen, o.top, o.bottom) for o in item_stats.options}


def count_queries(db, fn) -> int:
    counter = {"n": 0}

    def before(*_args, **_kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return counter["n"]


# -- the hand-computed case ------------------------------------------------------------------------
#
# Six learners L1..L6 (attempt ids in this order) answer the three items of HAND_ITEMS:
#
#         q1 (single)   x1    q2 (multiple)   x2    q3 (short)     x3    total X   third
#   L1    K             1     K1 K2           1     Harbin         1     3         top
#   L2    K             1     K1 K2           1     Paris          0     2         top     (tie with L3:
#   L3    D1            0     K1 K2           1     Harbin         1     2         middle   lower id first)
#   L4    K             1     K1 E1           0     Paris          0     1         middle   (1/2 - 1/2 = 0)
#   L5    D1            0     K2              0.5   (unanswered)   0     0.5       bottom   (counts as 0)
#   L6    D2            0     E1              0     Paris          0     0         bottom   (-1/2 -> 0)
#
# NTILE(3) of 6 attempts ranked by X desc, id asc: 2 / 2 / 2.
#
# q1: x = 1,1,0,1,0,0; mean 1/2 -> F = 50.
#     deviations dx = +-1/2, sum dx^2 = 6/4 = 1.5, V = 1.5/5 = 0.3, SD = 100*sqrt(0.3) = 54.772.
#     rest X - x = 2,1,2,0,0.5,0; mean 5.5/6 = 11/12; dr = 13,1,13,-11,-5,-11 (/12);
#     sum dr^2 = (169+1+169+121+25+121)/144 = 606/144; sum dx*dr = (13+1-13-11+5+11)/24 = 6/24 = 0.25;
#     r = 0.25 / sqrt(1.5 * 606/144) = 0.25 / sqrt(6.3125) = 0.099504 -> D = 9.950.
# q2: x = 1,1,1,0,0.5,0; mean 3.5/6 = 7/12 -> F = 58.333.
#     dx = 5,5,5,-7,-1,-7 (/12); sum dx^2 = 174/144; V = 174/720 = 0.241667; SD = 49.160.
#     rest = 2,1,1,1,0,0; mean 5/6; dr = 7,1,1,1,-5,-5 (/6); sum dr^2 = 102/36;
#     sum dx*dr = (35+5+5-7+5+35)/72 = 78/72; r = (78/72) / sqrt(174/144 * 102/36) = 0.585491 -> D = 58.549.
# q3: x = 1,0,1,0,0,0; mean 1/3 -> F = 33.333.
#     dx = 8,-4,8,-4,-4,-4 (/12); sum dx^2 = 192/144 = 4/3; V = 4/15; SD = 51.640.
#     rest = 2,2,1,1,0.5,0; mean 13/12; dr = 11,11,-1,-1,-7,-13 (/12); sum dr^2 = 462/144;
#     sum dx*dr = (88-44-8+4+28+52)/144 = 120/144; r = (120/144) / sqrt(4/3 * 462/144) = 0.402911 -> D = 40.291.
# Options (chosen overall, by the top third {L1, L2}, by the bottom third {L5, L6}):
#     q1: K 3 (L1 L2 L4): 2 top, 0 bottom; D1 2 (L3 L5): 0, 1; D2 1 (L6): 0, 1; D3 0.
#     q2: K1 4 (L1-L4): 2, 0; K2 4 (L1 L2 L3 L5): 2, 1; E1 2 (L4 L6): 0, 1; E2 0.

HAND_PLAN = [
    {"q1": ["K"], "q2": ["K1", "K2"], "q3": "Harbin"},
    {"q1": ["K"], "q2": ["K1", "K2"], "q3": "Paris"},
    {"q1": ["D1"], "q2": ["K1", "K2"], "q3": "Harbin"},
    {"q1": ["K"], "q2": ["K1", "E1"], "q3": "Paris"},
    {"q1": ["D1"], "q2": ["K2"], "q3": None},
    {"q1": ["D2"], "q2": ["E1"], "q3": "Paris"},
]


@pytest.fixture()
def hand_bank(make_bank, make_user):
    """The three-item bank with the six attempts of HAND_PLAN submitted (exam mode)."""
    bank = make_bank(HAND_ITEMS, slug="hand")
    for plan in HAND_PLAN:
        sit(make_user("learner"), bank, plan)
    return bank


def test_hand_computed_figures(hand_bank):
    """Facility, SD, discrimination, thirds and option counts match the hand computation above."""
    stats = bank_statistics(hand_bank)
    assert (stats.attempts, stats.top, stats.middle, stats.bottom) == (6, 2, 2, 2)
    items = by_ext(stats)
    assert [s.item.ext_id for s in stats.items] == ["q1", "q2", "q3"]
    expected = {  # ext_id: (n, facility %, SD %, D)
        "q1": (6, 50.0, 54.772, 9.950),
        "q2": (6, 58.333, 49.160, 58.549),
        "q3": (6, 33.333, 51.640, 40.291),
    }
    for ext_id, (n, facility, sd, discrimination) in expected.items():
        s = items[ext_id]
        assert s.n == n
        assert s.facility == pytest.approx(facility, abs=1e-3), ext_id
        assert s.sd == pytest.approx(sd, abs=1e-3), ext_id
        assert s.discrimination == pytest.approx(discrimination, abs=1e-3), ext_id
        assert (s.top_n, s.bottom_n) == (2, 2)
        assert s.flags == []  # 6 attempts: below FLAG_MIN_ATTEMPTS
    assert options_of(items["q1"]) == {"K": (3, 2, 0), "D1": (2, 0, 1), "D2": (1, 0, 1), "D3": (0, 0, 0)}
    assert options_of(items["q2"]) == {"K1": (4, 2, 0), "K2": (4, 2, 1), "E1": (2, 0, 1), "E2": (0, 0, 0)}
    assert items["q3"].options == [] and not items["q3"].is_choice
    k = items["q1"].options[0]
    assert (k.is_key, k.percent, k.top_percent, k.bottom_percent) == (True, 50.0, 100.0, 0.0)


def test_hand_computed_page(client, login_as, hand_bank):
    """The statistics page shows the hand-computed figures, the option counts per third and the key."""
    login_as("instructor")
    response = client.get("/teach/banks/hand/statistics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = table_rows(page, "item-stats")
    assert [r[2:6] for r in rows] == [["6", "50.0%", "54.8%", "10.0%"], ["6", "58.3%", "49.2%", "58.5%"],
                                     ["6", "33.3%", "51.6%", "40.3%"]]
    assert [r[1] for r in rows] == ["Single choice", "Multiple response", "Short answer"]
    q1 = hand_bank.items[0]
    assert table_rows(page, f"options-{q1.id}") == [
        ["K key", "3 (50%)", "2 (100%)", "0 (0%)"], ["D1", "2 (33%)", "0 (0%)", "1 (50%)"],
        ["D2", "1 (17%)", "0 (0%)", "1 (50%)"], ["D3", "0 (0%)", "0 (0%)", "0 (0%)"]]
    assert "6</strong> submitted attempts (exam, practice)" in page
    assert 'id="options-%d"' % hand_bank.items[2].id not in page  # a text item has no option table


def test_measures_formulas_directly():
    """``measures`` gives facility from one attempt, and no SD or discrimination below two."""
    assert measures(0, 0.0, 0.0, 0.0, 0.0) == (None, None, None)
    assert measures(1, 1.0, 0.0, 0.0, 0.0) == (100.0, None, None)
    # two attempts, marks 1 and 0, rest 0 and 1: r = -1
    assert measures(2, 0.5, 0.5, 0.5, -0.5) == (50.0, pytest.approx(70.711, abs=1e-3), -100.0)


# -- empty and degenerate cases ----------------------------------------------------------------------

def test_no_attempts_is_no_data(client, login_as, make_bank, make_user):
    """Without any submitted attempt every figure is None and the page says "no data"; attempts in
    progress are not counted."""
    bank = make_bank(HAND_ITEMS, slug="empty")
    sit(make_user("learner"), bank, HAND_PLAN[0], submit=False)
    stats = bank_statistics(bank)
    assert (stats.attempts, stats.top, stats.middle, stats.bottom) == (0, 0, 0, 0)
    for s in stats.items:
        assert (s.n, s.facility, s.sd, s.discrimination, s.flags) == (0, None, None, None, [])
        assert all((o.chosen, o.percent, o.top_percent) == (0, None, None) for o in s.options)
    login_as("instructor")
    response = client.get("/teach/banks/empty/statistics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No data yet" in page
    assert [r[2:6] for r in table_rows(page, "item-stats")] == [["0", "no data", "no data", "no data"]] * 3


def test_one_attempt_has_facility_only(make_bank, make_user):
    """With one attempt the facility is the mark; SD and discrimination need two (None)."""
    bank = make_bank(HAND_ITEMS, slug="one")
    sit(make_user("learner"), bank, HAND_PLAN[3])  # q1 right, q2 0, q3 wrong
    stats = by_ext(bank_statistics(bank))
    assert (stats["q1"].n, stats["q1"].facility, stats["q1"].sd, stats["q1"].discrimination) == (1, 100.0, None, None)
    assert stats["q2"].facility == 0.0


def test_zero_variance_has_no_discrimination(make_bank, make_user):
    """An item everyone gets right has SD 0 and no discrimination (a correlation with a constant is
    undefined), and so has an item whose rest-of-test marks do not vary."""
    bank = make_bank(HAND_ITEMS, slug="flat")
    learner = make_user("learner")
    sit(learner, bank, {"q1": ["K"], "q2": ["K1", "K2"], "q3": "Harbin"})
    sit(learner, bank, {"q1": ["K"], "q2": ["E1"], "q3": "Paris"})
    sit(learner, bank, {"q1": ["K"], "q2": ["K1"], "q3": "Harbin"})
    stats = by_ext(bank_statistics(bank))
    assert (stats["q1"].facility, stats["q1"].sd, stats["q1"].discrimination) == (100.0, 0.0, None)
    assert stats["q2"].discrimination is not None
    # one-item attempts: the rest of the test is always 0
    solo = make_bank(SINGLE.format(id="s"), slug="solo")
    sit(learner, solo, {"s": ["K"]})
    sit(learner, solo, {"s": ["D1"]})
    [only] = bank_statistics(solo).items
    assert (only.facility, only.sd, only.discrimination) == (50.0, pytest.approx(70.711, abs=1e-3), None)


def test_modes_choose_the_population(client, login_as, make_bank, make_user):
    """Exam and practice attempts count by default, review attempts only when asked for; the page's
    form chooses the modes and refuses an unknown one."""
    bank = make_bank(HAND_ITEMS, slug="modes")
    learner = make_user("learner")
    sit(learner, bank, HAND_PLAN[0], mode="exam")
    sit(learner, bank, HAND_PLAN[5], mode="practice")
    sit(learner, bank, HAND_PLAN[0], mode="review")
    assert bank_statistics(bank).attempts == 2
    assert bank_statistics(bank, ["review"]).attempts == 1
    assert bank_statistics(bank, ["exam", "practice", "review"]).attempts == 3
    with pytest.raises(ValueError):
        bank_statistics(bank, ["nonsense"])
    login_as("instructor")
    page = client.get("/teach/banks/modes/statistics?mode=review").get_data(as_text=True)
    assert "1</strong> submitted attempt (review)" in page
    assert client.get("/teach/banks/modes/statistics?mode=nonsense").status_code == 400
    assert client.get("/teach/banks/nobank/statistics").status_code == 404


# -- flags --------------------------------------------------------------------------------------------
#
# Each case: a bank with a target item "t" and three short-answer anchors a1-a3 whose marks set
# the rest of the test. An attempt is (choice on t, anchors right). The thirds come from
# NTILE(3) over the totals (t's mark + anchors): 10 attempts make 4 / 3 / 3.

ANCHORS_A = [3, 3, 3, 2, 2, 1, 1, 0, 0, 0]
FLAG_CASES = {
    # Strong learners pick distractors, weak ones the key: F = 50, D = -91.4; the top third
    # (attempts 1-4, totals 3 3 3 2) chose D1 D2 D3 D1: D1 (2) beats K (0).
    "negative": (SINGLE, ["D1", "D2", "D3", "D1", "D2", "K", "K", "K", "K", "K"], ANCHORS_A,
                 {"negative_discrimination", "distractor_beats_key"}),
    # One right of ten (the strongest): F = 10, D = 41.5; top third K D1 D2 D3, one each.
    "hard": (SINGLE, ["K", "D1", "D2", "D3", "D1", "D2", "D3", "D1", "D2", "D3"], ANCHORS_A, {"too_hard"}),
    # D3 is never chosen: F = 50, D = 74.7; top third all K.
    "unused": (SINGLE, ["K", "K", "K", "K", "D1", "K", "D2", "D1", "D2", "D1"], ANCHORS_A, {"unused_distractor"}),
    # Right and wrong nearly unrelated to the rest: F = 50, D = 8.3 (0 <= D < 20); top third K K D1 D2.
    "weak": (SINGLE, ["K", "D1", "D2", "K", "K", "D3", "K", "D1", "K", "D2"], ANCHORS_A, {"weak_discrimination"}),
    # Totals 3 3 3 4 3 3 3 0 0 0: the top third is attempts 4, 1, 2, 3 (ties by id), which chose
    # K D1 D1 D1: D1 (3) beats K (1); F = 40, D = 29.4.
    "beats": (SINGLE, ["D1", "D1", "D1", "K", "K", "K", "K", "D2", "D3", "D2"], [3, 3, 3, 3, 2, 2, 2, 0, 0, 0],
              {"distractor_beats_key"}),
    # True/false, ten right of eleven: F = 90.9 > 90, D = 51.6; the one wrong is the weakest.
    "easy": (TRUE_FALSE, ["True"] * 10 + ["False"], [3, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0], {"too_easy"}),
}


def _flag_bank(make_bank, make_user, name: str, n: int | None = None):
    template, choices, anchors, _flags = FLAG_CASES[name]
    bank = make_bank(template.format(id="t") + "".join(ANCHOR.format(id=f"a{i}") for i in (1, 2, 3)),
                     slug=f"flag-{name}-{n or 'all'}")
    learner = make_user("learner")
    for choice, right in list(zip(choices, anchors))[:n]:
        plan = {"t": [choice]}
        plan.update({f"a{i}": ("yes" if i <= right else "no") for i in (1, 2, 3)})
        sit(learner, bank, plan)
    return bank


@pytest.mark.parametrize("name", list(FLAG_CASES))
def test_each_flag_is_raised_by_its_case(make_bank, make_user, name):
    """Each constructed case raises exactly the flags worked out for it, with a sentence each."""
    bank = _flag_bank(make_bank, make_user, name)
    target = by_ext(bank_statistics(bank))["t"]
    assert target.n >= FLAG_MIN_ATTEMPTS
    assert {f.code for f in target.flags} == FLAG_CASES[name][3], (target.facility, target.discrimination)
    assert all(f.message.endswith(".") and f.name for f in target.flags)


@pytest.mark.parametrize("name", list(FLAG_CASES))
def test_no_flag_below_the_minimum_attempts(make_bank, make_user, name):
    """The same cases cut to FLAG_MIN_ATTEMPTS - 1 attempts raise no flag, though figures exist."""
    bank = _flag_bank(make_bank, make_user, name, n=FLAG_MIN_ATTEMPTS - 1)
    target = by_ext(bank_statistics(bank))["t"]
    assert target.n == FLAG_MIN_ATTEMPTS - 1 and target.facility is not None
    assert target.flags == []


def test_flag_figures_of_the_negative_case(make_bank, make_user):
    """The negative case's figures as worked out: F = 50, D = -91.35, options per third."""
    target = by_ext(bank_statistics(_flag_bank(make_bank, make_user, "negative")))["t"]
    assert target.facility == 50.0
    assert target.discrimination == pytest.approx(-91.350, abs=1e-3)
    assert (target.top_n, target.bottom_n) == (4, 3)
    assert options_of(target) == {"K": (5, 0, 3), "D1": (2, 2, 0), "D2": (2, 1, 0), "D3": (1, 1, 0)}
    [flag] = [f for f in target.flags if f.code == "distractor_beats_key"]
    assert "(4 attempts), “D1” (2), “D2” (1) and “D3” (1) were chosen more often than the key “K” (0)" in flag.message


def test_flagged_items_on_the_home_page(client, login_as, make_bank, make_user):
    """Flagged items of every bank are listed on the home page and link to the bank's statistics."""
    bank = _flag_bank(make_bank, make_user, "unused")
    _flag_bank(make_bank, make_user, "hard")
    flagged = flagged_items()
    assert [(s.item.bank.slug, s.item.ext_id) for s in flagged] == [("flag-hard-all", "t"), ("flag-unused-all", "t")]
    login_as("instructor")
    page = client.get("/teach/").get_data(as_text=True)
    target = next(q for q in bank.items if q.ext_id == "t")
    assert f'href="/teach/banks/flag-unused-all/statistics#item-{target.id}"' in page
    rows = table_rows(page, "flagged")
    assert [(r[0], r[2], r[3]) for r in rows] == [("Tiny bank flag-hard-all", "10", "Too hard"),
                                                 ("Tiny bank flag-unused-all", "10", "Unused distractor")]
    stats_page = client.get("/teach/banks/flag-unused-all/statistics").get_data(as_text=True)
    assert "Nobody chose “D3” in 10 attempts" in stats_page


# -- query counts -------------------------------------------------------------------------------------

def test_statistics_page_query_count_is_fixed(client, login_as, make_bank, make_user, symposium_bank, db):
    """The statistics page runs as many queries for a 3-item bank with one attempt as for the
    44-item symposium bank with many attempts."""
    small = make_bank(HAND_ITEMS, slug="small")
    sit(make_user("learner"), small, HAND_PLAN[0])
    learner = make_user("learner")
    for seed in range(8):
        attempt = start_attempt(learner, symposium_bank, 10, random.Random(seed), mode="practice" if seed % 2 else "exam")
        for attempt_item in attempt.attempt_items[: 3 + seed]:
            item = attempt_item.item
            if item.options:
                data = ResponseData(choice_ids=[item.options[seed % len(item.options)].id])
            else:
                data = ResponseData(texts=["Harbin"] * max(1, len({a.gap for a in item.accepted_answers})))
            save_response(attempt, attempt_item, data, commit=False)
        submit_attempt(attempt)
    login_as("instructor")
    counts = [count_queries(db, lambda slug=slug: client.get(f"/teach/banks/{slug}/statistics"))
              for slug in ("small", symposium_bank.slug)]
    assert counts[0] == counts[1], counts
    page = client.get(f"/teach/banks/{symposium_bank.slug}/statistics")
    assert page.status_code == 200
    assert "8</strong> submitted attempts" in page.get_data(as_text=True)


def test_home_page_query_count_is_fixed(client, login_as, make_bank, make_user, db):
    """The home page runs as many queries with one bank, ten attempts and one flagged item as with
    four banks, many more attempts and items, and more flagged items."""
    login_as("instructor")
    _flag_bank(make_bank, make_user, "unused")
    before = count_queries(db, lambda: client.get("/teach/"))
    _flag_bank(make_bank, make_user, "hard")
    _flag_bank(make_bank, make_user, "negative")
    hand = make_bank(HAND_ITEMS, slug="hand")
    for plan in HAND_PLAN:
        sit(make_user("learner"), hand, plan)
    after = count_queries(db, lambda: client.get("/teach/"))
    assert before == after
    assert len(table_rows(client.get("/teach/").get_data(as_text=True), "flagged")) == 3


# -- the home page ---------------------------------------------------------------------------------------

def test_home_page_lists_banks_drafts_and_activity(client, login_as, make_bank, make_user, db):
    """The home page lists banks with published and draft counts, links drafts to their review
    queue, and counts attempts per day (viewer's time zone) and scores per decile."""
    bank = make_bank(HAND_ITEMS, slug="home")
    q3 = next(q for q in bank.items if q.ext_id == "q3")
    q3.status = "draft"
    db.session.commit()
    learner = make_user("learner")
    now = datetime(2024, 5, 20, 12, 0)
    try:
        clock.set_time(now - timedelta(days=2))
        sit(learner, bank, {"q1": ["K"], "q2": ["K1", "K2"]})           # 100%
        clock.set_time(now - timedelta(hours=1))
        sit(learner, bank, {"q1": ["D1"], "q2": ["K1"]})                 # 25%
        sit(learner, bank, {"q1": ["K"], "q2": ["E1"]})                  # 50%
        clock.set_time(now - timedelta(days=20))
        sit(learner, bank, {"q1": ["K"], "q2": ["E1"]})                  # too old
        clock.set_time(now)
        activity = recent_activity("UTC")
        assert [d.attempts for d in activity.days] == [0] * 11 + [1, 0, 2]
        assert activity.days[-1].day.isoformat() == "2024-05-20"
        assert [d.attempts for d in activity.deciles] == [0, 0, 1, 0, 0, 1, 0, 0, 0, 1]
        assert sum(d.attempts for d in score_deciles()) == 4
        user = login_as("instructor")
        page = client.get("/teach/").get_data(as_text=True)
    finally:
        clock.reset()
    assert table_rows(page, "home-banks") == [["Tiny bank home", "2", "1", "statistics of Tiny bank home"]]
    assert 'href="/teach/banks/home/review"' in page
    assert table_rows(page, "activity")[-3:] == [["2024-05-18", "1"], ["2024-05-19", "0"], ["2024-05-20", "2"]]
    assert table_rows(page, "deciles")[2] == ["20-29%", "1"] and table_rows(page, "deciles")[9] == ["90-100%", "1"]
    assert user.timezone in page
    for chart in ("per-day-chart", "decile-chart"):
        svg = re.search(rf'id="{chart}".*?</figure>', page, re.S).group(0)
        assert "<svg" in svg and "<script" not in svg and "http" not in svg.split("xmlns", 1)[0]
    assert not re.search(r'<script(?![^>]*src=)', page.split("</main>")[0]), "no inline script in the content"


def test_activity_days_follow_the_viewers_time_zone(make_bank, make_user):
    """A submission at 23:30 UTC falls on the next day in Shanghai (UTC+8)."""
    bank = make_bank(HAND_ITEMS, slug="tz")
    try:
        clock.set_time(datetime(2024, 5, 19, 23, 30))
        sit(make_user("learner"), bank, HAND_PLAN[0])
        clock.set_time(datetime(2024, 5, 20, 12, 0))
        utc = recent_activity("UTC")
        shanghai = recent_activity("Asia/Shanghai")
    finally:
        clock.reset()
    assert (utc.days[-2].day.isoformat(), utc.days[-2].attempts) == ("2024-05-19", 1)
    assert (shanghai.days[-1].day.isoformat(), shanghai.days[-1].attempts) == ("2024-05-20", 1)


def test_home_page_without_data(client, login_as):
    """With no bank and no attempt the home page renders and says so (no chart, tables open)."""
    login_as("instructor")
    response = client.get("/teach/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No bank yet." in page and 'id="flagged-none"' in page and 'id="per-day-none"' in page
    assert "<svg" not in page


def test_nav_has_instructor_home_for_staff_only(client, login_as, csrf):
    """Staff see "Instructor home" in the navigation bar; learners do not."""
    login_as("learner")
    assert 'href="/teach/">Instructor home</a>' not in client.get("/banks").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    assert 'href="/teach/">Instructor home</a>' in client.get("/banks").get_data(as_text=True)


# -- access -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/teach/", "/teach/banks/hand/statistics"])
def test_learners_get_403(client, login_as, make_bank, url):
    """A learner gets 403 on the home and statistics pages."""
    make_bank(HAND_ITEMS, slug="hand")
    login_as("learner")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/teach/", "/teach/banks/hand/statistics"])
def test_anonymous_users_are_sent_to_log_in(client, make_bank, url):
    """An anonymous visitor is redirected to the login page."""
    make_bank(HAND_ITEMS, slug="hand")
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_symposium_bank_pages_render_after_a_few_attempts(client, login_as, make_user, symposium_bank):
    """The statistics and home pages render on the shipped bank after a few attempts of each mode."""
    learner = make_user("learner")
    for seed, mode in enumerate(["exam", "practice", "exam", "review"]):
        attempt = start_attempt(learner, symposium_bank, 12, random.Random(seed), mode=mode)
        for attempt_item in attempt.attempt_items[::2]:
            item = attempt_item.item
            data = (ResponseData(choice_ids=[item.options[0].id]) if item.options
                    else ResponseData(texts=["Harbin"] * max(1, len({a.gap for a in item.accepted_answers}))))
            save_response(attempt, attempt_item, data, commit=False)
        submit_attempt(attempt)
    login_as("admin")
    response = client.get(f"/teach/banks/{symposium_bank.slug}/statistics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3</strong> submitted attempts (exam, practice)" in page
    published = sum(1 for q in symposium_bank.items if q.status == "published")
    assert len(table_rows(page, "item-stats")) == published
    assert client.get(f"/teach/banks/{symposium_bank.slug}/statistics?mode=exam&mode=review").status_code == 200
    assert client.get("/teach/").status_code == 200
    assert 'href="/teach/banks/harbin-symposium-2023/statistics"' in client.get("/teach/banks").get_data(as_text=True)
