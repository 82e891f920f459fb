"""The Content Security Policy and the other security headers (``studyapp.guards``,
``studyapp.csp``), and the absence of inline code that the policy would block.

Every page type carries a policy whose script-src has neither ``'unsafe-inline'`` nor
``'unsafe-eval'``; every template, and the HTML of every page visited here, is free of inline
scripts, ``on...=`` handler attributes, ``javascript:`` URLs and inline styles (so a new one
fails the suite before a browser refuses it). The browser side is tests/e2e/test_csp_browser.py.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

import config
from studyapp import create_app
from studyapp.csp import BASE_POLICY
from studyapp.models import Bank, Question
from tests.conftest import ROOT, TINY_ITEMS
from tests.test_quiz import DRAFT_ITEM, answer, attempt_items, key_answer, start

TEMPLATES = ROOT / "templates"
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {header}"
        parsed[name] = sources
    return parsed


def check_headers(response) -> dict[str, list[str]]:
    """Assert the security headers of ``response``; return its policy's directives."""
    csp = directives(response)
    where = response.request.path
    for name in ("script-src", "style-src"):
        unsafe = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:"}
        assert not unsafe & set(csp[name]), f"{name} of {where}: {csp[name]}"
        assert csp[name][0] == "'self'" and all(s == "'self'" or NONCE.fullmatch(s) for s in csp[name]), csp[name]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"] and csp["font-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # the test config has no HTTPS-only cookie
    return csp


class InlineCode(HTMLParser):
    """Collects what a strict policy blocks in an HTML page: ``<script>`` without ``src`` and
    ``<style>`` whose nonce the policy does not list, ``on...=`` attributes, ``javascript:`` URLs
    and ``style=`` attributes.

    ``allow_void_links``: Flask-Admin's own templates (those we do not override) have
    ``href="javascript:void(0)"`` placeholders (the current tab, the current page number);
    static/js/admin.js cancels their clicks, and the policy would refuse to run them anyway.
    """

    def __init__(self, script_nonces: set[str], style_nonces: set[str], allow_void_links: bool = False):
        super().__init__(convert_charrefs=True)
        self.script_nonces, self.style_nonces = script_nonces, style_nonces
        self.allow_void_links = allow_void_links
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        shown = self.get_starttag_text()[:160]
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("nonce") not in self.script_nonces:
            self.problems.append(f"inline script: {shown}")
        if tag == "style" and values.get("nonce") not in self.style_nonces:
            self.problems.append(f"<style> without the page's nonce: {shown}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"handler attribute {name}=: {shown}")
            if name == "style":
                self.problems.append(f"style attribute: {shown}")
            url = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if url.startswith("javascript:") and not (
                    self.allow_void_links and name == "href" and url == "javascript:void(0)"):
                self.problems.append(f"javascript: URL: {shown}")

    handle_startendtag = handle_starttag


def inline_code(response) -> list[str]:
    """What the policy of ``response`` would block in its HTML (see :class:`InlineCode`)."""
    csp = directives(response)
    nonces = lambda name: {m.group(1) for s in csp[name] if (m := NONCE.fullmatch(s))}  # noqa: E731
    admin = response.request.path.startswith("/admin/")
    parser = InlineCode(nonces("script-src"), nonces("style-src"), allow_void_links=admin)
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser.problems


# --- every page type --------------------------------------------------------------------------

@pytest.fixture()
def site(client, csrf, login_as, make_bank, make_user, db):
    """The tiny bank with a draft and a 30-minute exam limit, and a learner; return their ids,
    the learner and ``visit(path, status=200, html=True)``, which checks the headers (and the
    HTML) of a page and returns the response."""
    bank = make_bank(TINY_ITEMS + DRAFT_ITEM)
    bank.time_limit_minutes = 30
    db.session.commit()
    learner = make_user("learner")
    ids = {"bank": bank.id, "learner": learner.id,
           "item": db.session.scalar(select(Question.id).where(Question.status == "published")
                                     .order_by(Question.id))}

    def visit(path: str, status: int = 200, html: bool = True):
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        check_headers(response)
        if html:
            assert response.mimetype == "text/html", path
            assert inline_code(response) == [], path
        return response

    return {"ids": ids, "visit": visit, "learner": learner}


def test_anonymous_pages_static_files_and_errors(client, csrf, site):
    """Public pages, a redirect, a 404 and a 400 (CSRF) page, static files and /healthz."""
    visit = site["visit"]
    for path in ("/", "/auth/login", "/auth/register"):
        visit(path)
    visit("/no/such/page", 404)
    visit("/attempts/1/result", 302, html=False)                 # to the login page
    visit("/static/app.css", html=False)
    visit("/static/js/admin.js", html=False)
    visit("/admin/static/admin/js/form.js", html=False)
    health = visit("/healthz", html=False)
    assert health.mimetype == "application/json"
    expired = client.post("/auth/login", data={"email": "x@example.org", "password": "x"})  # no CSRF token
    assert expired.status_code == 400
    check_headers(expired)
    assert inline_code(expired) == []


def test_learner_pages(client, csrf, login_as, site, db):
    """A learner's pages: banks, study text, flashcards (front and back), an exam question with
    its countdown, the result and the dashboard with its chart."""
    visit = site["visit"]
    login_as(site["learner"])
    visit("/banks")
    visit("/banks/tiny")
    visit("/sources/tiny-source")
    visit("/review")
    visit("/auth/account")
    front = visit("/banks/tiny/flashcards").get_data(as_text=True)
    item_id = re.search(r'/flashcards/(\d+)/flip', front).group(1)
    back = client.post(f"/banks/tiny/flashcards/{item_id}/flip", data={"csrf_token": csrf(client)})
    assert back.status_code == 200 and "rate-form" in back.get_data(as_text=True)
    check_headers(back)
    assert inline_code(back) == []
    visit("/teach/", 403)
    attempt_id = start(client, csrf, mode="exam")
    question = visit(f"/attempts/{attempt_id}/q/1")
    assert 'id="countdown"' in question.get_data(as_text=True)  # the exam's countdown, run by question.js
    assert 'class="answered-bar' in question.get_data(as_text=True)
    for position, ai in enumerate(attempt_items(db, attempt_id), start=1):
        answer(client, csrf, attempt_id, position, **key_answer(ai))
    assert client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf(client)}).status_code == 303
    visit(f"/attempts/{attempt_id}/result")
    dashboard = visit("/progress/")
    csp = directives(dashboard)
    # the score chart's <style> carries the nonce that style-src lists; scripts get none
    assert 'id="score-chart"' in dashboard.get_data(as_text=True)
    assert any(NONCE.fullmatch(s) for s in csp["style-src"])
    assert csp["script-src"] == ["'self'"]


