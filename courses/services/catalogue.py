"""The catalogue: published courses, searched and filtered; a course's items and alignments; recommendations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, exists, or_, select, true
from sqlalchemy.orm import defer, selectinload

from academy.db import db
from academy.org.models import Person
from competencies.models import Alignment, Competency, Framework
from competencies.services.coverage import Gap, person_gaps
from courses.models import Course, CourseFormat, CourseStatus, Lesson, Module, Quiz
from courses.services.activities import lesson_iri, quiz_iri
from courses.services.authoring.structure import module_items


@dataclass(frozen=True)
class CatalogueFilter:
    """What a learner searches the catalogue by; empty fields do not filter."""

    text: str = ""
    area: str = ""  # the code of an area of the standard, e.g. "DL"
    level: int | None = None  # the level an aligned competency is taught at
    provider: str = ""
    language: str = ""
    format: CourseFormat | None = None


def catalogue_query(filters: CatalogueFilter = CatalogueFilter()) -> Select[Course]:
    """Published courses matching the filters, by title."""
    query = select(Course).where(Course.status == CourseStatus.PUBLISHED)
    if filters.text:
        pattern = f"%{filters.text.strip()}%"
        query = query.where(
            or_(
                Course.title_th.ilike(pattern),
                Course.title_en.ilike(pattern),
                Course.code.ilike(pattern),
                Course.description_th.ilike(pattern),
                Course.description_en.ilike(pattern),
            )
        )
    if filters.area or filters.level is not None:
        aligned = select(Alignment.id).where(Alignment.activity_id == Course.activity_iri)
        if filters.area:
            area = select(Competency.id).where(Competency.code == filters.area, Competency.parent_id.is_(None))
            aligned = aligned.join(Competency, Competency.id == Alignment.competency_id).where(
                or_(Competency.parent_id.in_(area), Competency.id.in_(area))
            )
        if filters.level is not None:
            aligned = aligned.where(Alignment.level == filters.level)
        query = query.where(exists(aligned))
    if filters.provider:
        query = query.where(Course.provider == filters.provider)
    if filters.language:
        query = query.where(Course.language == filters.language)
    if filters.format is not None:
        query = query.where(Course.format == filters.format)
    return query.order_by(Course.title_th, Course.id)


def catalogue_providers() -> list[str]:
    return list(
        db.session.scalars(
            select(Course.provider).where(Course.status == CourseStatus.PUBLISHED).distinct().order_by(Course.provider)
        )
    )


#: What a page that lists a course's lessons without showing them leaves unread: their content.
LESSON_CONTENT = (Lesson.body_th, Lesson.body_en, Lesson.markdown_th, Lesson.markdown_en)


def get_course(code: str, *, lesson_content: bool = True) -> Course | None:
    """The published course with its modules, lessons and quizzes loaded (three queries, not one per module).

    ``lesson_content=False``: the lessons' bodies are not read (a page that lists them by title).
    """
    lessons = selectinload(Course.modules).selectinload(Module.lessons)
    course = db.session.scalar(
        select(Course)
        .where(Course.code == code)
        .options(
            lessons if lesson_content else lessons.options(*(defer(column) for column in LESSON_CONTENT)),
            selectinload(Course.modules).selectinload(Module.quizzes),
        )
    )
    if course is None or course.status is not CourseStatus.PUBLISHED:
        return None
    return course


# --- a course's items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A lesson or a quiz, in the order the learner meets them."""

    iri: str
    lesson: Lesson | None = None
    quiz: Quiz | None = None

    @property
    def key(self) -> str:
        target = self.lesson or self.quiz
        assert target is not None
        return str(target.key)


def course_items(course: Course) -> list[Item]:
    """Every lesson and quiz of the course, module by module, by position (lessons first at a tie)."""
    return [
        Item(lesson_iri(item), lesson=item) if isinstance(item, Lesson) else Item(quiz_iri(item), quiz=item)
        for module in course.modules
        for item in module_items(module)
    ]


@dataclass(frozen=True)
class CourseAlignment:
    competency: Competency
    level: int


def course_alignments(courses: Sequence[Course]) -> dict[int, list[CourseAlignment]]:
    """What each course teaches: competency and level, by course id, in the framework's order."""
    by_iri = {course.activity_iri: course.id for course in courses}
    result: dict[int, list[CourseAlignment]] = {course.id: [] for course in courses}
    if not by_iri:
        return result
    rows = db.session.execute(
        select(Alignment.activity_id, Competency, Alignment.level)
        .join(Competency, Competency.id == Alignment.competency_id)
        .where(Alignment.activity_id.in_(by_iri))
        .order_by(Competency.sort_order)
    ).all()
    for activity_id, competency, level in rows:
        result[by_iri[activity_id]].append(CourseAlignment(competency, level))
    return result


# --- recommendations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    course: Course
    #: Levels of the person's gap the course would close (sum over the competencies it teaches).
    closes: int
    competencies: list[Competency]


def recommend_courses(
    person: Person, framework: Framework, *, limit: int = 6, exclude: Sequence[int] = ()
) -> list[Recommendation]:
    """Published courses ordered by how much of the person's gap they close, then by fewest hours."""
    gaps = [gap for gap in person_gaps(person, framework) if gap.gap]
    return rank_courses_for_gaps(gaps, limit=limit, exclude=exclude)


def rank_courses_for_gaps(gaps: Sequence[Gap], *, limit: int, exclude: Sequence[int] = ()) -> list[Recommendation]:
    """The courses that close most of these gaps (then fewest hours, then by code), at most ``limit``.

    Ranked on the alignments' columns alone; only the courses shown are loaded.
    """
    if not gaps:
        return []
    by_competency = {gap.competency.id: gap for gap in gaps}
    rows = db.session.execute(
        select(Course.id, Course.hours, Course.code, Alignment.competency_id, Alignment.level)
        .join(Alignment, Alignment.activity_id == Course.activity_iri)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Alignment.competency_id.in_(by_competency),
            Course.id.not_in(exclude) if exclude else true(),
        )
    ).all()
    closes: dict[int, int] = {}
    taught: dict[int, list[Competency]] = {}
    order: dict[int, tuple[Decimal, str]] = {}
    for course_id, hours, code, competency_id, level in rows:
        gap = by_competency[competency_id]
        gained = max(min(level, gap.required) - gap.attained, 0)
        if gained:
            order[course_id] = (hours or Decimal(0), code)
            closes[course_id] = closes.get(course_id, 0) + gained
            taught.setdefault(course_id, []).append(gap.competency)
    ranked = sorted(order, key=lambda cid: (-closes[cid], *order[cid]))[:limit]
    if not ranked:
        return []
    courses = {course.id: course for course in db.session.scalars(select(Course).where(Course.id.in_(ranked)))}
    return [Recommendation(courses[cid], closes[cid], taught[cid]) for cid in ranked]
