"""Demo data: learners with submitted attempts on a bank, so that an instructor on a fresh
install can see item statistics, the gradebook and score histories. No request objects.

Each demo learner has an ability (fraction 0-1); on each item of an attempt they answer right
with probability ``ability * (1 - difficulty) + 0.15`` (capped at 0.95), where each item gets a
seeded difficulty 0-0.8, and otherwise pick a distractor (or type a wrong answer). Stronger
learners therefore score higher, and items discriminate as real ones do.
"""
from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import select

from . import clock
from .accounts import create_user, find_user
from .attempting import load_attempt_items, save_response, start_attempt, submit_attempt
from .extensions import db
from .kinds import ResponseData
from .models import Bank, Role


class DemoError(ValueError):
    """The demo data cannot be made (no such bank, or no published items)."""


def seed_demo(bank_slug: str, learners: int = 12, attempts_each: int = 2, items: int = 10,
              seed: int = 0) -> tuple[int, int]:
    """Create ``learners`` demo learners (``demo-NN@studyapp.local``, random unshown passwords)
    and give each ``attempts_each`` submitted exam attempts of ``items`` items on the bank,
    spread over the past days. Learners that exist already are reused.

    Args:
        bank_slug: the bank.
        learners: how many learners (1-500).
        attempts_each: submitted attempts per learner (1-20).
        items: items per attempt.
        seed: seeds abilities, difficulties and answers (the same seed gives the same data).
    Returns:
        (learners created, attempts submitted).
    Raises:
        DemoError: no such bank, or it has no published items.
    """
    bank = db.session.scalar(select(Bank).where(Bank.slug == bank_slug))
    if bank is None:
        raise DemoError(f"there is no bank {bank_slug!r}")
    rng = random.Random(seed)  # nosec B311 # seeded on purpose: the same demo data every time
    difficulty: dict[int, float] = {}
    created = submitted = 0
    start = clock.now() - timedelta(days=attempts_each * 3 + 1)
    try:
        for n in range(1, learners + 1):
            email = f"demo-{n:02d}@studyapp.local"
            user = find_user(email)
            if user is None:
                user = create_user(email, f"Demo learner {n:02d}", secrets.token_urlsafe(18), role=Role.LEARNER)
                created += 1
            ability = rng.random()
            for k in range(attempts_each):
                clock.set_time(start + timedelta(days=3 * k, hours=n))
                attempt = start_attempt(user, bank, items, rng=rng)
                for ai in load_attempt_items(attempt):
                    d = difficulty.setdefault(ai.item_id, rng.random() * 0.8)
                    right = rng.random() < min(0.95, ability * (1 - d) + 0.15)
                    save_response(attempt, ai, _answer(ai, right, rng))
                clock.set_time(start + timedelta(days=3 * k, hours=n, minutes=4 + rng.randrange(20)))
                submit_attempt(attempt)
                submitted += 1
    except Exception:
        db.session.rollback()
        raise
    finally:
        clock.reset()
    return created, submitted


def _answer(ai, right: bool, rng: random.Random) -> ResponseData:
    item = ai.item
    if item.options:
        keys = [o.id for o in item.options if o.is_key]
        others = [o.id for o in item.options if not o.is_key]
        if right or not others:
            return ResponseData(choice_ids=keys if item.kind == "multiple_response" else keys[:1])
        return ResponseData(choice_ids=[rng.choice(others)])
    gaps = max((a.gap for a in item.accepted_answers), default=0) + 1
    if right:
        return ResponseData(texts=[next(a.text for a in item.accepted_answers if a.gap == g) for g in range(gaps)])
    return ResponseData(texts=["I am not sure"] * gaps)
