"""The Content Security Policy of every response, and its per-request nonce.

Scripts run only from files the app serves (``script-src 'self'``): no inline ``<script>``,
no ``on...=`` handler attributes, no ``javascript:`` URLs, no ``eval``. Styles likewise come
from the app's stylesheets only, with one exception carried by a nonce: the ``<style>``
element inside each pygal chart (``studyapp.charts``), whose rules are scoped to that chart's
id and differ per chart.

A nonce is made (``secrets.token_urlsafe(16)``) only when something on the page asks for
one, and it goes into the header of that response only:

- ``style_nonce()``: the charts' ``<style>`` elements; adds ``'nonce-...'`` to style-src.
- ``admin_nonce()``: Flask-Admin's ``csp_nonce_generator``. Flask-Admin writes
  ``nonce="..."`` on its ``<script>`` and stylesheet ``<link>`` tags; with our admin options
  none of its scripts is inline, but its modal and map options write small inline scripts
  that carry the nonce. It adds ``'nonce-...'`` to script-src and style-src of admin pages.

A nonce never allows handler attributes or ``javascript:`` URLs: the Flask-Admin templates
that have ``onclick=`` are overridden in ``templates/admin/`` (see ``static/js/admin.js``).
"""
from __future__ import annotations

import secrets

from flask import g

BASE_POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),     # data: for the SVG icons inside Bootstrap's CSS
    ("font-src", "'self'"),          # Flask-Admin's Font Awesome
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
"""The directives, in order, before any nonce is added."""


def _nonce() -> str:
    """Return this request's nonce, making it on first use."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def style_nonce() -> str:
    """Return the request's nonce for an inline ``<style>`` element; style-src will allow it."""
    g.csp_style_nonce = True
    return _nonce()


def admin_nonce() -> str:
    """Return the request's nonce for Flask-Admin's tags (its ``csp_nonce_generator``);
    script-src and style-src of the response will allow it."""
    g.csp_script_nonce = g.csp_style_nonce = True
    return _nonce()


def content_security_policy() -> str:
    """Return the ``Content-Security-Policy`` header value for the current response.

    The base policy (``BASE_POLICY``), with ``'nonce-...'`` added to script-src and/or
    style-src when the page asked for a nonce (``style_nonce``, ``admin_nonce``). Needs a
    request or app context when a nonce may have been made.
    """
    nonce = g.get("csp_nonce") if g else None
    extra = {}
    if nonce and g.get("csp_script_nonce"):
        extra["script-src"] = f"'nonce-{nonce}'"
    if nonce and g.get("csp_style_nonce"):
        extra["style-src"] = f"'nonce-{nonce}'"
    return "; ".join(
        f"{name} {value} {extra[name]}" if name in extra else f"{name} {value}" for name, value in BASE_POLICY
    )
