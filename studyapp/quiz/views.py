"""Quiz views: thin wrappers around ``studyapp.attempting``."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..access import get_or_404, owned_or_404
from ..attempting import (
    PRACTICE_PENALTY, AttemptClosed, AttemptError, AttemptsExhausted, EmptyBank, ModeNotAllowed, ResponseFinal,
    InvalidTryCount, StaleCheck, TimeUp,
    attempt_with_outline, bank_summaries, check_response, close_expired, exam_attempts_used, first_unanswered,
    load_attempt_item, load_attempt_items,
    response_data, save_response, seconds_left, second_try_allowed, show_answer, start_attempt, submit_attempt,
    time_is_up,
)
from ..extensions import db, limiter, user_or_address
from ..kinds import InvalidResponse, get_kind
from ..models import REPORT_REASONS, Attempt, AttemptItem, Bank, Document, ItemReport, Regrade
from ..reports import ReportError, file_report
from . import bp
from .forms import ReportForm, ShowAnswerForm, StartForm, SubmitAttemptForm


def _bank_or_404(slug: str) -> Bank:
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug, Bank.published.is_(True)))
    if bank is None:
        abort(404, description="There is no such bank.")
    return bank


def study_text_or_404(slug: str) -> Document:
    """Return the study text ``slug`` if the current user may read it.

    Learners see only published banks, so they see a study text only while a published bank
    cites it (``Bank.document_id``); instructors and admins see every text.

    Args:
        slug: the text's slug.
    Returns:
        The ``Document``.
    Raises:
        werkzeug.exceptions.NotFound: no such text, or (for a learner) none that a published
            bank cites: the same 404, so that an unpublished text cannot be confirmed to exist.
    """
    query = select(Document).where(Document.slug == slug)
    if not current_user.is_staff:
        query = query.where(select(Bank.id).where(Bank.document_id == Document.id,
                                                  Bank.published.is_(True)).exists())
    doc = db.session.scalar(query)
    if doc is None:
        abort(404, description="There is no such study text.")
    return doc


def _own_attempt(attempt_id: int) -> Attempt:
    """The current user's own attempt (staff cannot answer for others): 404 otherwise."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.bank)])
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _answer_rate_limit() -> str:
    return current_app.config["ANSWER_RATE_LIMIT"]


@bp.route("/")
def home():
    """Landing page."""
    return render_template("quiz/home.html")


@bp.route("/banks")
@login_required
def index():
    """Published banks with item counts and the learner's best score."""
    close_expired(user_id=current_user.id)
    return render_template("quiz/index.html", rows=bank_summaries(current_user.id))


@bp.route("/banks/<slug>", methods=["GET", "POST"])
@login_required
def bank(slug: str):
    """A bank's page; POST starts an attempt."""
    bank = _bank_or_404(slug)
    close_expired(user_id=current_user.id)
    form = StartForm()
    if bank.feedback == "after_submission":
        form.mode.choices = [c for c in form.mode.choices if c[0] == "exam"]
        form.mode.default = "exam"
    if request.method == "GET":
        form.n_items.data = bank.default_items or current_app.config["QUIZ_DEFAULT_ITEMS"]
        form.mode.data = form.mode.default
    status = 200
    if form.validate_on_submit():
        try:
            attempt = start_attempt(current_user, bank, form.n_items.data, mode=form.mode.data)
        except EmptyBank as exc:
            flash(str(exc), "warning")
            return redirect(url_for("quiz.bank", slug=slug)), 303
        except (AttemptsExhausted, ModeNotAllowed) as exc:
            flash(str(exc), "warning")
            status = 409
        else:
            return redirect(url_for("quiz.question", attempt_id=attempt.id, position=1), 303)
    summary = next((r for r in bank_summaries(current_user.id) if r["bank"].id == bank.id), None)
    if form.errors:
        status = 400
    return render_template("quiz/bank.html", bank=bank, form=form, summary=summary,
                           exams_used=exam_attempts_used(current_user, bank)), status


