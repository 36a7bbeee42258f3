"""The plan and its cycle: draft from gaps, edit goals and planned learning, transitions, versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from academy.audit.services import record_audit
from academy.dates import fiscal_year_bounds, today, utcnow
from academy.db import db
from academy.org.models import Person
from academy.projections import lock_people
from competencies.idp.models import GoalResult, Idp, IdpGoal, IdpLearning, IdpState, IdpVersion, LearningKind
from competencies.idp.permissions import TRANSITIONS
from competencies.idp.services.levels import attained_level, recount_goals
from competencies.models import Alignment, Attainment, Competency, Framework
from competencies.services.coverage import person_gaps


class IdpError(ValueError):
    """A change the plan does not allow (the message says why)."""


def get_idp(person: Person, fiscal_year: int) -> Idp | None:
    return db.session.scalar(
        select(Idp)
        .where(Idp.person_id == person.id, Idp.fiscal_year == fiscal_year)
        .options(selectinload(Idp.goals).selectinload(IdpGoal.learning))
    )


def snapshot(idp: Idp) -> dict[str, Any]:
    """The plan as plain data: what a version keeps."""
    return {
        "state": idp.state.value,
        "fiscal_year": idp.fiscal_year,
        "due_date": idp.due_date.isoformat(),
        "return_comment": idp.return_comment,
        "goals": [
            {
                "competency": goal.competency.code,
                "target_level": goal.target_level,
                "due_date": goal.due_date.isoformat() if goal.due_date else None,
                "result": goal.result.value if goal.result else None,
                "result_note": goal.result_note,
                "learning": [
                    {
                        "kind": item.kind.value,
                        "course_id": item.course_id,
                        "activity_iri": item.activity_iri,
                        "description": item.description,
                        "planned_on": item.planned_on.isoformat() if item.planned_on else None,
                    }
                    for item in goal.learning
                ],
            }
            for goal in idp.goals
        ],
    }


def record_change(idp: Idp, action: str, user_id: int | None, comment: str = "", *, first: bool = False) -> IdpVersion:
    """Keep the plan as it now is as a new version, and audit the change (and count its goals again)."""
    db.session.flush()
    # Under the person's projection lock: a batch projecting them recounts before or after, not during.
    lock_people([idp.person_id])
    recount_goals(Idp.id == idp.id)
    if not first:
        idp.version += 1
    idp.updated_at = utcnow()
    version = IdpVersion(
        idp_id=idp.id,
        version=idp.version,
        action=action,
        state=idp.state,
        user_id=user_id,
        comment=comment,
        snapshot=snapshot(idp),
    )
    db.session.add(version)
    record_audit(
        f"idp.{action}",
        target_type="idp",
        target_id=idp.id,
        details={
            "person": str(idp.person.public_id),
            "fiscal_year": idp.fiscal_year,
            "version": idp.version,
            "state": idp.state.value,
            "comment": comment,
        },
    )
    db.session.flush()
    return version


def versions_of(idp: Idp) -> list[IdpVersion]:
    return list(db.session.scalars(select(IdpVersion).where(IdpVersion.idp_id == idp.id).order_by(IdpVersion.version)))


# --- drafting -------------------------------------------------------------------------------------


def aligned_course_ids(competency_ids: Sequence[int]) -> dict[int, int]:
    """For each competency, one published course of ours aligned with it (the highest level, then lowest hours)."""
    from courses.models import Course, CourseStatus

    if not competency_ids:
        return {}
    rows = db.session.execute(
        select(Alignment.competency_id, Course.id)
        .join(Course, Course.activity_iri == Alignment.activity_id)
        .where(Alignment.competency_id.in_(list(competency_ids)), Course.status == CourseStatus.PUBLISHED)
        .order_by(Alignment.competency_id, Alignment.level.desc(), Course.hours, Course.id)
    ).all()
    found: dict[int, int] = {}
    for competency_id, course_id in rows:
        found.setdefault(competency_id, course_id)
    return found


def create_idp(person: Person, fiscal_year: int, framework: Framework | None, user_id: int | None) -> Idp:
    """Draft the person's plan for the year; with a framework, one goal per gap of their profile, each
    with an aligned course of ours when there is one."""
    if get_idp(person, fiscal_year) is not None:
        raise IdpError("the person already has a plan for this fiscal year")
    _first, last = fiscal_year_bounds(fiscal_year)
    idp = Idp(person=person, fiscal_year=fiscal_year, state=IdpState.DRAFT, due_date=last, version=1)
    db.session.add(idp)
    db.session.flush()
    if framework is not None:
        lock_people([person.id])  # the gaps' attained levels go on the goals (levels.attained_level)
        gaps = [gap for gap in person_gaps(person, framework) if gap.gap]
        courses = aligned_course_ids([gap.competency.id for gap in gaps])
        for order, gap in enumerate(gaps):
            goal = IdpGoal(
                idp=idp,
                competency=gap.competency,
                target_level=gap.required,
                due_date=last,
                sort_order=order,
                attained_level=gap.attained,
            )
            if gap.competency.id in courses:
                goal.learning.append(IdpLearning(kind=LearningKind.COURSE, course_id=courses[gap.competency.id]))
            db.session.add(goal)
    record_change(idp, "create", user_id, first=True)
    return idp


def _editable(idp: Idp) -> None:
    if idp.state is IdpState.CLOSED:
        raise IdpError("a closed plan no longer changes")


def add_goal(
    idp: Idp, competency: Competency, target_level: int, due_date: date | None, user_id: int | None
) -> IdpGoal:
    _editable(idp)
    if any(goal.competency_id == competency.id for goal in idp.goals):
        raise IdpError("the plan already has a goal for this competency")
    goal = IdpGoal(
        idp=idp,
        competency=competency,
        target_level=target_level,
        due_date=due_date or idp.due_date,
        sort_order=len(idp.goals),
        attained_level=attained_level(idp.person_id, competency.id),
    )
    db.session.add(goal)
    record_change(idp, "add_goal", user_id)
    return goal


def update_goal(goal: IdpGoal, target_level: int, due_date: date | None, user_id: int | None) -> None:
    _editable(goal.idp)
    goal.target_level, goal.due_date = target_level, due_date or goal.idp.due_date
    record_change(goal.idp, "update_goal", user_id)


def remove_goal(goal: IdpGoal, user_id: int | None) -> None:
    idp = goal.idp
    _editable(idp)
    idp.goals.remove(goal)  # delete-orphan: removing it deletes it
    record_change(idp, "remove_goal", user_id)


def add_learning(
    goal: IdpGoal,
    kind: LearningKind,
    user_id: int | None,
    *,
    course_id: int | None = None,
    activity_iri: str | None = None,
    description: str = "",
    planned_on: date | None = None,
) -> IdpLearning:
    """Plan learning towards a goal: a course of ours, a provider's activity (its IRI), or on-the-job with a date."""
    _editable(goal.idp)
    if kind is LearningKind.COURSE and course_id is None:
        raise IdpError("choose a course")
    if kind is LearningKind.ACTIVITY and (not activity_iri or ":" not in activity_iri or len(activity_iri) > 2048):
        raise IdpError("an activity is named by its absolute IRI")
    if kind is LearningKind.ON_THE_JOB and (not description.strip() or planned_on is None):
        raise IdpError("on-the-job learning needs a description and a date")
    item = IdpLearning(
        goal=goal,
        kind=kind,
        course_id=course_id if kind is LearningKind.COURSE else None,
        activity_iri=activity_iri if kind is LearningKind.ACTIVITY else None,
        description=description.strip(),
        planned_on=planned_on,
    )
    db.session.add(item)
    record_change(goal.idp, "add_learning", user_id)
    return item


