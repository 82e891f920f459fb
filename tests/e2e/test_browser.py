"""Real-browser tests: what a learner and an instructor see and do in chromium."""
from __future__ import annotations

import os
import random
import re
import shutil
import struct

import pytest

from studyapp.attempting import load_attempt_items, save_response, start_attempt, submit_attempt
from studyapp.kinds import ResponseData, get_kind
from studyapp.models import Attempt

pytestmark = pytest.mark.e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOT = os.path.join(ROOT, "docs", "screenshot.png")
KEY_BADGE = re.compile(r"^\s*key\s*$", re.IGNORECASE)


def assert_no_key_shown(page) -> None:
    """Fail if the page gives away the key: no ``is_key`` in the HTML and no "key" badge."""
    html = page.content()
    assert "is_key" not in html
    assert page.locator(".badge", has_text=KEY_BADGE).count() == 0
    assert "text-bg-success\">key" not in html


def test_learner_registers_takes_a_quiz_and_sees_the_result(page, db, symposium_bank):
    """A learner registers, starts a 5-question quiz, answers and submits it in the browser;
    the result page shows the score stored for the attempt and a cited passage per item,
    no question page shows the key, and the progress page lists the attempt."""
    page.goto("/")
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/banks")
    card = page.locator(".bank-card", has_text=symposium_bank.title)
    assert card.locator(".item-count").inner_text().strip() == f"{len(symposium_bank.items)} items"
    card.get_by_role("link", name="Start a quiz").click()

    page.get_by_label("Number of questions").fill("5")
    page.get_by_label("Exam: answers are marked when you submit").check()
    page.get_by_role("button", name="Start quiz").click()

    for position in range(1, 6):
        page.wait_for_url(re.compile(rf"/attempts/\d+/q/{position}$"))
        assert page.locator(".badge", has_text=f"Question {position} of 5").count() == 1
        assert_no_key_shown(page)
        options = page.locator(".option-list input")
        if options.count():
            options.first.check()
        else:
            texts = page.locator('#answer-form input[type="text"]')
            assert texts.count() >= 1, "a question with neither options nor text inputs"
            for i in range(texts.count()):
                texts.nth(i).fill("Harbin")
        button = "Save and next" if position < 5 else "Review and submit"
        page.get_by_role("button", name=button).click()

    page.wait_for_url(re.compile(r"/attempts/\d+/review$"))
    assert page.locator("#answered-count").inner_text() == "5"
    page.get_by_role("button", name="Submit for marking").click()

    page.wait_for_url(re.compile(r"/attempts/\d+/result$"))
    attempt_id = int(re.search(r"/attempts/(\d+)/result", page.url).group(1))
    shown = page.locator("#score").inner_text().strip()
    assert re.fullmatch(r"\d{1,3}%", shown), shown
    db.session.rollback()  # see what the server committed
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt is not None and attempt.is_submitted
    assert attempt.item_count == 5
    assert shown == f"{round(attempt.score_percent)}%"
    assert page.locator(".result-item").count() == 5
    passages = page.locator("blockquote.passage")
    assert passages.count() == 5
    assert re.search(r"§\d+\s+\S", passages.first.inner_text())

    page.get_by_role("link", name="My progress").first.click()
    page.wait_for_url("**/progress/**")
    history = page.locator("#history tbody tr")
    assert history.count() == 1
    assert history.first.locator(".score").inner_text().strip() == shown
    assert history.first.locator(f'a[href$="/attempts/{attempt_id}/result"]').count() == 1


def test_digit_key_checks_that_option(page, db, symposium_bank, make_user, login):
    """On a single-choice question, pressing "2" checks the second option, and that
    choice is what "Save and next" stores."""
    learner = make_user("learner")
    attempt = start_attempt(learner, symposium_bank, len(symposium_bank.items), rng=random.Random(7))
    position = next(ai.position for ai in load_attempt_items(attempt) if ai.item.kind == "single_choice")
    login(page, learner)

    page.goto(f"/attempts/{attempt.id}/q/{position}")
    options = page.locator(".option-list input")
    assert options.count() >= 2
    assert not any(options.nth(i).is_checked() for i in range(options.count()))
    page.keyboard.press("2")
    assert options.nth(1).is_checked()
    assert not options.nth(0).is_checked()
    chosen_value = options.nth(1).get_attribute("value")

    page.get_by_role("button", name="Save and next").click()
    page.wait_for_url(re.compile(rf"/q/{position + 1}$"))
    page.goto(f"/attempts/{attempt.id}/q/{position}")
    assert page.locator(f'.option-list input[value="{chosen_value}"]').is_checked()


def test_admin_is_for_instructors(new_page, db, symposium_bank, make_user, login):
    """An instructor opens /admin/ and the Items list; a learner gets the 403 page;
    an anonymous visitor is sent to log in."""
    instructor = make_user("instructor")
    page = new_page()
    login(page, instructor)
    response = page.goto("/admin/")
    assert response.status == 200
    items_link = page.locator('a[href$="/admin/items/"]')
    assert items_link.count() >= 1
    assert items_link.first.inner_text().strip() == "Items"
    page.goto(items_link.first.get_attribute("href"))
    assert page.get_by_text("hs23-002", exact=True).count() == 1
    assert page.locator("table.model-list tbody tr").count() == len(symposium_bank.items)

    learner_page = new_page()
    login(learner_page, make_user("learner"))
    response = learner_page.goto("/admin/")
    assert response.status == 403
    assert "403" in learner_page.locator("h1").inner_text()
    assert learner_page.locator("#error-message").inner_text().strip() == "The admin area is for instructors."

    anonymous = new_page()
    anonymous.goto("/admin/")
    assert "/auth/login" in anonymous.url


def _png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", head[16:24])


def test_result_page_screenshot(page, db, symposium_bank, make_user, login, tmp_path):
    """The result page of a marked attempt renders at 1280x900; with STUDYAPP_SCREENSHOT=1
    the screenshot is saved as docs/screenshot.png for the README."""
    learner = make_user("learner", name="Ada Learner")
    # Seed 22 draws single choice, multiple response, short answer, short answer, true/false.
    attempt = start_attempt(learner, symposium_bank, 5, rng=random.Random(22))
    for ai in load_attempt_items(attempt):
        kind = get_kind(ai.item.kind)
        right = ai.position != 4  # one wrong answer, so the page shows every kind of mark
        if kind.uses_options:
            keys = [ao.option_id for ao in ai.shown_options if ao.option.is_key]
            wrong = [ao.option_id for ao in ai.shown_options if not ao.option.is_key]
            chosen = keys if right else wrong[:1]
            if ai.position == 2:  # one key only: partial credit on a multiple-response item
                chosen = keys[:1]
            data = ResponseData(choice_ids=chosen)
        else:
            data = ResponseData(texts=[answers[0] if right else "Shenyang"
                                       for answers in kind.accepted(ai.item)])
        save_response(attempt, ai, data)
    submit_attempt(attempt)
    login(page, learner)

    page.goto(f"/attempts/{attempt.id}/result")
    assert page.locator("#score").inner_text().strip() == f"{round(attempt.score_percent)}%"
    shot = tmp_path / "result.png"
    page.screenshot(path=str(shot))
    assert _png_size(shot) == (1280, 900)
    if os.environ.get("STUDYAPP_SCREENSHOT") == "1":
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
