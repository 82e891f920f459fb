"""Instructor views; every one is behind ``instructor_required``."""
from flask import render_template
from sqlalchemy import func, select

from ..access import get_or_404, instructor_required
from ..extensions import db
from ..models import Attempt, AttemptStatus, User
from ..progress.views import dashboard_context
from . import bp


@bp.route("/learners")
@instructor_required
def learners():
    """Every user with their number of finished attempts, mean and last score."""
    stats = (
        select(Attempt.user_id, func.count().label("n"), func.avg(Attempt.score_percent).label("mean"),
               func.max(Attempt.submitted_at).label("last"))
        .where(Attempt.status == AttemptStatus.SUBMITTED.value).group_by(Attempt.user_id).subquery()
    )
    rows = db.session.execute(
        select(User, stats.c.n, stats.c.mean, stats.c.last).outerjoin(stats, stats.c.user_id == User.id)
        .order_by(User.display_name, User.id)
    ).all()
    return render_template("teach/learners.html", rows=rows)


@bp.route("/learners/<int:user_id>")
@instructor_required
def learner(user_id: int):
    """One learner's score history, as the learner sees it."""
    person = get_or_404(User, user_id)
    return render_template("progress/dashboard.html", **dashboard_context(person))
