"""Flashcards and the spaced-review page through the test client (CSRF on, clock frozen)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import fsrs
import pytest
from sqlalchemy import event, func, select

from studyapp import clock, scheduling, study
from studyapp.models import Attempt, AttemptItem, Bank, Card, Question, ReviewLog
from tests.conftest import TINY_ITEMS

T0 = datetime(2024, 3, 1, 12, 0, 0)  # naive UTC; 20:00 in Asia/Shanghai
CLOZE_ONLY = """\
  - id: c-only
    kind: cloze
    passage: 2
    stem: "The ___ met in ___."
    gaps: [["symposium", "meeting"], ["Harbin"]]
    explanation: "As passage two says."
"""
DRAFT_ITEM = """\
  - id: t-draft
    kind: true_false
    status: draft
    stem: "A draft statement."
    key: true
    explanation: "Draft."
"""
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


@pytest.fixture()
def frozen():
    """Freeze the app clock at T0 for the test; back to the system clock afterwards."""
    clock.set_time(T0)
    yield T0
    clock.reset()


def item(db, bank: Bank, ext_id: str) -> Question:
    return db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.ext_id == ext_id))


def shown_card(html: str) -> int:
    """The item id of the card a flashcard page shows."""
    match = re.search(r'id="card-(\d+)"', html)
    assert match, html[:2000]
    return int(match.group(1))


def progress(html: str) -> str:
    return re.search(r'id="progress">([^<]*)<', html).group(1)


def flip(client, csrf, slug: str, item_id: int, token: bool = True):
    data = {"csrf_token": csrf(client)} if token else {}
    return client.post(f"/banks/{slug}/flashcards/{item_id}/flip", data=data)


def rate(client, csrf, slug: str, item_id: int, rating, token: bool = True, **extra):
    data = {"csrf_token": csrf(client)} if token else {}
    if rating is not None:
        data["rating"] = str(rating)
    data.update(extra)
    return client.post(f"/banks/{slug}/flashcards/{item_id}/rate", data=data)


def make_due(db, user, question: Question, due: datetime) -> Card:
    """Give ``user`` a card on ``question`` (one practice rating at T0 - 7 days) due at ``due``."""
    card = scheduling.record_review(user.id, question.id, 3, "practice", when=T0 - timedelta(days=7))
    card.due = due
    db.session.commit()
    return card


def logs(db, user) -> list[ReviewLog]:
    return list(db.session.scalars(
        select(ReviewLog).join(Card, Card.id == ReviewLog.card_id).where(Card.user_id == user.id)
        .order_by(ReviewLog.id)))


# -- the front and the back -------------------------------------------------------------

def test_front_shows_stem_but_never_the_key(client, login_as, make_bank, db, frozen):
    """The first card is the first new item (t-single): its stem shows, its key and options do not,
    and nothing marks a key; the page loads flashcards.js and has no inline script."""
    bank = make_bank(TINY_ITEMS)
    login_as("learner")
    response = client.get("/banks/tiny/flashcards")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_card(html) == item(db, bank, "t-single").id
    assert "Pick the right one." in html
    assert "Right" not in html  # the key text
    assert "Wrong A" not in html and "badge text-bg-success" not in html and "is_key" not in html
    assert "Because passage one says so." not in html and "First passage text." not in html
    assert progress(html) == "card 1 · 0 due, 5 new"
    assert 'id="flip-form"' in html and 'name="csrf_token"' in html
    assert '<script src="/static/js/flashcards.js"></script>' in html
    assert not SCRIPT_WITHOUT_SRC.search(html)
    assert "<kbd>Space</kbd> shows the answer" in html


def test_cloze_front_shows_blanks_not_answers(client, login_as, make_bank, db, frozen):
    """A cloze card's front has one blank per gap and none of the accepted answers."""
    make_bank(CLOZE_ONLY, slug="clz")
    login_as("learner")
    html = client.get("/banks/clz/flashcards").get_data(as_text=True)
    assert html.count('class="cloze-blank"') == 2
    assert "The " in html and " met in " in html
    assert "symposium" not in html and "Harbin" not in html and "meeting" not in html


