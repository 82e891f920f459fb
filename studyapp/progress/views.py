"""Progress views."""
from flask import render_template
from flask_login import current_user, login_required
from markupsafe import Markup

from ..charts import score_chart_svg
from ..csp import style_nonce
from ..history import bank_progress, finished_attempts, overview, passage_accuracy
from ..models import User
from . import bp


def dashboard_context(person: User) -> dict:
    """Return what ``progress/dashboard.html`` shows about ``person``: attempts, figures, chart.

    Days (streak, due today) are counted in ``person``'s time zone; dates and the chart's axis
    are shown in the viewer's (``current_user``).
    """
    attempts = finished_attempts(person.id)
    chart = score_chart_svg(attempts, current_user.timezone, style_nonce=style_nonce())
    return {
        "person": person, "attempts": attempts, "banks": bank_progress(attempts),
        "passages": passage_accuracy(person.id), "summary": overview(person.id, person.timezone, attempts),
        # pygal builds the SVG as an XML tree (text escaped) and has no script or external reference.
        # (tests/test_xss.py checks it: test_charts_escape_the_text_they_carry)
        "chart": Markup(chart) if chart else None,  # nosec B704 # pygal's escaped SVG, scripts removed
    }


@bp.route("/")
@login_required
def dashboard():
    """The current user's own history (nobody else's)."""
    return render_template("progress/dashboard.html", **dashboard_context(current_user))
