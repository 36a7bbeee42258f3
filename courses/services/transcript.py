"""A learner's transcript: every completed learning, ours and other providers', by fiscal year (BE).

Our courses come from completed enrolments (which include courses of ours completed
elsewhere and reported by xAPI). Other providers' learning comes from the LRS: each
`completed` statement whose actor is one of the person's identifiers and whose activity
is not one of our courses or their items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from academy.dates import BANGKOK, fiscal_year_bounds, fiscal_year_of, today
from academy.db import db
from academy.i18n import localized
from academy.org.models import Person, PersonIdentifier
from courses.models import Course, Enrolment, EnrolmentStatus, ItemProgress
from lrs import Statement, parse_timestamp, ref_of_verb, refs_of_agents

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_HOURS_PER = {"weeks": Decimal(168), "days": Decimal(24), "hours": Decimal(1), "minutes": 1 / Decimal(60)}


def duration_hours(value: object) -> Decimal | None:
    """Hours of an ISO 8601 duration (weeks, days, hours, minutes, seconds), to 0.1 h; None if not one."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or value == "P" or value == "PT":
        return None
    total = sum(
        (
            Decimal(amount) * _HOURS_PER.get(unit, 1 / Decimal(3600))
            for unit, amount in match.groupdict().items()
            if amount
        ),
        Decimal(0),
    )
    return total.quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Entry:
    title_th: str
    title_en: str
    provider: str
    hours: Decimal | None
    completed_at: datetime
    ours: bool
    course_code: str | None = None
    #: Percent: the mean of the best scores of our course's quizzes, or the provider's scaled score.
    score: Decimal | None = None

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)


@dataclass
class TranscriptYear:
    fiscal_year: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return sum((e.hours for e in self.entries if e.hours is not None), Decimal(0))


@dataclass(frozen=True)
class Transcript:
    years: list[TranscriptYear]
    #: Fiscal years before the first one asked for in which there is an entry (left out).
    older_years: int = 0


def transcript_of(person: Person) -> list[TranscriptYear]:
    """The person's completed learning grouped by fiscal year, latest year and latest completion first."""
    return recent_transcript(person, None).years


def recent_transcript(person: Person, from_year: int | None) -> Transcript:
    """The transcript from fiscal year ``from_year`` (BE) on, or every year if None, and how many older years have one.

    Each source is read once, from indexed columns: a statement's payload is read only for an entry shown.
    """
    since = _year_start(from_year) if from_year is not None else None
    ours = _our_courses(person)
    theirs = _provider_completions(person, since)
    older = {
        fiscal_year_of(today(when))
        for when in (*(e.completed_at for e in ours), *(when for when, _payload in theirs))
        if since is not None and when < since
    }
    shown = [e for e in ours if since is None or e.completed_at >= since] + _other_providers(
        [payload for _when, payload in theirs if payload is not None]
    )
    years: dict[int, TranscriptYear] = {}
    for entry in sorted(shown, key=lambda e: e.completed_at, reverse=True):
        year = fiscal_year_of(today(entry.completed_at))  # the platform's day, in Bangkok
        years.setdefault(year, TranscriptYear(year)).entries.append(entry)
    return Transcript([years[year] for year in sorted(years, reverse=True)], len(older))


def _year_start(fiscal_year_be: int) -> datetime:
    """The first instant of the fiscal year: midnight of its first day in Bangkok."""
    first, _last = fiscal_year_bounds(fiscal_year_be)
    return datetime.combine(first, time(0), tzinfo=BANGKOK)


def _our_courses(person: Person) -> list[Entry]:
    score = (
        select(func.avg(ItemProgress.best_score))
        .where(ItemProgress.enrolment_id == Enrolment.id, ItemProgress.best_score.is_not(None))
        .scalar_subquery()
    )
    # The columns an entry shows, not whole courses.
    query = (
        select(
            Course.title_th, Course.title_en, Course.provider, Course.hours, Course.code, Enrolment.completed_at, score
        )
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(
            Enrolment.person_id == person.id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.completed_at.is_not(None),
        )
    )
    return [
        Entry(title_th, title_en, provider, hours, completed_at, ours=True, course_code=code, score=_percent(mean))
        for title_th, title_en, provider, hours, code, completed_at, mean in db.session.execute(query)
    ]


