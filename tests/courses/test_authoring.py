"""Authoring services: validation with the field named, ordering, status, alignments; and the admin pages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from competencies.models import Alignment, Framework
from competencies.services.frameworks import seed_standard
from courses.models import (
    Choice,
    Course,
    CourseFormat,
    CourseStatus,
    Enrolment,
    EnrolmentSource,
    Lesson,
    QuestionKind,
    Quiz,
)
from courses.services.authoring import (
    AlignmentInput,
    AuthoringError,
    ChoiceInput,
    CourseInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    course_alignments,
    create_course,
    create_lesson,
    create_module,
    create_question,
    create_quiz,
    delete_course,
    delete_lesson,
    module_items,
    move_item,
    move_module,
    move_question,
    publish_course,
    set_alignments,
    set_course_status,
    update_course,
    update_lesson,
    update_question,
    update_quiz,
)
from tests.support.app import BASE_URL, csrf_token
from tests.support.competencies import competency


@pytest.fixture
def framework() -> Framework:
    return seed_standard()


def course_input(**changes: object) -> CourseInput:
    values: dict[str, object] = {
        "code": "DG-201",
        "title_th": "กฎหมายดิจิทัลที่ข้าราชการต้องรู้",
        "title_en": "Digital laws every civil servant should know",
        "provider": "E-Workforce Academy",
        "format": "online",
        "hours": "3",
        "description_th": "ภาพรวมกฎหมายดิจิทัล",
    }
    values.update(changes)
    return CourseInput(**values)  # type: ignore[arg-type]


def single(text: str = "ข้อใดถูก", correct: tuple[bool, ...] = (True, False)) -> QuestionInput:
    return QuestionInput(
        kind=QuestionKind.SINGLE,
        text_th=text,
        choices=tuple(ChoiceInput(text_th=f"ตัวเลือก {i}", correct=c) for i, c in enumerate(correct)),
    )


def field_of(error: pytest.ExceptionInfo[AuthoringError]) -> str:
    return error.value.field


# --- courses -----------------------------------------------------------------------------------------------


def test_create_course_is_a_draft_with_our_iri() -> None:
    course = create_course(course_input(hours="2.5", language="TH"))
    assert course.id is not None
    assert course.status is CourseStatus.DRAFT
    assert course.activity_iri == f"{BASE_URL}/courses/DG-201"
    assert course.hours == Decimal("2.5")
    assert course.language == "th"
    assert course.format is CourseFormat.ONLINE


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "is required"),
        ({"code": "DG 201/x"}, "code", "may hold only"),
        ({"code": "X" * 51}, "code", "longer than 50"),
        ({"title_th": "  "}, "title_th", "is required"),
        ({"title_en": ""}, "title_en", "is required"),
        ({"provider": ""}, "provider", "is required"),
        ({"format": "webinar"}, "format", "unknown value 'webinar'"),
        ({"hours": "0"}, "hours", "more than 0"),
        ({"hours": "-1"}, "hours", "more than 0"),
        ({"hours": "1.25"}, "hours", "one decimal place"),
        ({"hours": "abc"}, "hours", "is not a number"),
        ({"hours": "NaN"}, "hours", "more than 0"),
        ({"language": "thai!"}, "language", "language code"),
        ({"completion_rule": "never"}, "completion_rule", "unknown value"),
    ],
)
def test_course_fields_are_checked(changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(AuthoringError) as error:
        create_course(course_input(**changes))
    assert field_of(error) == field
    assert message in error.value.message
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_a_code_belongs_to_one_course() -> None:
    create_course(course_input())
    other = create_course(course_input(code="DG-202"))
    with pytest.raises(AuthoringError) as error:
        create_course(course_input())
    assert str(error.value) == "code: another course has the code DG-201"
    with pytest.raises(AuthoringError):
        update_course(other, course_input())


def test_update_keeps_the_iri_and_changes_nothing_on_error() -> None:
    course = create_course(course_input())
    iri = course.activity_iri
    update_course(course, course_input(code="DG-299", title_en="Digital law"))
    assert (course.code, course.title_en, course.activity_iri) == ("DG-299", "Digital law", iri)
    with pytest.raises(AuthoringError):
        update_course(course, course_input(code="DG-299", title_en="Changed", hours="0"))
    assert course.title_en == "Digital law"


# --- lessons, quizzes and questions -----------------------------------------------------------------------


def test_lesson_body_is_sanitised_and_video_checked() -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    lesson = create_lesson(
        module,
        LessonInput(
            title_th="บทนำ",
            body_th='<p onclick="steal()">สวัสดี</p><script>alert(1)</script><a href="javascript:x()">ลิงก์</a>',
            video_url=" https://youtu.be/dQw4w9WgXcQ ",
        ),
    )
    assert lesson.body_th == '<p>สวัสดี</p><a rel="noopener noreferrer">ลิงก์</a>'
    assert lesson.video_url == "https://youtu.be/dQw4w9WgXcQ"
    assert lesson.key is not None
    with pytest.raises(AuthoringError) as error:
        update_lesson(lesson, LessonInput(title_th="บทนำ", video_url="http://example.com/video.mp4"))
    assert field_of(error) == "video_url"
    with pytest.raises(AuthoringError) as error:
        update_lesson(lesson, LessonInput(title_th="บทนำ", minutes=0))
    assert field_of(error) == "minutes"
    assert lesson.video_url == "https://youtu.be/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("quiz", "field"),
    [
        (QuizInput(title_th="แบบทดสอบ", pass_mark=101), "pass_mark"),
        (QuizInput(title_th="แบบทดสอบ", pass_mark=-1), "pass_mark"),
        (QuizInput(title_th="แบบทดสอบ", attempt_limit=0), "attempt_limit"),
        (QuizInput(title_th=""), "title_th"),
    ],
)
def test_quiz_settings_are_checked(quiz: QuizInput, field: str) -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    with pytest.raises(AuthoringError) as error:
        create_quiz(module, quiz)
    assert field_of(error) == field
    assert not module.quizzes


def test_quiz_pass_mark_bounds_are_inclusive() -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ", pass_mark=0))
    update_quiz(quiz, QuizInput(title_th="แบบทดสอบ", pass_mark=100, attempt_limit=3, shuffle=False))
    assert (quiz.pass_mark, quiz.attempt_limit, quiz.shuffle) == (100, 3, False)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (single(correct=(True, True)), "choices: a single-choice question has exactly one correct choice"),
        (single(correct=(False, False)), "choices: at least one correct choice is required"),
        (single(correct=(True,)), "choices: a question needs at least two choices"),
        (
            QuestionInput(
                kind="true_false",
                text_th="จริงหรือไม่",
                choices=(ChoiceInput("จริง", correct=True), ChoiceInput("เท็จ"), ChoiceInput("ไม่แน่ใจ")),
            ),
            "choices: a true/false question has exactly two choices (true and false)",
        ),
        (
            QuestionInput(
                kind="true_false",
                text_th="จริงหรือไม่",
                choices=(ChoiceInput("จริง", code="yes", correct=True), ChoiceInput("เท็จ", code="no")),
            ),
            "choices: the choices of a true/false question have the codes true and false",
        ),
        (
            QuestionInput(
                kind="multiple",
                text_th="ข้อใดถูก",
                choices=(ChoiceInput("ก", code="a", correct=True), ChoiceInput("ข", code="a")),
            ),
            "choices: two choices have the code a",
        ),
        (
            QuestionInput(kind="multiple", text_th="ข้อใดถูก", choices=(ChoiceInput("ก", correct=True), ChoiceInput(""))),
            "choices[1].text_th: is required",
        ),
        (
            QuestionInput(kind="essay", text_th="อธิบาย"),
            "kind: unknown value 'essay' (one of single, multiple, true_false)",
        ),
        (single(text=""), "text_th: is required"),
    ],
)
def test_questions_are_checked(question: QuestionInput, message: str) -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ"))
    with pytest.raises(AuthoringError) as error:
        create_question(quiz, question)
    assert str(error.value) == message
    assert not quiz.questions


def test_question_kinds_and_choice_codes() -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ"))
    one = create_question(quiz, single(correct=(False, True, False)))
    many = create_question(
        quiz,
        QuestionInput(
            kind="multiple",
            text_th="ข้อใดเป็นข้อมูลส่วนบุคคล",
            choices=(ChoiceInput("ชื่อ", correct=True), ChoiceInput("อีเมล", correct=True), ChoiceInput("อากาศ")),
        ),
    )
    truth = create_question(
        quiz,
        QuestionInput(
            kind="true_false", text_th="PDPA ใช้กับรัฐ", choices=(ChoiceInput("จริง", correct=True), ChoiceInput("เท็จ"))
        ),
    )
    assert [c.code for c in one.choices] == ["a", "b", "c"]
    assert [c.correct for c in many.choices] == [True, True, False]
    assert [(c.code, c.correct) for c in truth.choices] == [("true", True), ("false", False)]
    assert [q.position for q in quiz.questions] == [1, 2, 3]


def test_update_question_keeps_choice_rows_by_code() -> None:
    module = create_module(create_course(course_input()), ModuleInput(title_th="บทที่ 1"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ"))
    question = create_question(quiz, single(correct=(True, False)))
    first_id = question.choices[0].id
    update_question(
        question,
        QuestionInput(
            kind="single",
            text_th="ข้อใดถูก (แก้ไข)",
            choices=(ChoiceInput("ก ใหม่", code="a"), ChoiceInput("ข", code="b", correct=True), ChoiceInput("ค")),
        ),
    )
    db.session.expire_all()
    choices = db.session.scalars(select(Choice).where(Choice.question_id == question.id).order_by(Choice.position))
    rows = [(c.id == first_id, c.code, c.text_th, c.correct) for c in choices]
    assert rows == [(True, "a", "ก ใหม่", False), (False, "b", "ข", True), (False, "c", "ค", False)]


def test_lessons_and_quizzes_share_one_order_in_a_module() -> None:
    course = create_course(course_input())
    module = create_module(course, ModuleInput(title_th="บทที่ 1"))
    first = create_lesson(module, LessonInput(title_th="หนึ่ง"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ"))
    second = create_lesson(module, LessonInput(title_th="สอง"))
    assert module_items(module) == [first, quiz, second]
    assert [first.position, quiz.position, second.position] == [1, 2, 3]
    move_item(quiz, +1)
    assert module_items(module) == [first, second, quiz]
    assert module.lessons == [first, second]
    move_item(quiz, +5)  # clamped at the end
    assert module_items(module) == [first, second, quiz]
    move_item(second, -1)
    delete_lesson(first)
    assert module_items(module) == [second, quiz]
    assert [second.position, quiz.position] == [1, 2]
    db.session.expire_all()
    stored = db.session.scalars(select(Lesson).where(Lesson.module_id == module.id)).all()
    assert [(lesson.title_th, lesson.position) for lesson in stored] == [("สอง", 1)]


def test_modules_and_questions_move() -> None:
    course = create_course(course_input())
    one, two = create_module(course, ModuleInput(title_th="หนึ่ง")), create_module(course, ModuleInput(title_th="สอง"))
    move_module(two, -1)
    assert course.modules == [two, one]
    assert [two.position, one.position] == [1, 2]
    quiz = create_quiz(one, QuizInput(title_th="แบบทดสอบ"))
    a, b = create_question(quiz, single("ก")), create_question(quiz, single("ข"))
    move_question(b, -1)
    assert quiz.questions == [b, a]
    db.session.expire_all()
    assert [q.text_th for q in db.session.get_one(Quiz, quiz.id).questions] == ["ข", "ก"]


# --- status, deletion and alignments -----------------------------------------------------------------------


def test_publishing_needs_playable_content() -> None:
    course = create_course(course_input())
    with pytest.raises(AuthoringError) as error:
        publish_course(course)
    assert str(error.value) == "modules: an online course needs at least one module"
    module = create_module(course, ModuleInput(title_th="บทที่ 1"))
    with pytest.raises(AuthoringError) as error:
        publish_course(course)
    assert str(error.value) == "modules[0]: the module has no lessons or quizzes"
    create_lesson(module, LessonInput(title_th="บทนำ"))
    quiz = create_quiz(module, QuizInput(title_th="แบบทดสอบ"))
    with pytest.raises(AuthoringError) as error:
        publish_course(course)
    assert str(error.value) == "modules[0].quizzes[0].questions: the quiz has no questions"
    create_question(quiz, single())
    publish_course(course)
    assert course.status is CourseStatus.PUBLISHED
    set_course_status(course, "archived")
    assert course.status is CourseStatus.ARCHIVED
    with pytest.raises(AuthoringError):
        set_course_status(course, "hidden")


def test_classroom_course_publishes_without_modules() -> None:
    course = create_course(course_input(format="classroom", hours="12"))
    publish_course(course)
    assert course.status is CourseStatus.PUBLISHED


def test_quiz_rule_needs_a_quiz() -> None:
    course = create_course(course_input(completion_rule="quizzes"))
    create_lesson(create_module(course, ModuleInput(title_th="บทที่ 1")), LessonInput(title_th="บทนำ"))
    with pytest.raises(AuthoringError) as error:
        publish_course(course)
    assert error.value.field == "completion_rule"


def test_alignments_are_replaced_and_checked(framework: Framework) -> None:
    course = create_course(course_input())
    dg01, dg02 = competency(framework, "DG-01"), competency(framework, "DG-02")
    set_alignments(course, [AlignmentInput(dg01, 2), AlignmentInput(dg02, 1)])
    set_alignments(course, [AlignmentInput(dg02, 3)])
    assert [(a.competency.code, a.level) for a in course_alignments(course)] == [("DG-02", 3)]
    area = competency(framework, "DG")
    with pytest.raises(AuthoringError) as error:
        set_alignments(course, [AlignmentInput(area, 2)])
    assert str(error.value) == "alignments[0].competency: DG is an area, not a competency"
    with pytest.raises(AuthoringError) as error:
        set_alignments(course, [AlignmentInput(dg01, 2), AlignmentInput(dg01, 3)])
    assert str(error.value) == "alignments[1].competency: DG-01 is listed twice"
    with pytest.raises(AuthoringError) as error:
        set_alignments(course, [AlignmentInput(dg01, 5)])
    assert str(error.value) == "alignments[0].level: level 5 is not on the scale (1, 2, 3, 4)"
    assert [(a.competency.code, a.level) for a in course_alignments(course)] == [("DG-02", 3)]


def test_delete_course_removes_its_alignments_but_not_with_enrolments(
    framework: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    course = create_course(course_input())
    set_alignments(course, [AlignmentInput(competency(framework, "DG-01"), 2)])
    iri = course.activity_iri
    enrolment = Enrolment(person=make_person(make_agency()), course=course, source=EnrolmentSource.SELF)
    db.session.add(enrolment)
    db.session.flush()
    with pytest.raises(AuthoringError) as error:
        delete_course(course)
    assert "archive it instead" in str(error.value)
    db.session.delete(enrolment)
    db.session.flush()
    delete_course(course)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert db.session.scalar(select(func.count()).select_from(Alignment).where(Alignment.activity_id == iri)) == 0


# --- pages -------------------------------------------------------------------------------------------------

Login = Callable[[User], FlaskClient]


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "code": "EWA-CS-799",
        "title_th": "ความมั่นคงปลอดภัยไซเบอร์เบื้องต้น",
        "title_en": "Cyber security basics",
        "description_th": "พื้นฐานสำหรับทุกคน",
        "description_en": "",
        "provider": "E-Workforce Academy",
        "format": "online",
        "hours": "1.5",
        "language": "th",
        "completion_rule": "lessons_and_quizzes",
    }
    data.update(changes)
    return data


def test_admin_creates_a_course_through_the_form(admin: User, login: Login) -> None:
    client = login(admin)
    token = csrf_token(client, "/admin/courses/new")
    response = client.post("/admin/courses/new", data={**form_data(), "csrf_token": token})
    assert response.status_code == 302
    course = db.session.scalars(select(Course).where(Course.code == "EWA-CS-799")).one()
    assert response.headers["Location"].endswith(f"/admin/courses/{course.id}")
    assert (course.title_en, course.hours, course.status) == (
        "Cyber security basics",
        Decimal("1.5"),
        CourseStatus.DRAFT,
    )
    page = client.get(f"/admin/courses/{course.id}")
    assert page.status_code == 200
    assert "ความมั่นคงปลอดภัยไซเบอร์เบื้องต้น" in page.get_data(as_text=True)


def test_the_form_shows_the_service_error_at_its_field(admin: User, login: Login) -> None:
    client = login(admin)
    token = csrf_token(client, "/admin/courses/new")
    response = client.post("/admin/courses/new", data={**form_data(hours="0"), "csrf_token": token})
    assert response.status_code == 400
    assert re.search(r'id="hours".*?must be more than 0', response.get_data(as_text=True), re.S)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_a_form_without_its_csrf_token_stores_nothing(admin: User, login: Login) -> None:
    client = login(admin)
    response = client.post("/admin/courses/new", data=form_data())
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


@pytest.mark.parametrize("role", [Role.HR_OFFICER, Role.LEARNER])
def test_hr_officers_and_learners_get_403(
    role: Role, make_user: Callable[..., User], make_agency: Callable[..., Agency], login: Login
) -> None:
    course = create_course(course_input())
    user = make_user(role, agencies=(make_agency(),) if role is Role.HR_OFFICER else ())
    client = login(user)
    for path in (
        "/admin/courses/",
        "/admin/courses/new",
        f"/admin/courses/{course.id}",
        "/admin/courses/import",
        f"/admin/courses/{course.id}/export.json",
    ):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    assert client.post("/admin/courses/new", data={**form_data(), "csrf_token": token}).status_code == 403
    assert client.post(f"/admin/courses/{course.id}/delete", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    assert "/admin/courses/" not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/courses/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_builds_a_course_through_the_pages(admin: User, login: Login, framework: Framework) -> None:
    client = login(admin)
    course = create_course(course_input())
    edit = f"/admin/courses/{course.id}"
    token = csrf_token(client, edit)
    assert client.post(f"{edit}/modules", data={"title_th": "บทที่ 1", "csrf_token": token}).status_code == 302
    module = db.session.scalars(select(Course).where(Course.id == course.id)).one().modules[0]

    response = client.post(
        f"/admin/courses/modules/{module.id}/lessons/new",
        data={
            "title_th": "บทนำ",
            "minutes": "15",
            "video_url": "https://vimeo.com/76979871",
            "body_th": "<p>เนื้อหา</p><img src=x onerror=alert(1)>",
            "file": (io.BytesIO(b"%PDF-1.4 test"), "เอกสาร ประกอบ.pdf"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    lesson = db.session.scalars(select(Lesson)).one()
    assert (lesson.body_th, lesson.file_name, lesson.file_type) == (
        "<p>เนื้อหา</p><img>",
        "เอกสาร ประกอบ.pdf",
        "application/pdf",
    )
    download = client.get(f"/admin/courses/lessons/{lesson.id}/file")
    assert download.data == b"%PDF-1.4 test"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]

    bad = client.post(
        f"/admin/courses/modules/{module.id}/lessons/new",
        data={"title_th": "ไฟล์ผิด", "minutes": "5", "file": (io.BytesIO(b"x"), "run.exe"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "files of type .exe are not accepted" in bad.get_data(as_text=True)

    response = client.post(
        f"/admin/courses/modules/{module.id}/quizzes/new",
        data={"title_th": "แบบทดสอบ", "pass_mark": "80", "attempt_limit": "", "shuffle": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    quiz = db.session.scalars(select(Quiz)).one()
    assert (quiz.pass_mark, quiz.attempt_limit, quiz.position) == (80, None, 2)

    question_page = f"/admin/courses/quizzes/{quiz.id}/questions/new"
    choices = {
        "choices-0-text_th": "ถูก",
        "choices-0-correct": "y",
        "choices-1-text_th": "ผิด",
        "choices-2-text_th": "ผิดเหมือนกัน",
        "choices-2-correct": "y",
    }
    twice = client.post(question_page, data={"kind": "single", "text_th": "ข้อใดถูก", **choices, "csrf_token": token})
    assert twice.status_code == 400
    assert "a single-choice question has exactly one correct choice" in twice.get_data(as_text=True)
    del choices["choices-2-correct"]
    response = client.post(question_page, data={"kind": "single", "text_th": "ข้อใดถูก", **choices, "csrf_token": token})
    assert response.status_code == 302
    truth = {"choices-0-text_th": "จริง", "choices-1-text_th": "เท็จ", "choices-1-correct": "y"}
    response = client.post(
        question_page, data={"kind": "true_false", "text_th": "รัฐใช้ PDPA", **truth, "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    questions = db.session.get_one(Quiz, quiz.id).questions
    assert [[(c.code, c.correct) for c in q.choices] for q in questions] == [
        [("a", True), ("b", False), ("c", False)],
        [("true", False), ("false", True)],
    ]
    assert "ข้อใดถูก" in client.get(f"/admin/courses/quizzes/{quiz.id}").get_data(as_text=True)
    assert client.get(f"/admin/courses/questions/{questions[0].id}").status_code == 200

    assert (
        client.post(f"/admin/courses/quiz/{quiz.id}/move", data={"offset": "-1", "csrf_token": token}).status_code
        == 302
    )
    db.session.expire_all()
    assert [type(i).__name__ for i in module_items(db.session.get_one(Quiz, quiz.id).module)] == ["Quiz", "Lesson"]

    dg02 = competency(framework, "DG-02")
    client.post(f"{edit}/alignments", data={"competency": str(dg02.id), "level": "2", "csrf_token": token})
    assert client.post(f"{edit}/status", data={"status": "published", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    published = db.session.get_one(Course, course.id)
    assert published.status is CourseStatus.PUBLISHED
    assert [(a.competency.code, a.level) for a in course_alignments(published)] == [("DG-02", 2)]

    exported = client.get(f"{edit}/export.yaml")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == "attachment; filename=DG-201.yaml"
    assert "code: DG-201" in exported.get_data(as_text=True)
    assert client.get(f"{edit}/export.json").json["alignments"] == [  # type: ignore[index]
        {"framework": "OCSC-DS-2566", "competency": "DG-02", "level": 2}
    ]

    assert (
        client.post(f"/admin/courses/question/{questions[1].id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert client.post(f"{edit}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_import_page_imports_or_lists_every_problem(admin: User, login: Login, framework: Framework) -> None:
    client = login(admin)
    token = csrf_token(client, "/admin/courses/import")
    good = (
        "code: EWA-DU-699\ntitle_th: ข้อมูลเปิด\ntitle_en: Open data\nprovider: E-Workforce Academy\n"
        "format: online\nhours: 2\nalignments: [{competency: DU-04, level: 2}]\n"
        "modules: [{title_th: บทที่ 1, lessons: [{title_th: บทนำ, body_th: <p>ข้อมูลเปิด</p>}]}]\n"
    )
    response = client.post(
        "/admin/courses/import",
        data={"file": (io.BytesIO(good.encode()), "course.yaml"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Course).where(Course.code == "EWA-DU-699")).one().modules[0].title_th == "บทที่ 1"

    bad = good.replace("hours: 2", "hours: 0").replace("title_th: บทนำ", "title_th: ''")
    response = client.post(
        "/admin/courses/import",
        data={"file": (io.BytesIO(bad.replace("EWA-DU-699", "EWA-DU-698").encode()), "bad.yml"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "hours: must be more than 0 and at most 9999.9" in page
    assert "modules[0].lessons[0].title_th: is required" in page
    assert db.session.scalar(select(Course).where(Course.code == "EWA-DU-698")) is None


def test_course_list_searches_filters_and_pages(admin: User, login: Login) -> None:
    for number in range(30):
        course = create_course(course_input(code=f"EWA-T-{number:02d}", title_en=f"Course {number:02d}"))
        if number % 3 == 0:
            set_course_status(course, "archived")
    create_course(course_input(code="OTHER-1", title_th="หลักสูตรพิเศษ", provider="Thai MOOC", format="external"))
    client = login(admin)
    client.get("/lang/en")  # the counts below are read in English
    first = client.get("/admin/courses/").get_data(as_text=True)
    assert "31 results" in first and "Page 1 of 2" in first
    assert "Page 2 of 2" in client.get("/admin/courses/?page=2").get_data(as_text=True)
    found = client.get("/admin/courses/?q=พิเศษ").get_data(as_text=True)
    assert "OTHER-1" in found and "EWA-T-01" not in found
    assert "1 result" in client.get("/admin/courses/?q=other-1").get_data(as_text=True)
    assert "10 results" in client.get("/admin/courses/?status=archived").get_data(as_text=True)
    assert "1 result" in client.get("/admin/courses/?provider=Thai+MOOC&format=external").get_data(as_text=True)
    assert client.get("/admin/courses/?status=hidden").status_code == 400


def test_every_authoring_page_renders_for_a_demo_course(admin: User, login: Login) -> None:
    from courses.demo import build_courses

    build_courses()
    course = db.session.scalars(select(Course).where(Course.code == "EWA-DG-202")).one()
    module = course.modules[1]
    lesson, quiz = module.lessons[0], module.quizzes[0]
    client = login(admin)
    pages = [
        "/admin/courses/",
        "/admin/courses/new",
        "/admin/courses/import",
        f"/admin/courses/{course.id}",
        f"/admin/courses/modules/{module.id}",
        f"/admin/courses/modules/{module.id}/lessons/new",
        f"/admin/courses/lessons/{lesson.id}",
        f"/admin/courses/modules/{module.id}/quizzes/new",
        f"/admin/courses/quizzes/{quiz.id}",
        f"/admin/courses/quizzes/{quiz.id}/questions/new",
        f"/admin/courses/questions/{quiz.questions[0].id}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
    text = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "การคุ้มครองข้อมูลส่วนบุคคล (PDPA) ในงานภาครัฐ" in text and "DG-02" in text
    assert "จัดการหลักสูตร" in text  # the Thai page (default locale)
