"""Practice started from the study text and the dashboard: one passage, or the weakest passages."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..attempting import ModeNotAllowed
from ..extensions import db
from ..models import Bank
from ..practice import NothingToPractise, find_passage, start_passage_practice, start_weakest_practice
from . import bp
from .forms import PractiseForm
from .views import study_text_or_404


def _checked_form() -> None:
    """400 unless the POST carries this session's CSRF token."""
    if not PractiseForm().validate_on_submit():
        abort(400, description="The form could not be read; go back and try again.")


@bp.route("/sources/<slug>/p/<int:number>/practice", methods=["POST"])
@login_required
def practise_passage(slug: str, number: int):
    """Start a practice attempt with the published items citing passage ``number`` of the text
    (a text the user may read: :func:`.views.study_text_or_404`)."""
    doc = study_text_or_404(slug)
    passage = find_passage(doc.id, number)
    if passage is None:
        abort(404, description="There is no such passage.")
    _checked_form()
    try:
        attempt = start_passage_practice(current_user, doc, passage)
    except ModeNotAllowed as exc:
        abort(409, description=str(exc))
    except NothingToPractise as exc:
        flash(str(exc), "warning")
        return redirect(url_for("quiz.source", slug=slug, _anchor=f"p{number}"), 303)
    return redirect(url_for("quiz.question", attempt_id=attempt.id, position=1), 303)


@bp.route("/banks/<slug>/weakest", methods=["POST"])
@login_required
def practise_weakest(slug: str):
    """Start a practice attempt with up to 10 items from the learner's weakest passages of the bank."""
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug, Bank.published.is_(True)))
    if bank is None:
        abort(404, description="There is no such bank.")
    _checked_form()
    try:
        attempt = start_weakest_practice(current_user, bank)
    except ModeNotAllowed as exc:
        abort(409, description=str(exc))
    except NothingToPractise as exc:
        flash(str(exc), "warning")
        return redirect(url_for("quiz.bank", slug=slug), 303)
    return redirect(url_for("quiz.question", attempt_id=attempt.id, position=1), 303)
