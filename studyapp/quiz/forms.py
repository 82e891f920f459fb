"""Quiz forms other than the per-kind answer forms (those live in ``studyapp.kinds``)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SubmitField
from wtforms.validators import InputRequired, NumberRange

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
