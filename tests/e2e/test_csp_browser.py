"""The Content Security Policy in a real browser: chromium reports every blocked script, style
or ``javascript:`` URL on the console ("Refused to ..." / "... violates the following Content
Security Policy directive ..."). A learner and an instructor go through the main pages and use
their scripts; no violation and no script error may happen, and the features must work.
"""
from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import func, select

from studyapp.attempting import start_attempt, submit_attempt
from studyapp.models import Bank, Question
from tests.conftest import TINY_ITEMS

pytestmark = pytest.mark.e2e

DRAFTS = """\
  - id: t-draft-1
    kind: true_false
    status: draft
    stem: "A first draft statement."
    key: true
    explanation: "Draft."
  - id: t-draft-2
    kind: true_false
    status: draft
    stem: "A second draft statement."
    key: false
    explanation: "Draft."
"""
CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to", re.I)
CHART_TEXT_FILL = "rgb(33, 37, 41)"  # #212529, set by the chart's own <style> (default: black)


def watch(page) -> list[str]:
    """Record on the returned list every console message about the Content Security Policy
    and every uncaught script error of ``page`` (with the page's address)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: console {m.type}: {m.text}")
            if CSP_MESSAGE.search(m.text) else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: script error: {e}"))
    return problems


class Dialogs:
    """Answers ``page``'s dialogs (confirm) from ``answers``: True accepts, False dismisses;
    ``seen`` lists their messages. With no answer left, a dialog is dismissed."""

    def __init__(self, page):
        self.answers: list[bool] = []
        self.seen: list[str] = []
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.seen.append(dialog.message)
        dialog.accept() if (self.answers.pop(0) if self.answers else False) else dialog.dismiss()


def chart_styled(page, figure: str) -> bool:
    """True if the pygal chart in ``figure`` has its own <style> applied (the nonce worked)."""
    return page.eval_on_selector(f"{figure} svg .title", "e => getComputedStyle(e).fill") == CHART_TEXT_FILL


@pytest.fixture()
def bank(db, make_bank, make_user):
    """The tiny bank with two drafts and a 30-minute exam limit, and a learner with one
    submitted attempt on it (so the progress and instructor pages draw their charts)."""
    bank = make_bank(TINY_ITEMS + DRAFTS)
    bank.time_limit_minutes = 30
    db.session.commit()
    learner = make_user("learner")
    submit_attempt(start_attempt(learner, bank, 3, rng=random.Random(1)))
    return bank, learner


def test_learner_pages_run_under_the_policy(page, db, bank, login):
    """Exam countdown, digit keys, the answered bar, the score chart and the flashcard keys work,
    and chromium reports no policy violation."""
    bank, learner = bank
    problems = watch(page)
    login(page, learner)
    for path in ("/", "/banks", "/review", "/sources/tiny-source", "/auth/account"):
        page.goto(path)

    page.goto("/banks/tiny/flashcards")
    page.keyboard.press("Space")                                     # flashcards.js flips the card
    page.wait_for_url(re.compile(r"/banks/tiny/flashcards/\d+/flip$"))
    assert page.locator("form.rate-form").count() == 4

    page.goto("/banks/tiny")   # after the flashcards: none while an exam on the bank runs
    page.get_by_label("Number of questions").fill("3")
    page.get_by_label("Exam: answers are marked when you submit").check()
    page.get_by_role("button", name="Start quiz").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    clock = page.locator("#countdown")
    first = clock.inner_text()
    page.wait_for_function("t => document.getElementById('countdown').textContent !== t", arg=first)
    assert re.fullmatch(r"(29|30):\d\d", clock.inner_text())          # question.js counts down
    bar = page.locator("progress.answered-bar")
    assert abs(float(bar.evaluate("e => getComputedStyle(e).height")[:-2]) - 6.4) < 0.1  # .4rem, app.css
    options = page.locator(".option-list input")
    if options.count():
        page.keyboard.press("1")
        assert options.first.is_checked()                            # the digit keys of question.js

    page.goto("/progress/")
    assert page.locator("#score-chart svg").count() == 1
    assert chart_styled(page, "#score-chart")

    assert problems == []


def test_instructor_pages_and_admin_run_under_the_policy(page, db, bank, make_user, login):
    """Charts on /teach/, "Tick all" in the review queue, and in Flask-Admin: the list filters,
    the row delete confirmation, the "With selected" action, adding and removing an inline
    option row; chromium reports no policy violation."""
    bank, _ = bank
    problems = watch(page)
    dialogs = Dialogs(page)
    login(page, make_user("instructor"))

    page.goto("/teach/")
    assert chart_styled(page, "#per-day-chart") and chart_styled(page, "#decile-chart")
    for path in ("/teach/banks", "/teach/gradebook", "/teach/learners", "/teach/generate", "/teach/import",
                 "/teach/banks/tiny/statistics"):
        page.goto(path)

    page.goto("/teach/banks/tiny/review")
    boxes = page.locator('#review-form input[name="item_ids"]')
    assert boxes.count() == 2
    page.click("#tick-all")
    assert all(boxes.nth(i).is_checked() for i in range(2))
    page.click("#tick-all")
    assert not any(boxes.nth(i).is_checked() for i in range(2))

    # Flask-Admin list: a filter added from the "Add Filter" menu
    page.goto("/admin/items/")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 7
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters a.filter", has_text=re.compile(r"^\s*Status\s*$")).click()
    assert page.url.endswith("/admin/items/")                         # the menu item navigates nowhere
    page.locator("#filter_form input.filter-val").fill("draft")
    page.locator("#filter_form").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flt"))
    assert rows.count() == 2

    # the row delete button asks first: "Cancel" keeps the row, "OK" deletes it
    dialogs.answers = [False, True, True]
    delete = rows.first.locator("form.icon button[data-confirm]")
    delete.click()
    page.wait_for_timeout(300)
    assert dialogs.seen == ["Are you sure you want to delete this record?"] and rows.count() == 2
    delete.click()
    page.wait_for_url(re.compile(r"/admin/items/"))
    page.wait_for_function("() => document.querySelectorAll('table.model-list tbody tr').length === 1")
    assert "Record was successfully deleted." in page.content()

    # "With selected" -> Delete: Flask-Admin's bulk action, after its own confirmation
    rows.first.locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.locator("[data-model-action='delete']").click()
    page.wait_for_function("() => !document.querySelector('table.model-list tbody input.action-checkbox')")
    assert len(dialogs.seen) == 3 and "delete the selected records" in dialogs.seen[2]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.status == "draft")) == 0

    # the item edit page: "Add Options" adds an inline option row; its remove link asks first
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    page.goto(f"/admin/items/edit/?id={item.id}")
    inline = page.locator("#options > .inline-field-list > .inline-field")
    assert inline.count() == 3
    page.get_by_role("button", name="Add Options").click()
    assert inline.count() == 4
    assert inline.nth(3).locator('[name="options-3-text"]').count() == 1          # a new, numbered row
    assert page.url.endswith(f"?id={item.id}")                          # no navigation to "#"
    dialogs.answers = [True]
    inline.nth(3).locator("a.inline-remove-field").click()
    assert inline.count() == 3 and dialogs.seen[3] == "Are you sure you want to delete this record?"
    page.locator("a.nav-link.active", has_text="Edit").click()        # a javascript:void(0) tab
    page.wait_for_timeout(300)

    page.goto("/admin/")
    page.get_by_role("link", name="Content").click()                  # a javascript:void(0) menu toggle
    page.get_by_role("link", name="Source documents").click()
    page.wait_for_url(re.compile(r"/admin/document/$"))
    page.goto(f"/admin/bank/edit/?id={bank.id}")
    assert db.session.get(Bank, bank.id) is not None
    assert problems == []