def remove_learning(item: IdpLearning, user_id: int | None) -> None:
    goal = item.goal
    _editable(goal.idp)
    goal.learning.remove(item)
    record_change(goal.idp, "remove_learning", user_id)


# --- the cycle ----------------------------------------------------------------------------------


def closing_opens(fiscal_year: int) -> date:
    """Plans of a year may be closed from the first day of its last month (September)."""
    _first, last = fiscal_year_bounds(fiscal_year)
    return last.replace(day=1)


def transition(
    idp: Idp,
    action: str,
    user_id: int | None,
    comment: str = "",
    results: dict[int, tuple[GoalResult, str]] | None = None,
) -> None:
    """Take a step of the cycle (who may take it is for the caller to check: permissions.can_transition)."""
    if action not in TRANSITIONS:
        raise IdpError(f"unknown action {action!r}")
    sources, target, _who = TRANSITIONS[action]
    if idp.state not in sources:
        raise IdpError(f"a {idp.state.value} plan cannot be {action}ed")
    now = utcnow()
    if action == "submit":
        if not idp.goals:
            raise IdpError("a plan needs at least one goal")
        idp.submitted_at = now
    elif action == "return":
        if not comment.strip():
            raise IdpError("say why the plan is returned")
        idp.return_comment = comment.strip()
    elif action == "agree":
        idp.agreed_at, idp.agreed_by_id = now, user_id
    elif action == "close":
        if today() < closing_opens(idp.fiscal_year):
            raise IdpError("a plan is closed at the end of its fiscal year")
        evidence = goal_attainments([idp])
        for goal in idp.goals:
            result, note = (results or {}).get(goal.id, (None, ""))
            if result is None:
                result = GoalResult.MET if evidence.get(goal.id, 0) >= goal.target_level else GoalResult.NOT_MET
            goal.result, goal.result_note = result, note
        idp.closed_at = now
    idp.state = target
    record_change(idp, action, user_id, comment.strip())


