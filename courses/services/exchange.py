"""A course in and out as one JSON or YAML document.

The document is the course's whole truth: its fields, its alignments, and its modules of lessons
and quizzes of questions and choices::

    document: e-workforce-academy/course
    version: 1
    code, activity_iri, title_th, title_en, description_th, description_en, provider,
    format, hours, language, status, completion_rule
    alignments: [{framework, competency, level}]          # framework: a code (default: the standard)
    modules:
      - title_th, title_en
        lessons: [{key, position, title_th, title_en, minutes, video_url, body_th, body_en,
                   file: {name, type, data (base64)}}]
        quizzes: [{key, position, title_th, title_en, pass_mark, attempt_limit, shuffle,
                   questions: [{key, kind, text_th, text_en,
                                choices: [{code, text_th, text_en, correct}]}]}]

Import creates the course, or updates the one with the same code. Lessons, quizzes and questions
are matched by ``key`` (a UUID; a new item may leave it out), so their activity IRIs stay the same
across export and import; what the document no longer lists is deleted. A course keeps its activity
IRI once it has one. ``position`` orders a module's lessons and quizzes together (they share one
sequence); without it, lessons come first, then quizzes, in the order listed.

Every item is checked before anything is stored; errors name the item's path and field, e.g.
``modules[1].quizzes[0].questions[2].choices: at least one correct choice is required``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

import yaml
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
    course_alignments,
    publishing_problem,
    replace_choices,
    set_alignments,
)

DOCUMENT_TYPE = "e-workforce-academy/course"
DOCUMENT_VERSION = 1
Format = Literal["json", "yaml"]
FORMATS: tuple[Format, ...] = ("json", "yaml")
#: Bounds a document (and a YAML file's aliases) to a sensible course.
MAX_ITEMS = 10_000
MAX_ERRORS = 50

COURSE_FIELDS = (
    "code",
    "activity_iri",
    "title_th",
    "title_en",
    "description_th",
    "description_en",
    "provider",
    "format",
    "hours",
    "language",
    "status",
    "completion_rule",
)
_KEYS = {
    "course": {"document", "version", *COURSE_FIELDS, "alignments", "modules"},
    "alignment": {"framework", "competency", "level"},
    "module": {"title_th", "title_en", "lessons", "quizzes"},
    "lesson": {"key", "position", "title_th", "title_en", "minutes", "video_url", "body_th", "body_en", "file"},
    "file": {"name", "type", "data"},
    "quiz": {"key", "position", "title_th", "title_en", "pass_mark", "attempt_limit", "shuffle", "questions"},
    "question": {"key", "kind", "text_th", "text_en", "choices"},
    "choice": {"code", "text_th", "text_en", "correct"},
}


class ExchangeError(ValueError):
    """A document that cannot be imported (or a course that cannot be exported); one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


# --- export ------------------------------------------------------------------------------------------------


def export_course(course: Course) -> dict[str, Any]:
    """The course as a document (plain data, ready for JSON or YAML)."""
    if course.kind is not CourseKind.NATIVE:
        raise ExchangeError([f"{course.code}: a cmi5 course travels as its cmi5 package, not as a course document"])
    document: dict[str, Any] = {"document": DOCUMENT_TYPE, "version": DOCUMENT_VERSION}
    for name in COURSE_FIELDS:
        value = getattr(course, name)
        document[name] = _number(value) if name == "hours" else str(value) if name in _ENUM_FIELDS else value
    document["alignments"] = [
        {"framework": a.competency.framework.code, "competency": a.competency.code, "level": a.level}
        for a in course_alignments(course)
    ]
    document["modules"] = [
        {
            "title_th": module.title_th,
            "title_en": module.title_en,
            "lessons": [_export_lesson(lesson) for lesson in module.lessons],
            "quizzes": [_export_quiz(quiz) for quiz in module.quizzes],
        }
        for module in course.modules
    ]
    return document


_ENUM_FIELDS = {"format", "status", "completion_rule"}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _export_lesson(lesson: Lesson) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": str(lesson.key),
        "position": lesson.position,
        "title_th": lesson.title_th,
        "title_en": lesson.title_en,
        "minutes": lesson.minutes,
        "video_url": lesson.video_url,
        "body_th": lesson.body_th,
        "body_en": lesson.body_en,
    }
    if lesson.file_name and lesson.file_data is not None:
        data["file"] = {
            "name": lesson.file_name,
            "type": lesson.file_type,
            "data": base64.b64encode(lesson.file_data).decode("ascii"),
        }
    return data


