"""Course documents: export and import round-trip, in JSON and YAML; bad documents store nothing."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from academy.db import db
from competencies.models import Alignment, Framework
from competencies.services.frameworks import seed_standard
from courses.content import validate_lesson_file
from courses.models import Choice, Course, CourseStatus, Lesson, Module, Question, Quiz
from courses.services.activities import lesson_iri, question_iri, quiz_iri
from courses.services.authoring import (
    AlignmentInput,
    ChoiceInput,
    CourseInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    create_course,
    create_lesson,
    create_module,
    create_question,
    create_quiz,
    delete_course,
    publish_course,
    set_alignments,
    set_lesson_file,
)
from courses.services.exchange import (
    ExchangeError,
    dump_document,
    export_course,
    format_for,
    import_course,
    import_course_text,
    load_document,
)
from tests.support.competencies import competency

PDF = b"%PDF-1.4\n% a tiny test file\n%%EOF\n"


@pytest.fixture
def framework() -> Framework:
    return seed_standard()


@pytest.fixture
def course(framework: Framework) -> Course:
    """A published course with two modules, lessons (one with a file and a video), a quiz between lessons."""
    course = create_course(
        CourseInput(
            code="DG-202",
            title_th="การคุ้มครองข้อมูลส่วนบุคคลในงานภาครัฐ",
            title_en="Personal data protection in government work",
            description_th="หลักการของ พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562\nและการนำไปใช้",
            description_en="The PDPA and its use",
            provider="E-Workforce Academy",
            format="online",
            hours="2.5",
            completion_rule="lessons_and_quizzes",
        )
    )
    one = create_module(course, ModuleInput(title_th="หลักการ", title_en="Principles"))
    lesson = create_lesson(
        one,
        LessonInput(
            title_th="ข้อมูลส่วนบุคคลคืออะไร",
            title_en="What personal data is",
            body_th="<h2>ความหมาย</h2>\n<p>ข้อมูลที่ระบุตัวบุคคลได้</p>\n<ul><li>ชื่อ</li><li>เลขประจำตัวประชาชน</li></ul>",
            body_en="<p>Data that identifies a person.</p>",
            video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            minutes=15,
        ),
    )
    set_lesson_file(lesson, validate_lesson_file("สรุปเนื้อหา.pdf", PDF))
    quiz = create_quiz(one, QuizInput(title_th="แบบทดสอบท้ายบท", title_en="Quiz", pass_mark=80, attempt_limit=3))
    create_question(
        quiz,
        QuestionInput(
            kind="single",
            text_th="ข้อใดเป็นข้อมูลส่วนบุคคล",
            text_en="Which is personal data?",
            choices=(
                ChoiceInput("เลขประจำตัวประชาชน", "A citizen ID", correct=True),
                ChoiceInput("สภาพอากาศ", "The weather"),
            ),
        ),
    )
    create_question(
        quiz,
        QuestionInput(
            kind="multiple",
            text_th="ข้อใดเป็นฐานทางกฎหมาย",
            choices=(
                ChoiceInput("ความยินยอม", "Consent", correct=True),
                ChoiceInput("ภารกิจของรัฐ", "Public task", correct=True),
                ChoiceInput("ความสะดวก", "Convenience"),
            ),
        ),
    )
    create_question(
        quiz,
        QuestionInput(
            kind="true_false",
            text_th="PDPA ใช้กับหน่วยงานรัฐ",
            choices=(ChoiceInput("จริง", "True", correct=True), ChoiceInput("เท็จ", "False")),
        ),
    )
    create_lesson(one, LessonInput(title_th="ฐานทางกฎหมาย", body_th="<p>ฐานทางกฎหมาย 6 ฐาน</p>"))
    two = create_module(course, ModuleInput(title_th="การปฏิบัติ"))
    create_lesson(two, LessonInput(title_th="การแจ้งเหตุละเมิด", body_th="<p>แจ้งภายใน 72 ชั่วโมง</p>"))
    set_alignments(
        course, [AlignmentInput(competency(framework, "DG-02"), 2), AlignmentInput(competency(framework, "DG-04"), 1)]
    )
    publish_course(course)
    return course


def snapshot(course: Course) -> dict[str, Any]:
    """Every stored field of the course and its content (ids aside), read back from the database."""
    db.session.expire_all()
    course = db.session.scalars(select(Course).where(Course.code == course.code)).one()
    skip = {"id", "course_id", "module_id", "quiz_id", "question_id", "created_at", "updated_at"}

    def row(obj: Any) -> dict[str, Any]:
        return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs if c.key not in skip}

    alignments = db.session.scalars(select(Alignment).where(Alignment.activity_id == course.activity_iri)).all()
    return {
        "course": row(course),
        "alignments": sorted((a.competency_id, a.level) for a in alignments),
        "modules": [
            {
                **row(module),
                "lessons": [row(lesson) for lesson in module.lessons],
                "quizzes": [
                    {
                        **row(quiz),
                        "questions": [
                            {**row(question), "choices": [row(choice) for choice in question.choices]}
                            for question in quiz.questions
                        ],
                    }
                    for quiz in module.quizzes
                ],
            }
            for module in course.modules
        ],
    }


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_then_import_round_trips_every_field(course: Course, fmt: str) -> None:
    before = snapshot(course)
    iris = sorted(
        [lesson_iri(lesson) for m in course.modules for lesson in m.lessons]
        + [quiz_iri(quiz) for m in course.modules for quiz in m.quizzes]
        + [question_iri(q) for m in course.modules for quiz in m.quizzes for q in quiz.questions]
    )
    text = dump_document(export_course(course), fmt)  # type: ignore[arg-type]
    delete_course(course)
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0

    result = import_course_text(text.encode("utf-8"), fmt)  # type: ignore[arg-type]
    assert result.created
    after = snapshot(result.course)
    assert after == before
    assert after["course"]["status"] is CourseStatus.PUBLISHED
    assert after["modules"][0]["lessons"][0]["file_data"] == PDF
    imported = result.course
    assert (
        sorted(
            [lesson_iri(lesson) for m in imported.modules for lesson in m.lessons]
            + [quiz_iri(quiz) for m in imported.modules for quiz in m.quizzes]
            + [question_iri(q) for m in imported.modules for quiz in m.quizzes for q in quiz.questions]
        )
        == iris
    )
    # And the document of the imported course is the document that was imported.
    assert dump_document(export_course(imported), fmt) == text  # type: ignore[arg-type]


def test_yaml_and_json_documents_say_the_same(course: Course) -> None:
    document = export_course(course)
    from_json = load_document(dump_document(document, "json"))
    from_yaml = load_document(dump_document(document, "yaml"))
    assert from_json == from_yaml == json.loads(json.dumps(document))
    yaml_text = dump_document(document, "yaml")
    assert "title_th: การคุ้มครองข้อมูลส่วนบุคคลในงานภาครัฐ" in yaml_text  # readable Thai, not escapes
    assert "body_th: |" in yaml_text  # multi-line bodies as blocks
    assert format_for("course.YML") == "yaml" and format_for("c.json") == "json" and format_for("c.txt") is None


def test_import_updates_by_code_keeping_keys_and_rows(course: Course) -> None:
    document = export_course(course)
    lesson_ids = {lesson.key: lesson.id for m in course.modules for lesson in m.lessons}
    document["title_en"] = "PDPA at work"
    first_module = document["modules"][0]
    moved = first_module["lessons"].pop()  # the second lesson of module 1 moves to module 2
    document["modules"][1]["lessons"].insert(0, moved)
    for item in document["modules"][1]["lessons"]:
        item.pop("position")  # without positions: the order listed
    question = first_module["quizzes"][0]["questions"][0]
    question["choices"][0]["correct"], question["choices"][1]["correct"] = False, True
    dropped = first_module["quizzes"][0]["questions"].pop(1)
    first_module["quizzes"][0]["questions"].append(
        {
            "kind": "true_false",
            "text_th": "ต้องขอความยินยอมทุกครั้ง",
            "choices": [{"code": "true", "text_th": "จริง"}, {"code": "false", "text_th": "เท็จ", "correct": True}],
        }
    )

    result = import_course(document)
    assert not result.created
    assert result.course.id == course.id
    db.session.expire_all()
    updated = db.session.get_one(Course, course.id)
    assert updated.title_en == "PDPA at work"
    assert [lesson.title_th for lesson in updated.modules[1].lessons] == ["ฐานทางกฎหมาย", "การแจ้งเหตุละเมิด"]
    assert [lesson.position for lesson in updated.modules[1].lessons] == [1, 2]
    # Lessons kept their rows and keys: their IRIs, and progress recorded against them, stay valid.
    assert {lesson.key: lesson.id for m in updated.modules for lesson in m.lessons} == lesson_ids
    questions = updated.modules[0].quizzes[0].questions
    assert [q.kind.value for q in questions] == ["single", "true_false", "true_false"]
    assert [c.correct for c in questions[0].choices] == [False, True]
    assert db.session.scalar(select(Question).where(Question.key == uuid.UUID(dropped["key"]))) is None
    assert db.session.scalar(select(func.count()).select_from(Choice).where(Choice.question_id.is_(None))) == 0
    # The quiz still sits between the two lessons of module 1? It lost one lesson: now lesson, quiz.
    first = updated.modules[0]
    assert [(type(i).__name__, i.position) for i in [*first.lessons, *first.quizzes]] == [("Lesson", 1), ("Quiz", 2)]


def test_import_of_fewer_modules_deletes_the_rest(course: Course) -> None:
    document = export_course(course)
    document["modules"] = document["modules"][:1]
    import_course(document)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Module).where(Module.course_id == course.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 2


def test_a_minimal_document_creates_a_draft(framework: Framework) -> None:
    result = import_course_text(
        """
