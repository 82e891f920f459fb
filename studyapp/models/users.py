"""Users and their roles."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import utcnow


class Role(str, enum.Enum):
    """What a user may do: learners take quizzes, instructors manage content and see
    every learner's scores, admins also manage users and roles."""

    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person with an account. ``email`` is stored lower-cased and is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.LEARNER.value, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What Flask-Login keeps in the session and the remember cookie; a new one is made
    # at every password change, which ends every other session of the user.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_hex(32))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    """IANA time zone name ("Asia/Shanghai") in which dates are shown to the user and days counted."""

    def get_id(self) -> str:
        """Flask-Login: the value kept in the session (the session token, not the row id)."""
        return self.session_token

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (werkzeug's salted scrypt hash) and renew the session token.

        Args:
            password: the plain-text password; never stored.
        """
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.session_token = secrets.token_hex(32)

    def check_password(self, password: str) -> bool:
        """Return True if ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    @property
    def is_staff(self) -> bool:
        """True for instructors and admins."""
        return self.role in (Role.INSTRUCTOR.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        """True for admins."""
        return self.role == Role.ADMIN.value

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"


# The gradebook's default order (see ``gradebook._first_learners``): a page of learners by name
# is read from this index instead of sorting every learner.
Index("ix_users_role_name", User.role, func.lower(User.display_name), User.display_name, User.id)
