"""Progress from evidence: a provider's xAPI completion meets a goal; HR's figures equal a direct count."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person, PersonStatus
from academy.org.services import add_identifier
from competencies.idp.models import GoalResult, Idp, IdpState, LearningKind
from competencies.idp.services.figures import agency_idp_figures, idp_figures, planned_competencies
from competencies.idp.services.progress import idp_progress, team_idp_status
from competencies.idp.services.workflow import add_goal, add_learning, create_idp, record_change
from competencies.models import Attainment, Competency, Framework
from tests.competencies.idp.conftest import Office
from tests.competencies.test_evidence import completed_by
from tests.support.competencies import ACTIVITY
from tests.support.lrs import Xapi


def test_a_providers_completion_meets_a_goal(
    office: Office, standard: Framework, aligned: Competency, xapi: Xapi
) -> None:
    fiscal_year = current_fiscal_year()
    idp = create_idp(office.official, fiscal_year, None, None)
    goal = add_goal(idp, aligned, 2, None, None)
    add_learning(goal, LearningKind.ACTIVITY, None, activity_iri=ACTIVITY)
    idp.state = IdpState.AGREED
    add_identifier(office.official, IdentifierKind.MBOX, "mailto:official@example.go.th")
    [before] = idp_progress(idp)
    assert (before.attained, before.met, before.learning[0].done) == (0, False, False)
    assert agency_idp_figures(office.department, fiscal_year)[0].goals_met == 0

    response = xapi("POST", "/xapi/statements", json_body=completed_by("official@example.go.th"))
    assert response.status_code == 200
    db.session.expire_all()
    idp = db.session.get(Idp, idp.id)  # type: ignore[assignment]
    [after] = idp_progress(idp)
    assert (after.attained, after.met, after.learning[0].done, after.learning[0].percent) == (2, True, True, 100)
    figures, _units = agency_idp_figures(office.department, fiscal_year)
    assert (figures.agreed, figures.goals, figures.goals_met) == (1, 1, 1)
    assert team_idp_status([office.official], fiscal_year)[office.official.id].met == 1


def test_the_figures_equal_a_direct_count(
    office: Office,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    fiscal_year = current_fiscal_year()
    rng = random.Random(16)
    units = [office.division, office.department, office.other, make_agency("3000201", parent=office.other)]
    people = [office.official, office.colleague, office.head, office.stranger, office.director]
    people += [make_person(rng.choice(units), line="K-COMP", level="K2") for _ in range(25)]
    people[-1].status = PersonStatus.INACTIVE  # neither counted nor their plan
    leaves = [c for c in standard.competencies if not c.is_area][:6]
    now = datetime.now(UTC)
    for person in people:
        for c in rng.sample(leaves, 3):
            db.session.add(
                Attainment(
                    person_id=person.id, competency_id=c.id, level=rng.randint(1, 4), as_of=now, evidence_count=1
                )
            )
        roll = rng.random()
        if roll < 0.2:
            continue
        year = fiscal_year if roll < 0.9 else fiscal_year - 1  # some plans of last year, not counted
        idp = create_idp(person, year, None, None)
        for c in rng.sample(leaves, rng.randint(1, 4)):
            add_goal(idp, c, rng.randint(1, 4), None, None)
        idp.state = rng.choice(list(IdpState))
        if idp.state is IdpState.CLOSED and idp.goals:
            idp.goals[0].result = rng.choice(list(GoalResult))
            record_change(idp, "close", None)  # as closing records it (and counts the plan's goals met)
    db.session.flush()

    # The direct count: every active person of the ministry, by hand.
    levels = {(a.person_id, a.competency_id): a.level for a in db.session.scalars(select(Attainment))}
    active = [p for p in people if p.status is PersonStatus.ACTIVE]
    plans = [
        i
        for i in db.session.scalars(select(Idp).where(Idp.fiscal_year == fiscal_year))
        if i.person.status is PersonStatus.ACTIVE
    ]
    agreed = [i for i in plans if i.state in (IdpState.AGREED, IdpState.CLOSED)]
    goals = [g for i in agreed for g in i.goals]

    def met(goal: object) -> bool:
        if goal.result is not None:  # type: ignore[attr-defined]
            return goal.result is GoalResult.MET  # type: ignore[attr-defined]
        return levels.get((goal.idp.person_id, goal.competency_id), 0) >= goal.target_level  # type: ignore[attr-defined]

    _tree, totals = idp_figures(fiscal_year)
    ministry = totals[office.ministry.id]
    assert (ministry.headcount, ministry.with_plan, ministry.agreed, ministry.goals, ministry.goals_met) == (
        len(active),
        len(plans),
        len(agreed),
        len(goals),
        sum(1 for g in goals if met(g)),
    )
    assert ministry.goals > 0 and ministry.agreed > 0
    assert ministry.all_met == sum(1 for i in agreed if i.goals and all(met(g) for g in i.goals))
    # A unit's figures hold its own people and everything beneath it.
    other_tree = [p for p in active if p.agency.path.startswith(office.other.path)]
    own, _units = agency_idp_figures(office.other, fiscal_year)
    assert own.headcount == len(other_tree)
    assert own.agreed == sum(1 for i in agreed if i.person.agency.path.startswith(office.other.path))
    # The most planned competencies: counts of the goals of agreed plans.
    top = planned_competencies(office.ministry, fiscal_year, limit=3)
    counts: dict[int, int] = {}
    for g in goals:
        counts[g.competency_id] = counts.get(g.competency_id, 0) + 1
    assert [n for _c, n, _m in top] == sorted(counts.values(), reverse=True)[:3]
