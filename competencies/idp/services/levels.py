"""Each goal's attained level: a projection of the attainment projection, kept on the goal.

HR's figures count the goals met over hundreds of thousands of plans; reading each goal's person's
attainment there would cost a lookup per goal. So ``idp_goals.attained_level`` holds the person's
level in the goal's competency (0 without evidence): set when a goal is created, and updated by
``recompute_attainment`` (competencies.services.evidence) for the pairs whose level changed. Its
rebuild zeroes every goal and the attainment rebuild sets them again; the rebuild-and-compare
check compares the goals' levels (``snapshot_goal_levels``).

Each plan keeps its goals and goals met (``Idp.goal_count``, ``Idp.goals_met``): recounted by
every change to the plan (workflow.record_change) and here for the people whose levels moved, so
HR's figures read people and plans only.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, or_, select, true, update

from academy.db import db
from academy.projections import Snapshot, lock_people, rows_of
from competencies.idp.models import Idp, IdpGoal
from competencies.models import Attainment

#: How many people one UPDATE covers.
CHUNK = 500


def attained_level(person_id: int, competency_id: int) -> int:
    """The person's level in the competency now (0 without evidence): a new goal's starting value.

    Read under the person's projection lock, so that a batch projecting them meanwhile either comes
    before (and this reads its level) or after (and it updates the new goal).
    """
    lock_people([person_id])
    level = db.session.scalar(
        select(Attainment.level).where(Attainment.person_id == person_id, Attainment.competency_id == competency_id)
    )
    return level or 0


def follow_attainment(pairs: Collection[tuple[int, int]]) -> None:
    """Copy the attainment of these (person, competency) pairs to the goals about them (set-based).

    Every goal of these people in these competencies is read again (a superset of the pairs); only
    those whose level differs are written.
    """
    if not pairs:
        return
    people = sorted({p for p, _c in pairs})
    competencies = sorted({c for _p, c in pairs})
    level = func.coalesce(
        select(Attainment.level)
        .join(Idp, Idp.person_id == Attainment.person_id)
        .where(Idp.id == IdpGoal.idp_id, Attainment.competency_id == IdpGoal.competency_id)
        .correlate(IdpGoal)
        .scalar_subquery(),
        0,
    )
    for start in range(0, len(people), CHUNK):
        some = people[start : start + CHUNK]
        plans = select(Idp.id).where(Idp.person_id.in_(some))
        written = db.session.execute(
            update(IdpGoal)
            .where(
                IdpGoal.idp_id.in_(plans),
                IdpGoal.competency_id.in_(competencies),
                IdpGoal.attained_level != level,
            )
            .values(attained_level=level)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount:  # type: ignore[attr-defined]  # a CursorResult: no goal moved, no count changed
            recount_goals(Idp.person_id.in_(some))
    # Goals loaded in this session show the new levels when next read.
    for goal in [o for o in db.session.identity_map.values() if isinstance(o, IdpGoal)]:
        db.session.expire(goal, ["attained_level"])


def forget_attained_levels() -> None:
    """Every goal back to 0: the start of a rebuild (the attainment rebuild sets them again)."""
    db.session.execute(
        update(IdpGoal)
        .where(IdpGoal.attained_level != 0)
        .values(attained_level=0)
        .execution_options(synchronize_session=False)
    )
    for goal in [o for o in db.session.identity_map.values() if isinstance(o, IdpGoal)]:
        db.session.expire(goal, ["attained_level"])
    recount_goals(true())


def recount_goals(which: ColumnElement[bool]) -> None:
    """Count again the goals, and those met, of the plans ``which`` selects (only differing plans are written)."""
    goals = select(func.count()).where(IdpGoal.idp_id == Idp.id).correlate(Idp).scalar_subquery()
    met = select(func.count()).where(IdpGoal.idp_id == Idp.id, IdpGoal.met_condition()).correlate(Idp).scalar_subquery()
    db.session.execute(
        update(Idp)
        .where(which, or_(Idp.goal_count != goals, Idp.goals_met != met))
        .values(goal_count=goals, goals_met=met)
        .execution_options(synchronize_session=False)
    )
    for plan in [o for o in db.session.identity_map.values() if isinstance(o, Idp)]:
        db.session.expire(plan, ["goal_count", "goals_met"])


def snapshot_goal_levels() -> Snapshot:
    """The goals' stored levels as comparable tuples (rebuild_and_compare)."""
    return {
        "idp_goal_levels": rows_of(select(IdpGoal.id, IdpGoal.attained_level)),
        "idp_goal_counts": rows_of(select(Idp.id, Idp.goal_count, Idp.goals_met)),
    }
