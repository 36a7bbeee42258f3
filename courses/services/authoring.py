"""Authoring courses: courses, modules, lessons, quizzes, questions and choices; status; alignments.

Every function validates everything it was given before it changes anything, and raises
``AuthoringError`` naming the field; the functions add and flush, never commit.
The ``clean_*`` functions are the validation alone (no writes): the course import uses them to
check a whole document before it stores any of it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, or_, select

from academy.db import db
from competencies.models import Alignment, Competency
from courses.content import ContentError, LessonFile, sanitise_html, validate_video_url
from courses.models import (
    Choice,
    CompletionRule,
    Course,
    CourseFormat,
    CourseKind,
    CourseStatus,
    Enrolment,
    Lesson,
    Module,
    Question,
    QuestionKind,
    Quiz,
)
from courses.services.activities import course_iri_for


class AuthoringError(ValueError):
    """Input that cannot be stored; ``field`` names what is wrong (e.g. ``choices[2].text_th``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
CODE_LENGTH = 50
TITLE_LENGTH = 500
PROVIDER_LENGTH = 255
IRI_LENGTH = 2048
TEXT_LENGTH = 200_000
MAX_HOURS = Decimal("9999.9")
MAX_MINUTES = 24 * 60
MAX_ATTEMPTS = 100
MAX_CHOICES = 10
TRUE_FALSE_CODES = ("true", "false")


# --- inputs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseInput:
    code: str
    title_th: str
    title_en: str
    provider: str
    format: CourseFormat | str
    hours: Decimal | int | str
    language: str = "th"
    description_th: str = ""
    description_en: str = ""
    completion_rule: CompletionRule | str = CompletionRule.LESSONS_AND_QUIZZES


@dataclass(frozen=True)
class ModuleInput:
    title_th: str
    title_en: str = ""


@dataclass(frozen=True)
class LessonInput:
    title_th: str
    title_en: str = ""
    #: HTML; stored sanitised.
    body_th: str = ""
    body_en: str = ""
    video_url: str | None = None
    minutes: int = 10


@dataclass(frozen=True)
class QuizInput:
    title_th: str
    title_en: str = ""
    pass_mark: int = 70
    attempt_limit: int | None = None
    shuffle: bool = True


@dataclass(frozen=True)
class ChoiceInput:
    text_th: str
    text_en: str = ""
    correct: bool = False
    #: The response id in xAPI; empty: a, b, c … by position (true/false: "true", "false").
    code: str = ""


@dataclass(frozen=True)
class QuestionInput:
    kind: QuestionKind | str
    text_th: str
    text_en: str = ""
    choices: tuple[ChoiceInput, ...] = ()


@dataclass(frozen=True)
class AlignmentInput:
    competency: Competency
    level: int


# --- field checks ------------------------------------------------------------------------------------------

E = TypeVar("E", CourseFormat, CompletionRule, CourseStatus, QuestionKind)


def _text(name: str, value: str | None, length: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise AuthoringError(name, "is required")
    if len(text) > length:
        raise AuthoringError(name, f"is longer than {length:,} characters")
    return text


def _enum(name: str, enum_type: type[E], value: E | str) -> E:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise AuthoringError(name, f"unknown value {value!r} (one of {allowed})") from None


def _whole(name: str, value: int | None, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AuthoringError(name, f"must be a whole number from {low} to {high}")
    return value


def _hours(value: Decimal | int | str) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise AuthoringError("hours", f"{value!r} is not a number") from None
    if not hours.is_finite() or not Decimal(0) < hours <= MAX_HOURS:
        raise AuthoringError("hours", f"must be more than 0 and at most {MAX_HOURS}")
    if hours != hours.quantize(Decimal("0.1")):
        raise AuthoringError("hours", "takes at most one decimal place")
    return hours.quantize(Decimal("0.1"))


def _code(name: str, value: str, length: int = CODE_LENGTH) -> str:
    code = _text(name, value, length, required=True)
    if not CODE_RE.match(code):
        raise AuthoringError(
            name, "may hold only letters A–Z, digits, '.', '_' and '-', and starts with a letter or digit"
        )
    return code


# --- clean (validation only) -------------------------------------------------------------------------------


def clean_course(data: CourseInput, course: Course | None = None) -> dict[str, Any]:
    """The checked values of a course's fields; the code must be free (or the course's own)."""
    code = _code("code", data.code)
    language = _text("language", data.language, 10, required=True).lower()
    if not LANGUAGE_RE.match(language):
        raise AuthoringError("language", "must be a language code such as th or en")
    values: dict[str, Any] = {
        "code": code,
        "title_th": _text("title_th", data.title_th, TITLE_LENGTH, required=True),
        "title_en": _text("title_en", data.title_en, TITLE_LENGTH, required=True),
        "description_th": _text("description_th", data.description_th, TEXT_LENGTH),
        "description_en": _text("description_en", data.description_en, TEXT_LENGTH),
        "provider": _text("provider", data.provider, PROVIDER_LENGTH, required=True),
        "format": _enum("format", CourseFormat, data.format),
        "hours": _hours(data.hours),
        "language": language,
        "completion_rule": _enum("completion_rule", CompletionRule, data.completion_rule),
    }
    other = db.session.scalar(select(Course.id).where(Course.code == code))
    if other is not None and (course is None or other != course.id):
        raise AuthoringError("code", f"another course has the code {code}")
    return values


def clean_activity_iri(iri: str, course: Course | None = None) -> str:
    """Check a course's activity IRI: absolute, and no other course's."""
    iri = _text("activity_iri", iri, IRI_LENGTH, required=True)
    scheme = iri.split(":", 1)[0]
    if ":" not in iri or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", scheme) or any(ch.isspace() for ch in iri):
        raise AuthoringError("activity_iri", "must be an absolute IRI, e.g. https://provider.example/courses/1")
    other = db.session.scalar(select(Course.id).where(Course.activity_iri == iri))
    if other is not None and (course is None or other != course.id):
        raise AuthoringError("activity_iri", "another course has this activity IRI")
    return iri


def clean_status(status: CourseStatus | str) -> CourseStatus:
    return _enum("status", CourseStatus, status)


def clean_module(data: ModuleInput) -> dict[str, Any]:
    return {
        "title_th": _text("title_th", data.title_th, TITLE_LENGTH, required=True),
        "title_en": _text("title_en", data.title_en, TITLE_LENGTH),
    }


def clean_lesson(data: LessonInput) -> dict[str, Any]:
    try:
        video_url = validate_video_url(data.video_url)
    except ContentError as error:
        raise AuthoringError("video_url", str(error)) from None
    return {
        "title_th": _text("title_th", data.title_th, TITLE_LENGTH, required=True),
        "title_en": _text("title_en", data.title_en, TITLE_LENGTH),
        "body_th": sanitise_html(_text("body_th", data.body_th, TEXT_LENGTH)),
        "body_en": sanitise_html(_text("body_en", data.body_en, TEXT_LENGTH)),
        "video_url": video_url,
        "minutes": _whole("minutes", data.minutes, 1, MAX_MINUTES),
    }


def clean_quiz(data: QuizInput) -> dict[str, Any]:
    if not isinstance(data.shuffle, bool):
        raise AuthoringError("shuffle", "must be true or false")
    return {
        "title_th": _text("title_th", data.title_th, TITLE_LENGTH, required=True),
        "title_en": _text("title_en", data.title_en, TITLE_LENGTH),
        "pass_mark": _whole("pass_mark", data.pass_mark, 0, 100),
        "attempt_limit": None
        if data.attempt_limit is None
        else _whole("attempt_limit", data.attempt_limit, 1, MAX_ATTEMPTS),
        "shuffle": data.shuffle,
    }


def clean_question(data: QuestionInput) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The checked question and its choices: a single-choice or true/false question has exactly one
    correct choice, a multiple-choice one at least one; true/false has the two choices true and false."""
    kind = _enum("kind", QuestionKind, data.kind)
    question = {
        "kind": kind,
        "text_th": _text("text_th", data.text_th, TEXT_LENGTH, required=True),
        "text_en": _text("text_en", data.text_en, TEXT_LENGTH),
    }
    given = list(data.choices)
    if kind is QuestionKind.TRUE_FALSE and len(given) != 2:
        raise AuthoringError("choices", "a true/false question has exactly two choices (true and false)")
    if len(given) < 2:
        raise AuthoringError("choices", "a question needs at least two choices")
    if len(given) > MAX_CHOICES:
        raise AuthoringError("choices", f"a question has at most {MAX_CHOICES} choices")
    choices = []
    for index, choice in enumerate(given):
        where = f"choices[{index}]"
        if not isinstance(choice.correct, bool):
            raise AuthoringError(f"{where}.correct", "must be true or false")
        default_code = TRUE_FALSE_CODES[index] if kind is QuestionKind.TRUE_FALSE else _letter_code(index)
        choices.append(
            {
                "position": index + 1,
                "code": _code(f"{where}.code", choice.code) if (choice.code or "").strip() else default_code,
                "text_th": _text(f"{where}.text_th", choice.text_th, TEXT_LENGTH, required=True),
                "text_en": _text(f"{where}.text_en", choice.text_en, TEXT_LENGTH),
                "correct": choice.correct,
            }
        )
    codes = [str(c["code"]) for c in choices]
    duplicate = next((code for code in codes if codes.count(code) > 1), None)
    if duplicate is not None:
        raise AuthoringError("choices", f"two choices have the code {duplicate}")
    if kind is QuestionKind.TRUE_FALSE and sorted(codes) != sorted(TRUE_FALSE_CODES):
        raise AuthoringError("choices", "the choices of a true/false question have the codes true and false")
    correct = sum(1 for c in choices if c["correct"])
    if correct == 0:
        raise AuthoringError("choices", "at least one correct choice is required")
    if correct > 1 and kind is QuestionKind.SINGLE:
        raise AuthoringError("choices", "a single-choice question has exactly one correct choice")
    if correct > 1 and kind is QuestionKind.TRUE_FALSE:
        raise AuthoringError("choices", "a true/false question has exactly one correct choice")
    return question, choices


def _letter_code(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else f"c{index + 1}"


def clean_alignments(items: Sequence[AlignmentInput]) -> list[AlignmentInput]:
    """Check alignments: competencies (not areas), each once, at a level of their framework's scale."""
    seen: set[int] = set()
    for index, item in enumerate(items):
        where = f"alignments[{index}]"
        if item.competency.is_area:
            raise AuthoringError(f"{where}.competency", f"{item.competency.code} is an area, not a competency")
        if item.competency.id in seen:
            raise AuthoringError(f"{where}.competency", f"{item.competency.code} is listed twice")
        seen.add(item.competency.id)
        levels = sorted(lvl.level for lvl in item.competency.framework.levels)
        if item.level not in levels:
            allowed = ", ".join(map(str, levels))
            raise AuthoringError(f"{where}.level", f"level {item.level} is not on the scale ({allowed})")
    return list(items)


# --- courses -----------------------------------------------------------------------------------------------


def create_course(data: CourseInput, *, activity_iri: str | None = None) -> Course:
    """A new native course, in draft; its activity IRI is ours (``/courses/<code>``) unless given."""
    values = clean_course(data)
    iri = clean_activity_iri(activity_iri or course_iri_for(values["code"]))
    course = Course(**values, activity_iri=iri, kind=CourseKind.NATIVE, status=CourseStatus.DRAFT)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, data: CourseInput) -> Course:
    """Change a course's fields; its activity IRI stays, even when the code changes."""
    for name, value in clean_course(data, course).items():
        setattr(course, name, value)
    db.session.flush()
    return course


@dataclass(frozen=True)
class CourseFilter:
    q: str = ""
    status: CourseStatus | None = None
    format: CourseFormat | None = None
    provider: str = ""


def admin_courses_query(filters: CourseFilter) -> Select[Course]:
    """Every course (any status) matching the filters, most recently changed first."""
    query = select(Course).order_by(Course.updated_at.desc(), Course.id.desc())
    if filters.q:
        pattern = filters.q.strip()
        query = query.where(
            or_(
                func.lower(Course.code).contains(pattern.lower(), autoescape=True),
                Course.title_th.contains(pattern, autoescape=True),
                func.lower(Course.title_en).contains(pattern.lower(), autoescape=True),
            )
        )
    if filters.status is not None:
        query = query.where(Course.status == filters.status)
    if filters.format is not None:
        query = query.where(Course.format == filters.format)
    if filters.provider:
        query = query.where(Course.provider == filters.provider)
    return query


def course_providers() -> list[str]:
    return list(db.session.scalars(select(Course.provider).distinct().order_by(Course.provider)))


def enrolment_count(course: Course) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id)) or 0