@bp.route("/sources/<slug>")
@login_required
def source(slug: str):
    """A study text read passage by passage (anchors ``#p<number>``), each shaded by the current
    learner's mastery, with buttons to practise one passage or the weakest ones. Learners: only
    a text that a published bank cites (404 otherwise)."""
    from ..history import LEVELS, passage_mastery, study_bank
    from .forms import PractiseForm

    doc = study_text_or_404(slug)
    return render_template(
        "quiz/source.html", doc=doc, passages=passage_mastery(current_user.id, doc.id),
        bank=study_bank(doc.id), levels=LEVELS, form=PractiseForm(),
    )


@bp.route("/attempts/<int:attempt_id>/q/<int:position>", methods=["GET", "POST"])
@limiter.shared_limit(_answer_rate_limit, scope="answers", key_func=user_or_address, methods=["POST"])
@login_required
def question(attempt_id: int, position: int):
    """One item of an in-progress attempt; POST saves the response and moves on."""
    # The attempt and the outline of its items (how many, which are answered) in one query; of
    # the items, only this one is loaded whole (a second query). This is the most requested page.
    found = attempt_with_outline(attempt_id)
    if found is None or found[0].user_id != current_user.id:   # staff cannot answer for others
        abort(404)
    attempt, total, answered = found
    if not attempt.is_submitted and time_is_up(attempt):
        submit_attempt(attempt, timed_out=True)
        message = "The time for this exam is up: it was submitted with the answers saved before the deadline"
        if request.method == "POST":    # an answer arriving too late is refused, not recorded
            return render_template("quiz/time_up.html", attempt=attempt,
                                   message=message + ", and this answer was not recorded."), 409
        flash(message + ".", "warning")
        return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)
    if attempt.is_submitted:
        if request.method == "POST":
            flash("This attempt was already submitted, so that answer was not recorded.", "warning")
        return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)
    attempt_item = load_attempt_item(attempt_id, position) if 1 <= position <= total else None
    if attempt_item is None:
        abort(404, description="This attempt has no question with that number.")
    item = attempt_item.item
    kind = get_kind(item.kind)
    # The browser sees shown-option ids (numbered in display order), never option ids.
    options = [(ao.id, ao.option.text) for ao in attempt_item.shown_options]
    shown = {ao.id: ao.option_id for ao in attempt_item.shown_options}
    here = url_for("quiz.question", attempt_id=attempt.id, position=position)
    if request.method == "POST" and attempt.gives_feedback_at_once:
        return _check(attempt, attempt_item, item, kind, options, shown, here)
    if request.method == "POST":
        form = kind.build_form(item, options, formdata=request.form)
        valid = form.validate()
        try:
            data = kind.read(form, item, shown)  # a foreign or malformed option: 400
        except InvalidResponse as exc:
            abort(400, description=str(exc))
        if valid:
            try:
                save_response(attempt, attempt_item, data)
            except TimeUp as exc:
                return render_template("quiz/time_up.html", attempt=attempt, message=str(exc)), 409
            except AttemptClosed as exc:
                flash(str(exc), "warning")
                return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)
            except AttemptError as exc:     # a final practice response, a concurrent clash
                abort(409, description=str(exc))
            # From here on ``attempt_id`` rather than ``attempt.id``: the commit expired the
            # attempt, and reading an attribute of it would load it again (one more query).
            if request.form.get("timeup") and attempt.deadline_at is not None and seconds_left(attempt) == 0:
                # The page's countdown reached zero and sent what was on the page: submit now.
                submit_attempt(attempt)
                flash("Time is up: your answers were submitted.", "warning")
                return redirect(url_for("quiz.result", attempt_id=attempt_id), 303)
            goto = request.form.get("goto", type=int)
            if goto is not None and 1 <= goto <= total:
                target = url_for("quiz.question", attempt_id=attempt_id, position=goto)
            elif form.prev.data and position > 1:
                target = url_for("quiz.question", attempt_id=attempt_id, position=position - 1)
            elif form.finish.data or position == total:
                target = url_for("quiz.review", attempt_id=attempt_id)
            else:
                target = url_for("quiz.question", attempt_id=attempt_id, position=position + 1)
            return redirect(target, 303)
        status = 400
    else:
        saved = response_data(attempt_item.response)
        if saved is not None:
            as_shown = {option_id: shown_id for shown_id, option_id in shown.items()}
            saved.choice_ids = [as_shown[c] for c in saved.choice_ids if c in as_shown]
        form = kind.build_form(item, options, response=saved, formdata=None)
        status = 200
    response = attempt_item.response
    feedback = None
    if attempt.gives_feedback_at_once and response is not None and response.tries:
        data = response_data(response)
        feedback = {"result": kind.mark(item, data), "final": response.final, "mark": response.mark,
                    "tries": response.tries, "chosen": set(data.choice_ids), "texts": data.texts}
    if attempt.gives_feedback_at_once and response is not None and response.final and feedback is None:
        feedback = {"result": None, "final": True, "mark": response.mark, "tries": 0, "chosen": set(), "texts": []}
    return render_template(
        "quiz/question.html", attempt=attempt, attempt_item=attempt_item, item=item, kind=kind,
        form=form, position=position, total=total, answered=answered, feedback=feedback,
        keys=kind.key_texts(item) if feedback and feedback["final"] else None,
        show_form=ShowAnswerForm() if attempt.gives_feedback_at_once else None, retry_share=round(100 * (1 - PRACTICE_PENALTY)),
        can_retry=bool(feedback and not feedback["final"] and second_try_allowed(attempt)),
        seconds_left=seconds_left(attempt),
    ), status


