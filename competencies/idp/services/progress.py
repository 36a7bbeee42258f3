"""Plan against reality: each goal's attained level from the evidence, each planned item's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from academy.db import db
from academy.org.models import Person
from competencies.idp.models import Idp, IdpGoal, IdpLearning, IdpState, LearningKind
from competencies.idp.services.workflow import goal_attainments
from competencies.models import Evidence


@dataclass(frozen=True)
class LearningProgress:
    item: IdpLearning
    title: str
    #: 0-100 for a course (its enrolment's progress), 100 or 0 for a provider's activity (evidence or not).
    percent: int | None
    done: bool
    enrolled: bool = False


@dataclass(frozen=True)
class GoalProgress:
    goal: IdpGoal
    attained: int
    learning: list[LearningProgress]

    @property
    def met(self) -> bool:
        return self.attained >= self.goal.target_level


def idp_progress(idp: Idp) -> list[GoalProgress]:
    """Each goal with the person's attained level (any provider's evidence) and its planned learning's progress."""
    from courses.models import Course, Enrolment, EnrolmentStatus

    attained = goal_attainments([idp])
    items = [item for goal in idp.goals for item in goal.learning]
    course_ids = {item.course_id for item in items if item.course_id is not None}
    courses = (
        {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))} if course_ids else {}
    )
    enrolments = (
        {
            e.course_id: e
            for e in db.session.scalars(
                select(Enrolment).where(Enrolment.person_id == idp.person_id, Enrolment.course_id.in_(course_ids))
            )
        }
        if course_ids
        else {}
    )
    iris = {item.activity_iri for item in items if item.activity_iri}
    evidenced = (
        set(
            db.session.scalars(
                select(Evidence.activity_id).where(
                    Evidence.person_id == idp.person_id,
                    Evidence.activity_id.in_(iris),
                    Evidence.withdrawn_at.is_(None),
                )
            )
        )
        if iris
        else set()
    )
    result = []
    for goal in idp.goals:
        lines = []
        for item in goal.learning:
            if item.kind is LearningKind.COURSE:
                course = courses.get(item.course_id or 0)
                enrolment = enrolments.get(item.course_id or 0)
                lines.append(
                    LearningProgress(
                        item,
                        f"{course.code} {course.title_th}" if course else "—",
                        enrolment.progress if enrolment else 0,
                        bool(enrolment and enrolment.status is EnrolmentStatus.COMPLETED),
                        enrolment is not None,
                    )
                )
            elif item.kind is LearningKind.ACTIVITY:
                done = item.activity_iri in evidenced
                lines.append(LearningProgress(item, item.activity_iri or "", 100 if done else 0, done))
            else:
                lines.append(LearningProgress(item, item.description, None, False))
        result.append(GoalProgress(goal, attained.get(goal.id, 0), lines))
    return result


@dataclass(frozen=True)
class TeamIdpStatus:
    state: IdpState | None
    goals: int
    met: int
    due_date: date | None
    idp_id: int | None = None


def team_idp_status(people: Sequence[Person], fiscal_year: int) -> dict[int, TeamIdpStatus]:
    """For each person: their plan of the year, its state, goals, goals met now (IdpGoal.met), due date: one query."""
    ids = [p.id for p in people]
    if not ids:
        return {}
    status = {p: TeamIdpStatus(None, 0, 0, None) for p in ids}
    for idp_id, person_id, state, due, total, met in db.session.execute(
        select(
            Idp.id,
            Idp.person_id,
            Idp.state,
            Idp.due_date,
            func.count(IdpGoal.id),
            func.count(IdpGoal.id).filter(IdpGoal.met_condition()),
        )
        .outerjoin(IdpGoal, IdpGoal.idp_id == Idp.id)
        .where(Idp.person_id.in_(ids), Idp.fiscal_year == fiscal_year)
        .group_by(Idp.id, Idp.person_id, Idp.state, Idp.due_date)
    ):
        status[person_id] = TeamIdpStatus(state, total, met, due, idp_id)
    return status
