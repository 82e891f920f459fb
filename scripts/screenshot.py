"""Screenshots of the progress dashboard and of the progress map (read mode).

Starts the app on a temporary SQLite database, loads the shipped symposium bank, seeds a
learner (time zone Asia/Shanghai) with a week of quizzes, and saves two PNGs taken with
Playwright driving Debian's chromium (never a downloaded browser; no network):

    docs/dashboard.png      /progress/ of the learner
    docs/progress-map.png   /sources/harbin-symposium-2023 of the learner

Run from the repository root:  .venv/bin/python scripts/screenshot.py [--out DIR]

The app clock is frozen at 2024-03-15 10:00 UTC so that the pictures are the same every run.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
from studyapp import clock, create_app  # noqa: E402
from studyapp.extensions import db  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BANK = ROOT / "questions" / "banks" / "harbin-symposium-2023.yaml"
EMAIL, PASSWORD = "mei@example.org", "correct horse battery"
NOW = datetime(2024, 3, 15, 10, 0)


def answer_for(item, right: bool):
    """Return a response to ``item`` that earns the full mark (``right``) or 0."""
    from studyapp.kinds import ResponseData

    if item.kind in ("single_choice", "true_false"):
        return ResponseData(choice_ids=[next(o.id for o in item.options if o.is_key == right)])
    if item.kind == "multiple_response":
        return ResponseData(choice_ids=[o.id for o in item.options if o.is_key == right])
    gaps = max(a.gap for a in item.accepted_answers) + 1
    if not right:
        return ResponseData(texts=["not this"] * gaps)
    return ResponseData(texts=[next(a.text for a in item.accepted_answers if a.gap == g) for g in range(gaps)])


def seed() -> None:
    """Load the bank, make the learner, and take a quiz on six of the last seven days (UTC
    mornings): items on early passages mostly right, later ones mostly wrong, the last
    passages never asked; every marked response also rates the learner's FSRS card."""
    from studyapp.accounts import create_user
    from studyapp.attempting import load_attempt_items, save_response, start_attempt, submit_attempt
    from studyapp.interchange.bankfile import read_bank_file
    from studyapp.interchange.store import store_bank
    from studyapp.models import Bank, ItemStatus
    from studyapp.scheduling import rating_for_response, record_review

    store_bank(read_bank_file(BANK))
    bank = db.session.scalar(db.select(Bank).where(Bank.slug == "harbin-symposium-2023"))
    learner = create_user(EMAIL, "Mei", PASSWORD)
    learner.timezone = "Asia/Shanghai"
    db.session.commit()
    rng = random.Random(2024)
    items = [q for q in bank.items if q.status == ItemStatus.PUBLISHED.value and q.passage is not None]
    last = max(q.passage.number for q in items)
    asked = [q for q in items if q.passage.number <= last * 0.8]  # the last fifth: not seen yet
    for days_ago, minutes in [(6, 14), (5, 22), (4, 9), (2, 31), (1, 18), (0, 26)]:
        start = NOW - timedelta(days=days_ago, hours=8)
        clock.set_time(start)
        picked = rng.sample(asked, 10)
        attempt = start_attempt(learner, bank, 10, rng=rng, mode="practice", item_ids=[q.id for q in picked])
        for ai in load_attempt_items(attempt):
            share = ai.item.passage.number / last  # later passages are harder for this learner
            right = rng.random() > share * 1.1 - 0.1 * (6 - days_ago) / 6
            save_response(attempt, ai, answer_for(ai.item, right), commit=False)
        clock.set_time(start + timedelta(minutes=minutes))
        submit_attempt(attempt)
        for ai in load_attempt_items(attempt):
            if ai.response is not None and ai.response.mark is not None:
                record_review(learner.id, ai.item_id, rating_for_response(ai.response.mark, 1), "practice",
                              response_id=ai.response.id)
        db.session.commit()
    clock.set_time(NOW)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNG files (default: docs/)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing (install Debian's chromium package)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory(prefix="studyapp-shot-") as tmp:
        class ShotConfig(config.Config):
            SECRET_KEY = "screenshot-only-secret-key-0123456789abcdef"
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(tmp) / 'shot.sqlite'}"
            FSRS_ENABLE_FUZZING = False

        app = create_app(ShotConfig)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            seed()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto("/auth/login")
                page.get_by_label("Email").fill(EMAIL)
                page.get_by_label("Password", exact=True).fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url("**/banks")
                shots = {"dashboard.png": "/progress/", "progress-map.png": "/sources/harbin-symposium-2023"}
                for name, url in shots.items():
                    page.goto(url)
                    page.screenshot(path=str(out / name), full_page=True)
                    print(f"saved {out / name} ({url})")
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            clock.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
