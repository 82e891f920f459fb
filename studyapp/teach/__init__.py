"""Instructor pages that are not plain CRUD: learners and their score histories."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import views  # noqa: E402,F401
