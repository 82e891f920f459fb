"""The review queue: instructors approve or reject drafts; all behind ``instructor_required``."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..access import instructor_required
from ..extensions import db
from ..models import Bank
from ..reports import open_reports
from ..stored_statistics import bank_statistics_stored
from ..review import bank_status_counts, drafts, review
from . import bp
from .forms import ReviewForm

def _bank_or_404(slug: str) -> Bank:
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
    if bank is None:
        abort(404, description="There is no such bank.")
    return bank


@bp.route("/banks")
@instructor_required
def banks():
    """Every bank with its numbers of draft, published and retired items."""
    return render_template("teach/banks.html", rows=bank_status_counts())


@bp.route("/banks/<slug>/review", methods=["GET", "POST"])
@instructor_required
def review_queue(slug: str):
    """The bank's drafts beside their cited passages; approve or reject the ticked ones."""
    bank = _bank_or_404(slug)
    form = ReviewForm()
    if form.validate_on_submit():
        if form.approve.data and form.reject.data:
            abort(400, description="Choose either approve or reject, not both.")
        action = "approve" if form.approve.data else "reject" if form.reject.data else None
        if action is None:
            abort(400, description="Choose approve or reject.")
        if not form.item_ids.data:
            flash("Tick at least one item first.", "warning")
        else:
            changed = review(bank.id, form.item_ids.data, action)
            skipped = len(set(form.item_ids.data)) - changed
            verb = "approved and published" if action == "approve" else "rejected (retired)"
            message = f"{changed} item(s) {verb}."
            if skipped:
                message += f" {skipped} were no longer drafts of this bank and were left alone."
            flash(message, "success")
        return redirect(url_for("teach.review_queue", slug=slug), 303)
    if request.method == "POST":
        abort(400, description="The form could not be read; reload the page and try again.")
    return render_template("teach/review.html", bank=bank, items=drafts(bank.id), form=form,
                           reported=open_reports(bank.id),
                           flagged=[s for s in bank_statistics_stored(
                               bank, max_age=current_app.config.get("STATISTICS_MAX_AGE_SECONDS", 900))[0].flagged
                               if s.item.superseded_by_id is None])
