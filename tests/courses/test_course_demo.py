"""The demo courses: twenty, across the seven areas, aligned, several with quizzes; a second run adds nothing."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from academy.db import db
from competencies.models import Alignment, Competency
from competencies.services.frameworks import STANDARD_CODE
from courses.demo import build_courses
from courses.models import Course, CourseFormat, CourseKind, CourseStatus, Lesson, QuestionKind, Quiz
from courses.services.authoring import course_alignments, publishing_problem

THAI = re.compile(r"[\u0E00-\u0E7F]")


def test_demo_builds_twenty_aligned_courses_and_a_cmi5_course_once() -> None:
    assert build_courses() == 21
    cmi5 = db.session.scalars(select(Course).where(Course.kind == CourseKind.CMI5)).one()
    assert cmi5.status is CourseStatus.PUBLISHED and course_alignments(cmi5)
    courses = db.session.scalars(select(Course).where(Course.kind == CourseKind.NATIVE).order_by(Course.code)).all()
    assert len(courses) == 20
    assert all(course.status is CourseStatus.PUBLISHED and publishing_problem(course) is None for course in courses)
    assert all(THAI.search(course.title_th) and course.title_en and course.hours > 0 for course in courses)
    assert {course.provider for course in courses} == {"E-Workforce Academy", "Thai MOOC", "สถาบันพัฒนาข้าราชการพลเรือน"}
    assert set(Counter(course.format for course in courses)) == set(CourseFormat)

    areas: set[str] = set()
    for course in courses:
        alignments = course_alignments(course)
        assert 1 <= len(alignments) <= 3, course.code
        for alignment in alignments:
            assert alignment.competency.framework.code == STANDARD_CODE
            assert 1 <= alignment.level <= 4
            parent = db.session.get(Competency, alignment.competency.parent_id)
            assert parent is not None
            areas.add(parent.code)
    assert areas == {"DL", "DG", "DLS", "DT", "DS", "DU", "CS"}

    quizzes = db.session.scalars(select(Quiz)).all()
    assert len(quizzes) >= 8
    kinds: Counter[QuestionKind] = Counter()
    for quiz in quizzes:
        assert 4 <= len(quiz.questions) <= 6, quiz.title_th
        for question in quiz.questions:
            kinds[question.kind] += 1
            correct = [choice for choice in question.choices if choice.correct]
            assert correct, question.text_th
            if question.kind is not QuestionKind.MULTIPLE:
                assert len(correct) == 1, question.text_th
    assert set(kinds) == set(QuestionKind)
    lessons = db.session.scalars(select(Lesson)).all()
    assert len(lessons) >= 25
    assert all(THAI.search(lesson.body_th) and lesson.body_th.count("<p>") >= 1 for lesson in lessons)

    counts = (
        db.session.scalar(select(func.count()).select_from(Course)),
        db.session.scalar(select(func.count()).select_from(Lesson)),
        db.session.scalar(select(func.count()).select_from(Alignment)),
    )
    keys = sorted(str(lesson.key) for lesson in lessons)
    assert build_courses() == 0
    assert (
        db.session.scalar(select(func.count()).select_from(Course)),
        db.session.scalar(select(func.count()).select_from(Lesson)),
        db.session.scalar(select(func.count()).select_from(Alignment)),
    ) == counts
    assert sorted(str(lesson.key) for lesson in db.session.scalars(select(Lesson))) == keys


def test_demo_skips_courses_that_exist_and_keys_are_stable() -> None:
    build_courses()
    first = {str(lesson.key) for lesson in db.session.scalars(select(Lesson))}
    course = db.session.scalars(select(Course).where(Course.code == "EWA-DG-202")).one()
    course.title_en = "Kept as edited"
    db.session.flush()
    assert build_courses() == 0
    assert course.title_en == "Kept as edited"
    # The keys are derived from the course code and the item's place: the same on every installation.
    from courses.demo import demo_documents

    derived = {
        lesson["key"]
        for document in demo_documents()
        for module in document["modules"]
        for lesson in module.get("lessons", [])
    }
    assert derived == first
