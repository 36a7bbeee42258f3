"""moveOn: which AUs, blocks and course a registration has satisfied, the LMS's ``satisfied``
statements when that changes, and the enrolment's progress and completion.

The AU's statements reach ``record_cmi5_statements`` (an LRS subscriber) once stored: it keeps
each launch session's state (initialized, the cmi5 defined verbs sent, terminated) and each
AU's completed / passed / failed, then evaluates moveOn (cmi5 13.1.4):

- Passed: a ``passed``; Completed: a ``completed``; CompletedAndPassed: both;
  CompletedOrPassed: either; NotApplicable: satisfied from the registration's start;
- a waived AU is satisfied (cmi5 9.3.9);
- a block is satisfied when all its AUs and blocks are; the course when all its are.

Only blocks and the course get ``satisfied`` statements (cmi5 9.3.9 defines it for them);
an AU's satisfaction is its moveOn being met, kept in ``AuState.satisfied_at``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from academy.db import db, insert_ignoring_duplicates
from academy.ifi import agent_key
from academy.projections import lock_people
from courses.cmi5.models import (
    AssignableUnit,
    AuState,
    Block,
    BlockState,
    Cmi5Course,
    LaunchMode,
    LaunchSession,
    MoveOn,
)
from courses.cmi5.models import Registration as Cmi5Registration
from courses.cmi5.services.importer import members_by_parent, structure_of
from courses.cmi5.services.lms import actor_of, now, satisfied_statement, store_lms_statements
from courses.cmi5.vocabulary import (
    AU_VERBS,
    CATEGORY_CMI5,
    COMPLETED,
    EXT_SESSION_ID,
    FAILED,
    INITIALIZED,
    LMS_VERBS,
    PASSED,
    SATISFIED,
    TERMINATED,
)
from courses.models import Course, CourseKind, Enrolment, EnrolmentStatus
from lrs import Statement, StoredBatch, is_platform_statement, parse_timestamp


def meets_move_on(au: AssignableUnit, state: AuState | None) -> bool:
    """Whether the AU's moveOn criteria are met by what the registration's statements say."""
    if au.move_on is MoveOn.NOT_APPLICABLE or (state is not None and state.waived_at is not None):
        return True
    if state is None:
        return False
    completed, passed = state.completed_at is not None, state.passed_at is not None
    return {
        MoveOn.PASSED: passed,
        MoveOn.COMPLETED: completed,
        MoveOn.COMPLETED_AND_PASSED: completed and passed,
        MoveOn.COMPLETED_OR_PASSED: completed or passed,
    }[au.move_on]


def au_states(enrolment: Enrolment) -> dict[int, AuState]:
    return {s.au_id: s for s in db.session.scalars(select(AuState).where(AuState.enrolment_id == enrolment.id))}


def au_state(enrolment: Enrolment, au: AssignableUnit) -> AuState:
    """The AU's state in the registration, made if new."""
    state = db.session.get(AuState, (enrolment.id, au.id))
    if state is None:
        # Left alone if a concurrent writer made it first: no unique violation.
        db.session.execute(insert_ignoring_duplicates(AuState).values(enrolment_id=enrolment.id, au_id=au.id))
        state = db.session.get(AuState, (enrolment.id, au.id))
        assert state is not None
    return state


def evaluate_move_on(enrolment: Enrolment, session_key: uuid.UUID, when: datetime | None = None) -> list[str]:
    """Mark newly satisfied AUs, and issue ``satisfied`` for newly satisfied blocks, then the course.

    ``session_key`` is the launch session that caused the evaluation (or a new id when none
    did, cmi5 9.3.9). Returns the short names of what was satisfied, for the caller's record.
    """
    when = when or now()
    # What is satisfied already is read under the person's lock (held since the batch began, or
    # taken here for the portal's launch and waive), so that no block or course is satisfied twice.
    lock_people([enrolment.person_id])
    course = enrolment.course
    blocks, aus = structure_of(course)
    states = au_states(enrolment)
    registration = db.session.get(Cmi5Registration, enrolment.id)
    if registration is None:
        db.session.execute(
            insert_ignoring_duplicates(Cmi5Registration).values(enrolment_id=enrolment.id, started_at=when)
        )
        registration = db.session.get(Cmi5Registration, enrolment.id)
        assert registration is not None
    done_blocks = set(db.session.scalars(select(BlockState.block_id).where(BlockState.enrolment_id == enrolment.id)))
    satisfied_aus: set[int] = set()
    for au in aus:
        state = states.get(au.id)
        if state is not None and state.satisfied_at is not None:
            satisfied_aus.add(au.id)
        elif meets_move_on(au, state):
            if state is None:
                state = states[au.id] = au_state(enrolment, au)
            state.satisfied_at = when
            satisfied_aus.add(au.id)

    members = members_by_parent(blocks, aus)
    statements: list[dict[str, Any]] = []
    events: list[str] = []

    def satisfied(node: Block | AssignableUnit) -> bool:
        if isinstance(node, AssignableUnit):
            return node.id in satisfied_aus
        complete = True
        for member in members.get(node.id, []):
            complete &= satisfied(member)  # every member is visited: nested blocks are issued first
        if complete and node.id not in done_blocks:
            db.session.execute(
                insert_ignoring_duplicates(BlockState).values(
                    enrolment_id=enrolment.id, block_id=node.id, satisfied_at=when
                )
            )
            statements.append(satisfied_statement(enrolment, node, node.publisher_id, session_key, when))
            events.append(f"block {node.publisher_id}")
        return complete

    course_done = True
    for member in members.get(None, []):
        course_done &= satisfied(member)
    if course_done and registration.satisfied_at is None:
        registration.satisfied_at = when
        package = db.session.get(Cmi5Course, course.id)
        assert package is not None
        statements.append(satisfied_statement(enrolment, course, package.publisher_id, session_key, when))
        events.append("course")
    db.session.flush()
    store_lms_statements(statements)
    update_enrolment(enrolment, len(satisfied_aus), len(aus), when if course_done else None)
    return events


