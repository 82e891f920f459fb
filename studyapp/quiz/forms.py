"""Quiz forms other than the per-kind answer forms (those live in ``studyapp.kinds``)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange


class StartForm(FlaskForm):
    """How many items to ask (1-100)."""

    n_items = IntegerField("Number of questions", validators=[InputRequired(), NumberRange(min=1, max=100)])
    submit = SubmitField("Start quiz")


class SubmitAttemptForm(FlaskForm):
    """Submit an attempt for marking."""

    submit = SubmitField("Submit for marking")


class PractiseForm(FlaskForm):
    """Start a practice attempt (a passage's items, or the weakest): only the CSRF token."""
