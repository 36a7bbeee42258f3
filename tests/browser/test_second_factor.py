"""A real browser: an HR officer signs in and is asked for the TOTP code before the reports; a new officer enrols.

Served on loopback on a database of its own, like the other browser tests; screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from academy.auth.models import Role
from academy.auth.services import create_user
from academy.org.models import AgencyKind
from academy.org.services import create_agency
from competencies.services.frameworks import seed_standard
from tests.browser.live import chromium, enrol_authenticator, live_server, shot, totp_code
from tests.support.app import PASSWORD

OFFICER = "officer.mfa@example.go.th"
NEWCOMER = "newcomer.mfa@example.go.th"
MINISTRY_TH = "กระทรวงปัจจัยที่สอง"
SECRETS: dict[str, str] = {}

pytestmark = pytest.mark.own_database


def _seed() -> None:
    seed_standard()
    ministry = create_agency(code="71", name_th=MINISTRY_TH, name_en="Ministry of Factors", kind=AgencyKind.MINISTRY)
    for email in (OFFICER, NEWCOMER):
        create_user(email=email, password=PASSWORD, roles=(Role.HR_OFFICER,), agencies=(ministry,))
    SECRETS[OFFICER] = enrol_authenticator(OFFICER)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("second-factor"), _seed) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _password(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/reports/")  # the reports first: sign-in, then the code, then back here
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_an_hr_officer_types_the_code_before_the_reports(live_url: str, browser: Any) -> None:
    page = browser.new_context(locale="th-TH", viewport={"width": 390, "height": 844}).new_page()
    _password(page, live_url, OFFICER)
    page.wait_for_url("**/account/second-factor?**")
    assert page.locator("h1").inner_text() == "กรอกรหัส"
    shot(page, "second-factor-code-th")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    page.fill("input[name=code]", "000000")
    page.click("#code-form button[type=submit]")
    assert page.locator(".field-error").is_visible()
    assert "/account/second-factor" in page.url
    page.fill("input[name=code]", totp_code(SECRETS[OFFICER]))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(lambda address: "/reports/" in address)
    assert page.locator("h1").inner_text().startswith(MINISTRY_TH)


def test_a_new_hr_officer_enrols_by_qr_code(live_url: str, browser: Any) -> None:
    page = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_url}/lang/en")
    _password(page, live_url, NEWCOMER)
    page.wait_for_url("**/account/second-factor/setup?**")
    assert page.locator("h1").inner_text() == "Set up your second factor"
    assert page.locator("figure.qr svg").is_visible()
    secret = page.locator("code.secret").inner_text()
    shot(page, "second-factor-enrol-en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("#code-form button[type=submit]")
    assert page.locator("h1").inner_text() == "Your recovery codes"
    assert page.locator(".recovery-codes li").count() == 10
    page.click("text=I have kept them; continue")
    page.wait_for_url(lambda address: "/reports/" in address)
    assert page.locator("h1").inner_text().startswith(MINISTRY_TH) or page.locator("h1").inner_text()
