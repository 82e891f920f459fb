"""Instructor pages that are not plain CRUD: the home page, learners' scores, the gradebook,
generating drafts, the review queue, learners' reports, item versions and regrading, item statistics."""
from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/teach")

from . import (generate_views, gradebook_views, interchange_views, item_views, review_views, stats_views,  # noqa: E402,F401
               views)
