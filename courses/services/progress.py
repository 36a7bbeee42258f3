"""Enrolment progress and completion: a projection of stored statements (an LRS subscriber).

Statements of an enrolment (its registration) mark lessons viewed and quizzes passed or
failed; a `completed` (or `passed`) statement about the course itself completes it, and
makes an enrolment of source ``record`` when the person had none. Only the platform's own
statements count (the player, the cmi5 LMS and its AU sessions: ``Writer.platform``): a
provider's statement about one of our courses is stored by the LRS, changes no enrolment
and is noted as ignored (README, Trust model). Voiding replays the enrolment from the
platform's statements that stand.

Native courses only: the enrolments of cmi5 courses have one writer, the cmi5 satisfaction
projection (courses.cmi5.services.satisfaction), live and in the rebuild.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, false, func, select, true, union_all
from sqlalchemy.orm import contains_eager

from academy.db import db, insert_ignoring_duplicates, table_of, update_alike
from academy.ifi import agent_key
from academy.org.models import PersonIdentifier
from academy.projections import Snapshot, lock_people, rows_of
from courses.models import (
    Course,
    CourseKind,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    ItemProgress,
    Lesson,
    Module,
    Quiz,
)
from courses.services.activities import item_iri
from courses.services.catalogue import Item
from lrs import (
    IGNORED_PLATFORM_COURSE,
    Statement,
    StoredBatch,
    is_platform_statement,
    note_ignored,
    parse_timestamp,
    people_by_key,
    ref_of_activity,
    refs_of_agents,
)

ADL = "http://adlnet.gov/expapi/verbs/"
VIEWED = {ADL + "experienced", ADL + "completed"}
COMPLETING = {ADL + "completed", ADL + "passed"}
LAUNCHED = ADL + "launched"


def record_course_progress(batch: StoredBatch) -> None:
    """The LRS subscriber: update the enrolments the batch's statements are about."""
    touched: set[int] = set()
    if batch.statements and not batch.writer.platform:
        note_ignored(_about_our_courses(batch.statements), batch.writer.client_id, IGNORED_PLATFORM_COURSE)
    elif batch.statements:
        touched |= _apply(batch.statements, people_by_key(batch), lock=True)
    if batch.voided_ids:
        for enrolment in _enrolments_of_voided(batch.voided_ids):
            replay_enrolment(enrolment)
    if touched:
        db.session.flush()


def _registration(statement: Mapping[str, Any]) -> uuid.UUID | None:
    value = (statement.get("context") or {}).get("registration")
    return uuid.UUID(value) if value else None


def _object_id(statement: Mapping[str, Any]) -> str | None:
    target = statement.get("object") or {}
    return target.get("id") if target.get("objectType", "Activity") == "Activity" else None


