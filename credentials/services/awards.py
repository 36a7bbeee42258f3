"""What people have earned: each course of ours completed, each provider's aligned activity they
have standing evidence of, each competency level attained — as Awards, one per future credential."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, func, select

from academy.db import db
from academy.org.models import Person
from competencies.models import Alignment as AlignmentRow
from competencies.models import Attainment, Competency, Evidence, EvidenceSource, Framework, ScaleLevel
from courses.models import Course, Enrolment, EnrolmentStatus
from credentials.services.documents import Alignment, Award, base_url
from lrs import Statement

Key = tuple[int, str]  # (person id, source key)


def _alignments_of(activity_ids: Iterable[str]) -> dict[str, tuple[Alignment, ...]]:
    found: dict[str, list[Alignment]] = {}
    ids = set(activity_ids)
    if not ids:
        return {}
    for activity_id, competency, level, framework in db.session.execute(
        select(AlignmentRow.activity_id, Competency, AlignmentRow.level, Framework.name_en)
        .join(Competency, AlignmentRow.competency_id == Competency.id)
        .join(Framework, Competency.framework_id == Framework.id)
        .where(AlignmentRow.activity_id.in_(ids))
        .order_by(AlignmentRow.activity_id, Competency.code)
    ):
        found.setdefault(activity_id, []).append(
            Alignment(competency.identifier, competency.code, competency.name_en, framework, level)
        )
    return {activity_id: tuple(items) for activity_id, items in found.items()}


def _course_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    rows = db.session.execute(
        select(Enrolment.person_id, Enrolment.completed_at, Course)
        .join(Course, Enrolment.course_id == Course.id)
        .where(
            Enrolment.person_id.in_(people),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.completed_at.is_not(None),
        )
    ).all()
    alignments = _alignments_of(course.activity_iri for _p, _c, course in rows)
    return [
        Award(
            person_id=person_id,
            public_id=people[person_id],
            source_key=f"course:{course.code}",
            title_th=course.title_th,
            title_en=course.title_en,
            achieved_at=completed_at,
            achievement_id=course.activity_iri,
            achievement_type="Course",
            description=course.description_en or course.title_en,
            criteria=f"Completed the course {course.title_en} ({course.code}) of {course.provider}.",
            alignments=alignments.get(course.activity_iri, ()),
            hours=float(course.hours),
        )
        for person_id, completed_at, course in rows
        if completed_at is not None
    ]


def _activity_name(payload: dict[str, Any]) -> tuple[str, str]:
    names = ((payload.get("object") or {}).get("definition") or {}).get("name") or {}
    english = next((value for tag, value in names.items() if tag.lower().startswith("en")), None)
    thai = next((value for tag, value in names.items() if tag.lower().startswith("th")), None)
    fallback = payload["object"]["id"]
    return str(thai or english or fallback), str(english or thai or fallback)


def _activity_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    """Providers' aligned activities (not our courses) that people have standing evidence of."""
    ours = select(Course.activity_iri)
    rows = db.session.execute(
        select(Evidence.person_id, Evidence.activity_id, func.min(Evidence.achieved_at))
        .where(
            Evidence.person_id.in_(people),
            Evidence.source == EvidenceSource.STATEMENT,
            Evidence.withdrawn_at.is_(None),
            Evidence.activity_id.is_not(None),
            Evidence.activity_id.not_in(ours),
        )
        .group_by(Evidence.person_id, Evidence.activity_id)
    ).all()
    if not rows:
        return []
    # The activity's name, from one standing statement about it (the same one each time: the least id).
    first_statement: dict[str | None, str | None] = dict(
        db.session.execute(
            select(Evidence.activity_id, func.min(Evidence.statement_id.cast(String)))
            .where(Evidence.activity_id.in_({a for _p, a, _t in rows}), Evidence.withdrawn_at.is_(None))
            .group_by(Evidence.activity_id)
        ).all()
    )
    payloads = {
        payload["object"]["id"]: payload
        for payload in db.session.scalars(
            select(Statement.payload).where(
                Statement.id.in_([uuid.UUID(str(s)) for s in first_statement.values() if s])
            )
        )
    }
    alignments = _alignments_of(a for _p, a, _t in rows if a is not None)
    awards = []
    for person_id, activity_id, achieved_at in rows:
        if activity_id is None or achieved_at is None:
            continue
        title_th, title_en = _activity_name(payloads.get(activity_id) or {"object": {"id": activity_id}})
        awards.append(
            Award(
                person_id=person_id,
                public_id=people[person_id],
                source_key=f"activity:{activity_id}",
                title_th=title_th,
                title_en=title_en,
                achieved_at=achieved_at,
                achievement_id=activity_id,
                achievement_type="Course",
                description=title_en,
                criteria=f"Completed {title_en}, as reported by its training provider.",
                alignments=alignments.get(activity_id, ()),
            )
        )
    return awards


def _competency_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    rows = db.session.execute(
        select(Attainment.person_id, Attainment.level, Attainment.as_of, Competency, Framework.name_en)
        .join(Competency, Attainment.competency_id == Competency.id)
        .join(Framework, Competency.framework_id == Framework.id)
        .where(Attainment.person_id.in_(people))
    ).all()
    if not rows:
        return []
    # When the level was first reached: the earliest standing evidence at that level or above.
    reached = {
        (p, c, level): moment
        for p, c, level, moment in db.session.execute(
            select(Evidence.person_id, Evidence.competency_id, Evidence.level, func.min(Evidence.achieved_at))
            .where(Evidence.person_id.in_(people), Evidence.withdrawn_at.is_(None))
            .group_by(Evidence.person_id, Evidence.competency_id, Evidence.level)
        )
    }
    level_names = {
        (framework_id, level): (code, name_th, name_en)
        for framework_id, level, code, name_th, name_en in db.session.execute(
            select(ScaleLevel.framework_id, ScaleLevel.level, ScaleLevel.code, ScaleLevel.name_th, ScaleLevel.name_en)
        )
    }
    awards = []
    for person_id, level, as_of, competency, framework in rows:
        moments = [m for (p, c, lv), m in reached.items() if p == person_id and c == competency.id and lv >= level]
        code, name_th, name_en = level_names.get((competency.framework_id, level), (str(level), str(level), str(level)))
        awards.append(
            Award(
                person_id=person_id,
                public_id=people[person_id],
                source_key=f"competency:{competency.identifier}:{level}",
                title_th=f"{competency.name_th} – {name_th}",
                title_en=f"{competency.name_en} – {name_en}",
                achieved_at=min(moments) if moments else as_of,
                achievement_id=f"{competency_achievement_base()}/{competency.identifier}/{level}",
                achievement_type="Competency",
                description=competency.description_en or competency.name_en,
                criteria=f"Attained level {name_en} of {competency.name_en} ({framework}), shown by learning records.",
                alignments=(Alignment(competency.identifier, competency.code, competency.name_en, framework, level),),
                level_name=name_en,
                level_code=code,
            )
        )
    return awards


def competency_achievement_base() -> str:
    """Where a competency level's achievement is named: ``<base>/credentials/achievements/competency/<id>/<level>``."""
    return f"{base_url()}/credentials/achievements/competency"


def earned_awards(person_ids: Iterable[int]) -> dict[Key, Award]:
    """Everything these people have earned now, by (person, source key)."""
    people = dict(db.session.execute(select(Person.id, Person.public_id).where(Person.id.in_(set(person_ids)))).all())
    if not people:
        return {}
    awards = _course_awards(people) + _activity_awards(people) + _competency_awards(people)
    return {(award.person_id, award.source_key): award for award in awards}
