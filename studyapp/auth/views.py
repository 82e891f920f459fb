"""Account views."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import AccountError, authenticate, create_user, find_user
from ..extensions import db, limiter
from . import bp
from .forms import LoginForm, PasswordChangeForm, RegisterForm, TimezoneForm

BAD_LOGIN = "Wrong email or password."


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Accepts ``/quiz/`` but not ``//evil.example``, ``https://evil.example`` or ``\\evil``.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def register():
    """Create a learner account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("quiz.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        if find_user(form.email.data):
            form.email.errors.append("An account with that email already exists. Log in instead?")
        else:
            try:
                user = create_user(form.email.data, form.display_name.data, form.password.data)
            except AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                session.clear()
                login_user(user)
                flash(f"Welcome, {user.display_name}! Pick a bank to start a quiz.", "success")
                return redirect(url_for("quiz.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    """Log in; ``next`` only ever redirects within this site."""
    if current_user.is_authenticated:
        return redirect(url_for("quiz.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash(BAD_LOGIN, "danger")
        else:
            target = safe_next(request.args.get("next"))
            session.clear()  # a fresh session at login: no fixation
            login_user(user, remember=form.remember.data)
            flash(f"Logged in as {user.display_name}.", "success")
            return redirect(target or url_for("quiz.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out and clear the session (and the "keep me logged in" cookie)."""
    # Clear first: logout_user() then leaves "_remember": "clear" in the session, which makes
    # Flask-Login delete the remember cookie; clearing afterwards would keep the cookie, and
    # the next request would log the user back in from it.
    session.clear()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("quiz.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Show the account and change the password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            user.set_password(form.password.data)  # new session token: other sessions end
            db.session.commit()
            login_user(user)  # keep this browser logged in with the new token
            flash("Your password was changed. Other browsers logged in as you must log in again.", "success")
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" and form.errors else 200
    tz_form = TimezoneForm(formdata=None, data={"timezone": current_user.timezone})
    return render_template("auth/account.html", form=form, tz_form=tz_form), status


@bp.route("/account/timezone", methods=["POST"])
@login_required
def timezone():
    """Set the current user's time zone (an IANA name from the list; others are refused)."""
    tz_form = TimezoneForm()
    if tz_form.validate_on_submit():
        user = current_user._get_current_object()
        user.timezone = tz_form.timezone.data
        db.session.commit()
        flash(f"Your time zone is now {user.timezone}.", "success")
        return redirect(url_for("auth.account"), 303)
    return render_template("auth/account.html", form=PasswordChangeForm(formdata=None), tz_form=tz_form), 400
