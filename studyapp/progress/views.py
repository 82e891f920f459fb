"""Progress views."""
from flask import render_template
from flask_login import current_user, login_required

from ..history import bank_progress, finished_attempts, passage_accuracy
from . import bp


@bp.route("/")
@login_required
def dashboard():
    """The current user's own history (nobody else's)."""
    attempts = finished_attempts(current_user.id)
    return render_template(
        "progress/dashboard.html", person=current_user, attempts=attempts,
        banks=bank_progress(attempts), passages=passage_accuracy(current_user.id),
    )
