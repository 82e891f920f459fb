"""End-to-end tests: a real browser (Playwright driving Debian's chromium) against a live server."""
