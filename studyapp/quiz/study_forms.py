"""Forms of the study pages: flashcards and spaced review (all CSRF-protected)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

RATING_MESSAGE = "Choose a rating: 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)."


class FlipForm(FlaskForm):
    """Turn a flashcard over to see its back."""

    submit = SubmitField("Show answer")


class RateForm(FlaskForm):
    """Rate a flashcard: ``rating`` 1-4; ``reps`` is the card's review count when its back
    was shown (0 for a new card), so that a second click does not rate it twice (the page
    always sends it; a value that is not a count 0-10^6 is refused with 400)."""

    rating = IntegerField("Rating", validators=[InputRequired(RATING_MESSAGE), NumberRange(1, 4, RATING_MESSAGE)])
    reps = IntegerField(widget=HiddenInput(), validators=[
        Optional(), NumberRange(0, 10**6, "The card's review count is wrong; reload the card.")])


class StartReviewForm(FlaskForm):
    """Start a review session of a bank's due items."""

    submit = SubmitField("Review due items")
