"""The learner's dashboard: score history, best and latest per bank, accuracy per passage."""
from flask import Blueprint

bp = Blueprint("progress", __name__, url_prefix="/progress")

from . import views  # noqa: E402,F401
