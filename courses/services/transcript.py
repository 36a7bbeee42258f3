"""A learner's transcript: every completed learning, ours and other providers', by fiscal year (BE).

Our courses come from completed enrolments (which include courses of ours completed
elsewhere and reported by xAPI). Other providers' learning comes from the LRS: each
`completed` statement whose actor is one of the person's identifiers and whose activity
is not one of our courses or their items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from academy.dates import fiscal_year_of
from academy.db import db
from academy.i18n import localized
from academy.org.models import Person, PersonIdentifier
from courses.models import Course, Enrolment, EnrolmentStatus
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

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)


@dataclass
class TranscriptYear:
    fiscal_year: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return sum((e.hours for e in self.entries if e.hours is not None), Decimal(0))


def transcript_of(person: Person) -> list[TranscriptYear]:
    """The person's completed learning grouped by fiscal year, latest year and latest completion first."""
    entries = _our_courses(person) + _other_providers(person)
    years: dict[int, TranscriptYear] = {}
    for entry in sorted(entries, key=lambda e: e.completed_at, reverse=True):
        year = fiscal_year_of(entry.completed_at.date())
        years.setdefault(year, TranscriptYear(year)).entries.append(entry)
    return [years[year] for year in sorted(years, reverse=True)]


def _our_courses(person: Person) -> list[Entry]:
    rows = db.session.execute(
        select(Course, Enrolment.completed_at)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.person_id == person.id, Enrolment.status == EnrolmentStatus.COMPLETED)
    ).all()
    return [
        Entry(c.title_th, c.title_en, c.provider, c.hours, completed_at, ours=True, course_code=c.code)
        for c, completed_at in rows
        if completed_at is not None
    ]


def _name(definition: dict[str, Any], *tags: str) -> str:
    names = definition.get("name") or {}
    for tag in tags:
        for key, value in names.items():
            if key.lower().startswith(tag):
                return str(value)
    return str(next(iter(names.values()), ""))


def _other_providers(person: Person) -> list[Entry]:
    keys = list(db.session.scalars(select(PersonIdentifier.key).where(PersonIdentifier.person_id == person.id)))
    if not keys:
        return []
    payloads = db.session.scalars(
        select(Statement.payload).where(
            Statement.actor_ref.in_(refs_of_agents(keys)),
            Statement.verb_ref == ref_of_verb(COMPLETED),
            Statement.voided.is_(False),
        )
    ).all()
    if not payloads:
        return []
    ours = [iri for iri in db.session.scalars(select(Course.activity_iri))]
    registrations = set(db.session.scalars(select(Enrolment.registration).where(Enrolment.person_id == person.id)))
    seen: set[tuple[str, str]] = set()
    entries = []
    for payload in payloads:
        target = payload.get("object") or {}
        iri = target.get("id")
        if target.get("objectType", "Activity") != "Activity" or not iri:
            continue
        if any(iri == course or iri.startswith(course + "/") for course in ours):
            continue  # our course or one of its items: the enrolment carries it
        registration = (payload.get("context") or {}).get("registration")
        if registration and any(str(r) == registration for r in registrations):
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
            )
        )
    return entries