def test_flip_shows_key_explanation_and_passage_and_rating_forms(client, csrf, login_as, make_bank, db, frozen):
    """The back shows the stem, every option with the key marked, the explanation, the cited
    passage (number and text), and four CSRF-protected rating forms 1-4."""
    bank = make_bank(TINY_ITEMS)
    login_as("learner")
    single = item(db, bank, "t-single")
    response = flip(client, csrf, "tiny", single.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<li class="fw-semibold key">Right <span class="badge text-bg-success">key</span></li>', html)
    assert "Wrong A" in html and "Wrong B" in html
    assert "Because passage one says so." in html
    assert re.search(r'id="passage">\s*<a href="/sources/tiny-source#p1">§1</a>\s*First passage text.', html)
    forms = re.findall(r'<form method="post" action="/banks/tiny/flashcards/(\d+)/rate" class="rate-form" '
                       r'data-rating="(\d)">\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                       r'<input type="hidden" name="rating" value="(\d)">', html)
    assert forms == [(str(single.id), str(n), str(n)) for n in (1, 2, 3, 4)]
    # The time each rating would give, for a new card (FSRS learning steps 1 min and 10 min):
    assert re.findall(r'<span class="d-block small">([^<]*)</span>', html)[:3] == ["1 min", "6 min", "10 min"]
    assert not SCRIPT_WITHOUT_SRC.search(html)


def test_flip_shows_cloze_and_short_answer_keys(client, csrf, login_as, make_bank, db, frozen):
    """A cloze back fills each blank with its accepted answers; a short answer lists its answers."""
    bank = make_bank(TINY_ITEMS)
    login_as("learner")
    cloze = flip(client, csrf, "tiny", item(db, bank, "t-cloze").id).get_data(as_text=True)
    assert 'The <mark class="key">symposium / meeting</mark> met in <mark class="key">Harbin</mark>.' in cloze
    short = flip(client, csrf, "tiny", item(db, bank, "t-short").id).get_data(as_text=True)
    assert 'Answer: <strong class="key">Harbin / Haerbin</strong>' in short


# -- rating --------------------------------------------------------------------------------

def test_ratings_update_the_card_exactly_as_fsrs_does(client, csrf, login_as, make_bank, db, frozen):
    """Good, Good, Again at the times the card falls due: after each, the stored card has the state,
    step, stability, difficulty, due and last review that fsrs's own scheduler (no fuzzing)
    computes for the same ratings at the same times; each rating logs one 'flashcard' row."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    single = item(db, bank, "t-single")
    reference = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    expected = fsrs.Card(card_id=1, due=T0.replace(tzinfo=timezone.utc))
    times = []
    for number, rating in enumerate((fsrs.Rating.Good, fsrs.Rating.Good, fsrs.Rating.Again), start=1):
        when = clock.now()
        times.append(when)
        if number > 1:  # it is due now, so it is the card shown first
            assert shown_card(client.get("/banks/tiny/flashcards").get_data(as_text=True)) == single.id
        response = rate(client, csrf, "tiny", single.id, rating.value)
        assert response.status_code == 303
        assert response.location.endswith("/banks/tiny/flashcards")
        expected, _ = reference.review_card(expected, rating, review_datetime=when.replace(tzinfo=timezone.utc))
        card = db.session.scalar(select(Card).where(Card.user_id == learner.id, Card.item_id == single.id))
        got = (card.state, card.step, card.stability, card.difficulty, card.due, card.last_review, card.reps)
        assert got == (expected.state.value, expected.step, expected.stability, expected.difficulty,
                       expected.due.astimezone(timezone.utc).replace(tzinfo=None), when, number)
        clock.set_time(card.due)
    assert card.state == fsrs.State.Relearning.value and card.lapses == 1
    assert [(g.rating, g.source, g.reviewed_at, g.response_id) for g in logs(db, learner)] == [
        (3, "flashcard", times[0], None), (3, "flashcard", times[1], None), (1, "flashcard", times[2], None)]


def test_rating_goes_to_the_next_card_and_counts_progress(client, csrf, login_as, make_bank, db, frozen):
    """After rating the first new card Good, the next new card (by item id) is shown, as card 2."""
    bank = make_bank(TINY_ITEMS)
    login_as("learner")
    first, second = item(db, bank, "t-single"), item(db, bank, "t-multi")
    rate(client, csrf, "tiny", first.id, 3)
    html = client.get("/banks/tiny/flashcards").get_data(as_text=True)
    assert shown_card(html) == second.id
    assert progress(html) == "card 2 · 0 due, 4 new"


def test_a_second_click_does_not_rate_twice(client, csrf, login_as, make_bank, db, frozen):
    """Two rating posts sent from the same back (reps=0) record one review; the second says so."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    single = item(db, bank, "t-single")
    assert rate(client, csrf, "tiny", single.id, 3, reps="0").status_code == 303
    second = rate(client, csrf, "tiny", single.id, 4, reps="0")
    assert second.status_code == 303
    assert [g.rating for g in logs(db, learner)] == [3]
    assert "already been rated" in client.get(second.location).get_data(as_text=True)


def test_caught_up_page_shows_next_due_in_learner_time_zone(client, csrf, login_as, make_bank, db, frozen):
    """With every card rated and none due, the page says so and gives the next due time in the
    learner's time zone (Asia/Shanghai, UTC+8)."""
    make_bank(CLOZE_ONLY, slug="clz")
    learner = login_as("learner")
    learner.timezone = "Asia/Shanghai"
    db.session.commit()
    only = db.session.scalar(select(Question).where(Question.ext_id == "c-only"))
    rate(client, csrf, "clz", only.id, 4)  # Easy on a new card: straight to review, days ahead
    card = db.session.scalar(select(Card).where(Card.user_id == learner.id))
    expected, _ = fsrs.Scheduler(enable_fuzzing=False).review_card(
        fsrs.Card(card_id=1, due=T0.replace(tzinfo=timezone.utc)), fsrs.Rating.Easy,
        review_datetime=T0.replace(tzinfo=timezone.utc))
    assert card.due == expected.due.replace(tzinfo=None) and card.due > T0 + timedelta(days=1)
    html = client.get("/banks/clz/flashcards").get_data(as_text=True)
    assert "All caught up" in html
    local = (card.due + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f'id="next-due">{local} (Asia/Shanghai)</strong>' in html


# -- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rating", [None, "0", "5", "-1", "abc", "2.5", ""])
def test_bad_or_missing_rating_is_400_and_records_nothing(client, csrf, login_as, make_bank, db, frozen, rating):
    """A rating that is not 1-4 (or none) answers 400 with a clear message and changes nothing."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    response = rate(client, csrf, "tiny", item(db, bank, "t-single").id, rating)
    assert response.status_code == 400
    assert "Choose a rating: 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)." in response.get_data(as_text=True)
    assert logs(db, learner) == []
    assert db.session.scalar(select(func.count()).select_from(Card)) == 0


def test_missing_csrf_token_is_400(client, csrf, login_as, make_bank, db, frozen):
    """Flip, rate and starting a review without the CSRF token answer 400; nothing is recorded."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    single = item(db, bank, "t-single")
    assert flip(client, csrf, "tiny", single.id, token=False).status_code == 400
    assert rate(client, csrf, "tiny", single.id, 3, token=False).status_code == 400
    make_due(db, learner, item(db, bank, "t-multi"), T0 - timedelta(hours=1))
    assert client.post("/review/tiny/start", data={}).status_code == 400
    assert [g.source for g in logs(db, learner)] == ["practice"]  # only make_due's
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_foreign_draft_or_unpublished_items_are_404(client, csrf, login_as, make_bank, db, frozen):
    """An item of another bank, a draft item, an unknown item, an unknown or unpublished bank: 404."""
    tiny = make_bank(TINY_ITEMS + DRAFT_ITEM)
    other = make_bank(TINY_ITEMS, slug="other")
    login_as("learner")
    foreign = item(db, other, "t-single").id
    draft = item(db, tiny, "t-draft").id
    for item_id in (foreign, draft, 999999):
        assert flip(client, csrf, "tiny", item_id).status_code == 404
        assert rate(client, csrf, "tiny", item_id, 3).status_code == 404
    assert client.get("/banks/nope/flashcards").status_code == 404
    other.published = False
    db.session.commit()
    assert client.get("/banks/other/flashcards").status_code == 404
    assert flip(client, csrf, "other", foreign).status_code == 404
    assert rate(client, csrf, "other", foreign, 3).status_code == 404
    assert client.post("/review/other/start", data={"csrf_token": csrf(client)}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Card)) == 0


def test_draft_items_are_never_new_cards(client, csrf, login_as, make_bank, db, frozen):
    """New cards are the published items only: 5 of TINY_ITEMS plus a draft."""
    make_bank(TINY_ITEMS + DRAFT_ITEM)
    login_as("learner")
    assert progress(client.get("/banks/tiny/flashcards").get_data(as_text=True)) == "card 1 · 0 due, 5 new"


def test_pages_need_login(client, make_bank, db):
    """Anonymous visitors are sent to log in."""
    make_bank(TINY_ITEMS)
    for url in ("/review", "/banks/tiny/flashcards"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location


# -- due order ------------------------------------------------------------------------------

def test_due_cards_flashcards_and_review_attempt_put_most_overdue_first(
        client, csrf, login_as, make_bank, db, frozen, app, monkeypatch):
    """Cards due 1 h, 3 h and 2 h ago (and one due tomorrow): due_cards, the flashcards page and
    a review attempt all take them most overdue first; the attempt asks at most
    REVIEW_SESSION_ITEMS of them and is a review-mode attempt."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    single, multi, tf, short = (item(db, bank, e) for e in ("t-single", "t-multi", "t-tf", "t-short"))
    make_due(db, learner, single, T0 - timedelta(hours=1))
    make_due(db, learner, multi, T0 - timedelta(hours=3))
    make_due(db, learner, tf, T0 - timedelta(hours=2))
    make_due(db, learner, short, T0 + timedelta(days=1))
    assert [c.item_id for c in scheduling.due_cards(learner.id, bank_id=bank.id)] == [multi.id, tf.id, single.id]

    html = client.get("/banks/tiny/flashcards").get_data(as_text=True)
    assert shown_card(html) == multi.id
    assert progress(html) == "card 1 · 3 due, 1 new"

    response = client.post("/review/tiny/start", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    attempt_id = int(re.search(r"/attempts/(\d+)/q/1$", response.location).group(1))
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.mode == "review" and attempt.user_id == learner.id
    order = list(db.session.scalars(select(AttemptItem.item_id).where(AttemptItem.attempt_id == attempt_id)
                                    .order_by(AttemptItem.position)))
    assert order == [multi.id, tf.id, single.id]

    monkeypatch.setitem(app.config, "REVIEW_SESSION_ITEMS", 2)
    response = client.post("/review/tiny/start", data={"csrf_token": csrf(client)})
    attempt_id = int(re.search(r"/attempts/(\d+)/q/1$", response.location).group(1))
    order = list(db.session.scalars(select(AttemptItem.item_id).where(AttemptItem.attempt_id == attempt_id)
                                    .order_by(AttemptItem.position)))
    assert order == [multi.id, tf.id]


def test_start_review_with_nothing_due_flashes_and_returns(client, csrf, login_as, make_bank, db, frozen):
    """Starting a review when nothing is due goes back to /review with a message; no attempt."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    make_due(db, learner, item(db, bank, "t-single"), T0 + timedelta(hours=1))
    response = client.post("/review/tiny/start", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.location.endswith("/review")
    assert "is due for review right now" in client.get("/review").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


# -- the review page ------------------------------------------------------------------------

def due_rows(html: str) -> list[dict]:
    """The rows of the /review table: slug, due now, later today, tomorrow, next due."""
    rows = []
    for m in re.finditer(r'<tr class="due-bank" id="due-([\w-]+)">(.*?)</tr>', html, re.S):
        cells = {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in
                 re.findall(r'<td class="[^"]*?due-(now|later|tomorrow)">(.*?)</td>', m.group(2), re.S)}
        nxt = re.search(r'<td class="next-due">(.*?)</td>', m.group(2), re.S).group(1).strip()
        rows.append({"slug": m.group(1), "now": cells["now"], "later": cells["later"],
                     "tomorrow": cells["tomorrow"], "next": nxt})
    return rows


def test_review_page_counts_days_in_the_learner_time_zone(client, login_as, make_bank, db, frozen):
    """At 20:00 in Shanghai (12:00 UTC): a card due 1 h ago is due now, one at 22:00 local is later
    today, ones at 01:00 and 23:00 local tomorrow are tomorrow, one the day after is counted in
    none; the next due time is shown in local time, and the per-bank counts agree with
    scheduling.due_summary."""
    bank = make_bank(TINY_ITEMS)
    learner = login_as("learner")
    learner.timezone = "Asia/Shanghai"
    db.session.commit()
    dues = {"t-single": T0 - timedelta(hours=1), "t-multi": datetime(2024, 3, 1, 14, 0),
            "t-tf": datetime(2024, 3, 1, 17, 0), "t-short": datetime(2024, 3, 2, 15, 0),
            "t-cloze": datetime(2024, 3, 2, 17, 0)}
    for ext_id, due in dues.items():
        make_due(db, learner, item(db, bank, ext_id), due)
    html = client.get("/review").get_data(as_text=True)
    assert due_rows(html) == [{"slug": "tiny", "now": "1", "later": "1", "tomorrow": "2", "next": "now"}]
    assert "Review 1 due item</button>" in html
    assert 'href="/banks/tiny/flashcards"' in html
    summary = scheduling.due_summary(learner.id, "Asia/Shanghai")
    assert scheduling.due_summary_by_bank(learner.id, "Asia/Shanghai")[bank.id] == scheduling.DueSummary(
        summary.now, summary.later_today, summary.tomorrow, summary.next_due, T0 - timedelta(hours=1))
    assert (summary.now, summary.later_today, summary.tomorrow, summary.next_due) == (
        1, 1, 2, datetime(2024, 3, 1, 14, 0))
    # In UTC the same cards fall on other days: 2 later today (14:00, 17:00), 2 tomorrow.
    utc = scheduling.due_summary_by_bank(learner.id, "UTC")[bank.id]
    assert (utc.now, utc.later_today, utc.tomorrow) == (1, 2, 2)

    clock.set_time(T0 - timedelta(hours=2))  # nothing due yet: the next due time is shown
    html = client.get("/review").get_data(as_text=True)
    assert due_rows(html)[0]["next"] == "2024-03-01 19:00 (Asia/Shanghai)"
    assert "due item</button>" not in html


def test_review_page_orders_banks_most_overdue_first(client, login_as, make_bank, db, frozen):
    """The bank whose earliest card is the most overdue comes first, whatever the titles say;
    a published bank without cards is offered for flashcards instead."""
    one, two = make_bank(TINY_ITEMS, slug="one"), make_bank(TINY_ITEMS, slug="two")
    make_bank(TINY_ITEMS, slug="three")
    learner = login_as("learner")
    make_due(db, learner, item(db, one, "t-single"), T0 - timedelta(hours=1))
    make_due(db, learner, item(db, two, "t-tf"), T0 - timedelta(hours=5))
    html = client.get("/review").get_data(as_text=True)
    assert [r["slug"] for r in due_rows(html)] == ["two", "one"]
    others = re.search(r'id="other-banks">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'href="/banks/([\w-]+)/flashcards"', others) == ["three"]


def test_empty_review_page_explains_how_items_become_due(client, login_as, make_bank, db, frozen):
    """A learner without cards sees why nothing is listed and where to start."""
    make_bank(TINY_ITEMS)
    login_as("learner")
    html = client.get("/review").get_data(as_text=True)
    assert 'id="empty-state"' in html and "once you answer it, in any mode" in html
    assert due_rows(html) == []
    assert 'href="/banks/tiny/flashcards"' in html


def test_learner_never_sees_another_learners_cards(client, csrf, login_as, make_user, make_bank, db, frozen):
    """Ann's due cards do not appear on Bob's review page or in Bob's flashcards, and Bob cannot
    start a review of them."""
    one, two = make_bank(TINY_ITEMS, slug="one"), make_bank(TINY_ITEMS, slug="two")
    ann = make_user("learner")
    for ext_id in ("t-single", "t-multi", "t-tf"):
        make_due(db, ann, item(db, one, ext_id), T0 - timedelta(hours=1))
    bob = login_as("learner")
    assert 'id="empty-state"' in client.get("/review").get_data(as_text=True)
    make_due(db, bob, item(db, two, "t-short"), T0 - timedelta(minutes=5))
    html = client.get("/review").get_data(as_text=True)
    assert due_rows(html) == [{"slug": "two", "now": "1", "later": "0", "tomorrow": "0", "next": "now"}]
    front = client.get("/banks/one/flashcards").get_data(as_text=True)
    assert progress(front) == "card 1 · 0 due, 5 new"
    assert shown_card(front) == item(db, one, "t-single").id  # as a new card of Bob's
    response = client.post("/review/one/start", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.location.endswith("/review")
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_review_page_query_count_does_not_grow_with_banks(client, login_as, make_bank, db, frozen):
    """/review runs as many queries with cards in 4 banks as with cards in 1."""
    banks = [make_bank(TINY_ITEMS, slug=s) for s in ("one", "two", "three", "four")]
    learner = login_as("learner")
    make_due(db, learner, item(db, banks[0], "t-single"), T0 - timedelta(hours=1))

    def count() -> int:
        assert client.get("/review").status_code == 200
        n = {"q": 0}

        def before(*args, **kwargs):
            n["q"] += 1

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get("/review").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return n["q"]

    few = count()
    for bank in banks[1:]:
        for ext_id in ("t-single", "t-multi", "t-cloze"):
            make_due(db, learner, item(db, bank, ext_id), T0 + timedelta(hours=3))
    many = count()
    assert len(due_rows(client.get("/review").get_data(as_text=True))) == 4
    assert many == few <= 4  # the user, the counts per bank, the banks


def test_nav_links_to_spaced_review(client, login_as, db):
    """Logged-in pages have a "Spaced review" link to /review next to "My progress"."""
    login_as("learner")
    html = client.get("/banks").get_data(as_text=True)
    assert re.search(r'href="/progress/">My progress</a></li>\s*<li class="nav-item">'
                     r'<a class="nav-link" href="/review">Spaced review</a>', html)


def test_interval_text():
    """Intervals read as minutes under an hour, hours under a day, then days and years."""
    start = datetime(2024, 1, 1)
    assert [study.interval_text(start, start + d) for d in (
        timedelta(seconds=20), timedelta(minutes=10), timedelta(hours=5), timedelta(days=3),
        timedelta(days=800))] == ["1 min", "10 min", "5 h", "3 d", "2.2 y"]
