"""Storing a checked course document: all of it, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from academy.db import db
from courses.models import Course, CourseKind, CourseStatus, Lesson, Module, Question, Quiz
from courses.services.authoring import (
    publishing_problem,
    replace_choices,
    set_alignments,
)
from courses.services.exchange.checking import CoursePlan, plan_import
from courses.services.exchange.document import ExchangeError, Format, load_document


@dataclass
class ImportResult:
    course: Course
    created: bool


# --- storing ---------------------------------------------------------------------------------------


def import_course(document: Any) -> ImportResult:
    """Create or update (by code) the course a document describes; all of it, or nothing."""
    plan = plan_import(document)
    with db.session.begin_nested():
        course = _apply(plan)
        if plan.status is CourseStatus.PUBLISHED:
            problem = publishing_problem(course)
            if problem is not None:
                raise ExchangeError([str(problem)])
    return ImportResult(course, created=plan.existing is None)


def import_course_text(text: str | bytes, fmt: Format | None = None) -> ImportResult:
    return import_course(load_document(text, fmt))


def _apply(plan: CoursePlan) -> Course:
    course = plan.existing
    if course is None:
        course = Course(activity_iri=plan.activity_iri, kind=CourseKind.NATIVE)
        db.session.add(course)
    for name, value in plan.values.items():
        setattr(course, name, value)
    course.status = plan.status

    lessons = {lesson.key: lesson for module in course.modules for lesson in module.lessons}
    quizzes = {quiz.key: quiz for module in course.modules for quiz in module.quizzes}
    questions = {q.key: q for quiz in quizzes.values() for q in quiz.questions}
    old_modules = list(course.modules)
    modules = []
    for index, module_plan in enumerate(plan.modules):
        module = old_modules[index] if index < len(old_modules) else Module()
        for name, value in module_plan.values.items():
            setattr(module, name, value)
        module.position = index + 1
        modules.append(module)
        ordered: list[tuple[float, int, int, Lesson | Quiz]] = []
        for number, lesson_plan in enumerate(module_plan.lessons):
            lesson = lessons.pop(lesson_plan.key, None) or Lesson(key=lesson_plan.key)
            for name, value in lesson_plan.values.items():
                setattr(lesson, name, value)
            file = lesson_plan.file
            lesson.file_name = file.name if file else None
            lesson.file_type = file.content_type if file else None
            lesson.file_data = file.data if file else None
            ordered.append((lesson_plan.position, 0, number, lesson))
        for number, quiz_plan in enumerate(module_plan.quizzes):
            quiz = quizzes.pop(quiz_plan.key, None) or Quiz(key=quiz_plan.key)
            for name, value in quiz_plan.values.items():
                setattr(quiz, name, value)
            quiz_questions = []
            for position, question_plan in enumerate(quiz_plan.questions, start=1):
                question = questions.pop(question_plan.key, None) or Question(key=question_plan.key)
                for name, value in question_plan.values.items():
                    setattr(question, name, value)
                question.position = position
                replace_choices(question, question_plan.choices)
                quiz_questions.append(question)
            quiz.questions = quiz_questions
            ordered.append((quiz_plan.position, 1, number, quiz))
        ordered.sort(key=lambda entry: entry[:3])
        for position, (_pos, _kind, _number, item) in enumerate(ordered, start=1):
            item.position = position
        module.lessons = [item for *_rest, item in ordered if isinstance(item, Lesson)]
        module.quizzes = [item for *_rest, item in ordered if isinstance(item, Quiz)]
    # What the document no longer lists goes; what moved has its new parent already.
    for gone in [*questions.values(), *quizzes.values(), *lessons.values()]:
        db.session.delete(gone)
    course.modules = modules
    db.session.flush()
    set_alignments(course, plan.alignments)
    return course
