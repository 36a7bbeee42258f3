"""IDP figures over the API: the same numbers as the figures service, within the token's scope, no names."""

from __future__ import annotations

from collections.abc import Callable

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Person
from competencies.idp.models import IdpState
from competencies.idp.services.figures import idp_figures
from competencies.idp.services.workflow import add_goal, create_idp
from competencies.services.frameworks import seed_standard
from tests.support.competencies import competency
from tests.support.rest import Api, Tree


def test_idp_figures_equal_the_service_and_stay_in_scope(
    api: Api, tree: Tree, make_person: Callable[..., Person]
) -> None:
    standard = seed_standard()
    year = current_fiscal_year()
    people = [make_person(tree.division_a, line="K-COMP") for _ in range(3)] + [make_person(tree.department_a)]
    for person, state in zip(people, (IdpState.AGREED, IdpState.AGREED, IdpState.DRAFT), strict=False):
        idp = create_idp(person, year, None, None)
        add_goal(idp, competency(standard, "DL-01"), 1, None, None)
        idp.state = state
    db.session.flush()  # the API's request reads through its own session

    response = api("GET", "/api/v1/idps", query_string={"agency": "11001", "fiscal_year": year})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    tree_, totals = idp_figures(year, [tree.department_a])
    assert [r["agency_code"] for r in body["records"]] == [a.code for a in tree_] == ["11001", "1100101"]
    for got, agency in zip(body["records"], tree_, strict=True):
        want = totals[agency.id]
        assert (got["headcount"], got["with_plan"], got["agreed"], got["goals"], got["goals_met"]) == (
            want.headcount,
            want.with_plan,
            want.agreed,
            want.goals,
            want.goals_met,
        )
    assert (body["records"][0]["headcount"], body["records"][0]["with_plan"], body["records"][0]["agreed"]) == (4, 3, 2)
    assert people[0].first_name_th not in response.get_data(as_text=True)
    assert api("GET", "/api/v1/idps", query_string={"agency": "22001"}).status_code == 404
