"""Course fixtures: a published course of two lessons and a quiz, aligned with the standard."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from academy.db import db
from competencies.models import Alignment, Framework
from competencies.services.frameworks import seed_standard
from courses.models import (
    Choice,
    CompletionRule,
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
from tests.support.competencies import competency


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


@pytest.fixture
def make_course(standard: Framework) -> Callable[..., Course]:
    def make(
        code: str = "DG101", *, attempt_limit: int | None = 3, aligned_to: str = "DG-01", level: int = 2
    ) -> Course:
        course = Course(
            code=code,
            title_th="กฎหมายดิจิทัลเบื้องต้น",
            title_en="Digital law basics",
            description_th="รู้จัก พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล",
            description_en="Personal data protection in government work",
            provider="สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล",
            format=CourseFormat.ONLINE,
            hours=Decimal("3.0"),
            language="th",
            status=CourseStatus.PUBLISHED,
            activity_iri=course_iri_for(code),
            completion_rule=CompletionRule.LESSONS_AND_QUIZZES,
        )
        module = Module(position=1, title_th="บทที่ 1", title_en="Chapter 1")
        module.lessons = [
            Lesson(
                position=1,
                title_th="ความหมายของข้อมูลส่วนบุคคล",
                title_en="What personal data is",
                body_th="<p>ข้อมูลส่วนบุคคล</p>",
            ),
            Lesson(position=2, title_th="ฐานทางกฎหมาย", title_en="Lawful bases", body_th="<p>ฐานทางกฎหมาย</p>"),
        ]
        quiz = Quiz(position=3, title_th="แบบทดสอบ", title_en="Quiz", pass_mark=100, attempt_limit=attempt_limit)
        quiz.questions = [
            Question(
                position=1,
                kind=QuestionKind.SINGLE,
                text_th="ข้อใดเป็นข้อมูลส่วนบุคคล",
                text_en="Which is personal data?",
                choices=[
                    Choice(position=1, code="a", text_th="เลขประจำตัวประชาชน", text_en="A citizen ID", correct=True),
                    Choice(position=2, code="b", text_th="สภาพอากาศ", text_en="The weather"),
                ],
            ),
            Question(
                position=2,
                kind=QuestionKind.MULTIPLE,
                text_th="ข้อใดเป็นฐานทางกฎหมาย",
                text_en="Which are lawful bases?",
                choices=[
                    Choice(position=1, code="a", text_th="ความยินยอม", text_en="Consent", correct=True),
                    Choice(position=2, code="b", text_th="ภารกิจของรัฐ", text_en="Public task", correct=True),
                    Choice(position=3, code="c", text_th="ความสะดวก", text_en="Convenience"),
                ],
            ),
            Question(
                position=3,
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
        target = competency(standard, aligned_to)
        db.session.add(Alignment(activity_id=course.activity_iri, competency_id=target.id, level=level))
        db.session.flush()
        return course

    return make