def test_instructor_and_admin_pages(client, csrf, login_as, make_user, site, db):
    """The instructor's pages and Flask-Admin's list, create, edit and details views (for an
    admin the users too): the policy lists the nonce Flask-Admin writes, no handler attribute."""
    visit, ids = site["visit"], site["ids"]
    login_as("instructor")
    for path in ("/teach/", "/teach/banks", "/teach/banks/tiny/review", "/teach/banks/tiny/statistics",
                 "/teach/banks/tiny/reports", "/teach/banks/tiny/export", "/teach/generate", "/teach/import",
                 "/teach/gradebook", "/teach/learners", f"/teach/learners/{ids['learner']}",
                 f"/teach/items/{ids['item']}/versions"):
        visit(path)
    review = visit("/teach/banks/tiny/review").get_data(as_text=True)
    assert 'id="tick-all"' in review and "js/review.js" in review
    document_id = db.session.scalar(select(Bank.document_id).where(Bank.id == ids["bank"]))
    for path in ("/admin/", "/admin/items/", "/admin/items/new/", f"/admin/items/edit/?id={ids['item']}",
                 f"/admin/items/details/?id={ids['item']}", "/admin/bank/", f"/admin/bank/edit/?id={ids['bank']}",
                 "/admin/document/", f"/admin/document/edit/?id={document_id}", "/admin/passage/",
                 "/admin/items/?flt0_0=Tiny"):
        page = visit(path)
        csp = directives(page)
        # Flask-Admin's tags carry the request's nonce, which the policy lists for these pages
        nonce = NONCE.fullmatch(csp["script-src"][1]).group(1)
        assert f'nonce="{nonce}"' in page.get_data(as_text=True)
        assert "js/admin.js" in page.get_data(as_text=True)
    edit = visit(f"/admin/items/edit/?id={ids['item']}").get_data(as_text=True)
    assert 'data-inline-add="options"' in edit and "onclick" not in edit
    listing = visit("/admin/items/").get_data(as_text=True)
    assert 'data-confirm="Are you sure you want to delete this record?"' in listing
    assert 'data-model-action="delete"' in listing and 'class="dropdown-item filter"' in listing
    visit("/admin/user/", 403)
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    login_as("admin")
    visit("/admin/user/")


def test_nonces_differ_per_request_and_only_pages_that_use_one_list_it(client, login_as, site):
    """Each admin response has its own nonce; a page without charts or Flask-Admin has none."""
    login_as("instructor")
    first, second = (directives(client.get("/admin/items/")) for _ in range(2))
    assert first["script-src"] != second["script-src"]
    assert directives(client.get("/teach/banks"))["script-src"] == ["'self'"]
    assert directives(client.get("/teach/banks"))["style-src"] == ["'self'"]