code: CS-701
title_th: สุขอนามัยไซเบอร์
title_en: Cyber hygiene
provider: E-Workforce Academy
format: online
hours: 2
alignments:
  - {competency: CS-01, level: 2}
modules:
  - title_th: รหัสผ่าน
    lessons:
      - title_th: รหัสผ่านที่ดี
        body_th: <p>ยาวอย่างน้อย 12 ตัวอักษร</p><script>alert(1)</script>
"""
    )
    course = result.course
    assert course.status is CourseStatus.DRAFT
    assert course.activity_iri.endswith("/courses/CS-701")
    lesson = course.modules[0].lessons[0]
    assert lesson.body_th == "<p>ยาวอย่างน้อย 12 ตัวอักษร</p>"
    assert lesson.key is not None
    assert [(a.competency.code, a.level) for a in db.session.scalars(select(Alignment))] == [("CS-01", 2)]


def stored_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Course, Module, Lesson, Quiz, Question, Choice, Alignment)
    )


BAD_CHOICES = "modules[1].quizzes[0].questions[2].choices: at least one correct choice is required"


def bad_document(course_document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(course_document)
    document["code"] = "NEW-1"
    document.pop("activity_iri")
    for module in document["modules"]:
        for item in [*module["lessons"], *module["quizzes"]]:
            item.pop("key")
            for question in item.get("questions", []):
                question.pop("key")
    quiz = copy.deepcopy(document["modules"][0]["quizzes"][0])
    for choice in quiz["questions"][2]["choices"]:
        choice["correct"] = False
    document["modules"][1]["quizzes"] = [quiz]
    return document


def test_a_bad_document_names_path_and_field_and_stores_nothing(course: Course) -> None:
    document = bad_document(export_course(course))
    before = stored_counts()
    with pytest.raises(ExchangeError) as error:
        import_course(document)
    assert error.value.errors == [BAD_CHOICES]
    assert stored_counts() == before
    assert db.session.scalar(select(Course).where(Course.code == "NEW-1")) is None


def test_every_problem_is_reported(course: Course) -> None:
    document = bad_document(export_course(course))
    document["hours"] = "many"
    document["colour"] = "blue"
    document["alignments"] = [{"competency": "XX-99", "level": 2}, {"competency": "DG-01", "level": 9}]
    document["modules"][0]["quizzes"][0]["pass_mark"] = 120
    document["modules"][0]["lessons"][0]["video_url"] = "ftp://example.com/v"
    document["modules"][0]["lessons"][1]["file"] = {"name": "run.exe", "data": "TVo="}
    document["modules"][0]["quizzes"][0]["questions"][0]["choices"][0]["correct"] = "yes"
    document["modules"][1]["title_th"] = ""
    with pytest.raises(ExchangeError) as error:
        import_course(document)
    assert error.value.errors == [
        "unknown field colour",
        "hours: 'many' is not a number",
        "alignments[0].competency: OCSC-DS-2566 has no competency XX-99",
        "modules[0].lessons[0].video_url: the video link must be an https:// address",
        "modules[0].lessons[1].file.name: files of type .exe are not accepted; allowed: .csv, .doc, .docx, .jpeg, "
        ".jpg, .mp3, .mp4, .odp, .ods, .odt, .pdf, .png, .ppt, .pptx, .txt, .xls, .xlsx, .zip",
        "modules[0].quizzes[0].pass_mark: must be a whole number from 0 to 100",
        "modules[0].quizzes[0].questions[0].choices[0].correct: must be true or false",
        "modules[1].title_th: is required",
        BAD_CHOICES,
    ]
    assert "\n" in str(error.value)


def test_keys_of_another_course_are_refused(course: Course) -> None:
    document = export_course(course)
    document["code"] = "COPY-1"
    document.pop("activity_iri")
    with pytest.raises(ExchangeError) as error:
        import_course(document)
    lesson_key = document["modules"][0]["lessons"][0]["key"]
    assert f"modules[0].lessons[0].key: the lesson {lesson_key} belongs to the course DG-202" in error.value.errors


def test_a_key_twice_in_a_document_is_refused(course: Course) -> None:
    document = export_course(course)
    document["modules"][1]["lessons"].append(copy.deepcopy(document["modules"][0]["lessons"][0]))
    with pytest.raises(ExchangeError) as error:
        import_course(document)
    assert error.value.errors[0].startswith("modules[1].lessons[1].key: the lesson key ")
    assert error.value.errors[0].endswith("is also at modules[0].lessons[0]")


def test_publishing_rules_apply_to_an_import_and_nothing_stays(course: Course) -> None:
    document = export_course(course)
    document["modules"].append({"title_th": "ว่าง"})
    before = snapshot(course)
    with pytest.raises(ExchangeError) as error:
        import_course(document)
    assert error.value.errors == ["modules[2]: the module has no lessons or quizzes"]
    assert snapshot(course) == before


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ('{"code": ', "json", "line 1, column 10: Expecting value (not valid JSON)"),
        ("code: [unclosed", "yaml", "not valid YAML"),
        ("- just\n- a list\n", "yaml", "must be a mapping of course fields"),
        ("document: something-else\n", "yaml", "document: is 'something-else', expected 'e-workforce-academy/course'"),
    ],
)
def test_unreadable_documents(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ExchangeError) as error:
        import_course_text(text, fmt)  # type: ignore[arg-type]
    assert message in str(error.value)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_not_utf8_is_refused() -> None:
    with pytest.raises(ExchangeError) as error:
        load_document("code: ก".encode("tis-620"))
    assert str(error.value) == "the file is not UTF-8 text"


def test_a_document_of_aliases_is_bounded() -> None:
    # A few lines of YAML that would expand to a million questions by aliases.
    choices = "[{code: a, text_th: ก, correct: true}, {code: b, text_th: ข}]"
    questions = ", ".join(["*q"] * 100)
    quizzes = ", ".join(["*z"] * 100)
    modules = ", ".join(["*m"] * 100)
    text = (
        f"x: &q {{kind: single, text_th: ถาม, choices: {choices}}}\n"
        f"y: &z {{title_th: แบบทดสอบ, questions: [{questions}]}}\n"
        f"w: &m {{title_th: บท, quizzes: [{quizzes}]}}\n"
        f"code: BIG\nmodules: [{modules}]\n"
    )
    with pytest.raises(ExchangeError) as error:
        import_course_text(text, "yaml")
    assert str(error.value) == "the document has more than 10,000 items"
