"""A real browser (Debian's chromium, driven by Playwright) takes a learner through a course.

The platform is served by a real HTTP server on loopback, on a database of its own (the
test's transaction cannot be shared with another thread), built by the migrations.
Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import current_app

from academy.auth.models import Role
from academy.auth.services import create_user
from academy.db import db
from academy.org.models import AgencyKind, IdentifierKind, Person, PersonIdentifier
from academy.org.services import apply_role_profile, create_agency, platform_account_key
from competencies.services.frameworks import seed_standard
from tests.browser.live import chromium, live_server, shot, sign_in
from tests.support.app import PASSWORD, position

EMAIL = "somsri.learner@example.go.th"

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform on loopback with a learner, the standard and one aligned course."""
    with live_server(tmp_path_factory.mktemp("browser"), _seed) as (url, _app):
        yield url


def _seed() -> None:
    from decimal import Decimal

    from competencies.models import Alignment
    from courses.models import (
        Choice,
        Course,
        CourseFormat,
        CourseStatus,
        Lesson,
        Module,
        Question,
        QuestionKind,
        Quiz,
    )
    from courses.services.activities import course_iri_for

    standard = seed_standard()
    ministry = create_agency(code="50", name_th="กระทรวงทดสอบ", name_en="Ministry of Testing", kind=AgencyKind.MINISTRY)
    department = create_agency(
        code="50001",
        name_th="กรมทดสอบระบบ",
        name_en="Department of Systems",
        kind=AgencyKind.DEPARTMENT,
        parent=ministry,
    )
    line, level = position("K-COMP", "K2")
    person = Person(
        agency=department,
        employee_no="B0001",
        first_name_th="สมศรี",
        last_name_th="ใฝ่เรียน",
        first_name_en="Somsri",
        last_name_en="Phairian",
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
    course = Course(
        code="DG101",
        title_th="กฎหมายดิจิทัลสำหรับเจ้าหน้าที่รัฐ",
        title_en="Digital law for public officers",
        description_th="พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคลและการทำงานของรัฐ",
        description_en="The Personal Data Protection Act in government work",
        provider="สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล",
        format=CourseFormat.ONLINE,
        hours=Decimal("3.0"),
        language="th",
        status=CourseStatus.PUBLISHED,
        activity_iri=course_iri_for("DG101"),
        quiz_review=True,
    )
    module = Module(position=1, title_th="บทที่ 1 ข้อมูลส่วนบุคคล", title_en="Chapter 1 Personal data")
    module.lessons = [
        Lesson(
            position=1,
            title_th="ข้อมูลส่วนบุคคลคืออะไร",
            title_en="What personal data is",
            body_th="<p>ข้อมูลที่ระบุตัวบุคคลได้</p>",
            body_en="<p>Data that identifies a person.</p>",
        ),
        Lesson(
            position=2,
            title_th="ฐานทางกฎหมาย",
            title_en="Lawful bases",
            body_th="<p>ภารกิจของรัฐเป็นฐานหนึ่ง</p>",
            body_en="<p>Public task is one basis.</p>",
        ),
    ]
    quiz = Quiz(
        position=3,
        title_th="แบบทดสอบท้ายบท",
        title_en="End-of-chapter quiz",
        pass_mark=100,
        attempt_limit=3,
        shuffle=False,
    )
    quiz.questions = [
        Question(
            position=1,
            kind=QuestionKind.SINGLE,
            text_th="ข้อใดเป็นข้อมูลส่วนบุคคล",
            text_en="Which is personal data?",
            choices=[
                Choice(position=1, code="a", text_th="เลขประจำตัวประชาชน", text_en="A citizen ID", correct=True),
                Choice(position=2, code="b", text_th="พยากรณ์อากาศ", text_en="A weather forecast"),
            ],
        ),
        Question(
            position=2,
            kind=QuestionKind.TRUE_FALSE,
            text_th="PDPA ใช้กับหน่วยงานรัฐ",
            text_en="The PDPA applies to government agencies",
            choices=[
                Choice(position=1, code="true", text_th="จริง", text_en="True", correct=True),
                Choice(position=2, code="false", text_th="เท็จ", text_en="False"),
            ],
        ),
    ]
    module.quizzes = [quiz]
    course.modules = [module]
    db.session.add(course)
    db.session.flush()
    target = next(c for c in standard.competencies if c.code == "DG-01")
    db.session.add(Alignment(activity_id=course.activity_iri, competency_id=target.id, level=2))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def gap_of(page: Any, url: str, code: str) -> str:
    """The gap of one competency, as My competencies shows it."""
    page.goto(f"{url}/me/competencies")
    row = page.locator("#requirements tbody tr", has_text=code)
    return row.locator("td").nth(3).inner_text()


def test_a_learner_finds_a_course_enrols_fails_then_passes_and_sees_the_results(live_url: str, browser: Any) -> None:
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    sign_in(page, live_url, EMAIL)
    gap_before = gap_of(page, live_url, "DG-01")
    assert page.locator("#gap-chart").is_visible()
    page.goto(f"{live_url}/learn")
    assert page.locator("h1").inner_text() == "การเรียนรู้ของฉัน"
    assert "จาก" in page.locator("#requirements-summary").inner_text()
    shot(page, "dashboard-before-th")

    page.goto(f"{live_url}/courses")
    page.fill("#q", "กฎหมาย")
    page.click("form.filters button[type=submit]")
    assert page.locator(".course-card").count() == 1
    shot(page, "catalogue-th")
    page.click(".course-card h2 a")
    shot(page, "course-th")
    page.click("text=ลงทะเบียนเรียน")
    assert "ยังไม่เริ่ม" in page.locator("#enrolment-status").inner_text()
    page.click("text=เริ่มเรียน")
    assert page.locator("h1").inner_text() == "ข้อมูลส่วนบุคคลคืออะไร"
    shot(page, "lesson-th")
    page.click("a[rel=next]")
    assert page.locator("h1").inner_text() == "ฐานทางกฎหมาย"
    page.click("a[rel=next]")
    assert page.locator("h1").inner_text() == "แบบทดสอบท้ายบท"

    page.check("text=พยากรณ์อากาศ")  # wrong
    page.check("text=เท็จ")  # wrong
    page.click("form.quiz button[type=submit]")
    assert "ไม่ผ่าน" in page.locator("#quiz-result").inner_text()
    assert page.locator("#quiz-review li.wrong").count() == 2  # the course lets learners see which were wrong
    shot(page, "quiz-failed-th")
    page.click("text=ลองอีกครั้ง")
    page.check("text=เลขประจำตัวประชาชน")
    page.check("text=จริง")
    page.click("form.quiz button[type=submit]")
    assert "ผ่าน" in page.locator("#quiz-result").inner_text()
    assert page.locator("#course-completed").is_visible()
    shot(page, "quiz-passed-th")

    page.goto(f"{live_url}/learn")
    assert "100%" in page.locator("#courses-heading + table").inner_text()
    shot(page, "dashboard-after-th")
    gap_after = gap_of(page, live_url, "DG-01")
    assert gap_after != gap_before  # the completion raised the attainment of DG-01

    page.goto(f"{live_url}/learn/transcript")
    transcript = page.locator("main").inner_text()
    assert "กฎหมายดิจิทัลสำหรับเจ้าหน้าที่รัฐ" in transcript and re.search(r"ปีงบประมาณ 25\d\d", transcript)
    shot(page, "transcript-th")

    page.click("text=English")
    assert page.locator("h1").inner_text() == "My transcript"
    assert "Digital law for public officers" in page.locator("main").inner_text()
    shot(page, "transcript-en")
    page.goto(f"{live_url}/learn")
    assert page.locator("h1").inner_text() == "My learning"
    shot(page, "dashboard-en")
    page.goto(f"{live_url}/courses/DG101")
    assert "Completed" in page.locator("#enrolment-status").inner_text()
    shot(page, "course-en")
    assert not failed and not errors, (failed, errors)
    context.close()