TRIES_SEEN = re.compile(r"[0-9]{1,3}")


def _tries_seen() -> int:
    """The ``tries_seen`` field of a Check form: how many tries were recorded when the page was
    shown (0 before the first). Every page's form has it, so a form without it, or with anything
    but a small whole number, is refused (400) rather than checked without the double-send guard.
    """
    value = request.form.get("tries_seen", "")
    if not TRIES_SEEN.fullmatch(value):
        abort(400, description="The form could not be read (it does not say which try it was sent from); "
                               "reload the question and check again.")
    return int(value)


def _check(attempt, attempt_item, item, kind, options, shown, here):
    """POST on a practice or review question: check the answer, or show the answer, then
    come back to the question (303), which now shows the feedback.

    A check or "Show answer" sent again from the same page (double click, resend, a second tab),
    after the first was recorded, changes nothing: the question comes back with the feedback
    already recorded, and a note saying so."""
    try:
        if "show" in request.form:
            if not ShowAnswerForm().validate_on_submit():
                abort(400, description="The form could not be read; go back and try again.")
            try:
                show_answer(attempt, attempt_item)
            except ResponseFinal:
                flash("The answer to this question is shown already.", "info")
            return redirect(here, 303)
        tries_seen = _tries_seen()
        form = kind.build_form(item, options, formdata=request.form)
        valid = form.validate()
        try:
            data = kind.read(form, item, shown)
        except InvalidResponse as exc:
            abort(400, description=str(exc))
        if not valid:
            abort(400, description="The form could not be read; go back and try again.")
        if data.empty:
            flash("Give an answer first, or choose Show answer.", "warning")
            return redirect(here, 303)
        check_response(attempt, attempt_item, data, tries_seen=tries_seen)
    except InvalidTryCount as exc:
        abort(400, description=str(exc))
    except StaleCheck as exc:
        flash(str(exc), "info")
        return redirect(here, 303)
    except ResponseFinal:
        # Only a page from before the answer was final offers Check (another tab, a resend).
        flash("This question was already answered for good (its answer is shown), so this check "
              "was not recorded.", "warning")
        return redirect(here, 303)
    except TimeUp as exc:
        return render_template("quiz/time_up.html", attempt=attempt, message=str(exc)), 409
    except AttemptClosed as exc:
        flash(str(exc), "warning")
        return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)
    except AttemptError as exc:
        abort(409, description=str(exc))
    return redirect(here, 303)


