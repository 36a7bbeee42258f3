"""A course's structure: modules of lessons and quizzes, questions and their choices, and their order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from academy.db import db
from courses.content import LessonFile
from courses.models import (
    Choice,
    Course,
    CourseKind,
    Lesson,
    Module,
    Question,
    Quiz,
)
from courses.services.authoring.checks import (
    AuthoringError,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    clean_lesson,
    clean_module,
    clean_question,
    clean_quiz,
)

# --- ordering ----------------------------------------------------------------------------------------------
#
# A module's lessons and quizzes share one sequence of positions (1, 2, 3 … in the order the learner
# meets them; a quiz may sit between lessons); modules and questions each have their own.

T = TypeVar("T", Module, Question, Lesson | Quiz)


def module_items(module: Module) -> list[Lesson | Quiz]:
    """A module's lessons and quizzes in the learner's order (a lesson first at a tie)."""
    return sorted([*module.lessons, *module.quizzes], key=lambda item: (item.position, isinstance(item, Quiz)))


def _renumber(items: Sequence[T]) -> list[T]:
    for position, each in enumerate(items, start=1):
        each.position = position
    return list(items)


def _moved(items: Sequence[T], item: T, offset: int) -> list[T]:
    """The items with ``item`` moved by ``offset`` places (clamped at the ends), renumbered from 1."""
    order = list(items)
    index = order.index(item)
    order.insert(max(0, min(len(order) - 1, index + offset)), order.pop(index))
    return _renumber(order)


def _resort(module: Module) -> None:
    # The collections were loaded in position order; keep them so after positions change.
    module.lessons = sorted(module.lessons, key=lambda lesson: lesson.position)
    module.quizzes = sorted(module.quizzes, key=lambda quiz: quiz.position)


def move_module(module: Module, offset: int) -> None:
    """Move a module up (negative offset) or down among its course's modules."""
    module.course.modules = _moved(module.course.modules, module, offset)
    db.session.flush()


def move_item(item: Lesson | Quiz, offset: int) -> None:
    """Move a lesson or quiz up or down among its module's lessons and quizzes."""
    _moved(module_items(item.module), item, offset)
    _resort(item.module)
    db.session.flush()


def move_question(question: Question, offset: int) -> None:
    question.quiz.questions = _moved(question.quiz.questions, question, offset)
    db.session.flush()


def _reordered(items: Sequence[T], order: Sequence[T], what: str) -> list[T]:
    if len(order) != len(items) or {id(i) for i in order} != {id(i) for i in items}:
        raise AuthoringError(what, "the new order must list each of them exactly once")
    return _renumber(order)


def reorder_modules(course: Course, modules: Sequence[Module]) -> None:
    course.modules = _reordered(course.modules, modules, "modules")
    db.session.flush()


def reorder_module_items(module: Module, items: Sequence[Lesson | Quiz]) -> None:
    _reordered(module_items(module), items, "items")
    _resort(module)
    db.session.flush()


def reorder_questions(quiz: Quiz, questions: Sequence[Question]) -> None:
    quiz.questions = _reordered(quiz.questions, questions, "questions")
    db.session.flush()


def _native(course: Course) -> None:
    if course.kind is not CourseKind.NATIVE:
        raise AuthoringError("course", "the content of a cmi5 course comes from its package")


# --- modules -----------------------------------------------------------------------------------------------


def create_module(course: Course, data: ModuleInput) -> Module:
    _native(course)
    module = Module(**clean_module(data), position=len(course.modules) + 1)
    course.modules.append(module)
    db.session.flush()
    return module


def update_module(module: Module, data: ModuleInput) -> Module:
    for name, value in clean_module(data).items():
        setattr(module, name, value)
    db.session.flush()
    return module


def delete_module(module: Module) -> None:
    course = module.course
    course.modules.remove(module)
    _renumber(course.modules)
    db.session.flush()


# --- lessons -----------------------------------------------------------------------------------------------


def create_lesson(module: Module, data: LessonInput) -> Lesson:
    lesson = Lesson(**clean_lesson(data), key=uuid.uuid4(), position=len(module_items(module)) + 1)
    module.lessons.append(lesson)
    db.session.flush()
    return lesson


def update_lesson(lesson: Lesson, data: LessonInput) -> Lesson:
    for name, value in clean_lesson(data).items():
        setattr(lesson, name, value)
    db.session.flush()
    return lesson


def delete_lesson(lesson: Lesson) -> None:
    module = lesson.module
    module.lessons.remove(lesson)
    _renumber(module_items(module))
    db.session.flush()


def set_lesson_file(lesson: Lesson, file: LessonFile | None) -> Lesson:
    """Attach a checked file (``courses.content.validate_lesson_file``) to a lesson, or remove it (None)."""
    lesson.file_name = file.name if file else None
    lesson.file_type = file.content_type if file else None
    lesson.file_data = file.data if file else None
    db.session.flush()
    return lesson


# --- quizzes, questions and choices ------------------------------------------------------------------------


def create_quiz(module: Module, data: QuizInput) -> Quiz:
    quiz = Quiz(**clean_quiz(data), key=uuid.uuid4(), position=len(module_items(module)) + 1)
    module.quizzes.append(quiz)
    db.session.flush()
    return quiz


def update_quiz(quiz: Quiz, data: QuizInput) -> Quiz:
    for name, value in clean_quiz(data).items():
        setattr(quiz, name, value)
    db.session.flush()
    return quiz


def delete_quiz(quiz: Quiz) -> None:
    module = quiz.module
    module.quizzes.remove(quiz)
    _renumber(module_items(module))
    db.session.flush()


def create_question(quiz: Quiz, data: QuestionInput) -> Question:
    values, choices = clean_question(data)
    question = Question(**values, key=uuid.uuid4(), position=len(quiz.questions) + 1)
    question.choices = [Choice(**choice) for choice in choices]
    quiz.questions.append(question)
    db.session.flush()
    return question


def update_question(question: Question, data: QuestionInput) -> Question:
    """Change a question and replace its choices; a choice keeps its row when its code stays."""
    values, choices = clean_question(data)
    for name, value in values.items():
        setattr(question, name, value)
    replace_choices(question, choices)
    db.session.flush()
    return question


def replace_choices(question: Question, choices: list[dict[str, Any]]) -> None:
    """Set a question's choices to these checked values (``clean_question``), reusing rows by code."""
    existing = {choice.code: choice for choice in question.choices}
    kept = []
    for values in choices:
        choice = existing.pop(values["code"], None) or Choice()
        for name, value in values.items():
            setattr(choice, name, value)
        kept.append(choice)
    question.choices = kept


def delete_question(question: Question) -> None:
    quiz = question.quiz
    quiz.questions.remove(question)
    _renumber(quiz.questions)
    db.session.flush()
