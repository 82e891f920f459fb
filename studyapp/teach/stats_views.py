"""Item statistics of a bank and the instructor's home page; behind ``instructor_required``."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..access import instructor_required
from ..charts import bar_chart_svg
from ..csp import style_nonce
from ..extensions import db
from ..models import Bank
from ..review import bank_status_counts
from ..statistics import (
    DEFAULT_MODES, FLAG_MIN_ATTEMPTS, TOO_EASY_ABOVE, TOO_HARD_BELOW, WEAK_DISCRIMINATION_BELOW, recent_activity,
)
from ..stored_statistics import bank_statistics_stored, flagged_items_stored
from . import bp
from .forms import RecalculateForm, StatisticsForm

THRESHOLDS = {"min_attempts": FLAG_MIN_ATTEMPTS, "too_easy": TOO_EASY_ABOVE, "too_hard": TOO_HARD_BELOW,
              "weak": WEAK_DISCRIMINATION_BELOW}


def _svg(svg: str | None) -> Markup | None:
    # pygal builds the SVG as an XML tree (text escaped); charts.py strips scripts and comments.
    # (tests/test_xss.py checks it: test_charts_escape_the_text_they_carry)
    return Markup(svg) if svg else None  # nosec B704 # pygal's escaped SVG, scripts removed


@bp.route("/")
@instructor_required
def home():
    """The instructor's home: banks, drafts waiting, flagged items, recent activity."""
    # first: computing the statistics commits (storing them), which would expire rows loaded before
    flagged, fresh = flagged_items_stored(max_age=_max_age())
    banks = bank_status_counts()
    activity = recent_activity(current_user.timezone)
    per_day = bar_chart_svg("Attempts submitted per day", [d.day.strftime("%d %b") for d in activity.days],
                            [d.attempts for d in activity.days], y_title="Attempts", style_nonce=style_nonce())
    deciles = bar_chart_svg("Scores of those attempts", [f"{d.label}%" for d in activity.deciles],
                            [d.attempts for d in activity.deciles], x_title="Score", y_title="Attempts",
                            style_nonce=style_nonce())
    return render_template(
        "teach/home.html", banks=banks, waiting=[b for b in banks if b["draft"]], flagged=flagged, fresh=fresh,
        recalculate=RecalculateForm(formdata=None), activity=activity, per_day_chart=_svg(per_day),
        decile_chart=_svg(deciles), thresholds=THRESHOLDS)


@bp.route("/banks/<slug>/statistics")
@instructor_required
def statistics(slug: str):
    """Facility, SD, discrimination, option counts per third and flags of every item of a bank
    (from stored sums while they may be served: ``studyapp.stored_statistics``)."""
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug), description="There is no such bank.")
    form = StatisticsForm(formdata=request.args if "mode" in request.args else None)
    if not form.validate():
        abort(400, description="Choose modes among exam, practice and spaced review.")
    stats, fresh = bank_statistics_stored(bank, form.mode.data, max_age=_max_age())
    return render_template("teach/statistics.html", bank=bank, form=form, stats=stats, fresh=fresh,
                           recalculate=RecalculateForm(formdata=None, mode=list(stats.modes)), thresholds=THRESHOLDS)


@bp.route("/banks/<slug>/statistics/recalculate", methods=["POST"])
@instructor_required
def recalculate_statistics(slug: str):
    """"Recalculate now": compute and store a bank's statistics for the modes posted (none:
    exam and practice), then back to its statistics page (303)."""
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug), description="There is no such bank.")
    form = RecalculateForm()
    if not form.validate_on_submit():
        abort(400, description="The form could not be read (modes among exam, practice and spaced review); "
                               "reload the page and try again.")
    modes = form.mode.data or list(DEFAULT_MODES)
    bank_statistics_stored(bank, modes, max_age=_max_age(), force=True)
    return redirect(url_for("teach.statistics", slug=slug, mode=modes), 303)


@bp.route("/statistics/recalculate", methods=["POST"])
@instructor_required
def recalculate_flagged():
    """"Recalculate now" on the instructor's home: compute and store the statistics over every
    bank (exam and practice attempts), then back to the home page (303)."""
    form = RecalculateForm()
    if not form.validate_on_submit():
        abort(400, description="The form could not be read; reload the page and try again.")
    flagged_items_stored(max_age=_max_age(), force=True)
    return redirect(url_for("teach.home", _anchor="flagged-items"), 303)


def _max_age() -> float:
    """Seconds stored statistics are served while attempts come in (``STATISTICS_MAX_AGE_SECONDS``)."""
    return float(current_app.config.get("STATISTICS_MAX_AGE_SECONDS", 900))
