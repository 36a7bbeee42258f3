"""A real browser (Debian's chromium, driven by Playwright) opens the API documentation page.

The page must render Swagger UI from our own assets under the app's Content-Security-Policy,
with no request leaving the server and no CSP violation in the console.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from academy import create_app
from academy.db import db
from tests.conftest import make_settings

CHROMIUM = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parents[3] / "academy" / "static" / "vendor" / "swagger-ui" / "swagger-ui-bundle.js"

pytestmark = pytest.mark.own_database


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs a chromium at {CHROMIUM} (.ci/run installs Debian's chromium)")
    pytest.skip(f"no chromium at {CHROMIUM}; install Debian's chromium to run the browser tests")


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform on loopback; the documentation page reads no table, so the database stays empty."""
    if not VENDOR.exists():
        pytest.fail("Swagger UI is missing from academy/static/vendor: run make install")
    app: Flask = create_app(settings=make_settings(f"sqlite:///{tmp_path_factory.mktemp('docs') / 'docs.sqlite3'}"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def test_swagger_ui_renders_every_operation_under_the_csp(live_url: str) -> None:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            console: list[str] = []
            foreign: list[str] = []
            page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
            page.on("request", lambda request: foreign.append(request.url))
            page.goto(f"{live_url}/api/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=15_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert "/api/v1/people/bulk" in {path.strip().replace("\u200b", "") for path in paths}
            assert len(paths) >= 9
            assert page.locator(".btn.authorize").count() == 1  # the bearer-token dialog
            assert not [text for text in console if "Content Security Policy" in text], console
            assert not [url for url in foreign if not url.startswith((live_url, "data:"))], foreign
        finally:
            browser.close()
