"""A real browser (Debian's chromium, driven by Playwright) opens the API documentation page.

The page must render Swagger UI from our own assets under the app's Content-Security-Policy,
with no request leaving the server and no CSP violation in the console.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.live import chromium, live_server

VENDOR = Path(__file__).resolve().parents[2] / "academy" / "static" / "vendor" / "swagger-ui" / "swagger-ui-bundle.js"

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform on loopback; the documentation page reads no table."""
    if not VENDOR.exists():
        pytest.fail("Swagger UI is missing from academy/static/vendor: run make install")
    with live_server(tmp_path_factory.mktemp("docs")) as (url, _app):
        yield url


def test_swagger_ui_renders_every_operation_under_the_csp(live_url: str) -> None:
    with chromium() as browser:
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
