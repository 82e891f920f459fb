"""Read mode with a progress map, practice from passages, and the progress dashboard's figures:
mastery levels, practise-a-passage and practise-my-weakest, streak in the learner's time zone,
time studied, due cards, mastery per bank, the score chart, query counts, privacy, time zone form."""
from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from studyapp import clock
from studyapp.attempting import start_attempt, submit_attempt
from studyapp.extensions import db as _db
from studyapp.history import (
    bank_mastery, finished_attempts, mastery_level, passage_mastery, study_streak, time_studied, weakest_item_ids,
)
from studyapp.models import Attempt, Card, Question, Response, ReviewLog
from studyapp.timefmt import hours_minutes, to_local

from .conftest import TINY_ITEMS
from .test_progress import ALL_RIGHT, SIXTY, QueryCounter, table_rows, take

# The tiny bank: §1 is cited by t-single and t-short, §2 by t-multi and t-cloze, §3 by t-tf.
DOC = "tiny-source"

DRAFT_ON_2 = """\
  - id: t-draft
    kind: true_false
    status: draft
    passage: 2
    stem: "A draft statement on passage two."
    key: true
    explanation: "Draft."
"""

ONLY_1_AND_2 = "\n".join(TINY_ITEMS.split("  - id: t-tf")[0].splitlines()) + "\n"  # t-single, t-multi


@pytest.fixture()
def tiny(make_bank):
    """The tiny bank (five published items on three passages) plus a draft item citing §2."""
    return make_bank(TINY_ITEMS + DRAFT_ON_2)


@pytest.fixture()
def frozen():
    """Return ``clock.set_time``; the clock goes back to the system clock after the test."""
    yield clock.set_time
    clock.reset()


def item_ids(bank, *ext_ids: str) -> list[int]:
    """Return the ids of the bank's items with these ext ids, in the order given."""
    ids = dict(_db.session.execute(select(Question.ext_id, Question.id).where(Question.bank_id == bank.id)).all())
    return [ids[e] for e in ext_ids]


def answer(user, bank, marks: list[tuple[str, float | None]], at: datetime | None = None) -> Attempt:
    """Record hand-made responses: one practice attempt with the items named in ``marks``, each
    with a response of that mark (None: a response not yet marked), answered at ``at``."""
    attempt = start_attempt(user, bank, len(marks), mode="practice", item_ids=item_ids(bank, *[e for e, _ in marks]))
    wanted = dict(marks)
    for ai in attempt.attempt_items:
        _db.session.add(Response(attempt_item_id=ai.id, mark=wanted[ai.item.ext_id],
                                 answered_at=at or clock.now(), tries=1, final=True))
    _db.session.commit()
    return attempt


def passage_block(page: str, number: int) -> str:
    """Return the text (tags stripped, spaces collapsed) of passage ``number`` on the map page."""
    match = re.search(rf'<div id="p{number}" class="passage-map[^"]*"[^>]*>(.*?)<p class="mb-0">', page, re.S)
    assert match, f"no passage {number} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def text_of(page: str, element_id: str) -> str:
    """Return the text of the element with ``id=element_id`` (tags stripped, spaces collapsed)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|span|p|dd)>', page, re.S)
    assert match, f"no element {element_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def mastery(user, bank) -> dict[int, tuple[int, float | None, str]]:
    """Return ``{passage number: (responses, percent, level)}`` of the bank's study text."""
    return {p.number: (p.responses, p.percent, p.level) for p in passage_mastery(user.id, bank.document_id)}


# -- levels -------------------------------------------------------------------------------

def put_card(user_id: int, item_id: int, state: int, due) -> "Card":
    """Give the learner's card for an item this state and due time (the card an answered
    item already has, since every marked response updates it; else a new one)."""
    from studyapp.scheduling import get_card

    card = get_card(user_id, item_id)
    card.state, card.due = state, due
    db_session().flush()
    return card


def db_session():
    from studyapp.extensions import db as _db
    return _db.session


