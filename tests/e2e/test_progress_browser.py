"""The progress map in a real browser: read the study text, practise one passage."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from studyapp.models import Attempt

try:
    from tests.conftest import TINY_ITEMS
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from conftest import TINY_ITEMS

pytestmark = pytest.mark.e2e


def test_learner_reads_the_map_and_practises_a_passage(page, db, make_user, make_bank, login):
    """A learner opens the study text, sees the legend and every passage labelled "Not seen",
    clicks "Practise this passage" on §2 and lands on question 1 of a practice attempt with
    exactly §2's two items."""
    bank = make_bank(TINY_ITEMS)
    learner = make_user("learner")
    login(page, learner)

    page.goto("/banks")
    page.get_by_role("link", name="Read the study text").click()
    page.wait_for_url("**/sources/tiny-source")
    legend = page.locator("#mastery-legend")
    assert legend.is_visible()
    for name in ("Not seen", "Weak", "Learning", "Known"):
        assert legend.get_by_text(name, exact=True).is_visible()
    assert page.locator(".passage-map").count() == 3
    assert page.locator("#p2 .mastery-label").inner_text().strip() == "Not seen"

    button = page.locator("#p2").get_by_role("button", name=re.compile(r"^Practise this passage"))
    assert " ".join(button.text_content().split()) == "Practise this passage (2 items): §2"
    button.click()

    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    assert page.locator(".badge", has_text="Question 1 of 2").count() == 1
    attempt_id = int(re.search(r"/attempts/(\d+)/q/1", page.url).group(1))
    db.session.rollback()  # see what the server committed
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id))
    assert (attempt.user_id, attempt.bank_id, attempt.mode) == (learner.id, bank.id, "practice")
    assert [ai.item.ext_id for ai in attempt.attempt_items] == ["t-multi", "t-cloze"]
