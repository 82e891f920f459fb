"""Flashcards in a real browser, driven by the keyboard shortcuts of flashcards.js."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from studyapp import clock
from studyapp.models import Card, Question, ReviewLog
from tests.conftest import TINY_ITEMS

pytestmark = pytest.mark.e2e

T0 = datetime(2024, 3, 1, 12, 0, 0)


@pytest.fixture()
def frozen():
    """Freeze the app clock (the live server shares it) at T0; reset it afterwards."""
    clock.set_time(T0)
    yield T0
    clock.reset()


def test_space_flips_and_3_rates_good_then_next_card(page, db, make_bank, make_user, login, frozen):
    """A learner opens a bank's flashcards: the front hides the key; Space shows the back with the
    key; 3 rates it Good and the next card's front appears. The first item's card then has one
    review, logged as a flashcard rating of 3."""
    bank = make_bank(TINY_ITEMS)
    first, second = (db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.ext_id == e))
                     for e in ("t-single", "t-multi"))
    learner = make_user("learner")
    login(page, learner)

    page.get_by_role("link", name="Spaced review").click()
    page.wait_for_url("**/review")
    page.get_by_role("link", name=bank.title).last.click()  # "Start with flashcards" for a bank without cards
    page.wait_for_url(re.compile(r"/banks/tiny/flashcards$"))
    assert page.locator(f"#card-{first.id} #stem").inner_text() == "Pick the right one."
    assert page.locator("#progress").inner_text() == "card 1 · 0 due, 5 new"
    assert "Right" not in page.content()
    assert "Space" in page.locator("#shortcuts").inner_text()

    page.keyboard.press("Space")
    page.wait_for_url(re.compile(rf"/banks/tiny/flashcards/{first.id}/flip$"))
    key = page.locator("#options li.key")
    assert key.count() == 1 and key.inner_text().startswith("Right")
    assert page.locator("#passage").inner_text().startswith("§1")
    assert page.locator("form.rate-form").count() == 4

    page.keyboard.press("3")
    page.wait_for_url(re.compile(r"/banks/tiny/flashcards$"))
    assert page.locator(f"#card-{second.id} #stem").inner_text() == "Pick both rights."
    assert page.locator("#progress").inner_text() == "card 2 · 0 due, 4 new"
    assert "Right 1" not in page.content()

    db.session.rollback()
    card = db.session.scalar(select(Card).where(Card.user_id == learner.id, Card.item_id == first.id))
    assert card.reps == 1
    assert [(g.rating, g.source, g.reviewed_at) for g in db.session.scalars(
        select(ReviewLog).where(ReviewLog.card_id == card.id))] == [(3, "flashcard", T0)]
    assert db.session.scalar(select(Card).where(Card.item_id == second.id)) is None  # not rated yet