@pytest.mark.parametrize("marks, expected", [
    ([], (0, None, "not_seen")),
    ([("t-single", None)], (0, None, "not_seen")),          # a response not yet marked does not count
    ([("t-single", 0.4), ("t-short", 0.5)], (2, 45.0, "weak")),
    ([("t-single", 0.0)], (1, 0.0, "weak")),
    ([("t-single", 0.5)], (1, 50.0, "learning")),            # 50% is no longer weak
    ([("t-single", 1.0)], (1, 100.0, "learning")),           # 100% but a single response
    ([("t-single", 0.58), ("t-short", 1.0)], (2, 79.0, "learning")),
    ([("t-single", 0.6), ("t-short", 1.0)], (2, 80.0, "known")),   # 80% over 2 responses
    ([("t-single", 1.0), ("t-short", 1.0), ("t-single", 0.0)], (3, 66.7, "learning")),
])
def test_passage_levels_from_hand_made_marks(client, login_as, tiny, marks, expected):
    """Accuracy is the mean mark of the learner's marked responses to items citing the passage,
    and the level follows the thresholds (weak < 50%, known >= 80% over >= 2 responses)."""
    ann = login_as("learner")
    for ext_id, mark in marks:  # one attempt per response, so that an item can be answered twice
        answer(ann, tiny, [(ext_id, mark)])
    got = mastery(ann, tiny)
    assert got[1] == expected
    assert got[2] == got[3] == (0, None, "not_seen")
    page = client.get(f"/sources/{DOC}").get_data(as_text=True)
    label = {"not_seen": "Not seen", "weak": "Weak", "learning": "Learning", "known": "Known"}[expected[2]]
    if expected[1] is None:
        assert passage_block(page, 1).startswith(f"§1 {label} Practise")
    else:
        n = expected[0]
        assert passage_block(page, 1).startswith(
            f"§1 {label} · {expected[1]:g}% over {n} answer{'' if n == 1 else 's'} Practise")
    assert f'<div id="p1" class="passage-map level-{expected[2]}"' in page


def test_mastery_level_thresholds():
    """mastery_level: boundaries at 50% and 80%, and 2 responses for known."""
    assert [mastery_level(p, n) for p, n in [(None, 0), (49.9, 5), (50.0, 5), (79.9, 5), (80.0, 1),
                                             (80.0, 2), (100.0, 2), (0.0, 0)]] == [
        "not_seen", "weak", "learning", "learning", "learning", "known", "known", "not_seen"]


def test_map_counts_every_bank_and_mode_but_only_marked_responses(login_as, make_bank):
    """Responses from any bank on the same text count for its passages; an exam response
    counts once it is marked at submission."""
    one = make_bank(TINY_ITEMS, slug="one")
    two = make_bank(TINY_ITEMS, slug="two")
    ann = login_as("learner")
    answer(ann, one, [("t-tf", 1.0)])
    exam = start_attempt(ann, two, 1, mode="exam", item_ids=item_ids(two, "t-tf"))
    _db.session.add(Response(attempt_item_id=exam.attempt_items[0].id, mark=None))
    _db.session.commit()
    assert mastery(ann, one)[3] == (1, 100.0, "learning")  # the exam response is not marked yet
    submit_attempt(exam)  # marks it: the true/false item has no choice, so 0
    assert mastery(ann, one)[3] == (2, 50.0, "learning")
    assert mastery(ann, two)[3] == (2, 50.0, "learning")


