"""The course document: its shape, export to JSON or YAML, and reading a file back into plain data."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

import yaml

from academy.inputs import MAX_JSON_DEPTH, json_problem
from courses.models import Course, CourseKind, Lesson, Quiz
from courses.services.authoring import (
    course_alignments,
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
DOCUMENT_KEYS = {
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
    try:
        document = _parse(text, fmt)
    except RecursionError:
        raise ExchangeError([f"the document nests too deeply to be read (at most {MAX_JSON_DEPTH} levels)"]) from None
    # The database can hold no NUL character, and nothing in a course nests deeper than a few levels.
    problem = json_problem(document, "")
    if problem is not None:
        raise ExchangeError([problem])
    return document


def _parse(text: str, fmt: Format) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ExchangeError([f"line {error.lineno}, column {error.colno}: {error.msg} (not valid JSON)"]) from None
        except ValueError as error:  # a number of more than 4,300 digits
            raise ExchangeError([f"{error} (not valid JSON)"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ExchangeError([f"{where}{problem} (not valid YAML)"]) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise ExchangeError([f"{error} (not valid YAML)"]) from None


def format_for(file_name: str) -> Format | None:
    """The format a file name says (``.json``, ``.yaml``, ``.yml``), else None."""
    lower = file_name.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return None
