"""Error pages for 400, 403, 404, 405, 409, 413, 429 and 500."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

DEFAULT_TEXT = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is nothing at this address.",
    405: "That action is not allowed here.",
    409: "That action conflicts with the current state.",
    413: "What you sent is too large.",
    429: "Too many attempts from your address. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you sent was half-saved; please try again.",
}


def register_error_handlers(app: Flask) -> None:
    """Render ``templates/errors/<code>.html`` (or the generic page) for HTTP errors."""

    def render(code: int, message: str):
        template = f"errors/{code}.html" if code in (400, 403, 404, 500) else "errors/generic.html"
        return render_template(template, code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render(400, "The form had expired or was sent from elsewhere "
                           f"({exc.description}). Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        message = exc.description if exc.description and exc.description != type(exc).description \
            else DEFAULT_TEXT.get(code, exc.description)
        if code == 429:  # Flask-Limiter's description is the limit itself, e.g. "10 per 1 minute"
            message = f"{DEFAULT_TEXT[429]} (limit: {exc.description})"
        return render(code, message)

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        db.session.rollback()
        return render(500, DEFAULT_TEXT[500])
