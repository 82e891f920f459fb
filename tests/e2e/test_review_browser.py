"""The generate-and-review flow in a real browser."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from studyapp.models import Bank, Question

pytestmark = pytest.mark.e2e

TEXT = """The regional forum met in Harbin on 7 September 2023.
It was chaired by Xi Jinping, who called for the revitalization of Northeast China.

Cai Qi and Ding Xuexiang attended the forum.
The provinces of Liaoning, Jilin and Heilongjiang reported on their progress.

Xi Jinping stressed that Northeast China bears the primary responsibility for national food security.
"""


def test_upload_approve_two_reject_one_then_learner_sees_them(new_page, db, make_user, login, tmp_path):
    """An instructor uploads a text, saves the drafts, approves two and rejects one in the review
    queue; a learner's quiz on that bank then contains exactly the two approved items."""
    source = tmp_path / "forum.txt"
    source.write_text(TEXT)
    instructor = make_user("instructor")
    page = new_page()
    login(page, instructor)

    page.goto("/teach/generate")
    page.select_option("#bank", "__new__")
    page.fill("#new_slug", "forum")
    page.fill("#new_title", "The regional forum")
    page.set_input_files("#file", str(source))
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#report").count() == 1
    previewed = page.locator(".preview-item").count()
    assert previewed >= 3
    db.session.rollback()
    assert db.session.scalar(select(Bank).where(Bank.slug == "forum")) is None  # preview writes nothing

    page.get_by_role("button", name="Save as drafts").click()
    page.wait_for_url(re.compile(r"/teach/banks/forum/review$"))
    cards = page.locator(".review-item")
    assert cards.count() == previewed
    ids = [int(cards.nth(i).get_attribute("id").split("-")[1]) for i in range(3)]
    page.check(f"#tick-{ids[0]}")
    page.check(f"#tick-{ids[1]}")
    page.get_by_role("button", name="Approve ticked").click()
    page.wait_for_url(re.compile(r"/teach/banks/forum/review$"))
    assert "2 item(s) approved" in page.locator(".alert").first.inner_text()
    page.check(f"#tick-{ids[2]}")
    page.get_by_role("button", name="Reject ticked").click()
    page.wait_for_url(re.compile(r"/teach/banks/forum/review$"))
    assert page.locator(".review-item").count() == previewed - 3

    db.session.rollback()
    statuses = dict(db.session.execute(select(Question.id, Question.status).where(Question.id.in_(ids))).all())
    assert [statuses[i] for i in ids] == ["published", "published", "retired"]

    learner = new_page()
    login(learner, make_user("learner"))
    learner.goto("/banks/forum")
    learner.fill("#n_items", "10")
    learner.get_by_role("button", name="Start quiz").click()
    learner.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    assert "Question 1 of 2" in learner.content()