def test_header_matches_the_base_policy():
    """Without a nonce the header is exactly the documented policy."""
    app = create_app(config.TestConfig)
    response = app.test_client().get("/static/app.css")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
    assert [name for name, _ in BASE_POLICY][-1] == "frame-ancestors"


def test_hsts_only_with_https_only_cookies(monkeypatch):
    """Strict-Transport-Security is sent under the production config (secure cookies), not in
    development or tests."""
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")

    class Production(config.ProductionConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    assert Production.SESSION_COOKIE_SECURE
    response = create_app(Production).test_client().get("/static/app.css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    for cfg in (config.Config, config.TestConfig):
        class Local(cfg):
            SQLALCHEMY_DATABASE_URI = "sqlite://"
        assert "Strict-Transport-Security" not in create_app(Local).test_client().get("/static/app.css").headers


# --- the templates themselves -------------------------------------------------------------------

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S),
    "javascript: URL": re.compile(r"javascript\s*:", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S),
}


def test_no_template_has_inline_code():
    """No template of ours has an inline script, a handler attribute, a ``javascript:`` URL or an
    inline style (Jinja comments aside): put scripts in studyapp/static/js/, styles in app.css."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = JINJA_COMMENT.sub("", path.read_text())
        for what, rule in TEMPLATE_RULES.items():
            for match in rule.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)[:80]!r}")
    assert problems == []


@pytest.mark.parametrize("snippet", [
    "<script>alert(1)</script>", '<button onclick="go()">', '<a href="javascript:go()">',
    '<div style="color: red">', "<style>p{}</style>", '<a\n  class="x" onmouseover="go()">',
])
def test_the_template_rules_catch_inline_code(snippet):
    """Both checks (template text, rendered HTML) catch each kind of inline code."""
    assert any(rule.search(snippet) for rule in TEMPLATE_RULES.values())
    parser = InlineCode(set(), set())
    parser.feed(snippet)
    assert parser.problems


def test_the_template_rules_let_files_and_data_attributes_pass():
    """Script files, data attributes and macro arguments named ..._style are not inline code."""
    fine = ('<script src="/static/js/review.js"></script> <button data-confirm="Sure?" data-onclick="x">'
            '{{ render_field(field, button_style="primary") }}')
    assert not any(rule.search(fine) for rule in TEMPLATE_RULES.values())


VOID = 'href="javascript:void(0)"'
ADMIN_OVERRIDES = {
    # our copy of a Flask-Admin bootstrap4 template -> the replacements that make it from Flask-Admin's
    "admin/actions.html": [
        ("""<a class="dropdown-item" href="javascript:void(0)"
               onclick="return modelActions.execute('{{ p[0] }}');">""",
         """<a class="dropdown-item" href="#" role="button" data-model-action="{{ p[0] }}">"""),
        (VOID, 'href="#"')],
    "admin/model/layout.html": [
        ("""<a href="javascript:void(0)" class="dropdown-item filter" onclick="return false;">""",
         """<a href="#" class="dropdown-item filter" role="button">"""),
        (VOID, 'href="#"')],
    "admin/model/row_actions.html": [
        ("<button onclick=\"return faHelpers.safeConfirm('{{ _gettext('Are you sure you want to delete this "
         "record?') }}');\"",
         "<button data-confirm=\"{{ _gettext('Are you sure you want to delete this record?') }}\"")],
    "admin/model/inline_list_base.html": [
        ("""href="javascript:void(0)" class="btn btn-primary" role="button" onclick="faForm.addInlineField(this, '{{ field.id }}');">""",
         """href="#" class="btn btn-primary" role="button" data-inline-add="{{ field.id }}">"""),
        (VOID, 'href="#"')],
}


@pytest.mark.parametrize("name", sorted(ADMIN_OVERRIDES))
def test_admin_overrides_differ_from_flask_admin_only_by_the_handlers(name):
    """Our copies of Flask-Admin templates (which win over its own) are its templates with the
    handler attributes replaced, nothing else. When an upgrade of Flask-Admin changes its
    template, this fails: port the change to our copy."""
    import flask_admin

    expected = (Path(flask_admin.__file__).parent / "templates" / "bootstrap4" / name).read_text()
    for old, new in ADMIN_OVERRIDES[name]:
        assert old in expected, f"Flask-Admin's {name} changed: port it to templates/{name}"
        expected = expected.replace(old, new)
    ours = (TEMPLATES / name).read_text()
    assert ours.startswith("{#")
    assert ours[ours.index("#}") + 3:] == expected, f"templates/{name} differs from Flask-Admin's beyond the handlers"