def delete_course(course: Course) -> None:
    """Delete a course nobody is enrolled in, with its content and alignments."""
    enrolled = enrolment_count(course)
    if enrolled:
        raise AuthoringError("course", f"{enrolled} people are enrolled in the course: archive it instead")
    db.session.execute(delete(Alignment).where(Alignment.activity_id == course.activity_iri))
    db.session.delete(course)
    db.session.flush()


def publishing_problem(course: Course) -> AuthoringError | None:
    """What stops a course from being published, if anything."""
    if course.kind is not CourseKind.NATIVE or course.format is not CourseFormat.ONLINE:
        return None  # classroom and external courses are described, not played; cmi5 ones have AUs
    if not course.modules:
        return AuthoringError("modules", "an online course needs at least one module")
    for index, module in enumerate(course.modules):
        if not module.lessons and not module.quizzes:
            return AuthoringError(f"modules[{index}]", "the module has no lessons or quizzes")
        for number, quiz in enumerate(module.quizzes):
            if not quiz.questions:
                return AuthoringError(f"modules[{index}].quizzes[{number}].questions", "the quiz has no questions")
    has_lessons = any(m.lessons for m in course.modules)
    has_quizzes = any(m.quizzes for m in course.modules)
    if course.completion_rule is CompletionRule.QUIZZES and not has_quizzes:
        return AuthoringError("completion_rule", "the rule asks for quizzes passed, but the course has no quiz")
    if course.completion_rule is CompletionRule.LESSONS and not has_lessons:
        return AuthoringError("completion_rule", "the rule asks for lessons viewed, but the course has no lesson")
    return None


