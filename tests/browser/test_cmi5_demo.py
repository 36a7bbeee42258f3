"""A real browser (Debian's chromium) runs the demo cmi5 course: our AU's own page and script,
sandboxed under its content security policy, talk to our LRS with the launch's credentials.

The platform is served on loopback on a database of its own (built by the migrations);
screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, current_app

from academy.auth.models import Role
from academy.auth.services import create_user
from academy.db import db
from academy.org.models import AgencyKind, IdentifierKind, Person, PersonIdentifier
from academy.org.services import apply_role_profile, create_agency, platform_account_key
from courses.cmi5.demo import DEMO_CODE, build_cmi5_demo_course
from courses.cmi5.services.importer import structure_of
from courses.models import Enrolment, EnrolmentSource, EnrolmentStatus
from tests.browser.live import chromium, live_server, shot
from tests.support.app import PASSWORD, position

EMAIL = "cmi5.learner@example.go.th"

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    with live_server(tmp_path_factory.mktemp("cmi5-browser"), _seed) as served:
        yield served


def _seed() -> None:
    agency = create_agency(code="60", name_th="กระทรวงทดลอง", name_en="Ministry of Trials", kind=AgencyKind.MINISTRY)
    line, level = position("K-COMP", "K2")
    person = Person(
        agency=agency,
        employee_no="C5-0001",
        first_name_th="สมชาย",
        last_name_th="ใจดี",
        first_name_en="Somchai",
        last_name_en="Jaidee",
        position_line=line,
        position_level=level,
        email=EMAIL,
    )
    apply_role_profile(person)
    db.session.add(person)
    db.session.flush()
    person.identifiers.append(
        PersonIdentifier(
            kind=IdentifierKind.ACCOUNT,
            key=platform_account_key(current_app.config["ACADEMY_BASE_URL"], person.public_id),
        )
    )
    create_user(email=EMAIL, password=PASSWORD, roles=(Role.LEARNER,), person=person)
    course = build_cmi5_demo_course()
    db.session.add(Enrolment(person=person, course=course, source=EnrolmentSource.SELF))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def _launch(page: Any, unit: int, mode: str = "Normal") -> None:
    page.locator(".cmi5-au").nth(unit).locator(f"button[data-mode={mode}]").click()
    page.wait_for_url("**/cmi5/content/*/au.html?**")


def _thai_font_loaded(page: Any) -> bool:
    """Whether the AU's page drew its Thai text in its own Sarabun (not a fallback)."""
    return bool(
        page.evaluate(
            "async () => { await document.fonts.ready;"
            " return [...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Sarabun'"
            " && f.status === 'loaded' && f.unicodeRange.toLowerCase().includes('e01-e5b')); }"
        )
    )


def test_the_demo_course_in_a_browser(live: tuple[str, Flask], browser: Any) -> None:
    url, app = live
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{url}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{url}/courses/{DEMO_CODE}/cmi5")
    assert page.locator("h1").inner_text().startswith("การคุ้มครองข้อมูลส่วนบุคคล")
    assert page.locator("[data-status=not_started]").count() == 2
    shot(page, "cmi5-course-th")

    # The reading unit: moveOn Completed.
    _launch(page, 0)
    page.wait_for_function("document.getElementById('status').textContent.startsWith('เชื่อมต่อแล้ว')")
    assert page.locator("#unit-read h1").inner_text() == "หลักการคุ้มครองข้อมูลส่วนบุคคลสำหรับหน่วยงานรัฐ"
    assert _thai_font_loaded(page)
    shot(page, "cmi5-au-read-th")
    page.click("#read-done")
    page.wait_for_function("document.getElementById('status').textContent === 'บันทึกว่าอ่านจบแล้ว'")
    page.click("#exit")
    page.wait_for_url(f"{url}/courses/{DEMO_CODE}/cmi5")
    assert page.locator(".cmi5-au").nth(0).locator("[data-status=satisfied]").count() == 1

    # The quiz: moveOn Passed with masteryScore 0.8.
    _launch(page, 1)
    page.wait_for_function("document.getElementById('status').textContent.startsWith('เชื่อมต่อแล้ว')")
    for answer in ("q1][value=b", "q2][value=a", "q3][value=a"):
        page.check(f"input[name={answer}]")
    page.click("#quiz button[type=submit]")
    page.wait_for_function("document.getElementById('quiz-result').textContent.includes('ผ่าน')")
    assert "3/3" in page.locator("#quiz-result").inner_text()
    shot(page, "cmi5-au-quiz-th")
    page.click("#exit")
    page.wait_for_url(f"{url}/courses/{DEMO_CODE}/cmi5")
    assert page.locator("[data-status=satisfied]").count() == 2
    shot(page, "cmi5-course-done-th")

    # In English: the AU reads the language from the learner preferences the LMS wrote.
    page.goto(f"{url}/lang/en?next=/courses/{DEMO_CODE}/cmi5")
    assert page.locator(".cmi5-au").nth(1).locator("button").all_inner_texts() == ["Review", "Launch"]
    _launch(page, 1, "Review")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Connected')")
    assert page.locator("#unit-quiz h1").inner_text() == "Quiz: handling personal data"
    shot(page, "cmi5-au-quiz-review-en")
    page.click("#exit")
    page.wait_for_url(f"{url}/courses/{DEMO_CODE}/cmi5")
    context.close()
    assert errors == []

    with app.app_context():
        enrolment = db.session.scalar(db.select(Enrolment))
        assert enrolment is not None
        assert enrolment.status is EnrolmentStatus.COMPLETED and enrolment.progress == 100
        assert len(structure_of(enrolment.course)[1]) == 2
