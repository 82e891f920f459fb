"""Item statistics of a bank and the instructor's home page; behind ``instructor_required``."""
from __future__ import annotations

from flask import abort, render_template, request
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
    FLAG_MIN_ATTEMPTS, TOO_EASY_ABOVE, TOO_HARD_BELOW, WEAK_DISCRIMINATION_BELOW, bank_statistics, flagged_items,
    recent_activity,
)
from . import bp
from .forms import StatisticsForm

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
    banks = bank_status_counts()
    activity = recent_activity(current_user.timezone)
    per_day = bar_chart_svg("Attempts submitted per day", [d.day.strftime("%d %b") for d in activity.days],
                            [d.attempts for d in activity.days], y_title="Attempts", style_nonce=style_nonce())
    deciles = bar_chart_svg("Scores of those attempts", [f"{d.label}%" for d in activity.deciles],
                            [d.attempts for d in activity.deciles], x_title="Score", y_title="Attempts",
                            style_nonce=style_nonce())
    return render_template(
        "teach/home.html", banks=banks, waiting=[b for b in banks if b["draft"]], flagged=flagged_items(),
        activity=activity, per_day_chart=_svg(per_day), decile_chart=_svg(deciles), thresholds=THRESHOLDS)


@bp.route("/banks/<slug>/statistics")
@instructor_required
def statistics(slug: str):
    """Facility, SD, discrimination, option counts per third and flags of every item of a bank."""
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug), description="There is no such bank.")
    form = StatisticsForm(formdata=request.args if "mode" in request.args else None)
    if not form.validate():
        abort(400, description="Choose modes among exam, practice and spaced review.")
    return render_template("teach/statistics.html", bank=bank, form=form,
                           stats=bank_statistics(bank, form.mode.data), thresholds=THRESHOLDS)