def _about_our_courses(statements: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    """The ids of statements that would change an enrolment if the platform had stored them."""
    registrations = {r for s in statements if (r := _registration(s))}
    ours = (
        set(db.session.scalars(select(Enrolment.registration).where(Enrolment.registration.in_(registrations))))
        if registrations
        else set()
    )
    iris = {iri for s in statements if s["verb"]["id"] in COMPLETING and (iri := _object_id(s))}
    courses = set(db.session.scalars(select(Course.activity_iri).where(Course.activity_iri.in_(iris))) if iris else ())
    return [
        uuid.UUID(s["id"])
        for s in statements
        if _registration(s) in ours or (s["verb"]["id"] in COMPLETING and _object_id(s) in courses)
    ]


def _apply(
    statements: Sequence[Mapping[str, Any]], known: Mapping[str, int] | None = None, *, lock: bool = False
) -> set[int]:
    """Apply statements to the enrolments they concern; return the ids of those enrolments.

    Set-based: what the statements need (enrolments by registration and by actor, courses, their
    items, the enrolments' item progress) is read in a few queries for the whole batch, the rows
    it lacks inserted in one statement each; then the statements are applied in order, in memory.
    ``lock``: lock the people of the registrations' enrolments (a rebuild's replay takes no locks).
    """
    registrations = {r for s in statements if (r := _registration(s))}
    enrolments = _enrolments_by_registration(registrations)
    # The actors' people are locked with the batch; a registration sent with someone else's actor
    # needs its enrolment's person locked too. Read first, then locked: read again if that took a lock.
    if lock and lock_people({e.person_id for e in enrolments.values()}):
        enrolments = _enrolments_by_registration(registrations)
    enrolments = {r: e for r, e in enrolments.items() if e.course.kind is CourseKind.NATIVE}
    completions = [s for s in statements if s["verb"]["id"] in COMPLETING and _object_id(s)]
    # The native courses completed: IRI -> id (their rows are not needed, only which they are).
    courses: dict[str, int] = {}
    if completions:
        iris = {_object_id(s) for s in completions}
        courses = dict(
            db.session.execute(
                select(Course.activity_iri, Course.id).where(
                    Course.activity_iri.in_(iris), Course.kind == CourseKind.NATIVE
                )
            ).all()
        )
    # A completion of a course without its enrolment's registration: the actor's enrolment, made if new.
    by_actor = _enrolments_for_actors(
        [
            (key, courses[iri])
            for s in completions
            if (iri := _object_id(s)) in courses
            and enrolments.get(_registration(s)) is None  # type: ignore[arg-type]
            and (key := agent_key(s["actor"]))
        ],
        known,
    )
    parts = _course_parts({e.course_id for e in enrolments.values()})
    items = _item_rows(statements, enrolments, courses)
    touched: set[int] = set()
    for statement in statements:
        if statement["verb"]["id"] in COMPLETING and (iri := _object_id(statement)) in courses:
            enrolment = enrolments.get(_registration(statement)) or by_actor.get(  # type: ignore[arg-type]
                (agent_key(statement["actor"]) or "", courses[iri])
            )
            if enrolment is not None and (statement.get("result") or {}).get("success") is not False:
                _complete(enrolment, parse_timestamp(statement["timestamp"]))
                touched.add(enrolment.id)
            continue
        enrolment = enrolments.get(_registration(statement))  # type: ignore[arg-type]
        if enrolment is None:
            continue
        _apply_item(enrolment, statement, items)
        touched.add(enrolment.id)
    for enrolment in {e for e in enrolments.values() if e.id in touched}:
        _update_progress(enrolment, items, parts.get(enrolment.course_id, []))
    # One UPDATE of the batch's enrolments and one of its item progress, not one per set of changed columns.
    update_alike({*enrolments.values(), *by_actor.values()}, ("status", "progress", "completed_at"))
    update_alike(items.values(), ("viewed_at", "passed_at", "failed_count", "best_score"))
    return touched


def _enrolments_by_registration(registrations: set[uuid.UUID]) -> dict[uuid.UUID, Enrolment]:
    """The enrolments of these registrations, in courses of any kind, with their courses."""
    if not registrations:
        return {}
    query = (
        select(Enrolment)
        .join(Course)
        .where(Enrolment.registration.in_(registrations))
        # Their courses with them (read anyway): the identity map keeps objects only while referenced.
        .options(contains_eager(Enrolment.course))
    )
    return {e.registration: e for e in db.session.scalars(query)}


def _enrolments_for_actors(
    wanted: Sequence[tuple[str, int]], known: Mapping[str, int] | None = None
) -> dict[tuple[str, int], Enrolment]:
    """The enrolments of these (actor key, course id) pairs whose actor is a known person, made
    (source ``record``) where the person has none; by (actor key, course id). ``known``: the actors'
    people (agent key -> person id) when the caller has them."""
    if not wanted:
        return {}
    people: dict[str, int] = (
        dict(known)
        if known is not None
        else dict(
            db.session.execute(
                select(PersonIdentifier.key, PersonIdentifier.person_id).where(
                    PersonIdentifier.key.in_({key for key, _c in wanted})
                )
            ).all()
        )
    )
    pairs = sorted({(people[key], course_id) for key, course_id in wanted if key in people})
    if not pairs:
        return {}
    # An insert that leaves existing enrolments alone: one made at the same moment by the portal
    # (which holds no person lock) is no unique violation. In (person, course) order: one lock order.
    # Many parameter sets into the table: one executemany, no statement built of every value (table_of).
    db.session.execute(
        insert_ignoring_duplicates(table_of(Enrolment)),
        [
            {
                "person_id": person_id,
                "course_id": course_id,
                "source": EnrolmentSource.RECORD,
                "registration": uuid.uuid4(),
                "status": EnrolmentStatus.ENROLLED,
                "progress": 0,
            }
            for person_id, course_id in pairs
        ],
    )
    found = {
        (e.person_id, e.course_id): e
        for e in db.session.scalars(
            select(Enrolment).where(
                Enrolment.person_id.in_({p for p, _c in pairs}), Enrolment.course_id.in_({c for _p, c in pairs})
            )
        )
    }
    return {
        (key, course_id): found[(people[key], course_id)]
        for key, course_id in wanted
        if key in people and (people[key], course_id) in found
    }


#: A course item as progress counts it: its activity IRI, and whether it is a quiz (done once passed).
Part = tuple[str, bool]


def _course_parts(course_ids: set[int]) -> dict[int, list[Part]]:
    """The items of these courses, by course id (those with none left out), in one query of four columns:
    progress needs their IRIs and kinds, not the lessons' content (nor their order)."""
    if not course_ids:
        return {}
    query = union_all(
        *(
            select(Course.id, Course.activity_iri, item.key, true() if item is Quiz else false())
            .join(Module, Module.course_id == Course.id)
            .join(item, item.module_id == Module.id)
            .where(Course.id.in_(course_ids))
            for item in (Lesson, Quiz)
        )
    )
    parts: dict[int, list[Part]] = {}
    for course_id, course_iri, key, quiz in db.session.execute(query):
        parts.setdefault(course_id, []).append((item_iri(course_iri, key, quiz=bool(quiz)), bool(quiz)))
    return parts


ItemRows = dict[tuple[int, str], ItemProgress]


def _item_iri(enrolment: Enrolment, statement: Mapping[str, Any]) -> str | None:
    """The item whose progress row the statement changes (_apply_item), if any."""
    verb, iri = statement["verb"]["id"], _object_id(statement)
    if iri is None or verb == LAUNCHED or iri == enrolment.course.activity_iri:
        return None
    return iri if verb in VIEWED or verb in (ADL + "passed", ADL + "failed") else None


def _item_rows(
    statements: Sequence[Mapping[str, Any]], enrolments: Mapping[uuid.UUID, Enrolment], courses: Mapping[str, int]
) -> ItemRows:
    """The item progress rows of these enrolments (all of them: progress counts them), with those the
    statements need made."""
    if not enrolments:
        return {}
    # The rows the statements need are inserted first, whether there or not (an existing one is left alone),
    # then every row of the enrolments read: one read, not a read before and after.
    needed = set()
    for statement in statements:
        if statement["verb"]["id"] in COMPLETING and _object_id(statement) in courses:
            continue
        enrolment = enrolments.get(_registration(statement))  # type: ignore[arg-type]
        if enrolment is not None and (iri := _item_iri(enrolment, statement)) is not None:
            needed.add((enrolment.id, iri))
    if needed:
        db.session.execute(
            insert_ignoring_duplicates(table_of(ItemProgress)),
            [{"enrolment_id": e, "activity_iri": iri, "failed_count": 0} for e, iri in sorted(needed)],
        )
    ids = {e.id for e in enrolments.values()}
    rows: ItemRows = {
        (row.enrolment_id, row.activity_iri): row
        for row in db.session.scalars(select(ItemProgress).where(ItemProgress.enrolment_id.in_(ids)))
    }
    return rows


def _apply_item(enrolment: Enrolment, statement: Mapping[str, Any], items: ItemRows) -> None:
    verb, iri = statement["verb"]["id"], _object_id(statement)
    if iri is None:
        return
    if verb == LAUNCHED:
        if enrolment.status is EnrolmentStatus.ENROLLED:
            enrolment.status = EnrolmentStatus.IN_PROGRESS
        return
    if iri == enrolment.course.activity_iri:
        return  # progressed and the like: the projection computes progress itself
    when = parse_timestamp(statement["timestamp"])
    result = statement.get("result") or {}
    # Earliest moments, best score, a count: the same whatever order the statements arrive in,
    # so that the live rows equal a replay's.
    if verb in VIEWED:
        row = items[(enrolment.id, iri)]
        row.viewed_at = min(row.viewed_at or when, when)
    elif verb == ADL + "passed" or (verb == ADL + "failed"):
        row = items[(enrolment.id, iri)]
        scaled = (result.get("score") or {}).get("scaled")
        if scaled is not None:
            score = Decimal(str(scaled)) * 100
            row.best_score = max(row.best_score or Decimal(0), score)
        if verb == ADL + "passed" and result.get("success") is not False:
            row.passed_at = min(row.passed_at or when, when)
        else:
            row.failed_count = (row.failed_count or 0) + 1
    else:
        return
    if enrolment.status is EnrolmentStatus.ENROLLED:
        enrolment.status = EnrolmentStatus.IN_PROGRESS


def _complete(enrolment: Enrolment, when: datetime) -> None:
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.progress = 100
    enrolment.completed_at = min(enrolment.completed_at or when, when)


def _update_progress(enrolment: Enrolment, items: ItemRows, parts: Sequence[Part]) -> None:
    """Percent of the course's items (``parts``) done (lessons viewed, quizzes passed); 100 once completed."""
    if enrolment.status is EnrolmentStatus.COMPLETED:
        enrolment.progress = 100
        return
    if enrolment.course.kind is not CourseKind.NATIVE:
        return  # cmi5 courses: the cmi5 services keep their progress
    if not parts:
        return
    done = sum(1 for iri, quiz in parts if part_done(items.get((enrolment.id, iri)), quiz=quiz))
    enrolment.progress = min(99, round(100 * done / len(parts)))


def _all_item_rows(enrolment: Enrolment) -> ItemRows:
    db.session.flush()
    return {(enrolment.id, iri): row for iri, row in item_progress_of(enrolment).items()}


def item_progress_of(enrolment: Enrolment) -> dict[str, ItemProgress]:
    """The enrolment's item progress rows by activity IRI."""
    query = select(ItemProgress).where(ItemProgress.enrolment_id == enrolment.id)
    return {row.activity_iri: row for row in db.session.scalars(query)}


def item_done(item: Item, row: ItemProgress | None) -> bool:
    """Whether a course item is done: a lesson once viewed, a quiz once passed (progress and completion alike)."""
    return part_done(row, quiz=item.quiz is not None)


def part_done(row: ItemProgress | None, *, quiz: bool) -> bool:
    """item_done() of an item known by its kind alone: a quiz once passed, a lesson once viewed."""
    if row is None:
        return False
    return row.passed_at is not None if quiz else row.viewed_at is not None


# --- replay -------------------------------------------------------------------------------------


def _enrolments_of_voided(voided_ids: Sequence[uuid.UUID]) -> list[Enrolment]:
    rows = db.session.execute(
        select(Statement.registration, Statement.object_activity_id, Statement.actor_key).where(
            Statement.id.in_(voided_ids)
        )
    ).all()
    found: dict[int, Enrolment] = {}
    for registration, activity_id, actor_key in rows:
        enrolment = None
        if registration is not None:
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.registration == registration))
        if enrolment is None and activity_id and actor_key:
            enrolment = db.session.scalar(
                select(Enrolment)
                .join(Course, Course.id == Enrolment.course_id)
                .join(PersonIdentifier, PersonIdentifier.person_id == Enrolment.person_id)
                .where(Course.activity_iri == activity_id, PersonIdentifier.key == actor_key)
            )
        if enrolment is not None and enrolment.course.kind is CourseKind.NATIVE:
            found[enrolment.id] = enrolment
    lock_people({e.person_id for e in found.values()})
    return sorted(found.values(), key=lambda e: e.id)