def _percent(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("1"))


def _scaled_score(result: dict[str, Any]) -> Decimal | None:
    scaled = (result.get("score") or {}).get("scaled")
    if not isinstance(scaled, int | float) or isinstance(scaled, bool):
        return None
    return _percent(Decimal(str(scaled)) * 100)


def _name(definition: dict[str, Any], *tags: str) -> str:
    names = definition.get("name") or {}
    for tag in tags:
        for key, value in names.items():
            if key.lower().startswith(tag):
                return str(value)
    return str(next(iter(names.values()), ""))


def _ours(iri: str, courses: set[str]) -> bool:
    """Whether the IRI is one of our courses or one of their items (``<course IRI>/...``)."""
    while iri:
        if iri in courses:
            return True
        iri = iri.rpartition("/")[0]
    return False


def _provider_completions(person: Person, since: datetime | None) -> list[tuple[datetime, dict[str, Any] | None]]:
    """The person's `completed` statements of other providers' activities, by pk: (timestamp, payload).

    The payload only of those at or after ``since`` (all of them if None): the others give only their dates.
    """
    keys = list(db.session.scalars(select(PersonIdentifier.key).where(PersonIdentifier.person_id == person.id)))
    if not keys:
        return []
    # The indexed columns first: our courses' and enrolments' statements are dropped before any payload
    # is read (a busy learner has thousands of them). One of the person's enrolments carries its own.
    of_an_enrolment = (
        select(Enrolment.id)
        .where(Enrolment.registration == Statement.registration, Enrolment.person_id == person.id)
        .exists()
    )
    completed = (
        Statement.actor_ref.in_(refs_of_agents(keys)),
        Statement.verb_ref == ref_of_verb(COMPLETED),
        Statement.voided.is_(False),
        ~of_an_enrolment,
    )
    # Our course or one of its items: decided once an activity (a learner completes the same ones often).
    activities = db.session.execute(
        select(Statement.object_activity_ref, Statement.object_activity_id).where(*completed).distinct()
    ).all()
    if not activities:
        return []
    courses = set(db.session.scalars(select(Course.activity_iri)))
    theirs = [ref for ref, iri in activities if iri and not _ours(iri, courses)]
    if not theirs:
        return []
    payload = Statement.payload if since is None else case((Statement.timestamp >= since, Statement.payload))
    query = (
        select(Statement.timestamp, payload)
        .where(*completed, Statement.object_activity_ref.in_(theirs))
        .order_by(Statement.pk)
    )
    return [(when, statement) for when, statement in db.session.execute(query)]


def _other_providers(payloads: list[dict[str, Any]]) -> list[Entry]:
    """The entries of other providers' `completed` statements (from _provider_completions), in the order stored."""
    seen: set[tuple[str, str]] = set()
    entries = []
    for payload in payloads:
        target = payload.get("object") or {}
        iri = target.get("id")
        if target.get("objectType", "Activity") != "Activity" or not iri:
            continue
        when = parse_timestamp(payload["timestamp"])
        if (iri, when.date().isoformat()) in seen:
            continue
        seen.add((iri, when.date().isoformat()))
        definition = target.get("definition") or {}
        authority = payload.get("authority") or {}
        entries.append(
            Entry(
                title_th=_name(definition, "th", "en") or iri,
                title_en=_name(definition, "en", "th") or iri,
                provider=str(authority.get("name") or (authority.get("account") or {}).get("homePage") or ""),
                hours=duration_hours((payload.get("result") or {}).get("duration")),
                completed_at=when,
                ours=False,
                score=_scaled_score(payload.get("result") or {}),
            )
        )
    return entries
