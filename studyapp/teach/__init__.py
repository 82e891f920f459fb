"""Instructor pages that are not plain CRUD: the home page, learners' scores, generating drafts,
the review queue, item statistics."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import generate_views, review_views, stats_views, views  # noqa: E402,F401
