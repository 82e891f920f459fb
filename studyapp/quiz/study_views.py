"""Study views: flashcards of a bank and the spaced-review overview; thin wrappers around
``studyapp.study``, ``studyapp.scheduling`` and ``studyapp.attempting``."""
from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from .. import clock, study
from ..attempting import EmptyBank, ModeNotAllowed, start_attempt
from ..extensions import db
from ..kinds import get_kind
from ..models import AttemptMode, Bank, Question
from ..scheduling import due_cards, local_time
from . import bp
from .study_forms import RATING_MESSAGE, FlipForm, RateForm, StartReviewForm
from .views import _bank_or_404

ALREADY_RATED = "That card had already been rated (a second click?); here is the next one."


@bp.app_template_filter("local_time")
def local_time_filter(value: datetime | None, tz_name: str = "UTC") -> str:
    """Format a stored time (naive UTC) in the time zone ``tz_name``: "2023-09-05 14:30 (Asia/Shanghai)"."""
    local = local_time(value, tz_name)
    if local is None:
        return "–"
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({getattr(local.tzinfo, 'key', 'UTC')})"


def _item_or_404(bank: Bank, item_id: int) -> Question:
    """A published item of ``bank`` (options, answers and passage loaded): 404 otherwise."""
    item = study.published_item(bank.id, item_id)
    if item is None:
        abort(404, description="This bank has no such published item.")
    return item


def _no_exam_running(bank) -> None:
    """Refuse (409) flashcards, whose back shows keys, on a bank whose feedback comes only after
    submission, and while the learner has an exam in progress on the bank."""
    from ..attempting import AFTER_SUBMISSION_ONLY, EXAM_RUNNING, exam_in_progress

    if bank.feedback == "after_submission":
        abort(409, description=AFTER_SUBMISSION_ONLY)
    if exam_in_progress(current_user.id, bank.id):
        abort(409, description=EXAM_RUNNING)


@bp.route("/banks/<slug>/flashcards")
@login_required
def flashcards(slug: str):
    """The front of the learner's next card in the bank, or "All caught up"."""
    bank = _bank_or_404(slug)
    _no_exam_running(bank)
    queue = study.queue(current_user.id, bank.id, current_user.timezone)
    if queue.item_id is None:
        return render_template("quiz/flashcards_done.html", bank=bank, queue=queue)
    item = _item_or_404(bank, queue.item_id)
    return render_template("quiz/flashcard_front.html", bank=bank, queue=queue, item=item,
                           kind=get_kind(item.kind), form=FlipForm())


@bp.route("/banks/<slug>/flashcards/<int:item_id>/flip", methods=["POST"])
@login_required
def flashcard_flip(slug: str, item_id: int):
    """The back of a card: key, explanation, cited passage and the four rating buttons."""
    bank = _bank_or_404(slug)
    item = _item_or_404(bank, item_id)
    _no_exam_running(bank)
    now = clock.now()
    card = study.card_for(current_user.id, item.id)
    due_after = study.due_after_each_rating(card, now=now)
    kind = get_kind(item.kind)
    return render_template(
        "quiz/flashcard_back.html", bank=bank, item=item, kind=kind, keys=kind.key_texts(item),
        queue=study.queue(current_user.id, bank.id, current_user.timezone, now=now),
        ratings=[(value, label, study.interval_text(now, due_after[value])) for value, label in study.RATINGS.items()],
        form=RateForm(), reps=card.reps if card is not None else 0,
    )


@bp.route("/banks/<slug>/flashcards/<int:item_id>/rate", methods=["POST"])
@login_required
def flashcard_rate(slug: str, item_id: int):
    """Record the learner's rating (1-4) of a card, then go to the next card."""
    bank = _bank_or_404(slug)
    item = _item_or_404(bank, item_id)
    _no_exam_running(bank)
    form = RateForm()
    if not form.validate_on_submit():
        abort(400, description=" ".join(e for errors in form.errors.values() for e in errors) or RATING_MESSAGE)
    seen = form.reps.data
    try:
        card = study.rate(current_user.id, item.id, form.rating.data, seen_reps=seen)
        if card is None:
            db.session.rollback()
            flash(ALREADY_RATED, "info")
        else:
            db.session.commit()
    except IntegrityError:  # a concurrent first rating created the card
        db.session.rollback()
        flash(ALREADY_RATED, "info")
    return redirect(url_for("quiz.flashcards", slug=bank.slug), 303)


@bp.route("/review")
@login_required
def due():
    """Spaced review: per bank, what is due now, later today and tomorrow, and when next."""
    rows, others = study.due_overview(current_user.id, current_user.timezone)
    return render_template("quiz/due.html", rows=rows, others=others, form=StartReviewForm(),
                           session_items=current_app.config["REVIEW_SESSION_ITEMS"])


@bp.route("/review/<slug>/start", methods=["POST"])
@login_required
def start_review(slug: str):
    """Start a review-mode attempt on the bank's due items, most overdue first."""
    bank = _bank_or_404(slug)
    if not StartReviewForm().validate_on_submit():
        abort(400, description="The form could not be read; go back and try again.")
    limit = current_app.config["REVIEW_SESSION_ITEMS"]
    due = due_cards(current_user.id, bank_id=bank.id, limit=limit)
    if not due:
        flash(f"Nothing in “{bank.title}” is due for review right now.", "info")
        return redirect(url_for("quiz.due"), 303)
    try:
        attempt = start_attempt(current_user, bank, limit, mode=AttemptMode.REVIEW.value,
                                item_ids=[c.item_id for c in due])
    except ModeNotAllowed as exc:
        abort(409, description=str(exc))
    except EmptyBank as exc:
        flash(str(exc), "warning")
        return redirect(url_for("quiz.due"), 303)
    return redirect(url_for("quiz.question", attempt_id=attempt.id, position=1), 303)