def update_enrolment(enrolment: Enrolment, satisfied: int, total: int, completed_at: datetime | None) -> None:
    """Set a cmi5 enrolment's progress (the share of AUs satisfied) and its completion (the course satisfied)."""
    if completed_at is not None:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.progress = 100
        enrolment.completed_at = min(enrolment.completed_at or completed_at, completed_at)
        return
    if enrolment.status is EnrolmentStatus.COMPLETED:
        return
    enrolment.progress = min(99, round(100 * satisfied / total)) if total else 0
    if satisfied and enrolment.status is EnrolmentStatus.ENROLLED:
        enrolment.status = EnrolmentStatus.IN_PROGRESS


# --- the LRS subscriber --------------------------------------------------------------------


def _session_key(statement: Mapping[str, Any]) -> uuid.UUID | None:
    value = ((statement.get("context") or {}).get("extensions") or {}).get(EXT_SESSION_ID)
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _is_defined(statement: Mapping[str, Any]) -> bool:
    categories = ((statement.get("context") or {}).get("contextActivities") or {}).get("category") or []
    return any(activity.get("id") == CATEGORY_CMI5 for activity in categories)


def record_cmi5_statements(batch: StoredBatch) -> None:
    """The LRS subscriber: AU sessions and AU states from the AUs' statements, then moveOn."""
    if not batch.writer.platform:
        return  # AUs write through their session's platform credentials; nobody else (README, Trust model)
    candidates = [
        (key, s) for s in batch.statements if s["verb"]["id"] not in LMS_VERBS and (key := _session_key(s)) is not None
    ]
    if not candidates:
        return
    sessions = {
        s.key: s
        for s in db.session.scalars(select(LaunchSession).where(LaunchSession.key.in_({key for key, _s in candidates})))
    }
    touched: dict[int, LaunchSession] = {}
    for key, statement in candidates:
        session = sessions.get(key)
        if session is None or not _belongs(statement, session):
            continue
        moment = parse_timestamp(statement["timestamp"])
        session.last_statement_at = max(session.last_statement_at or moment, moment)
        verb = statement["verb"]["id"]
        target = statement.get("object") or {}
        if not (_is_defined(statement) and verb in AU_VERBS and target.get("id") == session.au.activity_iri):
            continue
        session.verbs = [*(session.verbs or []), AU_VERBS[verb]]
        if verb == INITIALIZED:
            session.initialized_at = session.initialized_at or moment
        elif verb == TERMINATED:
            session.terminated_at = session.terminated_at or now()
        elif session.launch_mode is LaunchMode.NORMAL:
            _record_result(au_state(session.enrolment, session.au), statement, moment)
            touched[session.enrolment_id] = session
    db.session.flush()
    for session in touched.values():
        evaluate_move_on(session.enrolment, session.key)


def _record_result(state: AuState, statement: Mapping[str, Any], moment: datetime) -> None:
    """What a Normal session's completed, passed or failed says of its AU (the first one stored counts)."""
    verb = statement["verb"]["id"]
    if verb == COMPLETED:
        state.completed_at = state.completed_at or moment
    elif verb == PASSED and (statement.get("result") or {}).get("success") is not False:
        state.passed_at = state.passed_at or moment
    elif verb == FAILED:
        # The latest failure, whichever statement arrives last.
        state.failed_at = max(state.failed_at or moment, moment)


