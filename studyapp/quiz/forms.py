"""Quiz forms other than the per-kind answer forms (those live in ``studyapp.kinds``)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..models import REPORT_REASONS

MODES = [
    ("practice", "Practice: see at once whether each answer is right, with the answer and its passage"),
    ("exam", "Exam: answers are marked when you submit"),
]


class StartForm(FlaskForm):
    """How many items to ask (1-100), and in which mode (practice or exam)."""

    mode = RadioField("Mode", choices=MODES, default="practice", validators=[InputRequired()])
    n_items = IntegerField("Number of questions", validators=[InputRequired(), NumberRange(min=1, max=100)])
    submit = SubmitField("Start quiz")


class ShowAnswerForm(FlaskForm):
    """Practice: give up on a question and see its answer."""

    show = SubmitField("Show answer")


class SubmitAttemptForm(FlaskForm):
    """Submit an attempt for marking."""

    submit = SubmitField("Submit for marking")


class PractiseForm(FlaskForm):
    """Start a practice attempt (a passage's items, or the weakest): only the CSRF token."""


class ReportForm(FlaskForm):
    """Report a problem with an item: a reason and an optional comment (at most 1000 characters)."""

    reason = SelectField("What is wrong?", choices=list(REPORT_REASONS.items()),
                         validators=[InputRequired("Choose what is wrong.")])
    comment = TextAreaField("Comment (optional)", validators=[Length(max=1000, message="At most 1000 characters.")],
                            render_kw={"rows": 2, "maxlength": 1000})
    submit = SubmitField("Send report")
