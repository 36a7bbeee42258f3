"""Schemathesis fuzzes every operation of the OpenAPI document in-process: no answer is a 5xx.

Each operation gets data that fits the schema, data that does not, and (for operations
with path parameters) the codes of real records, so that the handlers past the lookups
are reached too. Generation is derandomised so that a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from academy.db import db
from academy.org.models import Person
from competencies.services.frameworks import STANDARD_CODE, seed_standard
from courses.models import Course, CourseFormat, CourseStatus
from tests.support.rest import Tree, bearer

EXAMPLES = 30


@pytest.fixture
def generous_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_API_RATE_LIMIT", "100000 per minute")


def test_no_operation_answers_a_server_error(
    app: Flask,
    client: FlaskClient,
    tree: Tree,
    token_a: str,
    make_person: Callable[..., Person],
    generous_limit: None,
) -> None:
    seed_standard()
    person = make_person(tree.division_a, line="K-COMP")
    db.session.add(
        Course(
            code="DG101",
            title_th="กฎหมายดิจิทัล",
            title_en="Digital law",
            provider="TDGA",
            format=CourseFormat.ONLINE,
            hours=Decimal("3.0"),
            language="th",
            activity_iri="https://academy.test/courses/DG101",
            status=CourseStatus.PUBLISHED,
        )
    )
    db.session.flush()
    registration = _cmi5_registration(person)
    # Real records for the parameters that name one, so that the fuzzing gets past the lookups too.
    known: dict[str, dict[str, Any]] = {
        "GET /api/v1/agencies/{code}": {"path_parameters": {"code": "11001"}},
        "GET /api/v1/agencies/{code}/children": {"path_parameters": {"code": "11001"}},
        "GET /api/v1/people/{public_id}": {"path_parameters": {"public_id": str(person.public_id)}},
        "GET /api/v1/frameworks/{code}": {"path_parameters": {"code": STANDARD_CODE}},
        "GET /api/v1/courses/{code}": {"path_parameters": {"code": "DG101"}},
        "GET /api/v1/coverage": {"query": {"agency": "11001"}},
        "GET /api/v1/idps": {"query": {"agency": "11001"}},
        "GET /api/v1/cmi5/registrations": {"query": {"person": str(person.public_id)}},
        "GET /api/v1/cmi5/registrations/{registration}": {"path_parameters": {"registration": registration}},
        "POST /api/v1/cmi5/registrations/{registration}/waivers": {"path_parameters": {"registration": registration}},
    }
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    statuses: dict[str, set[int]] = {}

    for operation in operations:
        strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
        if operation.label in known:
            strategies.append(operation.as_strategy(**known[operation.label]))

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=EXAMPLES * len(strategies),
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            response = case.call(session=client, headers=bearer(token_a))
            statuses.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()

    assert set(statuses) == {operation.label for operation in operations}
    # The fuzzing got past authentication and validation into every handler, and was refused too.
    writes = {"POST /api/v1/people/bulk", WAIVERS}
    for label, seen in statuses.items():
        assert 200 in seen or label in writes, (label, seen)
    assert 422 in statuses["POST /api/v1/people/bulk"] and 422 in statuses["GET /api/v1/people"]
    assert 422 in statuses[WAIVERS]


WAIVERS = "POST /api/v1/cmi5/registrations/{registration}/waivers"


def _cmi5_registration(person: Person) -> str:
    """A cmi5 course (one AU) the person is enrolled in: its registration id."""
    from courses.cmi5.package import NS
    from courses.cmi5.services.importer import ImportOptions, import_package
    from courses.models import Enrolment, EnrolmentSource

    xml = (
        f'<courseStructure xmlns="{NS}"><course id="https://p.example/c"><title><langstring>C</langstring></title>'
        "<description><langstring>C</langstring></description></course>"
        '<au id="https://p.example/au" moveOn="Completed"><title><langstring>A</langstring></title>'
        "<description><langstring>A</langstring></description><url>https://p.example/au.html</url></au>"
        "</courseStructure>"
    )
    course = import_package(xml.encode(), "cmi5.xml", ImportOptions(code="C5-FUZZ", status=CourseStatus.PUBLISHED))
    enrolment = Enrolment(person=person, course=course, source=EnrolmentSource.SELF)
    db.session.add(enrolment)
    db.session.flush()
    return str(enrolment.registration)