def test_map_page_has_legend_labels_and_practice_buttons(client, login_as, tiny):
    """The map has a legend naming the four levels, a text label on every passage, and a
    practise button per passage with the number of its published items (drafts not counted)."""
    ann = login_as("learner")
    answer(ann, tiny, [("t-tf", 0.0)])
    response = client.get(f"/sources/{DOC}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    legend = re.search(r'id="mastery-legend".*?</section>', page, re.S).group(0)
    for name in ("Not seen", "Weak", "Learning", "Known"):
        assert f"<strong>{name}</strong>" in legend
    assert "accuracy below 50%" in legend and "80% or more over at least 2 answers" in legend
    assert text_of(page, "mastery-counts") == "0 known · 0 learning · 1 weak · 2 not seen (3 passages)"
    assert passage_block(page, 1) == "§1 Not seen Practise this passage (2 items) : §1"
    assert passage_block(page, 2) == "§2 Not seen Practise this passage (2 items) : §2"  # the draft is not counted
    assert passage_block(page, 3) == "§3 Weak · 0% over 1 answer Practise this passage (1 item) : §3"
    for n in (1, 2, 3):
        assert f'action="/sources/{DOC}/p/{n}/practice"' in page
    assert 'action="/banks/tiny/weakest"' in page
    assert "<script>" not in page  # no inline script


def test_map_of_unknown_text_is_404(client, login_as, tiny):
    """/sources/<unknown slug> is 404."""
    login_as("learner")
    assert client.get("/sources/no-such-text").status_code == 404


def test_map_requires_login(client, tiny):
    """An anonymous visitor is sent to log in."""
    response = client.get(f"/sources/{DOC}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# -- practise a passage -----------------------------------------------------------------------

def test_practise_passage_starts_a_practice_attempt_with_exactly_its_items(client, login_as, csrf, tiny):
    """POST /sources/<slug>/p/2/practice starts a practice attempt with exactly §2's published
    items (t-multi and t-cloze, not the draft) and goes to its question 1."""
    ann = login_as("learner")
    response = client.post(f"/sources/{DOC}/p/2/practice", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    attempt = _db.session.scalar(select(Attempt))
    assert response.headers["Location"] == f"/attempts/{attempt.id}/q/1"
    assert (attempt.user_id, attempt.bank_id, attempt.mode, attempt.status) == (
        ann.id, tiny.id, "practice", "in_progress")
    assert [ai.item.ext_id for ai in attempt.attempt_items] == ["t-multi", "t-cloze"]
    assert attempt.item_count == 2
    assert client.get(response.headers["Location"]).status_code == 200


def test_practise_passage_refusals(client, login_as, csrf, make_bank):
    """Unknown text or passage: 404; no CSRF token: 400; a passage without published items:
    a message and no attempt; GET is not allowed."""
    make_bank(ONLY_1_AND_2)  # nothing cites §3
    login_as("learner")
    token = csrf(client)
    assert client.post("/sources/nope/p/1/practice", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/sources/{DOC}/p/99/practice", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/sources/{DOC}/p/1/practice").status_code == 400
    assert client.get(f"/sources/{DOC}/p/1/practice").status_code == 405
    response = client.post(f"/sources/{DOC}/p/3/practice", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == f"/sources/{DOC}#p3"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "§3 has no published items to practise yet." in page
    assert "Practise this passage" not in passage_block(page, 3)
    assert _db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_practise_passage_without_any_bank_is_refused(client, login_as, csrf, make_bank, db):
    """A text whose only bank is unpublished shows an instructor no practise buttons, and a POST
    only gets a message (learners do not see the text at all: see the next test)."""
    bank = make_bank(TINY_ITEMS)
    bank.published = False
    db.session.commit()
    login_as("instructor")
    page = client.get(f"/sources/{DOC}").get_data(as_text=True)
    assert "Practise this passage" not in page and "Practise my weakest" not in page
    response = client.post(f"/sources/{DOC}/p/1/practice", data={"csrf_token": csrf(client)},
                           follow_redirects=True)
    assert "§1 has no published items to practise yet." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


NO_TEXT = "There is no such study text."


def _text_routes(client, csrf, slug: str) -> tuple:
    """(status, body) of the text's page and of practising its passage 1 and passage 99."""
    token = csrf(client)
    page = client.get(f"/sources/{slug}")
    one = client.post(f"/sources/{slug}/p/1/practice", data={"csrf_token": token})
    far = client.post(f"/sources/{slug}/p/99/practice", data={"csrf_token": token})
    return [(r.status_code, r.get_data(as_text=True)) for r in (page, one, far)]


@pytest.mark.parametrize("role", ["learner", "instructor", "admin"])
def test_a_text_no_published_bank_cites_is_hidden_from_learners(client, login_as, csrf, make_bank, db, role):
    """The only bank citing the text is unpublished: a learner gets the same 404 as for a text that
    does not exist, on its page and on practising any of its passages (so that neither the text nor
    its passages can be confirmed), and no attempt starts; instructors and admins still read it
    (practising a passage gives them the message that it has no published items)."""
    bank = make_bank(TINY_ITEMS)
    bank.published = False
    db.session.commit()
    login_as(role)
    (page, page_body), (one, one_body), (far, _) = _text_routes(client, csrf, DOC)
    if role == "learner":
        assert (page, one, far) == (404, 404, 404)
        assert NO_TEXT in page_body and NO_TEXT in one_body
        assert [(s, NO_TEXT in b) for s, b in _text_routes(client, csrf, "no-such-text")] == [(404, True)] * 3
    else:
        assert (page, one, far) == (200, 303, 404)
        assert "Tiny source" in page_body and "First passage text." in page_body
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_a_text_is_shown_while_one_published_bank_cites_it(client, login_as, csrf, make_bank, db):
    """Two banks cite the text: the learner reads it while either is published, and not once both
    are unpublished; a text no bank cites at all is 404 for the learner, 200 for an instructor."""
    from studyapp.models import Bank, Document

    first = make_bank(TINY_ITEMS)
    second = make_bank(ONLY_1_AND_2, slug="tiny-two")
    db.session.add(Document(slug="loose-text", title="Loose text", summary="", based_on=""))
    first.published = False
    db.session.commit()
    login_as("learner")
    assert client.get(f"/sources/{DOC}").status_code == 200
    response = client.post(f"/sources/{DOC}/p/1/practice", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    attempt = db.session.scalar(select(Attempt))
    assert attempt.bank_id == second.id
    db.session.execute(update(Bank).values(published=False))
    db.session.commit()
    assert client.get(f"/sources/{DOC}").status_code == 404
    assert client.get("/sources/loose-text").status_code == 404
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    assert client.get(f"/sources/{DOC}").status_code == 200
    assert client.get("/sources/loose-text").status_code == 200


# -- practise my weakest ----------------------------------------------------------------------

def test_weakest_takes_the_lowest_accuracy_passage_first(client, login_as, csrf, tiny):
    """Weakest: seen passages by accuracy (§2 at 25% before §1 at 100%), then unseen ones (§3)."""
    ann = login_as("learner")
    answer(ann, tiny, [("t-single", 1.0), ("t-short", 1.0), ("t-multi", 0.5), ("t-cloze", 0.0)])
    expected = ["t-multi", "t-cloze", "t-single", "t-short", "t-tf"]
    by_id = dict(_db.session.execute(select(Question.id, Question.ext_id)).all())
    assert [by_id[i] for i in weakest_item_ids(ann.id, tiny.id)] == expected
    assert [by_id[i] for i in weakest_item_ids(ann.id, tiny.id, limit=3)] == expected[:3]
    response = client.post("/banks/tiny/weakest", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    attempt = _db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    assert response.headers["Location"] == f"/attempts/{attempt.id}/q/1"
    assert attempt.mode == "practice" and attempt.user_id == ann.id
    assert [ai.item.ext_id for ai in attempt.attempt_items] == expected


def test_weakest_puts_unseen_passages_after_seen_ones_even_strong(login_as, tiny):
    """A seen passage at 100% still comes before a passage never seen."""
    ann = login_as("learner")
    answer(ann, tiny, [("t-tf", 1.0)])
    by_id = dict(_db.session.execute(select(Question.id, Question.ext_id)).all())
    assert [by_id[i] for i in weakest_item_ids(ann.id, tiny.id)] == ["t-tf", "t-single", "t-short", "t-multi",
                                                                   "t-cloze"]


def test_weakest_asks_at_most_ten_items(client, login_as, csrf, symposium_bank):
    """On a bank with more than ten items, "Practise my weakest" asks ten."""
    login_as("learner")
    response = client.post(f"/banks/{symposium_bank.slug}/weakest", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    attempt = _db.session.scalar(select(Attempt))
    assert attempt.item_count == 10 and len(attempt.attempt_items) == 10 and attempt.mode == "practice"


def test_weakest_refusals(client, login_as, csrf, make_bank):
    """Unknown bank: 404; no CSRF token: 400; a bank with no item on a passage: message, no attempt."""
    make_bank("""\
  - id: loose
    kind: true_false
    stem: "No passage cited."
    key: true
    explanation: "None."
""", slug="loose")
    login_as("learner")
    token = csrf(client)
    assert client.post("/banks/nope/weakest", data={"csrf_token": token}).status_code == 404
    assert client.post("/banks/loose/weakest").status_code == 400
    response = client.post("/banks/loose/weakest", data={"csrf_token": token}, follow_redirects=True)
    assert "no published items on its study text" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Attempt)) == 0


# -- streak -----------------------------------------------------------------------------------

def test_streak_counts_days_in_the_learners_time_zone(client, login_as, make_user, tiny, frozen, db):
    """At 17:30 UTC on 10 March it is already 11 March in Shanghai: the same activity gives a
    3-day streak in Shanghai (11, 10, 9 March local; nothing on the 8th) and 4 days in UTC
    (10, 9, 8, 7 March); a card rating on a day without responses extends the streak."""
    ann = login_as("learner")
    for at in [datetime(2024, 3, 10, 16, 30),   # Shanghai 11 Mar 00:30; UTC 10 Mar
               datetime(2024, 3, 9, 23, 0),     # Shanghai 10 Mar 07:00; UTC 9 Mar
               datetime(2024, 3, 9, 15, 0),     # Shanghai  9 Mar 23:00; UTC 9 Mar
               datetime(2024, 3, 8, 17, 0),     # Shanghai  9 Mar 01:00; UTC 8 Mar
               datetime(2024, 3, 7, 10, 0)]:    # Shanghai  7 Mar 18:00; UTC 7 Mar
        answer(ann, tiny, [("t-single", 1.0)], at=at)
    bob = make_user("learner")
    answer(bob, tiny, [("t-single", 1.0)], at=datetime(2024, 3, 8, 2, 0))  # another learner: no effect
    now = datetime(2024, 3, 10, 17, 30)
    frozen(now)
    shanghai = study_streak(ann.id, "Asia/Shanghai")
    assert (shanghai.days, shanghai.today, str(shanghai.last_day)) == (3, True, "2024-03-11")
    utc = study_streak(ann.id, "UTC")
    assert (utc.days, utc.today, str(utc.last_day)) == (4, True, "2024-03-10")

    # A flashcard rating at 02:00 UTC on 8 March (10:00 in Shanghai) fills Shanghai's 8 March.
    card = Card(user_id=ann.id, item_id=item_ids(tiny, "t-tf")[0], state=2, due=now)
    db.session.add(card)
    db.session.flush()
    db.session.add(ReviewLog(card_id=card.id, rating=3, reviewed_at=datetime(2024, 3, 8, 2, 0), source="flashcard"))
    db.session.commit()
    assert study_streak(ann.id, "Asia/Shanghai").days == 5

    ann.timezone = "Asia/Shanghai"
    db.session.commit()
    page = client.get("/progress/").get_data(as_text=True)
    assert text_of(page, "streak") == "5 days"
    assert text_of(page, "streak-note") == "Studied today."


def test_streak_runs_to_yesterday_when_nothing_yet_today(login_as, tiny, frozen):
    """Nothing yet today: the streak counts up to yesterday; a day without study ends it."""
    ann = login_as("learner")
    for day in (7, 8, 9):
        answer(ann, tiny, [("t-single", 1.0)], at=datetime(2024, 3, day, 12, 0))
    frozen(datetime(2024, 3, 10, 8, 0))
    streak = study_streak(ann.id, "UTC")
    assert (streak.days, streak.today) == (3, False)
    frozen(datetime(2024, 3, 11, 6, 0))
    assert study_streak(ann.id, "UTC").days == 0  # nothing on 10 March UTC
    # In Los Angeles, 11 March 06:00 UTC is still 10 March (23:00 PDT): yesterday was the 9th.
    la = study_streak(ann.id, "America/Los_Angeles")
    assert (la.days, la.today, str(la.last_day)) == (3, False, "2024-03-09")


# -- time studied, attempts, due cards, mastery -----------------------------------------------

def test_time_studied_and_number_of_attempts(client, login_as, tiny, frozen):
    """Time studied is the sum of the submitted attempts' durations (25:00 + 1:12:30 = 1:37:30,
    shown as 1:37); an attempt in progress counts for neither figure."""
    ann = login_as("learner")
    start = datetime(2024, 3, 10, 9, 0)
    for minutes, seconds in ((25, 0), (72, 30)):
        frozen(start)
        attempt = start_attempt(ann, tiny, 2, rng=random.Random(1))
        frozen(start + timedelta(minutes=minutes, seconds=seconds))
        submit_attempt(attempt)
        start += timedelta(hours=3)
    frozen(start)
    start_attempt(ann, tiny, 2, rng=random.Random(1))  # in progress
    frozen(start + timedelta(hours=5))
    attempts = finished_attempts(ann.id)
    assert len(attempts) == 2
    assert time_studied(attempts) == 5850.0
    page = client.get("/progress/").get_data(as_text=True)
    assert text_of(page, "time-studied") == "1:37"
    assert text_of(page, "attempt-count") == "2"


def test_hours_minutes_format():
    """h:mm, whole minutes rounded down."""
    assert [hours_minutes(s) for s in (0, 59, 60, 3599, 3600, 5850, 36000 + 61, None)] == [
        "0:00", "0:00", "0:01", "0:59", "1:00", "1:37", "10:01", "0:00"]


def test_due_cards_now_and_today(client, login_as, tiny, frozen, db):
    """The dashboard shows the cards due now and due today in all (the learner's day)."""
    ann = login_as("learner")
    frozen(datetime(2024, 3, 10, 10, 0))
    single, multi, tf, short = item_ids(tiny, "t-single", "t-multi", "t-tf", "t-short")
    for item_id, due in [(single, datetime(2024, 3, 10, 9, 0)), (multi, datetime(2024, 3, 9, 9, 0)),
                         (tf, datetime(2024, 3, 10, 20, 0)), (short, datetime(2024, 3, 11, 8, 0))]:
        db.session.add(Card(user_id=ann.id, item_id=item_id, state=2, due=due))
    db.session.commit()
    page = client.get("/progress/").get_data(as_text=True)
    assert (text_of(page, "due-now"), text_of(page, "due-today")) == ("2", "3")


def test_mastery_per_bank_is_the_share_of_items_in_review(client, login_as, make_user, make_bank, db):
    """Mastery = published items whose card is in the review state / published items: Ann has
    2 of 5 (40%) on one bank (learning and relearning cards and a draft's card do not count)
    and 0 of 5 on the other; Bob's cards do not count for Ann."""
    one = make_bank(TINY_ITEMS + DRAFT_ON_2, slug="one")
    two = make_bank(TINY_ITEMS, slug="two")
    ann, bob = make_user("learner"), make_user("learner")
    states = {"t-single": 2, "t-multi": 2, "t-tf": 1, "t-short": 3, "t-draft": 2}
    for ext_id, state in states.items():
        db.session.add(Card(user_id=ann.id, item_id=item_ids(one, ext_id)[0], state=state, due=clock.now()))
    for item_id in item_ids(two, "t-single", "t-multi", "t-tf", "t-short", "t-cloze"):
        put_card(bob.id, item_id, 2, clock.now())
    db.session.commit()
    got = [(m.slug, m.items, m.known, m.percent) for m in bank_mastery(ann.id)]
    assert got == [("one", 5, 2, 40.0), ("two", 5, 0, 0.0)]
    assert [(m.slug, m.percent) for m in bank_mastery(bob.id)] == [("one", 0.0), ("two", 100.0)]
    login_as(ann)
    page = client.get("/progress/").get_data(as_text=True)
    rows = table_rows(page, "mastery")
    assert [r[:3] for r in rows] == [["Tiny bank one", "40%", "2 of 5"], ["Tiny bank two", "0%", "0 of 5"]]
    assert '<progress class="w-100 mastery-bar" max="100" value="40.0" aria-label="Mastery of Tiny bank one">' in page
    assert 'action="/banks/one/weakest"' in page and 'action="/banks/two/weakest"' in page


# -- the chart --------------------------------------------------------------------------------

def test_score_chart_is_inline_svg_with_nothing_external(client, login_as, tiny):
    """The dashboard draws the scores as inline SVG (one point per attempt, no XML declaration),
    with a text alternative, and neither the chart nor the page loads anything from another
    site or runs an inline script."""
    ann = login_as("learner")
    take(ann, tiny, ALL_RIGHT)
    take(ann, tiny, SIXTY)
    page = client.get("/progress/").get_data(as_text=True)
    figure = re.search(r'<figure class="chart mb-4" id="score-chart".*?</figure>', page, re.S)
    assert figure, "no chart"
    svg = re.search(r"<svg.*?</svg>", figure.group(0), re.S).group(0)
    assert "<?xml" not in page
    assert re.findall(r'<desc class="value">([^<]*)</desc>', svg) == ["100", "60"]  # oldest first
    assert "<script" not in svg
    assert re.findall(r"https?://[^\"' <>]*", svg) == ["http://www.w3.org/2000/svg"]  # the SVG namespace only
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page):
        assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), tag
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert 'href="#history"' in figure.group(0)  # the text alternative
    assert [r[2] for r in table_rows(page, "history")] == ["60%", "100%"]


def test_no_chart_without_attempts(client, login_as, tiny):
    """Without a finished attempt there is no chart, and the page says so."""
    login_as("learner")
    page = client.get("/progress/").get_data(as_text=True)
    assert "<svg" not in page and "No finished quiz yet." in page
    assert text_of(page, "attempt-count") == "0" and text_of(page, "time-studied") == "0:00"


# -- query counts -----------------------------------------------------------------------------

def queries_for(client, db, url: str) -> int:
    """Return the number of queries GET ``url`` runs (after a warm-up request)."""
    assert client.get(url).status_code == 200
    with QueryCounter(db.engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_map_query_count_does_not_grow_with_passages_or_responses(client, login_as, tiny, symposium_bank, db):
    """The map of the 3-passage tiny text and of the longer symposium text (with responses on
    many passages) run the same number of queries."""
    ann = login_as("learner")
    answer(ann, tiny, [("t-single", 1.0)])
    few = queries_for(client, db, f"/sources/{DOC}")
    passages = len(symposium_bank.document.passages)
    assert passages > 10
    items = [q for q in symposium_bank.items if q.status == "published" and q.passage_id][:12]
    attempt = start_attempt(ann, symposium_bank, len(items), mode="practice", item_ids=[q.id for q in items])
    for ai in attempt.attempt_items:
        db.session.add(Response(attempt_item_id=ai.id, mark=0.5))
    db.session.commit()
    many = queries_for(client, db, f"/sources/{symposium_bank.document.slug}")
    assert many == few
    assert few <= 6  # the user, the text, its passages, the marks, the item counts, the bank


def test_dashboard_query_count_does_not_grow_with_cards_and_activity(client, login_as, make_bank, db):
    """The dashboard runs as many queries with many attempts, banks, cards and ratings as with one."""
    banks = [make_bank(TINY_ITEMS, slug=s) for s in ("one", "two", "three")]
    ann = login_as("learner")
    take(ann, banks[0], ALL_RIGHT)
    few = queries_for(client, db, "/progress/")
    for bank in banks:
        take(ann, bank, SIXTY)
        answer(ann, bank, [("t-tf", 1.0), ("t-single", 0.0)])
        for item in bank.items:
            card = put_card(ann.id, item.id, 2, clock.now())
            db.session.add(ReviewLog(card_id=card.id, rating=3, reviewed_at=clock.now(), source="review"))
    db.session.commit()
    many = queries_for(client, db, "/progress/")
    assert many == few


# -- own data only ------------------------------------------------------------------------------

def test_a_learner_sees_only_their_own_progress(client, login_as, make_user, tiny, db):
    """Bob's responses, attempts and cards change nothing on Ann's map, weakest items, streak,
    mastery or dashboard figures."""
    ann, bob = make_user("learner"), make_user("learner")
    take(bob, tiny, ALL_RIGHT)
    answer(bob, tiny, [("t-single", 1.0), ("t-short", 1.0), ("t-tf", 0.0)])
    for item_id in item_ids(tiny, "t-single", "t-multi"):
        put_card(bob.id, item_id, 2, clock.now())
    db.session.commit()
    assert all(level == "not_seen" for _, _, level in mastery(ann, tiny).values())
    assert study_streak(ann.id).days == 0
    assert [m.percent for m in bank_mastery(ann.id)] == [0.0]
    by_id = dict(db.session.execute(select(Question.id, Question.ext_id)).all())
    assert [by_id[i] for i in weakest_item_ids(ann.id, tiny.id)] == ["t-single", "t-short", "t-multi", "t-cloze",
                                                                   "t-tf"]
    login_as(ann)
    page = client.get(f"/sources/{DOC}").get_data(as_text=True)
    assert page.count('class="passage-map level-not_seen"') == 3
    dash = client.get("/progress/").get_data(as_text=True)
    assert (text_of(dash, "attempt-count"), text_of(dash, "streak")) == ("0", "0 days")
    assert table_rows(dash, "mastery")[0][1:3] == ["0%", "0 of 5"]


def test_instructor_sees_a_learners_figures_without_practice_buttons(client, login_as, make_user, tiny):
    """An instructor's page on a learner shows the learner's figures, and no button that would
    start a practice attempt as the instructor."""
    ann = make_user("learner")
    take(ann, tiny, ALL_RIGHT)
    login_as("instructor")
    page = client.get(f"/teach/learners/{ann.id}").get_data(as_text=True)
    assert text_of(page, "attempt-count") == "1"
    assert "<svg" in page
    assert "Practise my weakest" not in page


# -- time zone ------------------------------------------------------------------------------------

def test_time_zone_form_refuses_unknown_names(client, login_as, csrf, db):
    """The account page offers every IANA zone (UTC by default) and refuses "Mars/Olympus"
    with a message, leaving the time zone as it was."""
    ann = login_as("learner")
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in page
    assert '<option value="Asia/Shanghai">Asia/Shanghai</option>' in page
    response = client.post("/auth/account/timezone", data={"tz-timezone": "Mars/Olympus",
                                                           "tz-csrf_token": csrf(client)})
    assert response.status_code == 400
    assert "Unknown time zone: pick one from the list" in response.get_data(as_text=True)
    db.session.refresh(ann)
    assert ann.timezone == "UTC"
    response = client.post("/auth/account/timezone", data={"tz-timezone": "Asia/Shanghai"})
    assert response.status_code == 400  # no CSRF token
    db.session.refresh(ann)
    assert ann.timezone == "UTC"


def test_time_zone_is_saved_and_dates_are_shown_in_it(client, login_as, csrf, tiny, frozen, db):
    """A saved time zone is used for the dashboard's dates: an attempt submitted at
    17:30 UTC on 10 March shows as 01:30 on 11 March in Shanghai."""
    ann = login_as("learner")
    frozen(datetime(2024, 3, 10, 17, 0))
    attempt = start_attempt(ann, tiny, 1, rng=random.Random(2))
    frozen(datetime(2024, 3, 10, 17, 30))
    submit_attempt(attempt)
    page = client.get("/progress/").get_data(as_text=True)
    assert table_rows(page, "history")[0][0] == "2024-03-10 17:30"
    response = client.post("/auth/account/timezone", data={"tz-timezone": "Asia/Shanghai",
                                                           "tz-csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/auth/account"
    db.session.refresh(ann)
    assert ann.timezone == "Asia/Shanghai"
    page = client.get("/progress/").get_data(as_text=True)
    assert table_rows(page, "history")[0][0] == "2024-03-11 01:30"
    assert "<th>Submitted (Asia/Shanghai)</th>" in page
    assert "11 Mar" in re.search(r"<svg.*?</svg>", page, re.S).group(0)  # the chart's axis too


def test_to_local_converts_naive_utc():
    """to_local: naive UTC to the zone; an unknown zone counts as UTC."""
    when = datetime(2024, 7, 1, 23, 15)
    assert to_local(when, "Asia/Kolkata").strftime("%Y-%m-%d %H:%M") == "2024-07-02 04:45"
    assert to_local(when, "America/New_York").strftime("%Y-%m-%d %H:%M") == "2024-07-01 19:15"
    assert to_local(when, "Mars/Olympus").strftime("%Y-%m-%d %H:%M") == "2024-07-01 23:15"
