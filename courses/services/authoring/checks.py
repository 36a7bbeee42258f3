"""What authoring accepts: the inputs, each field's check, and ``clean_*`` (validation alone, no writes).

The course import runs the same ``clean_*`` over a whole document before it stores any of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import select

from academy.db import db
from competencies.models import Competency
from courses.content import ContentError, render_markdown, sanitise_html, validate_video_url
from courses.models import (
    CompletionRule,
    Course,
    CourseFormat,
    CourseStatus,
    QuestionKind,
)


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
    quiz_review: bool = False


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
    #: Markdown instead of HTML: when given, the body is made from it (and it is kept for editing).
    markdown_th: str | None = None
    markdown_en: str | None = None


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
        "quiz_review": bool(data.quiz_review),
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


def _body(language: str, html: str, markdown: str | None) -> dict[str, Any]:
    """A lesson body from the author's HTML, or from their Markdown (kept, to be edited again)."""
    if markdown is None:
        return {
            f"body_{language}": sanitise_html(_text(f"body_{language}", html, TEXT_LENGTH)),
            f"markdown_{language}": None,
        }
    source = _text(f"body_{language}", markdown, TEXT_LENGTH)
    return {f"body_{language}": render_markdown(source), f"markdown_{language}": source}


def clean_lesson(data: LessonInput) -> dict[str, Any]:
    try:
        video_url = validate_video_url(data.video_url)
    except ContentError as error:
        raise AuthoringError("video_url", str(error)) from None
    return {
        "title_th": _text("title_th", data.title_th, TITLE_LENGTH, required=True),
        "title_en": _text("title_en", data.title_en, TITLE_LENGTH),
        **_body("th", data.body_th, data.markdown_th),
        **_body("en", data.body_en, data.markdown_en),
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
