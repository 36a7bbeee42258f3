"""What an HR officer sees of one person: profile, gaps, courses and assignments, evidence, transcript.

One read of the existing services (competencies' gaps and evidence, courses' enrolments and
transcript), gathered for the HR person page; no rule of its own beyond how the page groups them.
A long list (assignments, other courses, evidence, the transcript) shows its first SHOWN rows
and how many there are; the rest is on the list's own pages (PER_PAGE rows each), read with
LIMIT/OFFSET and counted with COUNT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import contains_eager

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Person
from competencies.models import Framework
from competencies.services.alignments import PersonEvidence, evidence_of
from competencies.services.coverage import Gap, person_gaps
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
from courses.services.transcript import TranscriptPage, transcript_page

#: Rows of each long list on the person page; the count says how many there are in all.
SHOWN = 20
#: Rows of a page of one list.
PER_PAGE = 50
#: Fiscal years of the transcript shown unless every year is asked for: this one and the one before.
RECENT_YEARS = 2

T = TypeVar("T")


class Section(StrEnum):
    """The person page's long lists, each with pages of its own (``/people/<id>/record/<section>``)."""

    ASSIGNMENTS = "assignments"
    COURSES = "courses"  # unfinished courses the person enrolled in themself
    EVIDENCE = "evidence"
    TRANSCRIPT = "transcript"


@dataclass(frozen=True)
class Page(Generic[T]):
    """Rows of a list and where they are in it (what the pager macro reads)."""

    items: list[T]
    total: int
    page: int = 1
    per_page: int = SHOWN

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def more(self) -> bool:
        """Rows are left out of this page (the page links to the rest)."""
        return self.total > len(self.items)


@dataclass(frozen=True)
class PersonRecord:
    gaps: list[Gap]
    assignments: Page[Enrolment]
    #: Unfinished courses the person enrolled in themself (completed ones are in the transcript).
    other_enrolments: Page[Enrolment]
    evidence: Page[PersonEvidence]
    #: Our courses' titles by activity IRI, for the evidence rows that came from one.
    course_titles: dict[str, Course]
    #: The latest entries of the transcript, by year, each year with its count.
    transcript: TranscriptPage

    @property
    def met(self) -> int:
        return sum(1 for gap in self.gaps if not gap.gap)


def person_record(person: Person, framework: Framework, *, every_year: bool = False) -> PersonRecord:
    """Everything the HR person page shows of the person, against the framework's requirements.

    The transcript covers this fiscal year and the one before unless ``every_year``.
    """
    evidence = evidence_page(person, 1, SHOWN)
    return PersonRecord(
        gaps=person_gaps(person, framework),
        assignments=enrolment_page(person, Section.ASSIGNMENTS, 1, SHOWN),
        other_enrolments=enrolment_page(person, Section.COURSES, 1, SHOWN),
        evidence=evidence,
        course_titles=evidence_courses(evidence.items),
        transcript=transcript_page(person, first_year(every_year), 0, SHOWN, hours=False),
    )


def first_year(every_year: bool) -> int | None:
    return None if every_year else current_fiscal_year() - RECENT_YEARS + 1


def _enrolment_conditions(person: Person, section: Section) -> tuple[ColumnElement[bool], ...]:
    if section is Section.ASSIGNMENTS:
        return (Enrolment.person_id == person.id, Enrolment.source == EnrolmentSource.ASSIGNED)
    return (
        Enrolment.person_id == person.id,
        Enrolment.source != EnrolmentSource.ASSIGNED,
        Enrolment.status != EnrolmentStatus.COMPLETED,
    )


def enrolment_page(person: Person, section: Section, page: int, per_page: int) -> Page[Enrolment]:
    """A page of the person's assignments or other unfinished courses.

    Unfinished first (by due date), then completed (latest first).
    """
    conditions = _enrolment_conditions(person, section)
    query = (
        select(Enrolment)
        .join(Enrolment.course)
        .options(contains_eager(Enrolment.course))
        .where(*conditions)
        .order_by(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.due_on.is_(None),
            Enrolment.due_on,
            Enrolment.completed_at.is_(None),
            Enrolment.completed_at.desc(),
            Enrolment.id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = list(db.session.scalars(query))
    total = _count(items, page, per_page, select(func.count()).select_from(Enrolment).where(*conditions))
    return Page(items, total, page, per_page)


def evidence_page(person: Person, page: int, per_page: int) -> Page[PersonEvidence]:
    """A page of the person's evidence, newest first."""
    items, total = evidence_of(person.id, per_page, offset=(page - 1) * per_page)
    return Page(items, total, page, per_page)


def evidence_courses(evidence: list[PersonEvidence]) -> dict[str, Course]:
    """Our courses by activity IRI, for the evidence rows that came from one."""
    iris = {e.evidence.activity_id for e in evidence if e.evidence.activity_id}
    if not iris:
        return {}
    return {c.activity_iri: c for c in db.session.scalars(select(Course).where(Course.activity_iri.in_(iris)))}


def transcript_list(person: Person, page: int, *, every_year: bool) -> Page[Any]:
    """A page of the transcript (each year shown with its count and hours); its items are the page's years."""
    transcript = transcript_page(person, first_year(every_year), (page - 1) * PER_PAGE, PER_PAGE, hours=True)
    return Page(transcript.years, transcript.total, page, PER_PAGE)


def _count(items: list[Any], page: int, per_page: int, query: Any) -> int:
    """How many rows the list has: known without a query on a first page that is not full."""
    if page == 1 and len(items) < per_page:
        return len(items)
    return int(db.session.scalar(query) or 0)
