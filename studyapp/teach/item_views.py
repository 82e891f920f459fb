"""Instructor pages about one item: its versions (with regrading after a key correction), and
the reports learners sent about a bank's items. All behind ``instructor_required``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from ..access import get_or_404, instructor_required
from ..extensions import db
from ..kinds import get_kind
from ..models import AttemptItem, Question
from ..reports import open_reports, resolve_reports, resolved_reports
from ..versioning import ItemContent, regrade, versions
from . import bp
from .forms import RegradeForm, ResolveForm
from .review_views import _bank_or_404


@bp.route("/items/<int:item_id>/versions")
@instructor_required
def item_versions(item_id: int):
    """Every version of an item (oldest first) with its key and how many attempts asked it;
    when the current version's key differs from an earlier one, a button to regrade."""
    item = get_or_404(Question, item_id)
    rows = versions(item)
    counts = dict(db.session.execute(
        select(AttemptItem.item_id, func.count()).where(AttemptItem.item_id.in_([v.id for v in rows]))
        .group_by(AttemptItem.item_id)).all())
    current = rows[-1]
    keys = {v.id: ItemContent.of(v).keys() for v in rows}
    can_regrade = any(keys[v.id] != keys[current.id] and counts.get(v.id) for v in rows[:-1]
                      if v.kind == current.kind)
    return render_template("teach/versions.html", item=current, rows=rows, counts=counts,
                           keys={v.id: get_kind(v.kind).key_texts(v) for v in rows},
                           can_regrade=can_regrade, form=RegradeForm())


@bp.route("/items/<int:item_id>/regrade", methods=["POST"])
@instructor_required
def item_regrade(item_id: int):
    """Re-mark the submitted responses to earlier versions of the item against its current key."""
    item = get_or_404(Question, item_id)
    if item.superseded_by_id is not None:
        abort(409, description="This is an old version: regrade from the item's current version.")
    if not RegradeForm().validate_on_submit():
        abort(400, description="The form could not be read; reload the page and try again.")
    report = regrade(item)
    flash(f"{report.responses} past response(s) re-marked against version {item.version}'s key: "
          f"{report.changed} mark(s) changed in {report.attempts} attempt(s). Learners see a note on their results.",
          "success")
    return redirect(url_for("teach.item_versions", item_id=item.id), 303)


@bp.route("/banks/<slug>/reports")
@instructor_required
def bank_reports(slug: str):
    """The items of a bank that learners reported, with their open reports."""
    bank = _bank_or_404(slug)
    return render_template("teach/reports.html", bank=bank, entries=open_reports(bank.id), form=ResolveForm(),
                           resolved=resolved_reports(bank.id))


@bp.route("/banks/<slug>/reports/<ext_id>/resolve", methods=["POST"])
@instructor_required
def resolve_item_reports(slug: str, ext_id: str):
    """Close the open reports of one item with a note."""
    bank = _bank_or_404(slug)
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400, description=" ".join(e for errors in form.errors.values() for e in errors)
              or "The form could not be read; reload the page and try again.")
    closed = resolve_reports(bank.id, ext_id, form.resolution.data or "")
    if not closed:
        abort(404, description="This item has no open report.")
    flash(f"{closed} report(s) resolved.", "success")
    return redirect(url_for("teach.bank_reports", slug=bank.slug), 303)