def goal_attainments(idps: Sequence[Idp]) -> dict[int, int]:
    """Each goal's attained level now (0 without evidence): the level the attainment projection keeps on it."""
    return {goal.id: goal.attained_level for idp in idps for goal in idp.goals}


def bulk_agree(idps: Sequence[Idp], user_id: int | None) -> int:
    """Agree every submitted plan given (the caller has checked each); return how many were agreed."""
    count = 0
    for idp in idps:
        if idp.state is IdpState.SUBMITTED:
            transition(idp, "agree", user_id)
            count += 1
    return count


def add_course_to_idps(
    course_id: int, activity_iri: str, person_ids: Sequence[int], fiscal_year: int, due_on: date, user_id: int | None
) -> int:
    """Plan an assigned course in the year's IDPs of these people (a draft plan for who has none).

    The course goes under the goal of each competency it is aligned with (a new goal at the
    alignment's level when the plan has none); plans already closed are left alone. Returns how
    many plans changed.
    """
    alignments = db.session.execute(
        select(Alignment.competency_id, Alignment.level).where(Alignment.activity_id == activity_iri)
    ).all()
    if not alignments or not person_ids:
        return 0
    lock_people(person_ids)  # the levels read below go on new goals (levels.attained_level)
    competencies = {
        c.id: c for c in db.session.scalars(select(Competency).where(Competency.id.in_([a[0] for a in alignments])))
    }
    existing = {
        idp.person_id: idp
        for idp in db.session.scalars(
            select(Idp)
            .where(Idp.person_id.in_(list(person_ids)), Idp.fiscal_year == fiscal_year)
            .options(selectinload(Idp.goals).selectinload(IdpGoal.learning))
        )
    }
    levels = {
        (person_id, competency_id): level
        for person_id, competency_id, level in db.session.execute(
            select(Attainment.person_id, Attainment.competency_id, Attainment.level).where(
                Attainment.person_id.in_(list(person_ids)), Attainment.competency_id.in_(list(competencies))
            )
        )
    }
    _first, last = fiscal_year_bounds(fiscal_year)
    changed = 0
    for person_id in sorted(set(person_ids)):
        idp = existing.get(person_id)
        if idp is None:
            idp = Idp(person_id=person_id, fiscal_year=fiscal_year, state=IdpState.DRAFT, due_date=last, version=1)
            db.session.add(idp)
            db.session.flush()
            record_change(idp, "create", user_id, first=True)
        if idp.state is IdpState.CLOSED:
            continue
        touched = False
        for competency_id, level in alignments:
            goal = next((g for g in idp.goals if g.competency_id == competency_id), None)
            if goal is None:
                goal = IdpGoal(
                    idp=idp,
                    competency=competencies[competency_id],
                    target_level=level,
                    due_date=due_on,
                    sort_order=len(idp.goals),
                    attained_level=levels.get((person_id, competency_id), 0),
                )
                db.session.add(goal)
            if any(item.course_id == course_id for item in goal.learning):
                continue
            goal.learning.append(IdpLearning(kind=LearningKind.COURSE, course_id=course_id, planned_on=due_on))
            touched = True
        if touched:
            record_change(idp, "assign_course", user_id)
            changed += 1
    return changed
