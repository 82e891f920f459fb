"""Instructor pages that are not plain CRUD: learners' scores, the gradebook, generating drafts,
the review queue, learners' reports, item versions and regrading."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import generate_views, gradebook_views, item_views, review_views, views  # noqa: E402,F401