@bp.route("/attempts/<int:attempt_id>")
@login_required
def resume(attempt_id: int):
    """Go back into an attempt at its first unanswered item (or its review page, or its result)."""
    attempt = _own_attempt(attempt_id)
    close_expired(user_id=current_user.id)
    db.session.refresh(attempt)
    if attempt.is_submitted:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    position = first_unanswered(attempt)
    if position is None:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    return redirect(url_for("quiz.question", attempt_id=attempt.id, position=position))


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    """Before submitting: which items are answered, and the submit button."""
    attempt = _own_attempt(attempt_id)
    close_expired(user_id=current_user.id)
    db.session.refresh(attempt)
    if attempt.is_submitted:
        return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)
    items = load_attempt_items(attempt)
    return render_template("quiz/review.html", attempt=attempt, items=items, form=SubmitAttemptForm())


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@limiter.shared_limit(_answer_rate_limit, scope="answers", key_func=user_or_address, methods=["POST"])
@login_required
def submit(attempt_id: int):
    """Submit the attempt once; a second submit just shows the result."""
    attempt = _own_attempt(attempt_id)
    form = SubmitAttemptForm()
    if not form.validate_on_submit():
        abort(400, description="The form could not be read; go back and try again.")
    outcome = submit_attempt(attempt)
    if outcome.submitted:
        flash(f"Submitted. Your score: {outcome.score_percent:.0f}%.", "success")
    else:
        flash("This attempt had already been submitted; here is its result.", "info")
    return redirect(url_for("quiz.result", attempt_id=attempt.id), 303)


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    """Score, and per item: the response, the key, the explanation and the cited passage."""
    attempt = owned_or_404(get_or_404(Attempt, attempt_id))
    if not attempt.is_submitted:
        if attempt.user_id == current_user.id:
            return redirect(url_for("quiz.review", attempt_id=attempt.id), 303)
        abort(409, description="This attempt is still in progress; its result is not ready.")
    own = attempt.user_id == current_user.id
    details = attempt.bank.review_allowed or current_user.is_staff
    rows = []
    items = load_attempt_items(attempt) if details else []
    response_ids = [ai.response.id for ai in items if ai.response is not None]
    regrades = {r.response_id: r for r in db.session.scalars(
        select(Regrade).where(Regrade.response_id.in_(response_ids)).order_by(Regrade.id))} if response_ids else {}
    reported = set(db.session.scalars(select(ItemReport.attempt_item_id).where(
        ItemReport.attempt_item_id.in_([ai.id for ai in items])))) if items else set()
    for ai in items:
        kind = get_kind(ai.item.kind)
        data = response_data(ai.response)
        rows.append({
            "ai": ai, "item": ai.item, "kind": kind,
            "result": kind.mark(ai.item, data) if data and not data.empty else None,
            "mark": ai.response.mark if ai.response else 0.0,
            "chosen": set(data.choice_ids) if data else set(),
            "texts": data.texts if data else [],
            "keys": kind.key_texts(ai.item),
            "regrade": regrades.get(ai.response.id) if ai.response else None,
            "reported": ai.id in reported,
        })
    return render_template("quiz/result.html", attempt=attempt, rows=rows, details=details, own=own,
                           report_form=ReportForm(), reasons=REPORT_REASONS)


@bp.route("/attempts/<int:attempt_id>/items/<int:position>/report", methods=["POST"])
@login_required
def report_item(attempt_id: int, position: int):
    """A learner reports a problem with an item of their submitted attempt (reason and comment):
    the item goes back to its bank's review queue with the report. One report per attempt item."""
    attempt = _own_attempt(attempt_id)
    if not attempt.is_submitted:
        abort(409, description="Report a problem from the result page, after submitting the attempt.")
    ai = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                     AttemptItem.position == position))
    if ai is None:
        abort(404, description="This attempt has no question with that number.")
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400, description=" ".join(e for errors in form.errors.values() for e in errors)
              or "The form could not be read; reload the page and try again.")
    try:
        file_report(current_user.id, ai, form.reason.data, form.comment.data or "")
    except ReportError as exc:
        abort(409, description=str(exc))
    flash("Thank you: the report was sent to the instructors, who will look at the item.", "success")
    return redirect(url_for("quiz.result", attempt_id=attempt.id, _anchor=f"item-{position}"), 303)
