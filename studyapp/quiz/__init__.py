"""Taking quizzes: pick a bank, answer items, submit, see the result."""
from flask import Blueprint

bp = Blueprint("quiz", __name__)

from . import views  # noqa: E402,F401
from . import study_views  # noqa: E402,F401
