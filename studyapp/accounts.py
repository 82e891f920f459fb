"""Account work that knows nothing of requests: creating users, checking logins."""
from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import Role, User


class AccountError(ValueError):
    """An account that cannot be created (e.g. the email is taken)."""


def normalise_email(email: str) -> str:
    """Return ``email`` stripped and lower-cased (emails are unique in that form)."""
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    """Return the user with ``email`` (any case), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, display_name: str, password: str, role: Role | str = Role.LEARNER) -> User:
    """Create and commit a user.

    Args:
        email: unique address (stored lower-cased).
        display_name: shown name.
        password: plain text; only its hash is stored.
        role: a :class:`Role` or its value.
    Returns:
        The new user.
    Raises:
        AccountError: the email is already registered, or the role is unknown.
    """
    role = Role(role).value if not isinstance(role, Role) else role.value
    user = User(email=normalise_email(email), display_name=display_name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("An account with that email already exists.") from None
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """Return a hash made with the configured method, to check when no user matches.

    Real hashes use ``PASSWORD_HASH_METHOD``; a dummy made with another method would
    take a different time to check and so reveal whether the email exists.
    """
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def authenticate(email: str, password: str) -> User | None:
    """Return the active user whose email and password match, else None.

    A missing user still costs one hash check, so timing does not reveal which emails exist.
    """
    user = find_user(email)
    if user is None:
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def generate_password() -> str:
    """Return a random password of 16 URL-safe characters (about 96 bits)."""
    return secrets.token_urlsafe(12)


def staff_count() -> int:
    """Return the number of instructors and admins."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role.in_([Role.INSTRUCTOR.value, Role.ADMIN.value]))
    )