def replay_enrolment(enrolment: Enrolment) -> None:
    """Recompute the enrolment from the platform's statements that stand (not voided), in stored order."""
    db.session.execute(delete(ItemProgress).where(ItemProgress.enrolment_id == enrolment.id))
    db.session.expire_all()
    enrolment.status, enrolment.progress, enrolment.completed_at = EnrolmentStatus.ENROLLED, 0, None
    keys = list(
        db.session.scalars(select(PersonIdentifier.key).where(PersonIdentifier.person_id == enrolment.person_id))
    )
    payloads = db.session.scalars(
        select(Statement.payload)
        .where(
            Statement.voided.is_(False),
            is_platform_statement(),
            (Statement.registration == enrolment.registration)
            | (
                (Statement.object_activity_ref == ref_of_activity(enrolment.course.activity_iri))
                & Statement.actor_ref.in_(refs_of_agents(keys))
            ),
        )
        .order_by(Statement.pk)
    ).all()
    _apply(payloads)
    _update_progress(
        enrolment, _all_item_rows(enrolment), _course_parts({enrolment.course_id}).get(enrolment.course_id, [])
    )
    db.session.flush()


def rebuild_course_progress(progress: Callable[[int], None] | None = None) -> int:
    """Replay every enrolment in a native course (``rebuild-projections``); return how many."""
    count = 0
    query = select(Enrolment).join(Course).where(Course.kind == CourseKind.NATIVE).order_by(Enrolment.id)
    for enrolment in db.session.scalars(query).all():
        replay_enrolment(enrolment)
        count += 1
        if progress:
            progress(1)
    return count


def count_enrolments(kind: CourseKind) -> int:
    """How many enrolments in courses of this kind a rebuild replays (its progress bar's total)."""
    query = select(func.count()).select_from(Enrolment).join(Course).where(Course.kind == kind)
    return db.session.scalar(query) or 0


def snapshot_course_progress() -> Snapshot:
    """Enrolments and item progress as comparable tuples, by person and course rather than enrolment id."""
    # A rebuild keeps the enrolments' ids, but the comparison should not rely on it.
    course_of = {row[0]: row[1:] for row in rows_of(select(Enrolment.id, Enrolment.person_id, Enrolment.course_id))}
    items = rows_of(
        select(
            ItemProgress.enrolment_id,
            ItemProgress.activity_iri,
            ItemProgress.viewed_at,
            ItemProgress.passed_at,
            ItemProgress.failed_count,
            ItemProgress.best_score,
        )
    )
    return {
        "enrolments": rows_of(
            select(
                Enrolment.person_id,
                Enrolment.course_id,
                Enrolment.source,
                Enrolment.status,
                Enrolment.progress,
                Enrolment.completed_at,
            )
        ),
        "item_progress": {(*course_of[row[0]], *row[1:]) for row in items},
    }
