"""Access checks in one place: load-or-404, owner-or-404, and role decorators."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from .extensions import db, login_manager
from .models import User


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Flask-Login callback: return the user whose session token is ``token``, or None.

    A token stops working when its user changes password (see ``User.set_password``).
    """
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(User).where(User.session_token == token))


def get_or_404(model, ident, description: str | None = None):
    """Return the row of ``model`` with primary key ``ident``.

    Raises:
        werkzeug.exceptions.NotFound: no such row (404).
    """
    row = db.session.get(model, ident)
    if row is None:
        abort(404, description=description)
    return row


def owned_or_404(row, user_id_attr: str = "user_id"):
    """Return ``row`` if the current user owns it or is staff.

    Another learner's row answers 404, not 403, so that ids of other people's data
    cannot even be confirmed to exist.

    Raises:
        werkzeug.exceptions.NotFound: the row belongs to another learner.
    """
    if getattr(row, user_id_attr) != current_user.id and not current_user.is_staff:
        abort(404)
    return row


def instructor_required(view):
    """Allow instructors and admins; anonymous users go to log in, others get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403, description="This page is for instructors.")
        return view(*args, **kwargs)

    return wrapped