def set_course_status(course: Course, status: CourseStatus | str) -> Course:
    """Publish (when the course is complete enough to be taken), archive, or return a course to draft."""
    target = _enum("status", CourseStatus, status)
    if target is CourseStatus.PUBLISHED:
        problem = publishing_problem(course)
        if problem is not None:
            raise problem
    course.status = target
    db.session.flush()
    return course


def publish_course(course: Course) -> Course:
    return set_course_status(course, CourseStatus.PUBLISHED)


def archive_course(course: Course) -> Course:
    return set_course_status(course, CourseStatus.ARCHIVED)


# --- alignments --------------------------------------------------------------------------------------------


def course_alignments(course: Course) -> list[Alignment]:
    return list(
        db.session.scalars(
            select(Alignment)
            .join(Alignment.competency)
            .where(Alignment.activity_id == course.activity_iri)
            .order_by(Competency.sort_order, Competency.id)
        )
    )


def set_alignments(course: Course, items: Sequence[AlignmentInput]) -> list[Alignment]:
    """Make the course's alignments exactly these (competency, level) pairs."""
    wanted = {item.competency.id: item.level for item in clean_alignments(items)}
    current = {a.competency_id: a for a in course_alignments(course)}
    for competency_id, alignment in current.items():
        if competency_id not in wanted:
            db.session.delete(alignment)
        else:
            alignment.level = wanted[competency_id]
    for competency_id, level in wanted.items():
        if competency_id not in current:
            db.session.add(Alignment(activity_id=course.activity_iri, competency_id=competency_id, level=level))
    db.session.flush()
    return course_alignments(course)


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
