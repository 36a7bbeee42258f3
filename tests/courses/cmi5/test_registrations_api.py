"""The REST API's cmi5 registrations: each unit's status and waiving a unit, in the token's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from api.rest.tokens import create_token
from courses.models import Course, Enrolment
from tests.support.cmi5 import EXAMPLE, au, aus_of, block, structure, verbs_of

TWO_UNITS = structure(block("block/1", au("au/1", attrs='moveOn="Passed"'), au("au/2", attrs='moveOn="Completed"')))


@pytest.fixture
def enrolment(make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment]) -> Enrolment:
    return enrol(make_cmi5(TWO_UNITS))


def call(client: FlaskClient, agency: Agency, method: str, path: str, **kwargs: Any) -> TestResponse:
    token = create_token(agency, "DPIS", created_by="test").secret
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_a_registration_with_its_units(enrolment: Enrolment, client: FlaskClient) -> None:
    person: Person = enrolment.person
    listed = call(client, person.agency, "GET", "/api/v1/cmi5/registrations", query_string={"person": person.public_id})
    assert listed.status_code == 200
    [registration] = listed.get_json()
    assert registration["registration"] == str(enrolment.registration)
    assert registration["course"] == enrolment.course.code and registration["person"] == str(person.public_id)
    units = registration["units"]
    assert [u["publisher_id"] for u in units] == [f"{EXAMPLE}/au/1", f"{EXAMPLE}/au/2"]
    assert [u["status"] for u in units] == ["not_started", "not_started"]
    one = call(client, person.agency, "GET", f"/api/v1/cmi5/registrations/{enrolment.registration}")
    assert one.status_code == 200 and one.get_json() == registration


def test_waive_a_unit(enrolment: Enrolment, client: FlaskClient) -> None:
    url = f"/api/v1/cmi5/registrations/{enrolment.registration}/waivers"
    agency = enrolment.person.agency
    response = call(client, agency, "POST", url, json={"unit": f"{EXAMPLE}/au/1", "reason": "Equivalent AU"})
    assert response.status_code == 201, response.get_json()
    units = response.get_json()["units"]
    assert (units[0]["status"], units[0]["waive_reason"]) == ("waived", "Equivalent AU")
    assert verbs_of(enrolment)[-1] == "waived"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cmi5.waive")).one()
    assert entry.actor.startswith("api-token:") and entry.details["source"] == "api"
    by_key = {"unit": str(aus_of(enrolment.course)[1].key), "reason": "Administrative"}
    assert call(client, agency, "POST", url, json=by_key).status_code == 201
    again = call(client, agency, "POST", url, json=by_key)
    assert again.status_code == 409 and "already waived" in again.get_json()["message"]
    assert verbs_of(enrolment).count("waived") == 2


def test_bad_waivers_are_422(enrolment: Enrolment, client: FlaskClient) -> None:
    url = f"/api/v1/cmi5/registrations/{enrolment.registration}/waivers"
    agency = enrolment.person.agency
    bad_reason = call(client, agency, "POST", url, json={"unit": f"{EXAMPLE}/au/1", "reason": "Because"})
    assert bad_reason.status_code == 422 and "reason" in bad_reason.get_json()["errors"]["json"]
    unknown = call(client, agency, "POST", url, json={"unit": f"{EXAMPLE}/au/9", "reason": "Administrative"})
    assert unknown.status_code == 422 and "unit" in unknown.get_json()["errors"]["json"]
    assert call(client, agency, "POST", url, json={"reason": "Administrative"}).status_code == 422
    assert "waived" not in verbs_of(enrolment)


def test_other_agencies_see_nothing(
    enrolment: Enrolment, client: FlaskClient, make_agency: Callable[..., Agency]
) -> None:
    other = make_agency()
    base = f"/api/v1/cmi5/registrations/{enrolment.registration}"
    assert call(client, other, "GET", base).status_code == 404
    waiver = {"unit": f"{EXAMPLE}/au/1", "reason": "Administrative"}
    assert call(client, other, "POST", f"{base}/waivers", json=waiver).status_code == 404
    query = {"person": enrolment.person.public_id}
    assert call(client, other, "GET", "/api/v1/cmi5/registrations", query_string=query).status_code == 404
    assert "waived" not in verbs_of(enrolment)


def test_a_signed_in_admin_reads_but_does_not_write(
    enrolment: Enrolment, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    base = f"/api/v1/cmi5/registrations/{enrolment.registration}"
    assert client.get(base).status_code == 200
    waiver = {"unit": f"{EXAMPLE}/au/1", "reason": "Administrative"}
    assert client.post(f"{base}/waivers", json=waiver).status_code == 401


def test_documented_in_the_openapi(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/cmi5/registrations/{registration}/waivers" in paths
    reason = paths["/api/v1/cmi5/registrations/{registration}/waivers"]["post"]
    assert "requestBody" in reason and "409" in reason["responses"]
