"""What an HR officer sees of one person: profile, gaps, courses and assignments, evidence, transcript.

One read of the existing services (competencies' gaps and evidence, courses' enrolments and
transcript), gathered for the HR person page; no rule of its own beyond how the page groups them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Person
from competencies.models import Framework
from competencies.services.alignments import PersonEvidence, evidence_of
from competencies.services.coverage import Gap, person_gaps
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
from courses.services.enrolment import enrolments_of
from courses.services.transcript import TranscriptYear, recent_transcript

#: Evidence rows shown on the page (newest first); the count says how many there are in all.
EVIDENCE_SHOWN = 50
#: Fiscal years of the transcript shown unless every year is asked for: this one and the one before.
RECENT_YEARS = 2


@dataclass(frozen=True)
class PersonRecord:
    gaps: list[Gap]
    assignments: list[Enrolment]
    #: Unfinished courses the person enrolled in themself (completed ones are in the transcript).
    other_enrolments: list[Enrolment]
    evidence: list[PersonEvidence]
    evidence_total: int
    #: Our courses' titles by activity IRI, for the evidence rows that came from one.
    course_titles: dict[str, Course]
    transcript: list[TranscriptYear]
    #: Fiscal years of the transcript left out (older than RECENT_YEARS, unless every year was asked for).
    older_years: int

    @property
    def met(self) -> int:
        return sum(1 for gap in self.gaps if not gap.gap)


def person_record(person: Person, framework: Framework, *, every_year: bool = False) -> PersonRecord:
    """Everything the HR person page shows of the person, against the framework's requirements.

    The transcript covers this fiscal year and the one before unless ``every_year``.
    """
    enrolments = enrolments_of(person)
    first_year = None if every_year else current_fiscal_year() - RECENT_YEARS + 1
    transcript = recent_transcript(person, first_year)  # older statements' payloads are not read
    evidence, total = evidence_of(person.id, EVIDENCE_SHOWN)
    iris = {e.evidence.activity_id for e in evidence if e.evidence.activity_id}
    courses = db.session.scalars(select(Course).where(Course.activity_iri.in_(iris))).all() if iris else []
    return PersonRecord(
        gaps=person_gaps(person, framework),
        assignments=[e for e in enrolments if e.source is EnrolmentSource.ASSIGNED],
        other_enrolments=[
            e
            for e in enrolments
            if e.source is not EnrolmentSource.ASSIGNED and e.status is not EnrolmentStatus.COMPLETED
        ],
        evidence=evidence,
        evidence_total=total,
        course_titles={c.activity_iri: c for c in courses},
        transcript=transcript.years,
        older_years=transcript.older_years,
    )
