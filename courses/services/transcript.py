"""A learner's transcript: every completed learning, ours and other providers', by fiscal year (BE).

Our courses come from completed enrolments (which include courses of ours completed
elsewhere and reported by xAPI). Other providers' learning comes from the LRS: each
`completed` statement whose actor is one of the person's identifiers and whose activity
is not one of our courses or their items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

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
    #: On a page of the transcript: the year's entries (on every page) and, if asked for, their hours.
    count: int | None = None
    year_hours: Decimal | None = None

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


@dataclass
class TranscriptPage:
    """A page of the transcript: its entries by fiscal year, each year with its count (and hours, if asked)."""

    years: list[TranscriptYear]
    #: Entries from the first year asked for on (every page of them).
    total: int
    #: The transcript has entries before the first year asked for (left out).
    older: bool

    @property
    def shown(self) -> int:
        return sum(len(year.entries) for year in self.years)


#: An entry of the transcript before it is read: when, fiscal year, and its enrolment's id or its statement's pk.
_Key = tuple[datetime, int, int | None, int | None]


def transcript_page(person: Person, from_year: int | None, offset: int, limit: int, *, hours: bool) -> TranscriptPage:
    """The entries ``offset`` to ``offset + limit`` (latest first) of the transcript from fiscal year ``from_year`` on.

    Every entry is first known by its date and key only (indexed columns): payloads and course
    titles are read for the entries shown, or with ``hours`` for every entry of the years shown
    (a year's hours add up all of them). Older years are only asked whether they have an entry.
    """
    since = _year_start(from_year) if from_year is not None else None
    conditions = _provider_conditions(person)
    ours = select(Enrolment.completed_at, Enrolment.id).where(*_our_completions(person))
    if since is not None:
        ours = ours.where(Enrolment.completed_at >= since)
    keys: list[_Key] = [
        (when, fiscal_year_of(today(when)), id_, None) for when, id_ in db.session.execute(ours) if when is not None
    ]
    keys += _provider_keys(conditions, since)
    keys.sort(key=lambda key: key[0], reverse=True)
    counts: dict[int, int] = {}
    for _when, year, *_ in keys:
        counts[year] = counts.get(year, 0) + 1
    page = keys[offset : offset + limit]
    page_years = {year for _when, year, *_ in page}
    read = [key for key in keys if key[1] in page_years] if hours else page
    entries = _our_entries(person, [id_ for _when, _year, id_, _pk in read if id_ is not None])
    payloads = _payloads([pk for _when, _year, _id, pk in read if pk is not None])
    years = {year: TranscriptYear(year, count=counts[year]) for year in sorted(page_years, reverse=True)}
    wanted = set(page)
    for key in read:
        _when, year, id_, pk = key
        entry: Entry | None = None
        if id_ is not None:
            entry = entries.get(id_)
        elif pk is not None:
            entry = next(iter(_other_providers([payloads[pk]])), None)
        if entry is None:
            continue
        if hours and entry.hours is not None:
            years[year].year_hours = (years[year].year_hours or Decimal(0)) + entry.hours
        if key in wanted:
            years[year].entries.append(entry)
    older = since is not None and _has_older(person, conditions, since)
    return TranscriptPage(list(years.values()), len(keys), older)


def _provider_keys(conditions: tuple[ColumnElement[bool], ...] | None, since: datetime | None) -> list[_Key]:
    """The keys of the person's `completed` statements of other providers from ``since`` on, one per activity and day.

    The first stored of the same activity on the same day (Bangkok) stands for them all, as in the transcript.
    """
    if conditions is None:
        return []
    query = select(Statement.timestamp, Statement.pk, Statement.object_activity_ref).where(*conditions)
    if since is not None:
        query = query.where(Statement.timestamp >= since)
    seen: set[tuple[int | None, date]] = set()
    keys: list[_Key] = []
    for when, pk, ref in db.session.execute(query.order_by(Statement.pk)):
        day = today(when)
        if (ref, day) not in seen:
            seen.add((ref, day))
            keys.append((when, fiscal_year_of(day), None, pk))
    return keys


def _has_older(person: Person, conditions: tuple[ColumnElement[bool], ...] | None, since: datetime) -> bool:
    """Whether the transcript has an entry before ``since``."""
    ours = select(Enrolment.id).where(*_our_completions(person), Enrolment.completed_at < since)
    if db.session.scalar(ours.limit(1)) is not None:
        return True
    if conditions is None:
        return False
    return db.session.scalar(select(Statement.pk).where(*conditions, Statement.timestamp < since).limit(1)) is not None


def _payloads(pks: list[int]) -> dict[int, dict[str, Any]]:
    if not pks:
        return {}
    rows = db.session.execute(select(Statement.pk, Statement.payload).where(Statement.pk.in_(pks)))
    return {pk: payload for pk, payload in rows}


def _year_start(fiscal_year_be: int) -> datetime:
    """The first instant of the fiscal year: midnight of its first day in Bangkok."""
    first, _last = fiscal_year_bounds(fiscal_year_be)
    return datetime.combine(first, time(0), tzinfo=BANGKOK)


def _our_courses(person: Person) -> list[Entry]:
    return list(_our_entries(person, None).values())


def _our_entries(person: Person, ids: list[int] | None) -> dict[int, Entry]:
    score = (
        select(func.avg(ItemProgress.best_score))
        .where(ItemProgress.enrolment_id == Enrolment.id, ItemProgress.best_score.is_not(None))
        .scalar_subquery()
    )
    # The columns an entry shows, not whole courses.
    query = (
        select(
            Enrolment.id,
            Course.title_th,
            Course.title_en,
            Course.provider,
            Course.hours,
            Course.code,
            Enrolment.completed_at,
            score,
        )
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(*_our_completions(person))
    )
    if ids is not None:
        query = query.where(Enrolment.id.in_(ids))
    return {
        id_: Entry(title_th, title_en, provider, hours, completed_at, ours=True, course_code=code, score=_percent(mean))
        for id_, title_th, title_en, provider, hours, code, completed_at, mean in db.session.execute(query)
    }


def _our_completions(person: Person) -> tuple[ColumnElement[bool], ...]:
    return (
        Enrolment.person_id == person.id,
        Enrolment.status == EnrolmentStatus.COMPLETED,
        Enrolment.completed_at.is_not(None),
    )


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


def _provider_conditions(person: Person) -> tuple[ColumnElement[bool], ...] | None:
    """What selects the person's `completed` statements of other providers' activities; None if there are none.

    The indexed columns first: our courses' and enrolments' statements are dropped before any payload
    is read (a busy learner has thousands of them). One of the person's enrolments carries its own.
    """
    keys = list(db.session.scalars(select(PersonIdentifier.key).where(PersonIdentifier.person_id == person.id)))
    if not keys:
        return None
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
        return None
    courses = set(db.session.scalars(select(Course.activity_iri)))
    theirs = [ref for ref, iri in activities if iri and not _ours(iri, courses)]
    if not theirs:
        return None
    return (*completed, Statement.object_activity_ref.in_(theirs))


def _provider_completions(person: Person, since: datetime | None) -> list[tuple[datetime, dict[str, Any] | None]]:
    """The person's `completed` statements of other providers' activities, by pk: (timestamp, payload).

    The payload only of those at or after ``since`` (all of them if None): the others give only their dates.
    """
    conditions = _provider_conditions(person)
    if conditions is None:
        return []
    payload = Statement.payload if since is None else case((Statement.timestamp >= since, Statement.payload))
    query = select(Statement.timestamp, payload).where(*conditions).order_by(Statement.pk)
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
