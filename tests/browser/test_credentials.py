"""A real browser: a learner completes a course, opens My credentials and downloads the badge; the
verification page, opened from the QR code's URL without signing in (at phone width), says it is
valid; after the completion is voided it says revoked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from academy.db import db
from tests.browser.live import chromium, live_server, shot, sign_in
from tests.browser.test_learner_journey import EMAIL, _seed

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with live_server(tmp_path_factory.mktemp("credentials"), _seed) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def void_the_completion(app: Any) -> None:
    """What an administrator's void does: the course's completed statement is voided (as the platform)."""
    from courses.services.player import player_authority
    from lrs import Statement, XapiVersion, store_statements

    with app.app_context():
        completed = db.session.scalar(
            select(Statement.payload).where(
                Statement.verb_id == "http://adlnet.gov/expapi/verbs/completed",
                Statement.object_activity_id.like("%/courses/DG101"),
            )
        )
        assert completed is not None
        voiding = {
            "actor": completed["actor"],
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": completed["id"]},
        }
        store_statements(voiding, version=XapiVersion.V1, authority=player_authority())
        db.session.commit()


def test_a_learner_downloads_the_badge_and_anyone_verifies_it_from_the_qr_url(
    live: tuple[str, Any], browser: Any
) -> None:
    url, app = live
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    sign_in(page, url, EMAIL)
    page.goto(f"{url}/courses/DG101")
    page.click("text=ลงทะเบียนเรียน")
    page.click("text=เริ่มเรียน")
    page.click("a[rel=next]")
    page.click("a[rel=next]")
    page.check("text=เลขประจำตัวประชาชน")
    page.check("text=จริง")
    page.click("form.quiz button[type=submit]")
    assert page.locator("#course-completed").is_visible()

    page.click("nav summary >> text=การเรียนรู้")  # the menu's group first (a <details>)
    page.click("text=ใบรับรองของฉัน")
    assert page.locator("h1").inner_text() == "ใบรับรองของฉัน"
    card = page.locator(".credential-card", has_text="กฎหมายดิจิทัลสำหรับเจ้าหน้าที่รัฐ")
    assert card.locator("svg").count() == 1
    shot(page, "my-credentials-th")
    with page.expect_download() as download_info:
        card.locator("text=เหรียญตรา (SVG)").click()
    baked = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "<openbadges:credential" in baked and "OpenBadgeCredential" in baked
    card.locator("summary").click()
    qr = card.locator("img.qr")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    share_url = card.get_by_role("link", name="ลิงก์สำหรับแบ่งปัน").get_attribute("href")
    assert share_url and share_url.startswith(f"{url}/verify/")
    context.close()

    # Anyone, without signing in, on a phone: the URL the QR code carries.
    phone = browser.new_context(locale="th-TH", viewport={"width": 390, "height": 844})
    visitor = phone.new_page()
    visitor.goto(share_url)
    assert visitor.locator("#verdict").inner_text().strip() == "ถูกต้อง"
    wide = visitor.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), wide
    shot(visitor, "verify-valid-th-phone")
    credential = json.loads(visitor.request.get(share_url + "/credential.json").text())
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]

    void_the_completion(app)
    visitor.reload()
    verdict = visitor.locator("#verdict").inner_text().strip()
    assert verdict != "ถูกต้อง"
    assert visitor.locator('[data-finding="revoked"]').count() == 1
    visitor.click("text=English")
    assert visitor.locator("#verdict").inner_text().strip() == "Revoked"
    shot(visitor, "verify-revoked-en-phone")
    phone.close()
    assert not failed, failed