def _export_quiz(quiz: Quiz) -> dict[str, Any]:
    return {
        "key": str(quiz.key),
        "position": quiz.position,
        "title_th": quiz.title_th,
        "title_en": quiz.title_en,
        "pass_mark": quiz.pass_mark,
        "attempt_limit": quiz.attempt_limit,
        "shuffle": quiz.shuffle,
        "questions": [
            {
                "key": str(question.key),
                "kind": str(question.kind),
                "text_th": question.text_th,
                "text_en": question.text_en,
                "choices": [
                    {"code": c.code, "text_th": c.text_th, "text_en": c.text_en, "correct": c.correct}
                    for c in question.choices
                ],
            }
            for question in quiz.questions
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Readable YAML: multi-line texts (lesson bodies) as literal blocks."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_document(document: Mapping[str, Any], fmt: Format = "json") -> str:
    if fmt == "yaml":
        return yaml.dump(dict(document), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_course_text(course: Course, fmt: Format = "json") -> str:
    return dump_document(export_course(course), fmt)


# --- reading -----------------------------------------------------------------------------------------------


def load_document(text: str | bytes, fmt: Format | None = None) -> Any:
    """Parse a JSON or YAML document (``fmt`` None: JSON when it starts with ``{``, else YAML)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ExchangeError(["the file is not UTF-8 text"]) from None
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ExchangeError([f"line {error.lineno}, column {error.colno}: {error.msg} (not valid JSON)"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ExchangeError([f"{where}{problem} (not valid YAML)"]) from None


def format_for(file_name: str) -> Format | None:
    """The format a file name says (``.json``, ``.yaml``, ``.yml``), else None."""
    lower = file_name.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return None


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
        unknown = sorted(str(k) for k in value if k not in _KEYS[kind])
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
class _LessonPlan:
    key: uuid.UUID
    position: float
    values: dict[str, Any]
    file: LessonFile | None


@dataclass
class _QuestionPlan:
    key: uuid.UUID
    values: dict[str, Any]
    choices: list[dict[str, Any]]


@dataclass
class _QuizPlan:
    key: uuid.UUID
    position: float
    values: dict[str, Any]
    questions: list[_QuestionPlan]


@dataclass
class _ModulePlan:
    values: dict[str, Any]
    lessons: list[_LessonPlan] = field(default_factory=list)
    quizzes: list[_QuizPlan] = field(default_factory=list)


@dataclass
class _CoursePlan:
    existing: Course | None
    values: dict[str, Any]
    activity_iri: str
    status: CourseStatus
    alignments: list[AlignmentInput]
    modules: list[_ModulePlan]


@dataclass
class ImportResult:
    course: Course
    created: bool


def _guard(problems: _Problems, read: Callable[[], Any]) -> Any:
    """Read one item; None when it is invalid (its problems are recorded), so that reading goes on."""
    try:
        return read()
    except _Invalid:
        return None


P = TypeVar("P")


def _each(values: list[Any], path: str, problems: _Problems, read: Callable[[Any, str, _Problems], P]) -> list[P]:
    """Read each item of a list; the invalid ones are left out (their problems are recorded)."""
    result = []
    for index, value in enumerate(values):
        try:
            result.append(read(value, f"{path}[{index}]", problems))
        except _Invalid:
            continue
    return result


def _plan(document: Any) -> _CoursePlan:
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
    return _CoursePlan(existing, values, activity_iri, status, alignments, modules)


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


def _module(value: Any, path: str, problems: _Problems) -> _ModulePlan:
    reader = _Reader.of(value, path, problems, "module")
    values = _guard(
        problems,
        lambda: reader.clean(
            lambda: clean_module(ModuleInput(title_th=reader.text("title_th"), title_en=reader.text("title_en")))
        ),
    )
    plan = _ModulePlan(values or {})
    plan.lessons = _each(_guard(problems, lambda: reader.items("lessons")) or [], f"{path}.lessons", problems, _lesson)
    plan.quizzes = _each(_guard(problems, lambda: reader.items("quizzes")) or [], f"{path}.quizzes", problems, _quiz)
    if values is None:
        raise _Invalid
    return plan


def _position(reader: _Reader) -> float:
    position = reader.whole("position", None)
    return math.inf if position is None else float(position)


def _lesson(value: Any, path: str, problems: _Problems) -> _LessonPlan:
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
    return _LessonPlan(reader.key() or uuid.uuid4(), _position(reader), values, file)


def _quiz(value: Any, path: str, problems: _Problems) -> _QuizPlan:
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
    return _QuizPlan(key or uuid.uuid4(), position, values, questions)


def _question(value: Any, path: str, problems: _Problems) -> _QuestionPlan:
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
    return _QuestionPlan(reader.key() or uuid.uuid4(), values, checked)


def _walk(modules: list[_ModulePlan]) -> Iterator[tuple[str, str, uuid.UUID]]:
    """(kind, path, key) of every keyed item of the plan."""
    for m, module in enumerate(modules):
        for i, lesson in enumerate(module.lessons):
            yield "lesson", f"modules[{m}].lessons[{i}].key", lesson.key
        for q, quiz in enumerate(module.quizzes):
            yield "quiz", f"modules[{m}].quizzes[{q}].key", quiz.key
            for n, question in enumerate(quiz.questions):
                yield "question", f"modules[{m}].quizzes[{q}].questions[{n}].key", question.key


def _check_keys(modules: list[_ModulePlan], existing: Course | None, problems: _Problems) -> None:
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


# --- import: storing ---------------------------------------------------------------------------------------


def import_course(document: Any) -> ImportResult:
    """Create or update (by code) the course a document describes; all of it, or nothing."""
    plan = _plan(document)
    with db.session.begin_nested():
        course = _apply(plan)
        if plan.status is CourseStatus.PUBLISHED:
            problem = publishing_problem(course)
            if problem is not None:
                raise ExchangeError([str(problem)])
    return ImportResult(course, created=plan.existing is None)


def import_course_text(text: str | bytes, fmt: Format | None = None) -> ImportResult:
    return import_course(load_document(text, fmt))


def _apply(plan: _CoursePlan) -> Course:
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