def _belongs(statement: Mapping[str, Any], session: LaunchSession) -> bool:
    """Whether a statement is the session's: its learner and registration."""
    registration = (statement.get("context") or {}).get("registration")
    return (
        registration is not None
        and registration.lower() == str(session.enrolment.registration)
        and agent_key(statement["actor"]) == agent_key(actor_of(session.enrolment.person))
    )


# --- rebuild ---------------------------------------------------------------------------------


def rebuild_cmi5_satisfaction(progress: Callable[[int], None] | None = None) -> int:
    """Replay every cmi5 registration (``rebuild-projections``); return how many."""
    count = 0
    query = select(Enrolment).join(Course).where(Course.kind == CourseKind.CMI5).order_by(Enrolment.id)
    for enrolment in db.session.scalars(query).all():
        replay_registration(enrolment)
        count += 1
        if progress:
            progress(1)
    return count


def replay_registration(enrolment: Enrolment) -> None:
    """Recompute a cmi5 enrolment's AU results from the platform's statements that stand, then its
    satisfaction and the enrolment's progress and completion, without issuing any statement.

    What was satisfied stays satisfied: the LMS announced it with ``satisfied`` statements, which
    a rebuild does not take back (nor does the live projection, whatever is stored later). Waivers
    are the LMS's own decisions and are kept as they are.
    """
    registration = db.session.get(Cmi5Registration, enrolment.id)
    if registration is None:  # never started: nothing launched, nothing satisfied
        enrolment.status, enrolment.progress, enrolment.completed_at = EnrolmentStatus.ENROLLED, 0, None
        return
    blocks, aus = structure_of(enrolment.course)
    sessions = {
        s.key: s for s in db.session.scalars(select(LaunchSession).where(LaunchSession.enrolment_id == enrolment.id))
    }
    states = au_states(enrolment)
    for state in states.values():
        state.completed_at = state.passed_at = state.failed_at = None
    payloads = db.session.scalars(
        select(Statement.payload)
        .where(Statement.registration == enrolment.registration, Statement.voided.is_(False), is_platform_statement())
        .order_by(Statement.pk)
    ).all()
    block_of = {b.activity_iri: b for b in blocks}
    done_blocks = set(db.session.scalars(select(BlockState.block_id).where(BlockState.enrolment_id == enrolment.id)))
    for statement in payloads:
        verb, target = statement["verb"]["id"], (statement.get("object") or {}).get("id")
        moment = parse_timestamp(statement["timestamp"])
        if verb == SATISFIED:
            if target == enrolment.course.activity_iri:
                registration.satisfied_at = registration.satisfied_at or moment
            elif target in block_of and block_of[target].id not in done_blocks:
                db.session.add(BlockState(enrolment_id=enrolment.id, block_id=block_of[target].id, satisfied_at=moment))
                done_blocks.add(block_of[target].id)
            continue
        session = sessions.get(key) if (key := _session_key(statement)) is not None else None
        if (
            session is None
            or verb in LMS_VERBS
            or session.launch_mode is not LaunchMode.NORMAL
            or not _is_defined(statement)
            or target != session.au.activity_iri
            or not _belongs(statement, session)
        ):
            continue
        if session.au_id not in states:
            states[session.au_id] = au_state(enrolment, session.au)
        _record_result(states[session.au_id], statement, moment)
    satisfied = 0
    for au in aus:
        known = states.get(au.id)
        if known is not None and known.satisfied_at is not None:
            satisfied += 1
        elif meets_move_on(au, known):
            state = known or states.setdefault(au.id, au_state(enrolment, au))
            state.satisfied_at = _met_at(au, state, registration)
            satisfied += 1
    if registration.satisfied_at is not None:
        enrolment.status, enrolment.progress = EnrolmentStatus.COMPLETED, 100
        enrolment.completed_at = registration.satisfied_at
    else:
        enrolment.completed_at = None
        enrolment.progress = min(99, round(100 * satisfied / len(aus))) if aus else 0
        enrolment.status = EnrolmentStatus.IN_PROGRESS if sessions or satisfied else EnrolmentStatus.ENROLLED
    db.session.flush()


def _met_at(au: AssignableUnit, state: AuState, registration: Cmi5Registration) -> datetime:
    """When a replayed AU's moveOn was met: its waiver, its registration's start, or the result it needed."""
    if state.waived_at is not None:
        return state.waived_at
    completed, passed = state.completed_at, state.passed_at
    moment = {
        MoveOn.PASSED: passed,
        MoveOn.COMPLETED: completed,
        MoveOn.COMPLETED_AND_PASSED: max(completed, passed) if completed and passed else None,
        MoveOn.COMPLETED_OR_PASSED: min(m for m in (completed, passed) if m) if completed or passed else None,
    }.get(au.move_on)
    return moment or registration.started_at
