"""Browser tests: the platform served on loopback on a database of its own, and Debian's chromium.

A browser test cannot share the per-test transaction (the server answers from another
thread), so it gets a database of its own, built by the migrations: a SQLite file, or a
PostgreSQL database of its own when ACADEMY_TEST_DATABASE_URL is set (dropped after).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from werkzeug.serving import make_server

from academy import create_app
from academy.db import db
from academy.org.demo import ensure_position_lines
from tests.support.app import PASSWORD, make_settings, postgres_database

CHROMIUM = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def chromium_or_skip() -> str:
    """The chromium to drive; without one the test is skipped, except under CI, where it fails."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs a chromium at {CHROMIUM} (.ci/run installs Debian's chromium)")
    pytest.skip(f"no chromium at {CHROMIUM}; install Debian's chromium to run the browser tests")


@contextmanager
def live_server(folder: Path, seed: Callable[[], None] | None = None, **environ: str) -> Iterator[tuple[str, Flask]]:
    """Serve the platform on 127.0.0.1 (its base URL is the server's) after ``seed()`` has run and committed.

    ``environ`` adds settings (``ACADEMY_*``), e.g. a broker that real workers share.
    """
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    databases = postgres_database(server_url) if server_url else iter([f"sqlite:///{folder / 'academy.sqlite3'}"])
    database_url = next(databases)
    reserve = make_server("127.0.0.1", 0, Flask("placeholder"))  # a free port, for the base URL
    port = reserve.server_port
    reserve.server_close()
    app = create_app(
        settings=make_settings(
            database_url,
            ACADEMY_BASE_URL=f"http://127.0.0.1:{port}",
            ACADEMY_CMI5_STORAGE_DIR=str(folder / "cmi5"),
            **environ,
        )
    )
    with app.app_context():
        flask_migrate.upgrade()
        ensure_position_lines()
        if seed is not None:
            seed()
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        for _ in databases:  # drops the PostgreSQL database
            pass


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium, driven by Playwright."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, url: str, email: str, password: str = PASSWORD, totp_secret: str | None = None) -> None:
    """Sign in on the login page; an HR officer or admin (``totp_secret``) then types the app's code."""
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if totp_secret is not None:
        page.wait_for_url("**/account/second-factor?**")
        page.fill("input[name=code]", totp_code(totp_secret))
        page.click("#code-form button[type=submit]")
        page.wait_for_url(lambda address: "/account/second-factor" not in address)


#: The last TOTP step typed per secret: the server accepts each code once, as a phone's user would find.
_TYPED_STEPS: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """The authenticator's code for now; when this step's code was typed already, wait for the next one."""
    import time

    import pyotp

    app = pyotp.TOTP(secret)
    while app.timecode(datetime.now(UTC)) <= _TYPED_STEPS.get(secret, -1):
        time.sleep(1)
    step = app.timecode(datetime.now(UTC))
    _TYPED_STEPS[secret] = step
    return app.generate_otp(step)


def enrol_authenticator(email: str) -> str:
    """Give a seeded user an authenticator app (as if they had scanned the QR code); return its secret.

    Call inside ``seed()``. The enrolment's own code is of the step before, so that the first sign-in's code
    (this step's) is new.
    """
    import pyotp
    from sqlalchemy import select

    from academy.auth.models import User
    from academy.auth.second_factor import enrol_totp

    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    secret = pyotp.random_base32(32)
    app = pyotp.TOTP(secret)
    enrol_totp(user, secret, app.generate_otp(app.timecode(datetime.now(UTC)) - 1))
    return secret


def shot(page: Any, name: str) -> None:
    """Keep a screenshot of the page as a test artefact (test-artifacts/screenshots/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1200)  # let charts finish their entry animation
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
