"""Instructor pages that are not plain CRUD: learners' scores, the gradebook, generating drafts, the review queue."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import generate_views, gradebook_views, review_views, views  # noqa: E402,F401
