"""Browser fixtures: the session's app served from a background thread, and Playwright
driving Debian's chromium (never a browser that Playwright downloads).

Fixtures: ``live_server`` (base URL), ``browser``, ``new_page`` (factory), ``page``, ``login``.

Without ``/usr/bin/chromium`` (or without the ``playwright`` package) the browser tests
are skipped with the reason; with ``STUDYAPP_REQUIRE_BROWSER=1`` they fail instead.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from werkzeug.serving import make_server

try:
    from tests.conftest import PASSWORD
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    # The machine has no network beyond what the tests serve: keep chromium from trying.
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


def _browser_unavailable(reason: str) -> None:
    """Skip the test, or fail it when ``STUDYAPP_REQUIRE_BROWSER=1``."""
    if os.environ.get("STUDYAPP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and STUDYAPP_REQUIRE_BROWSER=1 requires the browser tests to run",
                    pytrace=False)
    pytest.skip(f"{reason}; browser tests skipped (install Debian's chromium package to run them)")


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """Serve the session's ``app`` on a free port of 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """A headless Debian chromium driven by Playwright (sync API), shared by the session."""
    if not os.path.exists(CHROMIUM):
        _browser_unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def new_page(browser, live_server, db) -> Iterator[Callable]:
    """Return ``new_page() -> Page``: a page in a fresh browser context (own cookies) at 1280x900.

    Every context is closed after the test, before the ``db`` fixture empties the tables.
    """
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page):
    """One page in a fresh browser context."""
    return new_page()


@pytest.fixture()
def login() -> Callable:
    """Return ``login(page, user)``: log ``user`` in through the login form (password: PASSWORD)."""

    def do_login(page, user) -> None:
        page.goto("/auth/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/banks")

    return do_login
