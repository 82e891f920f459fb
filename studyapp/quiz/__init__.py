"""Taking quizzes: pick a bank, answer items, submit, see the result; practise from the study
text; flashcards and spaced review."""
from flask import Blueprint

bp = Blueprint("quiz", __name__)

from . import practice_views, study_views, views  # noqa: E402,F401
