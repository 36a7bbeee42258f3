"""Courses: create, update, list, delete; status (publishing checks what a learner needs); alignments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, or_, select

from academy.db import db
from competencies.models import Alignment, Competency
from courses.models import (
    CompletionRule,
    Course,
    CourseFormat,
    CourseKind,
    CourseStatus,
    Enrolment,
)
from courses.services.activities import course_iri_for
from courses.services.authoring.checks import (
    AlignmentInput,
    AuthoringError,
    CourseInput,
    clean_activity_iri,
    clean_alignments,
    clean_course,
    clean_status,
)

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
    target = clean_status(status)
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
