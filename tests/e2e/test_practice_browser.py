"""Practice mode in chromium: immediate feedback, a second try, the key and the passage."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from studyapp.attempting import start_attempt
from studyapp.models import Question, Response
from tests.conftest import TINY_ITEMS

pytestmark = pytest.mark.e2e


def test_practice_feedback_and_second_try(page, db, make_bank, make_user, login):
    """The learner starts practice from the bank page; a wrong first choice says "Not quite"
    without showing the key; the right second choice shows "Right", the reduced mark, the
    key badge, the explanation and the cited passage; Next question moves on."""
    bank = make_bank(TINY_ITEMS)
    learner = make_user("learner")
    login(page, learner)

    page.goto("/banks/tiny")
    assert page.get_by_label("Practice: see at once whether each answer is right, with the answer and its "
                             "passage").is_checked()
    single = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    short = db.session.scalar(select(Question).where(Question.ext_id == "t-short"))
    attempt = start_attempt(learner, bank, 2, mode="practice", item_ids=[single.id, short.id])
    page.goto(f"/attempts/{attempt.id}/q/1")

    assert page.locator("#feedback").count() == 0
    page.get_by_label("Wrong A").check()
    page.get_by_role("button", name="Check").click()
    page.wait_for_url(re.compile(rf"/attempts/{attempt.id}/q/1$"))
    assert "Not quite" in page.locator("#feedback").inner_text()
    assert page.locator(".badge", has_text=re.compile(r"^\s*key\s*$")).count() == 0
    assert "Because passage one says so." not in page.content()

    page.keyboard.press("1")          # digit keys pick options in practice too
    page.get_by_label("Right").check()
    page.get_by_role("button", name="Check again").click()
    page.wait_for_url(re.compile(rf"/attempts/{attempt.id}/q/1$"))
    feedback = page.locator("#feedback").inner_text()
    assert feedback.startswith("Right.") and "Mark 0.67 of 1" in feedback
    key_row = page.locator(".form-check", has=page.locator(".badge", has_text=re.compile(r"^\s*key\s*$")))
    assert key_row.count() == 1 and "Right" in key_row.inner_text()
    assert "Because passage one says so." in page.locator("#answer").inner_text()
    assert "First passage text." in page.locator("blockquote.passage").inner_text()

    db.session.rollback()
    saved = db.session.scalar(select(Response).join(Response.attempt_item).where(
        Response.attempt_item.has(item_id=single.id)))
    assert saved.tries == 2 and saved.final and abs(saved.mark - 2 / 3) < 1e-6

    page.locator("#next-question").click()
    page.wait_for_url(re.compile(rf"/attempts/{attempt.id}/q/2$"))
    page.get_by_label("Your answer").fill("Harbin")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/attempts/{attempt.id}/q/2$"))
    assert page.locator("#feedback").inner_text().startswith("Right.")
