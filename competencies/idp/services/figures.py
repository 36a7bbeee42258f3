"""HR's IDP figures per agency (with its units) per fiscal year: the one place they are counted.

*With a plan*: active people with an IDP of the year in any state; *agreed*: their plan is
agreed (or closed after being agreed); *goals* and *goals met* count the goals of agreed plans:
a goal is met when its closing result says so or, without a result yet, when the person's
attainment reaches the target level (``IdpGoal.met``: the attained level is kept on each goal by
the attainment projection, and each plan keeps its goals and goals met, so the figures are plain
aggregates over people and their plans; the most planned competencies, over the goals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select

from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup, PersonStatus
from competencies.idp.models import Idp, IdpGoal, IdpState
from competencies.models import Competency

AGREED_STATES = (IdpState.AGREED, IdpState.CLOSED)
GROUPS = (PersonnelGroup.IT, PersonnelGroup.NON_IT)


@dataclass
class IdpFigures:
    headcount: int = 0
    with_plan: int = 0
    agreed: int = 0
    goals: int = 0
    goals_met: int = 0
    #: People with an agreed plan every goal of which is met.
    all_met: int = 0

    def add(self, other: IdpFigures) -> None:
        self.all_met += other.all_met
        self.headcount += other.headcount
        self.with_plan += other.with_plan
        self.agreed += other.agreed
        self.goals += other.goals
        self.goals_met += other.goals_met


def goal_met_condition() -> ColumnElement[bool]:
    """True for a goal that is met (by its result, or the attained level kept on it)."""
    return IdpGoal.met_condition()


def _tree(agencies: Sequence[Agency] | None) -> list[Agency]:
    from academy.org.services import list_agencies

    return list_agencies(agencies)


def idp_figures_by_group(
    fiscal_year: int, agencies: Sequence[Agency] | None = None
) -> tuple[list[Agency], dict[tuple[int, PersonnelGroup], IdpFigures]]:
    """Each agency's own figures (not rolled up) per personnel group, and the tree they belong to."""
    tree = _tree(agencies)
    active = Person.status == PersonStatus.ACTIVE

    ids = [agency.id for agency in tree]

    def scoped(query):  # type: ignore[no-untyped-def]
        # The tree's ids, not a join on paths: the planner then reads the people of those agencies
        # through their index instead of scanning everyone.
        return query if agencies is None else query.where(Person.agency_id.in_(ids))

    own: dict[tuple[int, PersonnelGroup], IdpFigures] = {}

    def at(agency_id: int, group: PersonnelGroup) -> IdpFigures:
        return own.setdefault((agency_id, group), IdpFigures())

    agreed = Idp.state.in_(AGREED_STATES)
    # One pass: every active person, with their plan of the year if any and, for an agreed plan, its
    # goals and goals met as the plan keeps them (Idp.goal_count, Idp.goals_met: no goal is read).
    for agency_id, group, headcount, plans, agreed_count, goals, met, all_met in db.session.execute(
        scoped(
            select(
                Person.agency_id,
                Person.personnel_group,
                func.count(),
                func.count(Idp.id),
                func.count(Idp.id).filter(agreed),
                func.coalesce(func.sum(Idp.goal_count).filter(agreed), 0),
                func.coalesce(func.sum(Idp.goals_met).filter(agreed), 0),
                func.count(Idp.id).filter(agreed, Idp.goal_count > 0, Idp.goals_met == Idp.goal_count),
            )
            .select_from(Person)
            .outerjoin(Idp, and_(Idp.person_id == Person.id, Idp.fiscal_year == fiscal_year))
            .where(active)
        ).group_by(Person.agency_id, Person.personnel_group)
    ):
        figures = at(agency_id, PersonnelGroup(group))
        figures.headcount, figures.with_plan, figures.agreed = headcount, plans, agreed_count
        figures.goals, figures.goals_met, figures.all_met = int(goals), int(met), all_met
    return tree, own


def roll_up(tree: Sequence[Agency], own: dict[int, IdpFigures]) -> dict[int, IdpFigures]:
    """Each agency's figures with everything beneath it."""
    totals = {agency.id: IdpFigures() for agency in tree}
    by_path = {agency.path: agency.id for agency in tree}
    for agency in tree:
        figures = own.get(agency.id)
        if figures is None:
            continue
        parts = agency.path.rstrip("/").split("/")
        for depth in range(1, len(parts) + 1):
            ancestor = by_path.get("/".join(parts[:depth]) + "/")
            if ancestor is not None:
                totals[ancestor].add(figures)
    return totals


def idp_group_totals(
    fiscal_year: int, agencies: Sequence[Agency] | None = None
) -> dict[int, dict[PersonnelGroup, IdpFigures]]:
    """Per agency (with everything beneath it), the figures of each personnel group: what the GDX feed protects."""
    tree, by_group = idp_figures_by_group(fiscal_year, agencies)
    result: dict[int, dict[PersonnelGroup, IdpFigures]] = {a.id: {} for a in tree}
    for group in GROUPS:
        totals = roll_up(tree, {agency_id: f for (agency_id, g), f in by_group.items() if g is group})
        for agency_id, figures in totals.items():
            result[agency_id][group] = figures
    return result


def idp_figures(
    fiscal_year: int, agencies: Sequence[Agency] | None = None, group: PersonnelGroup | None = None
) -> tuple[list[Agency], dict[int, IdpFigures]]:
    """Every agency's figures (with its units), or those of the given agencies and beneath; one group or all."""
    tree, by_group = idp_figures_by_group(fiscal_year, agencies)
    own: dict[int, IdpFigures] = {}
    for (agency_id, figures_group), figures in by_group.items():
        if group is None or figures_group is group:
            own.setdefault(agency_id, IdpFigures()).add(figures)
    return tree, roll_up(tree, own)


def agency_idp_figures(agency: Agency, fiscal_year: int) -> tuple[IdpFigures, list[tuple[Agency, IdpFigures]]]:
    """An agency's figures, and those of each unit directly beneath it."""
    tree, totals = idp_figures(fiscal_year, [agency])
    return totals[agency.id], [(a, totals[a.id]) for a in tree if a.parent_id == agency.id]


def planned_competencies(agency: Agency, fiscal_year: int, limit: int = 10) -> list[tuple[Competency, int, int]]:
    """The competencies most planned in the agency's agreed plans: (competency, goals, goals met)."""
    ids = [a.id for a in _tree([agency])]
    rows = db.session.execute(
        select(
            IdpGoal.competency_id,
            func.count(),
            func.count().filter(goal_met_condition()),
        )
        .join(Idp, Idp.id == IdpGoal.idp_id)
        .join(Person, Person.id == Idp.person_id)
        .where(
            Person.status == PersonStatus.ACTIVE,
            Person.agency_id.in_(ids),
            Idp.fiscal_year == fiscal_year,
            Idp.state.in_(AGREED_STATES),
        )
        .group_by(IdpGoal.competency_id)
        .order_by(func.count().desc(), IdpGoal.competency_id)
        .limit(limit)
    ).all()
    competencies = {
        c.id: c for c in db.session.scalars(select(Competency).where(Competency.id.in_([r[0] for r in rows])))
    }
    return [(competencies[cid], goals, met) for cid, goals, met in rows]
