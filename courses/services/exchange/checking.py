"""Checking a course document, item by item, into a plan of what to store; every problem is named by its path."""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select

from academy.db import db
from competencies.models import Framework, FrameworkStatus
from competencies.services.frameworks import STANDARD_CODE
from courses.content import ContentError, LessonFile, validate_lesson_file
from courses.models import Course, CourseKind, CourseStatus, Lesson, Module, Question, Quiz
from courses.services.activities import course_iri_for
from courses.services.authoring import (
    AlignmentInput,
    AuthoringError,
    ChoiceInput,
    CourseInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    clean_activity_iri,
    clean_alignments,
    clean_course,
    clean_lesson,
    clean_module,
    clean_question,
    clean_quiz,
    clean_status,
)
from courses.services.exchange.document import (
    DOCUMENT_KEYS,
    DOCUMENT_TYPE,
    DOCUMENT_VERSION,
    MAX_ERRORS,
    MAX_ITEMS,
    ExchangeError,
)

# --- import: checking --------------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.items = 0

    def add(self, path: str, message: str) -> None:
        line = f"{path}: {message}" if path else message
        if line in self.errors:
            return
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(line)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append("… and more (stopped after the first 50 problems)")

    def count(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise ExchangeError([f"the document has more than {MAX_ITEMS:,} items"])


class _Invalid(Exception):
    """An item that cannot be read at all (its problem is recorded already)."""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclass
class _Reader:
    """Typed access to one mapping of the document, recording problems under its path."""

    data: Mapping[str, Any]
    path: str
    problems: _Problems

    @classmethod
    def of(cls, value: Any, path: str, problems: _Problems, kind: str) -> _Reader:
        problems.count()
        if not isinstance(value, Mapping):
            problems.add(path, f"must be a mapping of {kind} fields")
            raise _Invalid
        unknown = sorted(str(k) for k in value if k not in DOCUMENT_KEYS[kind])
        if unknown:
            problems.add(path, f"unknown field {', '.join(unknown)}")
        return cls(value, path, problems)

    def _fail(self, name: str, message: str) -> _Invalid:
        self.problems.add(_join(self.path, name), message)
        return _Invalid()

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self._fail(name, "is required")
            return default
        if not isinstance(value, str):
            raise self._fail(name, "must be text (quote it)")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise self._fail(name, "must be text (quote it)")
        return value

    def whole(self, name: str, default: int | None) -> int | None:
        value = self.data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(name, "must be a whole number")
        if not -_MAX_WHOLE <= value <= _MAX_WHOLE:  # the database's integer columns hold no more
            raise self._fail(name, f"must be a whole number from {-_MAX_WHOLE} to {_MAX_WHOLE}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self._fail(name, "must be true or false")
        return value

    def number(self, name: str) -> Decimal:
        value = self.data.get(name)
        if value is None:
            raise self._fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._fail(name, "must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(name, "must be a finite number")
        try:
            return Decimal(str(value).strip())
        except ArithmeticError:
            raise self._fail(name, f"{value!r} is not a number") from None

    def items(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(name, "must be a list")
        return value

    def key(self, name: str = "key") -> uuid.UUID | None:
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise self._fail(name, f"{value!r} is not a UUID") from None

    def clean(self, check: Callable[[], Any]) -> Any:
        """Run an authoring check, recording its error under this item's path."""
        try:
            return check()
        except AuthoringError as error:
            raise self._fail(error.field, error.message) from None


@dataclass
class LessonPlan:
    key: uuid.UUID
    position: float
    values: dict[str, Any]
    file: LessonFile | None


@dataclass
class QuestionPlan:
    key: uuid.UUID
    values: dict[str, Any]
    choices: list[dict[str, Any]]


@dataclass
class QuizPlan:
    key: uuid.UUID
    position: float
    values: dict[str, Any]
    questions: list[QuestionPlan]


@dataclass
class ModulePlan:
    values: dict[str, Any]
    lessons: list[LessonPlan] = field(default_factory=list)
    quizzes: list[QuizPlan] = field(default_factory=list)


@dataclass
class CoursePlan:
    existing: Course | None
    values: dict[str, Any]
    activity_iri: str
    status: CourseStatus
    alignments: list[AlignmentInput]
    modules: list[ModulePlan]


def _guard(problems: _Problems, read: Callable[[], Any]) -> Any:
    """Read one item; None when it is invalid (its problems are recorded), so that reading goes on."""
    try:
        return read()
    except _Invalid:
        return None


P = TypeVar("P")
#: The largest whole number a document may give: the database's integer columns.
_MAX_WHOLE = 2**31 - 1


def _each(values: list[Any], path: str, problems: _Problems, read: Callable[[Any, str, _Problems], P]) -> list[P]:
    """Read each item of a list; the invalid ones are left out (their problems are recorded)."""
    result = []
    for index, value in enumerate(values):
        try:
            result.append(read(value, f"{path}[{index}]", problems))
        except _Invalid:
            continue
    return result


def plan_import(document: Any) -> CoursePlan:
    problems = _Problems()
    try:
        top = _Reader.of(document, "", problems, "course")
    except _Invalid:
        raise ExchangeError(problems.errors) from None
    if top.data.get("document", DOCUMENT_TYPE) != DOCUMENT_TYPE:
        problems.add("document", f"is {top.data.get('document')!r}, expected {DOCUMENT_TYPE!r}")
    if top.data.get("version", DOCUMENT_VERSION) != DOCUMENT_VERSION:
        problems.add("version", f"version {top.data.get('version')!r} is not supported (expected {DOCUMENT_VERSION})")

    existing = None
    code = _guard(problems, lambda: top.text("code", required=True))
    if code:
        existing = db.session.scalar(select(Course).where(Course.code == code.strip()))
        if existing is not None and existing.kind is not CourseKind.NATIVE:
            problems.add("code", f"{code} is a cmi5 course: import its package instead")
            existing = None
    values = _guard(problems, lambda: _course_values(top, existing))
    activity_iri = _guard(problems, lambda: _activity_iri(top, existing, code))
    status = _guard(problems, lambda: top.clean(lambda: clean_status(top.text("status", default="draft"))))
    alignment_items = _guard(problems, lambda: top.items("alignments")) or []
    alignments = _each(alignment_items, "alignments", problems, _alignment)
    if len(alignments) == len(alignment_items):
        _guard(problems, lambda: top.clean(lambda: clean_alignments(alignments)))
    modules = _each(_guard(problems, lambda: top.items("modules")) or [], "modules", problems, _module)
    _check_keys(modules, existing, problems)
    if problems.errors or values is None or activity_iri is None or status is None:
        raise ExchangeError(problems.errors or ["the document could not be read"])
    return CoursePlan(existing, values, activity_iri, status, alignments, modules)


def _course_values(top: _Reader, existing: Course | None) -> dict[str, Any]:
    data = CourseInput(
        code=top.text("code", required=True),
        title_th=top.text("title_th"),
        title_en=top.text("title_en"),
        description_th=top.text("description_th"),
        description_en=top.text("description_en"),
        provider=top.text("provider"),
        format=top.text("format", required=True),
        hours=top.number("hours"),
        language=top.text("language", default="th"),
        completion_rule=top.text("completion_rule", default="lessons_and_quizzes"),
    )
    return dict(top.clean(lambda: clean_course(data, existing)))


def _activity_iri(top: _Reader, existing: Course | None, code: str | None) -> str:
    if existing is not None:
        return existing.activity_iri  # an IRI never changes: statements refer to it
    given = top.optional_text("activity_iri")
    return str(top.clean(lambda: clean_activity_iri(given or course_iri_for((code or "").strip()))))


def _alignment(value: Any, path: str, problems: _Problems) -> AlignmentInput:
    reader = _Reader.of(value, path, problems, "alignment")
    framework_code = reader.text("framework", default=STANDARD_CODE)
    code = reader.text("competency", required=True)
    level = reader.whole("level", None)
    if level is None:
        raise reader._fail("level", "is required")
    framework = _framework(framework_code)
    if framework is None:
        raise reader._fail("framework", f"no framework has the code {framework_code}")
    competency = next((c for c in framework.competencies if c.code == code), None)
    if competency is None:
        raise reader._fail("competency", f"{framework_code} has no competency {code}")
    return AlignmentInput(competency, level)


def _framework(code: str) -> Framework | None:
    """The framework of that code: its active version, else its latest."""
    found = list(db.session.scalars(select(Framework).where(Framework.code == code)))
    active = [f for f in found if f.status is FrameworkStatus.ACTIVE]
    return max(active or found, key=lambda f: (len(f.version), f.version), default=None)


def _module(value: Any, path: str, problems: _Problems) -> ModulePlan:
    reader = _Reader.of(value, path, problems, "module")
    values = _guard(
        problems,
        lambda: reader.clean(
            lambda: clean_module(ModuleInput(title_th=reader.text("title_th"), title_en=reader.text("title_en")))
        ),
    )
    plan = ModulePlan(values or {})
    plan.lessons = _each(_guard(problems, lambda: reader.items("lessons")) or [], f"{path}.lessons", problems, _lesson)
    plan.quizzes = _each(_guard(problems, lambda: reader.items("quizzes")) or [], f"{path}.quizzes", problems, _quiz)
    if values is None:
        raise _Invalid
    return plan


def _position(reader: _Reader) -> float:
    position = reader.whole("position", None)
    return math.inf if position is None else float(position)


def _lesson(value: Any, path: str, problems: _Problems) -> LessonPlan:
    reader = _Reader.of(value, path, problems, "lesson")
    data = LessonInput(
        title_th=reader.text("title_th"),
        title_en=reader.text("title_en"),
        body_th=reader.text("body_th"),
        body_en=reader.text("body_en"),
        video_url=reader.optional_text("video_url"),
        minutes=reader.whole("minutes", 10) or 0,
    )
    values = reader.clean(lambda: clean_lesson(data))
    file = None
    if reader.data.get("file") is not None:
        file_reader = _Reader.of(reader.data["file"], _join(path, "file"), problems, "file")
        name = file_reader.text("name", required=True)
        try:
            content = base64.b64decode(file_reader.text("data", required=True), validate=True)
        except (binascii.Error, ValueError):
            raise file_reader._fail("data", "is not base64") from None
        try:
            file = validate_lesson_file(name, content)
        except ContentError as error:
            raise file_reader._fail("name", str(error)) from None
    return LessonPlan(reader.key() or uuid.uuid4(), _position(reader), values, file)


def _quiz(value: Any, path: str, problems: _Problems) -> QuizPlan:
    reader = _Reader.of(value, path, problems, "quiz")
    data = QuizInput(
        title_th=reader.text("title_th"),
        title_en=reader.text("title_en"),
        pass_mark=reader.whole("pass_mark", 70) or 0,
        attempt_limit=reader.whole("attempt_limit", None),
        shuffle=reader.flag("shuffle", True),
    )
    values = _guard(problems, lambda: reader.clean(lambda: clean_quiz(data)))
    questions = _each(reader.items("questions"), f"{path}.questions", problems, _question)
    key, position = reader.key(), _position(reader)
    if values is None:
        raise _Invalid
    return QuizPlan(key or uuid.uuid4(), position, values, questions)


def _question(value: Any, path: str, problems: _Problems) -> QuestionPlan:
    reader = _Reader.of(value, path, problems, "question")
    choices = []
    for index, item in enumerate(reader.items("choices")):
        choice = _Reader.of(item, f"{path}.choices[{index}]", problems, "choice")
        choices.append(
            ChoiceInput(
                code=choice.text("code"),
                text_th=choice.text("text_th"),
                text_en=choice.text("text_en"),
                correct=choice.flag("correct", False),
            )
        )
    data = QuestionInput(
        kind=reader.text("kind", required=True),
        text_th=reader.text("text_th"),
        text_en=reader.text("text_en"),
        choices=tuple(choices),
    )
    values, checked = reader.clean(lambda: clean_question(data))
    return QuestionPlan(reader.key() or uuid.uuid4(), values, checked)


def _walk(modules: list[ModulePlan]) -> Iterator[tuple[str, str, uuid.UUID]]:
    """(kind, path, key) of every keyed item of the plan."""
    for m, module in enumerate(modules):
        for i, lesson in enumerate(module.lessons):
            yield "lesson", f"modules[{m}].lessons[{i}].key", lesson.key
        for q, quiz in enumerate(module.quizzes):
            yield "quiz", f"modules[{m}].quizzes[{q}].key", quiz.key
            for n, question in enumerate(quiz.questions):
                yield "question", f"modules[{m}].quizzes[{q}].questions[{n}].key", question.key


def _check_keys(modules: list[ModulePlan], existing: Course | None, problems: _Problems) -> None:
    """Each key once in the document, and not an item of another course."""
    seen: dict[tuple[str, uuid.UUID], str] = {}
    for kind, path, key in _walk(modules):
        if (kind, key) in seen:
            problems.add(path, f"the {kind} key {key} is also at {seen[(kind, key)].removesuffix('.key')}")
        seen.setdefault((kind, key), path)
    for kind in ("lesson", "quiz", "question"):
        keys = [key for (k, key) in seen if k == kind]
        if not keys:
            continue
        for key, code in db.session.execute(_owner_query(kind, keys)):
            if existing is None or code != existing.code:
                problems.add(seen[(kind, key)], f"the {kind} {key} belongs to the course {code}")


def _owner_query(kind: str, keys: list[uuid.UUID]) -> Any:
    if kind == "lesson":
        return select(Lesson.key, Course.code).join(Lesson.module).join(Module.course).where(Lesson.key.in_(keys))
    if kind == "quiz":
        return select(Quiz.key, Course.code).join(Quiz.module).join(Module.course).where(Quiz.key.in_(keys))
    return (
        select(Question.key, Course.code)
        .join(Question.quiz)
        .join(Quiz.module)
        .join(Module.course)
        .where(Question.key.in_(keys))
    )
