"""The learner's pages over HTTP: catalogue, course page, enrolment, player, dashboard, transcript."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, select

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus
from courses.services.catalogue import course_items
from courses.services.player import player_authority
from lrs.statements import store_statements
from lrs.versions import XapiVersion
from tests.support.app import csrf_token
from tests.support.lrs import Xapi, statement

Login = Callable[[User], FlaskClient]


def statements_of_get(client: FlaskClient, path: str) -> tuple[str, list[str]]:
    """The page at ``path`` and the SQL statements its request sent."""
    statements: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return page, statements


def learner(make_agency: Callable[..., Agency], make_person: Callable[..., Person], make_user: Callable[..., User]):
    person = make_person(make_agency(), line="K-COMP", level="K2")
    return make_user(Role.LEARNER, person=person), person


def test_the_catalogue_searches_filters_and_pages(
    make_course: Callable[..., Course], make_user: Callable[..., User], login: Login
) -> None:
    make_course("DG101")
    make_course("CS201", aligned_to="CS-01", level=3).title_th = "ความมั่นคงปลอดภัยไซเบอร์"
    draft = make_course("DG999")
    draft.status = CourseStatus.DRAFT
    db.session.flush()
    client = login(make_user(Role.LEARNER))
    page = client.get("/courses").get_data(as_text=True)
    assert "DG101" in page and "CS201" in page and "DG999" not in page  # drafts are not in the catalogue
    assert "CS201" not in client.get("/courses?area=DG").get_data(as_text=True)
    assert "DG101" not in client.get("/courses?area=CS").get_data(as_text=True)
    assert "DG101" not in client.get("/courses?level=3").get_data(as_text=True)
    assert "CS201" in client.get("/courses?q=ไซเบอร์").get_data(as_text=True)
    assert "course-card" not in client.get("/courses?q=nothing-like-this").get_data(as_text=True)
    assert client.get("/courses?level=x").status_code == 400
    assert client.get("/courses?format=hologram").status_code == 400


def test_a_learner_enrols_and_works_through_the_player(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course()
    user, person = learner(make_agency, make_person, make_user)
    client = login(user)
    items = course_items(course)
    lesson_url = f"/courses/{course.code}/lessons/{items[0].key}"
    assert client.get(lesson_url).status_code == 404  # not enrolled yet

    assert client.post(f"/courses/{course.code}/enrol", data={}).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/courses/{course.code}")
    response = client.post(f"/courses/{course.code}/enrol", data={"csrf_token": token})
    assert response.status_code == 302
    start = client.post(f"/courses/{course.code}/start", data={"csrf_token": token})
    assert start.status_code == 302 and start.headers["Location"].endswith(lesson_url)
    assert client.get(lesson_url).status_code == 200
    assert client.get(f"/courses/{course.code}/lessons/{items[1].key}").status_code == 200

    quiz_url = f"/courses/{course.code}/quizzes/{items[2].key}"
    page = client.get(quiz_url).get_data(as_text=True)
    names = sorted(set(re.findall(r'name="(q\d+)"', page)))
    assert len(names) == 3
    quiz = items[2].quiz
    wrong = {f"q{q.id}": str(next(c.id for c in q.choices if not c.correct)) for q in quiz.questions}
    failed = client.post(quiz_url, data={"csrf_token": token, **wrong})
    assert failed.status_code == 200 and 'id="quiz-result"' in failed.get_data(as_text=True)
    assert 'id="quiz-review"' not in failed.get_data(as_text=True)  # the course does not allow a review
    first = quiz.questions[0]
    one_answer = {f"q{first.id}": str(first.choices[0].id)}
    missing = client.post(quiz_url, data={"csrf_token": token, **one_answer})
    again = missing.get_data(as_text=True)
    # The form again, with the message, the answer given kept and the unanswered questions marked.
    assert missing.status_code == 200 and "โปรดตอบทุกข้อก่อนส่งคำตอบ" in again
    assert f'value="{first.choices[0].id}" checked' in again
    assert again.count('class="unanswered"') == len(quiz.questions) - 1
    right: dict[str, list[str]] = {f"q{q.id}": [str(c.id) for c in q.choices if c.correct] for q in quiz.questions}
    passed = client.post(quiz_url, data={"csrf_token": token, **right})
    assert 'id="course-completed"' in passed.get_data(as_text=True)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id))
    assert enrolment is not None and enrolment.status is EnrolmentStatus.COMPLETED

    dashboard = client.get("/learn").get_data(as_text=True)
    assert course.title_th in dashboard and "100%" in dashboard
    transcript = client.get("/learn/transcript").get_data(as_text=True)
    assert course.title_th in transcript and "3.0" in transcript


def test_the_transcript_lists_other_providers_learning_with_hours(
    xapi: Xapi,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    user, person = learner(make_agency, make_person, make_user)
    add_identifier(person, IdentifierKind.MBOX, "mailto:learner.elsewhere@example.go.th")
    completed = statement(
        actor={"objectType": "Agent", "mbox": "mailto:learner.elsewhere@example.go.th"},
        object={
            "objectType": "Activity",
            "id": "https://mooc.example/courses/python",
            "definition": {"name": {"th-TH": "ไพธอนเบื้องต้น", "en-US": "Python basics"}},
        },
        result={"completion": True, "duration": "PT6H30M"},
        timestamp="2025-11-15T03:00:00Z",
    )
    assert xapi("POST", "/xapi/statements", json_body=completed).status_code == 200
    page = login(user).get("/learn/transcript").get_data(as_text=True)
    assert "ไพธอนเบื้องต้น" in page and "6.5" in page
    assert "2569" in page  # 15 November 2025 is in fiscal year 2569


def test_learner_pages_need_a_person_and_recommend_courses_for_gaps(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
    client: FlaskClient,
) -> None:
    course = make_course()
    officer = make_user(Role.HR_OFFICER, agencies=(make_agency(),))
    assert client.get("/learn").status_code == 302  # to the login page
    assert login(officer).get("/learn").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    user, _person = learner(make_agency, make_person, make_user)
    page = login(user).get("/learn").get_data(as_text=True)
    assert f'href="/courses/{course.code}"' in page  # DG-01 at level 2 closes part of an IT officer's gap


def test_the_transcript_downloads_as_a_pdf(
    xapi: Xapi,
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course()
    user, person = learner(make_agency, make_person, make_user)
    add_identifier(person, IdentifierKind.MBOX, "mailto:pdf.learner@example.go.th")
    completed = statement(
        actor={"objectType": "Agent", "mbox": "mailto:pdf.learner@example.go.th"},
        object={"objectType": "Activity", "id": course.activity_iri},
    )
    # Only the platform completes our courses (README, Trust model): here, in-process as the player.
    store_statements(completed, version=XapiVersion.V1, authority=player_authority())
    response = login(user).get("/learn/transcript.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout
    assert course.title_th in text.decode()  # the Thai title, in the Thai font, is real text in the PDF


def test_lesson_html_is_sanitised_when_shown(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    from courses.services.enrolment import enrol

    course = make_course()
    lesson = course_items(course)[0].lesson
    lesson.body_th = '<p onclick="steal()">ข้อความ<script>alert(1)</script></p><a href="javascript:x()">ลิงก์</a>'
    user, person = learner(make_agency, make_person, make_user)
    enrol(person, course)
    page = login(user).get(f"/courses/{course.code}/lessons/{lesson.key}").get_data(as_text=True)
    assert "ข้อความ" in page and "<script>alert" not in page and "onclick" not in page and "javascript:" not in page


def test_a_youtube_lesson_is_embedded_from_the_no_cookie_host(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    from courses.services.enrolment import enrol

    course = make_course()
    lesson = course_items(course)[0].lesson
    lesson.video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    user, person = learner(make_agency, make_person, make_user)
    enrol(person, course)
    response = login(user).get(f"/courses/{course.code}/lessons/{lesson.key}")
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in response.get_data(as_text=True)
    assert "frame-src https://www.youtube-nocookie.com" in response.headers["Content-Security-Policy"]


def test_a_course_that_allows_it_shows_which_answers_of_a_failed_attempt_were_wrong(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course()
    course.quiz_review = True
    db.session.flush()
    user, _person = learner(make_agency, make_person, make_user)
    client = login(user)
    token = csrf_token(client, f"/courses/{course.code}")
    client.post(f"/courses/{course.code}/enrol", data={"csrf_token": token})
    quiz_item = course_items(course)[2]
    quiz = quiz_item.quiz
    assert quiz is not None
    quiz_url = f"/courses/{course.code}/quizzes/{quiz_item.key}"
    client.get(quiz_url)
    first, *others = quiz.questions
    answers = {f"q{first.id}": str(next(c.id for c in first.choices if not c.correct))}
    answers |= {f"q{q.id}": [str(c.id) for c in q.choices if c.correct] for q in others}
    page = client.post(quiz_url, data={"csrf_token": token, **answers}).get_data(as_text=True)
    review = page[page.index('id="quiz-review"') :]
    assert review.count('<li class="wrong">') == 1 and review.count('<li class="right">') == len(others)
    wrong_item = review[review.index('<li class="wrong">') :].split("</li>")[0]
    assert first.text_th in wrong_item  # the question answered wrong
    for choice in first.choices:  # the right answer of the wrong question is not given away
        if choice.correct:
            assert choice.text_th not in review and choice.text_en not in review


def test_the_dashboard_sums_up_the_requirements_and_resumes_the_course_in_progress(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    from datetime import timedelta

    from academy.dates import today

    course = make_course()
    other = make_course("DG102")
    user, person = learner(make_agency, make_person, make_user)
    client = login(user)
    token = csrf_token(client, f"/courses/{course.code}")
    for code in (course.code, other.code):
        client.post(f"/courses/{code}/enrol", data={"csrf_token": token})
    client.post(f"/courses/{course.code}/start", data={"csrf_token": token})
    client.get(f"/courses/{course.code}/lessons/{course_items(course)[0].key}")
    enrolments = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.person_id == person.id))}
    enrolments[course.id].due_on = today() - timedelta(days=1)
    enrolments[other.id].due_on = today() + timedelta(days=3)
    db.session.flush()

    page = client.get("/learn").get_data(as_text=True)
    summary = page[page.index('id="requirements-summary"') :].split("</p>")[0]
    assert re.search(r"\d+ จาก \d+", summary)  # "meets 12 of 32 requirements", in Thai
    assert 'id="gap-chart"' not in page  # the chart and the full table are on My competencies only
    resume = page[page.index('id="resume-heading"') :].split("</section>")[0]
    assert course.title_th in resume and f"/courses/{course.code}/start" in resume
    assert page.count("overdue-badge") == 2 and page.count("due-soon") == 1  # in the resume card and the table
    # The recommendations mark the courses already enrolled in.
    rec = page[page.index('id="rec-heading"') :].split("</section>")[0]
    assert "badge enrolled" in rec

    transcript = client.get("/learn/transcript").get_data(as_text=True)
    current = transcript[transcript.index('id="in-progress"') :].split("</section>")[0]
    assert course.title_th in current and other.code in current

    # In English: the English names where there are some.
    client.get("/lang/en")
    english = client.get("/learn").get_data(as_text=True)
    assert person.position_title("en") in english and person.position_line.name_en in english
    assert course.title_en in english and "You meet 0 of" in english


def test_the_dashboard_reads_a_fixed_number_of_queries_whatever_the_learner_has(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    # A person three agencies deep (their profile is looked for up the tree), in three courses, one started.
    unit = make_agency(parent=make_agency(parent=make_agency()))
    person = make_person(unit, line="K-COMP", level="K2")
    user = make_user(Role.LEARNER, person=person)
    courses = [make_course(f"DG1{n:02d}") for n in range(3)]
    client = login(user)
    token = csrf_token(client, f"/courses/{courses[0].code}")
    for course in courses:
        client.post(f"/courses/{course.code}/enrol", data={"csrf_token": token})
    client.post(f"/courses/{courses[0].code}/start", data={"csrf_token": token})
    client.get(f"/courses/{courses[0].code}/lessons/{course_items(courses[0])[0].key}")
    db.session.expire_all()  # what the requests above loaded is read again, as in a new request
    page, sent = statements_of_get(client, "/learn")
    statements = [s for s in sent if s.split()[0].upper() == "SELECT"]
    assert 'id="resume-heading"' in page and all(course.title_th in page for course in courses)
    assert person.position_title("th") in page
    # Session with its user (roles, scopes and person), the person's agency and position, the standard
    # with its competencies, the profile with its requirements, attainment, enrolments with their
    # courses, the recommendations' ranking and their courses, the last item touched, the bell, the team.
    assert len(statements) <= 11, "\n".join(statements)
    assert not any("FROM agencies" in s and "role_profiles" not in s and "people" not in s for s in statements)


def test_the_course_page_lists_the_lessons_without_reading_their_content(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course()
    user, _person = learner(make_agency, make_person, make_user)
    client = login(user)
    db.session.expire_all()
    page, statements = statements_of_get(client, f"/courses/{course.code}")
    assert all(item.lesson.title_th in page for item in course_items(course) if item.lesson)
    lessons = [s for s in statements if "FROM lessons" in s]
    assert lessons and not any("body_th" in s or "markdown_th" in s for s in lessons)
    # The lesson itself still shows its content.
    token = csrf_token(client, f"/courses/{course.code}")
    client.post(f"/courses/{course.code}/enrol", data={"csrf_token": token})
    lesson = client.get(f"/courses/{course.code}/lessons/{course_items(course)[0].key}").get_data(as_text=True)
    assert "ข้อมูลส่วนบุคคล</p>" in lesson
