"""A token sees its agency and everything beneath it, and nothing else (404, never a hint)."""

from __future__ import annotations

from collections.abc import Callable

from academy.org.models import Person
from tests.support.rest import Api, Tree


def test_a_token_cannot_see_people_of_another_agency(api: Api, tree: Tree, make_person: Callable[..., Person]) -> None:
    own = make_person(tree.division_a)
    other = make_person(tree.department_b)
    above = make_person(tree.ministry_a)  # the ministry above the token's department

    assert api("GET", f"/api/v1/people/{own.public_id}").status_code == 200
    for stranger in (other, above):
        response = api("GET", f"/api/v1/people/{stranger.public_id}")
        assert response.status_code == 404
        assert str(stranger.public_id) not in response.get_data(as_text=True)
    listed = {person["public_id"] for person in api("GET", "/api/v1/people").get_json()}
    assert listed == {str(own.public_id)}


def test_a_token_sees_only_its_agency_subtree(api: Api, tree: Tree) -> None:
    codes = [agency["code"] for agency in api("GET", "/api/v1/agencies").get_json()]
    assert codes == ["11001", "1100101"]
    assert api("GET", "/api/v1/agencies/1100101").get_json()["parent_code"] == "11001"
    for code in ("11", "22", "22001", "nowhere"):
        response = api("GET", f"/api/v1/agencies/{code}")
        assert response.status_code == 404, code
        assert response.get_json()["code"] == 404
    assert api("GET", "/api/v1/agencies/22/children").status_code == 404
    children = api("GET", "/api/v1/agencies/11001/children").get_json()
    assert [child["code"] for child in children] == ["1100101"]


def test_filters_and_reports_outside_the_scope_answer_404(api: Api, tree: Tree) -> None:
    assert api("GET", "/api/v1/people", query_string={"agency": "22001"}).status_code == 404
    assert api("GET", "/api/v1/coverage", query_string={"agency": "22"}).status_code == 404
    assert api("GET", "/api/v1/coverage", query_string={"agency": "11"}).status_code == 404


def test_a_ministry_token_sees_its_departments(
    api: Api, tree: Tree, make_token: Callable[..., str], make_person: Callable[..., Person]
) -> None:
    person = make_person(tree.division_a)
    ministry = make_token(tree.ministry_a)
    codes = [agency["code"] for agency in api("GET", "/api/v1/agencies", token=ministry).get_json()]
    assert codes == ["11", "11001", "1100101"]
    assert api("GET", f"/api/v1/people/{person.public_id}", token=ministry).status_code == 200
