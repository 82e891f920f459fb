"""Instructor pages that are not plain CRUD: learners' scores, generating drafts, the review queue."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import generate_views, item_views, review_views, views  # noqa: E402,F401
