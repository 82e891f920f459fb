"""Stored item statistics (studyapp/stored_statistics.py): served while current or younger than
the maximum age, recomputed when older or on "Recalculate now", dropped by a regrade, a deletion
of users or attempts and a role change; the ``flask statistics-refresh`` command."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from studyapp import clock
from studyapp.models import Attempt, Question, StoredStatistics, User
from studyapp.statistics import _population_sums, bank_statistics
from studyapp.stored_statistics import ALL_BANKS, bank_scope, bank_statistics_stored, flagged_items_stored
from studyapp.versioning import ItemContent, new_version, regrade
from tests.test_statistics import HAND_ITEMS, HAND_PLAN, _flag_bank, count_queries, sit

T0 = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture()
def frozen():
    """Freeze the app clock at :data:`T0`; return the clock module (``advance(seconds)``)."""
    clock.set_time(T0)
    yield clock
    clock.reset()


@pytest.fixture()
def max_age(app, monkeypatch):
    """Return ``set(seconds)`` setting STATISTICS_MAX_AGE_SECONDS for this test (TestConfig: 0)."""
    return lambda seconds: monkeypatch.setitem(app.config, "STATISTICS_MAX_AGE_SECONDS", seconds)


@pytest.fixture()
def hand(make_bank, make_user):
    """The hand-computed bank of test_statistics (six attempts); return it."""
    bank = make_bank(HAND_ITEMS, slug="hand")
    for plan in HAND_PLAN:
        sit(make_user("learner"), bank, plan)
    return bank


def stored_rows(db) -> list[tuple[str, int, datetime]]:
    """Return ``(scope, attempts, computed_at)`` of every stored row, by scope."""
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(StoredStatistics.scope, StoredStatistics.attempts, StoredStatistics.computed_at)
        .order_by(StoredStatistics.scope))]


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def figures(stats) -> dict:
    """``{ext_id: (n, facility, sd, discrimination, top_n, bottom_n, option counts)}``."""
    return {s.item.ext_id: (s.n, s.facility, s.sd, s.discrimination, s.top_n, s.bottom_n,
                            [(o.text, o.chosen, o.top, o.bottom) for o in s.options]) for s in stats.items}


def test_sums_survive_json_exactly(hand):
    """Stored sums read back equal to the computed ones (floats included), and give the same figures."""
    sums = _population_sums([hand.id], ("exam", "practice"))
    again = type(sums).from_json(sums.to_json())
    assert again == sums
    assert (again.attempts, again.max_attempt_id) == (6, max(sums.last.values()))
    stats, fresh = bank_statistics_stored(hand)
    assert figures(stats) == figures(bank_statistics(hand))
    assert (fresh.attempts, fresh.since, fresh.recomputed) == (6, 0, True)


def test_stored_figures_are_served_while_current(client, login_as, hand, db, frozen):
    """The first request computes and stores; later ones, with no new attempt, serve the stored
    row (it keeps its computed_at, hours later) and run fewer queries (the sums' statement is not run)."""
    login_as("instructor")
    computing = count_queries(db, lambda: client.get("/teach/banks/hand/statistics"))
    assert stored_rows(db) == [(bank_scope(hand.id), 6, T0)]
    frozen.advance(5 * 3600)        # TestConfig: max age 0, but the figures are current
    statements = []
    from sqlalchemy import event

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = text_of(client.get("/teach/banks/hand/statistics"))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert stored_rows(db) == [(bank_scope(hand.id), 6, T0)]        # not computed again
    assert not any("stat_marks" in s for s in statements)
    assert len(statements) < computing
    assert 'Figures calculated <span id="computed-at">2026-03-02 09:00:00</span> (UTC)' in page
    assert "over 6 submitted attempts" in page and "They count every submitted attempt." in page
    assert "<strong>6</strong> submitted attempts" in page


def test_new_attempts_within_max_age_keep_stored_figures_and_say_so(client, login_as, hand, db, frozen, max_age,
                                                                    make_user):
    """Attempts submitted after the figures were computed: within the maximum age the stored
    figures stay (6 attempts counted) and the page says how many came since."""
    max_age(900)
    login_as("instructor")
    client.get("/teach/banks/hand/statistics")
    frozen.advance(600)
    sit(make_user("learner"), hand, HAND_PLAN[0])
    sit(make_user("learner"), hand, HAND_PLAN[1], mode="practice")
    sit(make_user("learner"), hand, HAND_PLAN[2], mode="review")      # not in the default modes
    page = text_of(client.get("/teach/banks/hand/statistics"))
    assert stored_rows(db) == [(bank_scope(hand.id), 6, T0)]
    assert "<strong>6</strong> submitted attempts" in page
    assert re.search(r'id="attempts-since"><strong>2</strong> submitted attempts since, not counted yet '
                     r'\(the figures are calculated again once they are older than 15 minutes\)', page)
    # the review mode's population has its own stored row
    review = text_of(client.get("/teach/banks/hand/statistics?mode=review"))
    assert "<strong>1</strong> submitted attempt (review)" in review


def test_figures_older_than_max_age_are_recomputed(client, login_as, hand, db, frozen, max_age, make_user):
    """Past the maximum age, with attempts since, the figures are computed again and count them."""
    max_age(900)
    login_as("instructor")
    client.get("/teach/banks/hand/statistics")
    sit(make_user("learner"), hand, HAND_PLAN[0])
    frozen.advance(901)
    page = text_of(client.get("/teach/banks/hand/statistics"))
    assert stored_rows(db) == [(bank_scope(hand.id), 7, datetime(2026, 3, 2, 9, 15, 1))]
    assert "<strong>7</strong> submitted attempts" in page and "They count every submitted attempt." in page


def test_testconfig_recomputes_after_each_submission(client, login_as, hand, db, frozen, make_user):
    """With a maximum age of 0 (TestConfig) a new attempt is counted at once."""
    login_as("instructor")
    client.get("/teach/banks/hand/statistics")
    sit(make_user("learner"), hand, HAND_PLAN[0])
    assert "<strong>7</strong> submitted attempts" in text_of(client.get("/teach/banks/hand/statistics"))


def test_recalculate_now_recomputes(client, csrf, login_as, hand, db, frozen, max_age, make_user):
    """"Recalculate now" (POST) computes the figures whatever their age and goes back to the
    page (303) with the modes it counted."""
    max_age(900)
    login_as("instructor")
    client.get("/teach/banks/hand/statistics?mode=exam")
    sit(make_user("learner"), hand, HAND_PLAN[0])
    frozen.advance(60)
    response = client.post("/teach/banks/hand/statistics/recalculate", data={"csrf_token": csrf(client),
                                                                           "mode": "exam"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/teach/banks/hand/statistics?mode=exam"
    assert stored_rows(db) == [(bank_scope(hand.id), 7, datetime(2026, 3, 2, 9, 1, 0))]
    assert "<strong>7</strong> submitted attempts (exam)" in text_of(client.get(response.headers["Location"]))
    # no mode posted: the default modes
    response = client.post("/teach/banks/hand/statistics/recalculate", data={"csrf_token": csrf(client)})
    assert response.headers["Location"] == "/teach/banks/hand/statistics?mode=exam&mode=practice"
    bad = client.post("/teach/banks/hand/statistics/recalculate", data={"csrf_token": csrf(client), "mode": "x"})
    assert bad.status_code == 400
    assert client.post("/teach/banks/nobank/statistics/recalculate",
                       data={"csrf_token": csrf(client)}).status_code == 404


def test_recalculate_now_on_the_home_page(client, csrf, login_as, make_bank, make_user, db, frozen, max_age):
    """The home page's flagged items come from the every-bank row; its button recomputes it."""
    max_age(900)
    login_as("instructor")
    _flag_bank(make_bank, make_user, "unused")
    page = text_of(client.get("/teach/"))
    assert "over 10 submitted attempts" in page and len(re.findall(r'data-flag="unused_distractor"', page)) == 1
    bank = _flag_bank(make_bank, make_user, "hard")
    frozen.advance(30)
    page = text_of(client.get("/teach/"))
    assert 'id="attempts-since"><strong>10</strong> submitted attempts since' in page
    assert 'data-flag="too_hard"' not in page
    response = client.post("/teach/statistics/recalculate", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/teach/#flagged-items"
    page = text_of(client.get("/teach/"))
    assert "over 20 submitted attempts" in page and 'data-flag="too_hard"' in page
    assert [r[:2] for r in stored_rows(db)] == [(ALL_BANKS, 20)]
    assert bank is not None


def test_regrade_drops_the_stored_figures(client, csrf, login_as, make_bank, make_user, db, frozen, max_age):
    """A regrade deletes the bank's and every bank's stored rows in its transaction; the pages
    then show the new marks, however young the stored figures were."""
    from tests.test_item_versions import TINY_ITEMS, _answer_single, _single

    max_age(900)
    bank = make_bank(TINY_ITEMS)
    other = make_bank(HAND_ITEMS, slug="other")
    sit(make_user("learner"), other, HAND_PLAN[0])
    _answer_single(db, make_user("learner"), bank, "Wrong A")
    _answer_single(db, make_user("learner"), bank, "Wrong A")
    _answer_single(db, make_user("learner"), bank, "Right")
    login_as("instructor")
    client.get(f"/teach/banks/{bank.slug}/statistics")
    client.get("/teach/banks/other/statistics")
    client.get("/teach/")
    assert [r[0] for r in stored_rows(db)] == sorted([ALL_BANKS, bank_scope(bank.id), bank_scope(other.id)])
    item = _single(db)
    v1_id = item.id

    def v1(stats):
        return next(s for s in stats.items if s.item.id == v1_id)

    before = v1(bank_statistics_stored(bank, max_age=900)[0])
    assert before.facility == pytest.approx(100 / 3)
    content = ItemContent.of(item)
    content.options = [("Right", False), ("Wrong A", True), ("Wrong B", False)]
    v2 = new_version(item, content)
    db.session.commit()
    assert len(stored_rows(db)) == 3                    # a new version alone changes no mark
    client.post(f"/teach/items/{v2.id}/regrade", data={"csrf_token": csrf(client)})
    assert [r[0] for r in stored_rows(db)] == [bank_scope(other.id)]
    stats, fresh = bank_statistics_stored(bank, max_age=900)
    assert fresh.recomputed
    after = v1(stats)
    assert after.facility == pytest.approx(200 / 3)   # the two who chose Wrong A are now right
    assert [(o.text, o.chosen) for o in after.options] == [("Right", 1), ("Wrong A", 2), ("Wrong B", 0)]
    assert regrade(db.session.get(Question, v2.id)).changed == 0
    assert {r[0] for r in stored_rows(db)} == {bank_scope(other.id), bank_scope(bank.id)}   # nothing changed: kept


def test_role_change_and_deletions_drop_the_stored_figures(hand, make_user, db, max_age):
    """Changing a user's role, deleting a user or an attempt (through the ORM: admin views, CLI)
    drops the stored rows in the same flush; other changes of a user do not."""
    bank_statistics_stored(hand, max_age=900)
    flagged_items_stored(max_age=900)
    assert len(stored_rows(db)) == 2
    learner = db.session.scalar(select(User).where(User.role == "learner").order_by(User.id))
    learner.display_name = "Renamed"
    db.session.commit()
    assert len(stored_rows(db)) == 2
    learner.role = "instructor"
    db.session.flush()
    assert stored_rows(db) == []
    db.session.rollback()
    assert len(stored_rows(db)) == 2                    # the same transaction: rolled back together
    learner = db.session.get(User, learner.id)
    learner.role = "instructor"
    db.session.commit()
    stats, fresh = bank_statistics_stored(hand, max_age=900)
    assert (stats.attempts, fresh.recomputed) == (5, True)
    db.session.delete(db.session.scalar(select(Attempt).order_by(Attempt.id.desc()).limit(1)))
    db.session.commit()
    assert stored_rows(db) == []
    assert bank_statistics_stored(hand, max_age=900)[0].attempts == 4
    db.session.delete(db.session.scalar(select(User).where(User.role == "learner").order_by(User.id).limit(1)))
    db.session.commit()
    assert stored_rows(db) == []
    assert bank_statistics_stored(hand, max_age=900)[0].attempts == 3


def test_admin_role_change_drops_the_stored_figures(client, csrf, login_as, hand, db):
    """An admin who makes a learner an instructor in the admin views drops the stored figures."""
    bank_statistics_stored(hand, max_age=900)
    learner = db.session.scalar(select(User).where(User.role == "learner").order_by(User.id))
    login_as("admin")
    response = client.post(f"/admin/user/edit/?id={learner.id}", data={
        "csrf_token": csrf(client), "email": learner.email, "display_name": learner.display_name,
        "role": "instructor", "active": "y", "new_password": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert db.session.get(User, learner.id).role == "instructor"
    assert stored_rows(db) == []


def test_recalculate_is_for_staff_with_a_csrf_token(client, csrf, login_as, hand, db):
    """Learners get 403 on the POSTs, anonymous users are sent to log in, a POST without the CSRF
    token is refused with 400; none of them computes anything."""
    for url in ("/teach/banks/hand/statistics/recalculate", "/teach/statistics/recalculate"):
        response = client.post(url, data={"csrf_token": csrf(client)})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login_as("learner")
    for url in ("/teach/banks/hand/statistics/recalculate", "/teach/statistics/recalculate"):
        assert client.post(url, data={"csrf_token": csrf(client)}).status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("instructor")
    for url in ("/teach/banks/hand/statistics/recalculate", "/teach/statistics/recalculate"):
        assert client.post(url, data={}).status_code == 400
    assert stored_rows(db) == []


def test_cli_statistics_refresh(app, hand, make_bank, make_user, db, frozen):
    """``flask statistics-refresh`` stores every bank's figures and the every-bank figures;
    ``--bank`` one bank's; an unknown bank is an error."""
    other = make_bank(HAND_ITEMS, slug="other")
    sit(make_user("learner"), other, HAND_PLAN[0])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["statistics-refresh"])
    db.session.rollback()
    assert result.exit_code == 0, result.output
    assert "every bank: 7 submitted attempt(s) counted in" in result.output
    assert f"bank {hand.slug}: 6 submitted attempt(s)" in result.output
    assert "bank other: 1 submitted attempt(s)" in result.output
    assert sorted(r[:2] for r in stored_rows(db)) == sorted(
        [(ALL_BANKS, 7), (bank_scope(hand.id), 6), (bank_scope(other.id), 1)])
    db.session.execute(delete(StoredStatistics))
    db.session.commit()
    result = runner.invoke(args=["statistics-refresh", "--bank", "other", "--mode", "exam"])
    db.session.rollback()
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(StoredStatistics.scope, StoredStatistics.modes)).all() == [
        (bank_scope(other.id), "exam")]
    result = runner.invoke(args=["statistics-refresh", "--bank", "nobank"])
    assert result.exit_code != 0 and "There is no bank 'nobank'." in result.output
    assert db.session.scalar(select(func.count()).select_from(StoredStatistics)) == 1


def test_stored_row_is_unique_per_scope_and_modes(hand, db):
    """Computing twice updates the one row of a scope and modes (a unique constraint backs it)."""
    bank_statistics_stored(hand, force=True)
    bank_statistics_stored(hand, force=True)
    bank_statistics_stored(hand, ["exam"], force=True)
    rows = db.session.execute(select(StoredStatistics.scope, StoredStatistics.modes)
                              .order_by(StoredStatistics.modes)).all()
    assert [tuple(r) for r in rows] == [(bank_scope(hand.id), "exam"), (bank_scope(hand.id), "exam,practice")]
    from sqlalchemy.exc import IntegrityError

    db.session.add(StoredStatistics(scope=bank_scope(hand.id), bank_id=hand.id, modes="exam", sums={},
                                    attempts=0, max_attempt_id=None, computed_at=T0, seconds=0.0))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_requests_computing_at_once_store_one_row(app, hand, db):
    """Eight threads find no stored figures at the same moment: none fails and there is one row.
    On PostgreSQL the first computes under the advisory lock and the others serve its row (one
    computation); on SQLite they may compute at once, and store in turn. Forced at once
    ("Recalculate now" clicked eight times), each computes and there is still one row."""
    from tests.test_concurrency import no_errors, run_at_once

    bank_id = hand.id

    def ask(force: bool):
        def work(_i: int):
            with app.app_context():
                try:
                    bank = db.session.get(type(hand), bank_id)
                    stats, fresh = bank_statistics_stored(bank, force=force)
                    return stats.attempts, stats.top, fresh.recomputed
                finally:
                    db.session.remove()
        return work

    results = no_errors(run_at_once(ask(False), 8))
    assert {r[:2] for r in results} == {(6, 2)}
    computed = sum(r[2] for r in results)
    if db.engine.dialect.name == "postgresql":
        assert computed == 1
    else:
        assert 1 <= computed <= 8
    results = no_errors(run_at_once(ask(True), 8))
    assert results == [(6, 2, True)] * 8
    assert [r[:2] for r in stored_rows(db)] == [(bank_scope(bank_id), 6)]


def test_sums_computed_across_an_invalidation_are_not_stored(app, hand, db, monkeypatch):
    """A role change that commits while sums are being computed (after the computation read the
    population) bumps the invalidation count: the computed sums are shown but not stored, and the
    next request computes them again over the new population."""
    import studyapp.stored_statistics as stored

    learner_id = db.session.scalar(select(User.id).where(User.role == "learner").order_by(User.id))
    real = stored._population_sums

    def sums_then_change(bank_ids, modes):
        sums = real(bank_ids, modes)            # read before the change commits
        with app.app_context():                 # another request: its own session and transaction
            try:
                user = db.session.get(User, learner_id)
                user.role = "instructor"
                db.session.commit()
            finally:
                db.session.remove()
        return sums

    monkeypatch.setattr(stored, "_population_sums", sums_then_change)
    stats, fresh = bank_statistics_stored(hand)
    assert (stats.attempts, fresh.recomputed) == (6, True)
    assert stored_rows(db) == []
    monkeypatch.setattr(stored, "_population_sums", real)
    stats, fresh = bank_statistics_stored(hand)
    assert (stats.attempts, fresh.recomputed) == (5, True)
    assert [r[:2] for r in stored_rows(db)] == [(bank_scope(hand.id), 5)]
