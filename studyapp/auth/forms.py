"""Account forms (Flask-WTF: every form carries a CSRF token)."""
import unicodedata

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, DataRequired, Email, EqualTo, Length, ValidationError

from ..timefmt import DEFAULT_TIMEZONE, is_timezone, timezone_names


# Characters that are letters to Unicode but show as blank space.
BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def clean_name(value):
    """Drop invisible format characters (zero-width spaces, direction overrides...) and trim."""
    if not isinstance(value, str):
        return value
    return "".join(c for c in value if unicodedata.category(c) != "Cf").strip()


def _visible_name(form, field):
    """Refuse names without a visible letter or digit (blank-looking Unicode included)."""
    if not any(unicodedata.category(c)[0] in "LN" and c not in BLANK_LETTERS for c in field.data or ""):
        raise ValidationError("Use at least one visible letter or digit.")


def _password_length(form, field):
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(f"Use at least {minimum} characters.")
    if len(field.data) > 256:
        raise ValidationError("Use at most 256 characters.")


class RegisterForm(FlaskForm):
    """Email, display name and a password typed twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = f"At least {current_app.config['PASSWORD_MIN_LENGTH']} characters."

    email = EmailField("Email", filters=[_strip],
                       validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField("Display name", filters=[clean_name],
                               validators=[DataRequired(), Length(min=1, max=80), _visible_name])
    password = PasswordField("Password", validators=[DataRequired(), _password_length])
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password", message="The passwords differ.")])
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in")
    submit = SubmitField("Log in")


class PasswordChangeForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    password = PasswordField("New password", validators=[DataRequired(), _password_length])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("password", message="The passwords differ.")])
    submit = SubmitField("Change password")


def _known_timezone(form, field):
    """Refuse a name that is not an IANA time zone of this system."""
    if not is_timezone(field.data):
        raise ValidationError("Unknown time zone: pick one from the list (for example Europe/Berlin or UTC).")


class TimezoneForm(FlaskForm):
    """The time zone in which dates are shown and study days counted (IANA names; prefix ``tz``)."""

    timezone = SelectField("Time zone", default=DEFAULT_TIMEZONE, validate_choice=False,
                           validators=[InputRequired("Choose a time zone."), _known_timezone],
                           description="Dates are shown, and study days counted, in this time zone.")
    submit = SubmitField("Save time zone")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "tz")
        super().__init__(*args, **kwargs)
        self.timezone.choices = list(timezone_names())
