"""Erasure of a person who has left: requested by HR, approved by an admin; no stored byte keeps them.

The scan reads every column of every table (text, JSON, binary) on the test's database, so a
place the eraser forgets fails the test; it first shows that the same scan finds the person
before the erasure.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, text

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.events import ErasedPerson, person_erased
from academy.org.models import Agency, IdentifierKind, Person, PersonIdentifier, PersonStatus
from academy.org.services import add_identifier
from academy.privacy.models import ErasureRequest, ErasureStatus
from competencies.models import Competency, Evidence, Framework, TrainingYear
from competencies.services.coverage import agency_coverage, coverage, monthly_trend
from jobs import erasure_job
from jobs.handlers import ERASURE
from jobs.models import Job, JobState
from jobs.services import create_job
from lrs import Statement, rebuild_and_compare
from lrs.payloads import payload_text
from tests.support.app import BASE_URL, PASSWORD, csrf_token
from tests.support.competencies import ACTIVITY
from tests.support.lrs import Xapi, statement

PROVIDER = "https://provider.example"
EMAIL = "kanokwan.pdpa@example.go.th"
LOGIN = "kanokwan.login@example.go.th"
PROVIDER_ACCOUNT = "kanok-provider-991"
SHA1 = hashlib.sha1(f"mailto:{EMAIL}".encode()).hexdigest()
NAME = {"first_name_th": "กนกวรรณทดสอบ", "last_name_th": "ศรีลบได้", "first_name_en": "Kanokwanpdpa"}
NAME_EN_LAST = "Sriloppdpa"
EMPLOYEE_NO = "EMPX-77123"
OTHER_EMAIL = "boonmee.other@example.go.th"


@dataclass
class Scene:
    leaver: Person
    leaver_user: User
    other: Person
    officer: User
    stranger: User
    admin: User
    department: Agency
    statement_ids: dict[str, str] = field(default_factory=dict)

    def needles(self) -> list[str]:
        """What must not survive: names, emails, employee number, every former identifier."""
        public_id = self.leaver.public_id
        return [
            *NAME.values(),
            NAME_EN_LAST,
            EMAIL,
            LOGIN,
            EMPLOYEE_NO,
            PROVIDER_ACCOUNT,
            SHA1,
            str(public_id),
            public_id.hex,
        ]


def mbox(address: str, name: str | None = None) -> dict[str, Any]:
    agent: dict[str, Any] = {"objectType": "Agent", "mbox": f"mailto:{address}"}
    if name:
        agent["name"] = name
    return agent


def provider_account() -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": PROVIDER, "name": PROVIDER_ACCOUNT}}


def platform_account(person: Person) -> dict[str, Any]:
    return {"account": {"homePage": BASE_URL, "name": str(person.public_id)}}


@pytest.fixture
def scene(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person], make_user: Callable[..., User]
) -> Scene:
    ministry = make_agency()
    department = make_agency(parent=ministry)
    leaver = make_person(
        department, line="K-COMP", level="K2", email=EMAIL, employee_no=EMPLOYEE_NO, last_name_en=NAME_EN_LAST, **NAME
    )
    add_identifier(leaver, IdentifierKind.MBOX, f"mailto:{EMAIL}")
    add_identifier(leaver, IdentifierKind.ACCOUNT, PROVIDER_ACCOUNT, home_page=PROVIDER)
    other = make_person(department, line="K-COMP", level="K2", email=OTHER_EMAIL, first_name_en="Boonmee")
    add_identifier(other, IdentifierKind.MBOX, f"mailto:{OTHER_EMAIL}")
    make_user(Role.LEARNER, person=other, email="boonmee.login@example.go.th")
    return Scene(
        leaver=leaver,
        leaver_user=make_user(Role.LEARNER, person=leaver, email=LOGIN),
        other=other,
        officer=make_user(Role.HR_OFFICER, agencies=(ministry,)),
        stranger=make_user(Role.HR_OFFICER, agencies=(make_agency(),)),
        admin=make_user(Role.ADMIN),
        department=department,
    )


def send_statements(xapi: Xapi, scene: Scene) -> None:
    """The leaver in every place a statement holds an agent, and the other person's statements about them."""
    full_name = f"{NAME['first_name_en']} {NAME_EN_LAST}"
    sent = {
        "completed": statement(actor=mbox(EMAIL, full_name), object={"objectType": "Activity", "id": ACTIVITY}),
        "substatement": statement(
            actor=provider_account(),
            object={
                "objectType": "SubStatement",
                "actor": mbox(EMAIL),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/asked"},
                "object": {"objectType": "Agent", **platform_account(scene.leaver)},
                "context": {"instructor": mbox(EMAIL, full_name)},
            },
            context={
                "contextAgents": [{"objectType": "contextAgent", "agent": mbox(EMAIL, full_name)}],
                "contextGroups": [
                    {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [provider_account()]}}
                ],
            },
        ),
        "others_with_leaver": statement(
            actor=mbox(OTHER_EMAIL, "Boonmee"),
            object={"objectType": "Activity", "id": ACTIVITY},
            result={"success": True, "completion": True},
            context={
                "instructor": mbox(EMAIL, full_name),
                "team": {"objectType": "Group", "name": "Cohort 7", "member": [provider_account(), mbox(OTHER_EMAIL)]},
            },
        ),
        "others_about_leaver": statement(
            actor=mbox(OTHER_EMAIL, "Boonmee"),
            verb={"id": "http://adlnet.gov/expapi/verbs/mentored", "display": {"en-US": "mentored"}},
            object={"objectType": "Agent", "mbox_sha1sum": SHA1},
        ),
    }
    for key, value in sent.items():
        response = xapi("POST", "/xapi/statements", json_body=value)
        assert response.status_code == 200, response.get_data(as_text=True)
        scene.statement_ids[key] = response.get_json()[0]


def put_documents(xapi: Xapi) -> None:
    def put(path: str, params: dict[str, str], body: dict[str, Any]) -> None:
        response = xapi(
            "PUT",
            f"{path}?{urllib.parse.urlencode(params)}",
            json_body=body,
            headers={"If-None-Match": "*"},
        )
        assert response.status_code == 204, response.get_data(as_text=True)

    put(
        "/xapi/activities/state",
        {"activityId": ACTIVITY, "agent": json.dumps(mbox(EMAIL)), "stateId": "bookmark"},
        {"learner": NAME["first_name_en"]},
    )
    put("/xapi/agents/profile", {"agent": json.dumps(provider_account()), "profileId": "prefs"}, {"lang": "th"})
    put(
        "/xapi/activities/state",
        {"activityId": ACTIVITY, "agent": json.dumps(mbox(OTHER_EMAIL)), "stateId": "bookmark"},
        {"learner": "Boonmee"},
    )


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def stored_values() -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every row of every table of the database."""
    connection = db.session.connection()
    for table in inspect(connection).get_table_names():
        if table == "alembic_version":
            continue
        for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
            for column, value in row.items():
                if (table, column) == ("lrs_statements", "payload"):  # stored deflated (lrs.payloads)
                    value = payload_text(value)
                yield table, column, as_text(value)


def where_found(needles: list[str]) -> set[tuple[str, str, str]]:
    """The (table, column, needle) where a needle is stored, as such or JSON-escaped (SQLite's JSON text)."""
    spellings = {(needle, form) for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    found = set()
    for table, column, value in stored_values():
        lowered = value.lower()
        for needle, form in spellings:
            if form.lower() in lowered:
                found.add((table, column, needle))
    return found


def leave_traces(scene: Scene, app: Flask, sign_in: Callable[[User], FlaskClient]) -> None:
    """The leaver signs in, mistypes a password, asks for a correction naming themselves, exports their data."""
    client = sign_in(scene.leaver_user)
    token = csrf_token(client, "/me/data")
    client.post("/me/data/corrections", data={"text": f"My name is {NAME['first_name_th']}", "csrf_token": token})
    assert client.get("/me/data.zip").status_code == 200
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/login")
    anonymous.post("/login", data={"email": LOGIN, "password": "wrong" + PASSWORD, "csrf_token": token})


def request_and_approve(scene: Scene, sign_in: Callable[[User], FlaskClient]) -> ErasureRequest:
    officer = sign_in(scene.officer)
    path = f"/people/{scene.leaver.public_id}/erasure"
    token = csrf_token(officer, path)
    response = officer.post(path, data={"reason": f"Retired; employee {EMPLOYEE_NO}", "csrf_token": token})
    assert response.status_code == 302
    request = db.session.scalars(select(ErasureRequest)).one()
    assert request.status is ErasureStatus.REQUESTED
    # An HR officer may not approve, even their own request.
    assert (
        officer.post(f"/admin/erasures/{request.id}", data={"decision": "approve", "csrf_token": token}).status_code
        == 403
    )
    admin = sign_in(scene.admin)
    token = csrf_token(admin, "/admin/erasures")
    response = admin.post(f"/admin/erasures/{request.id}", data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    # Approved, not erased inside the request: a job is queued, and the request shows it.
    assert request.status is ErasureStatus.REQUESTED and request.decided_by_id == scene.admin.id
    job = erasure_job(request.id)
    assert job is not None and job.state is JobState.QUEUED and job.started_by_id == scene.admin.id
    assert f'data-erasure-job="{job.id}"' in admin.get("/admin/erasures").get_data(as_text=True)
    assert "data-erasure-job" in officer.get(path).get_data(as_text=True)
    # A second approval queues nothing more.
    admin.post(f"/admin/erasures/{request.id}", data={"decision": "approve", "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == ERASURE)) == 1
    # The worker's part, delivered twice (acks late: a redelivery after a lost acknowledgement).
    run = current_app.extensions["celery"].tasks["jobs.run"]
    run.apply(args=[job.id])
    run.apply(args=[job.id])
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.attempts == 1, job.error
    assert request.status is ErasureStatus.DONE and request.pseudonym and request.pseudonym.startswith("erased-")
    assert job.result is not None and job.result["statements_rewritten"] >= 0
    # The admins' job page shows what it did; the HR officer follows it on the request, not on the job.
    assert "statements_rewritten" in admin.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert officer.get(f"/jobs/{job.id}").status_code == 404
    # Even a second job of the same request (a re-run) erases nothing twice.
    again = create_job(ERASURE, started_by=scene.admin, params={"request_id": request.id})
    db.session.commit()
    run.apply(args=[again.id])
    db.session.expire_all()
    assert again.state is JobState.SUCCEEDED and again.result == {"already_erased": True}
    page = admin.get("/admin/erasures").get_data(as_text=True)
    assert f'data-erasure-job="{again.id}"' not in page and f'data-erasure-job="{job.id}"' in page
    return request


def statement_payload(statement_id: str) -> dict[str, Any]:
    payload = db.session.scalar(select(Statement.payload).where(Statement.id == uuid.UUID(statement_id)))
    assert payload is not None
    return payload


def test_after_erasure_no_stored_byte_carries_the_person_and_everything_else_stands(
    app: Flask,
    xapi: Xapi,
    standard: Framework,
    aligned: Competency,
    scene: Scene,
    sign_in: Callable[[User], FlaskClient],
) -> None:
    send_statements(xapi, scene)
    put_documents(xapi)
    leave_traces(scene, app, sign_in)
    scene.leaver.status = PersonStatus.INACTIVE  # they left
    db.session.flush()
    needles = scene.needles()
    before = where_found(needles)
    # The scan sees the person wherever they are: it can fail.
    assert {table for table, _c, _n in before} >= {
        "people",
        "users",
        "person_identifiers",
        "lrs_statements",
        "lrs_agents",
        "lrs_documents",
        "audit_entries",
        "correction_requests",
    }

    fiscal_year = current_fiscal_year()
    ministry = scene.department.parent
    assert ministry is not None
    figures_before = [(r.agency.id, r.figures) for r in coverage(fiscal_year, standard)]
    trend_before = monthly_trend(ministry, fiscal_year)
    assert agency_coverage(ministry, fiscal_year, standard).figures.trained == 1  # the other person
    evidence_before = _evidence_of(scene.leaver.id)
    years_before = _years_of(scene.leaver.id)
    assert evidence_before and years_before == [fiscal_year]
    others_before = statement_payload(scene.statement_ids["others_with_leaver"])
    other_identifiers = [i.key for i in scene.other.identifiers]

    heard: list[ErasedPerson] = []

    def hear(_sender: Flask, *, erased: ErasedPerson) -> None:
        heard.append(erased)

    person_erased.connect(hear, sender=app)
    try:
        request = request_and_approve(scene, sign_in)
    finally:
        person_erased.disconnect(hear, sender=app)

    assert where_found(needles) == set()
    pseudonym = {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": request.pseudonym}}
    pseudonym_key = f"account:{BASE_URL} {request.pseudonym}"
    [erased] = heard
    assert erased.person_id == scene.leaver.id and erased.pseudonym_key == pseudonym_key
    assert f"mbox:mailto:{EMAIL}" in erased.former_keys and f"mbox_sha1sum:{SHA1}" in erased.former_keys

    # The person's row stays, de-identified, under the pseudonym: their learning still counts.
    db.session.expire_all()
    assert [
        i.key for i in db.session.scalars(select(PersonIdentifier).where(PersonIdentifier.person_id == scene.leaver.id))
    ] == [pseudonym_key]
    assert scene.leaver.email is None and scene.leaver.employee_no == request.pseudonym
    assert scene.leaver_user.active is False and scene.leaver_user.roles == set()
    completed = statement_payload(scene.statement_ids["completed"])
    assert completed["actor"] == pseudonym
    sub = statement_payload(scene.statement_ids["substatement"])
    assert sub["actor"] == pseudonym and sub["object"]["actor"] == pseudonym
    assert sub["object"]["object"] == pseudonym and sub["object"]["context"]["instructor"] == pseudonym
    assert sub["context"]["contextAgents"][0]["agent"] == pseudonym
    assert sub["context"]["contextGroups"][0]["group"]["member"] == [pseudonym]
    # The leaver's statements are found under the pseudonym through the xAPI filters (actor or object agent).
    found = xapi("GET", f"/xapi/statements?agent={urllib.parse.quote(json.dumps(pseudonym))}").get_json()
    assert {s["id"] for s in found["statements"]} == {
        scene.statement_ids["completed"],
        scene.statement_ids["substatement"],
        scene.statement_ids["others_about_leaver"],
    }
    related = xapi(
        "GET", f"/xapi/statements?agent={urllib.parse.quote(json.dumps(pseudonym))}&related_agents=true"
    ).get_json()
    assert len(related["statements"]) == 4

    # The other person's statements keep everything of theirs; only the leaver's agents changed.
    others_after = statement_payload(scene.statement_ids["others_with_leaver"])
    assert others_after["actor"] == others_before["actor"] and others_after["result"] == others_before["result"]
    assert others_after["context"]["instructor"] == pseudonym
    assert others_after["context"]["team"]["member"] == [pseudonym, mbox(OTHER_EMAIL)]
    assert {k: v for k, v in others_after.items() if k != "context"} == {
        k: v for k, v in others_before.items() if k != "context"
    }
    assert statement_payload(scene.statement_ids["others_about_leaver"])["object"] == pseudonym
    assert [
        i.key for i in db.session.scalars(select(PersonIdentifier).where(PersonIdentifier.person_id == scene.other.id))
    ] == other_identifiers
    assert scene.other.email == OTHER_EMAIL
    others_state = xapi(
        "GET",
        "/xapi/activities/state?"
        + urllib.parse.urlencode(
            {"activityId": ACTIVITY, "agent": json.dumps(mbox(OTHER_EMAIL)), "stateId": "bookmark"}
        ),
    )
    assert others_state.status_code == 200 and others_state.get_json() == {"learner": "Boonmee"}

    # Aggregates and history stand, and the projections rebuilt from the rewritten statements agree.
    assert [(r.agency.id, r.figures) for r in coverage(fiscal_year, standard)] == figures_before
    assert monthly_trend(ministry, fiscal_year) == trend_before
    assert _evidence_of(scene.leaver.id) == evidence_before and _years_of(scene.leaver.id) == years_before
    assert all(only_live == only_rebuilt == set() for only_live, only_rebuilt in rebuild_and_compare().values())
    assert _evidence_of(scene.leaver.id) == evidence_before

    # The erasure is audited, without the person's former public id.
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).one()
    assert entry.target_id == str(scene.leaver.public_id) and entry.details["statements_rewritten"] == 4
    assert entry.details["lrs_documents_removed"] == 2
    # The erased account cannot sign in.
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": LOGIN, "password": PASSWORD, "csrf_token": token}).status_code == 401


def _evidence_of(person_id: int) -> list[tuple[Any, ...]]:
    query = select(Evidence.competency_id, Evidence.level, Evidence.source, Evidence.statement_id, Evidence.achieved_at)
    return sorted((tuple(row) for row in db.session.execute(query.where(Evidence.person_id == person_id))), key=str)


def _years_of(person_id: int) -> list[int]:
    return list(db.session.scalars(select(TrainingYear.fiscal_year).where(TrainingYear.person_id == person_id)))


def test_only_people_who_have_left_can_be_erased(scene: Scene, sign_in: Callable[[User], FlaskClient]) -> None:
    officer = sign_in(scene.officer)
    path = f"/people/{scene.leaver.public_id}/erasure"
    page = officer.get(path)
    assert page.status_code == 200 and 'name="reason"' not in page.get_data(as_text=True)  # no form for the active
    token = csrf_token(officer, "/people")
    assert officer.post(path, data={"reason": "x", "csrf_token": token}).status_code == 302
    assert db.session.scalars(select(ErasureRequest)).all() == []


def test_another_agencys_officer_and_learners_cannot_ask(scene: Scene, sign_in: Callable[[User], FlaskClient]) -> None:
    scene.leaver.status = PersonStatus.INACTIVE
    db.session.flush()
    path = f"/people/{scene.leaver.public_id}/erasure"
    stranger = sign_in(scene.stranger)
    assert stranger.get(path).status_code == 404
    token = csrf_token(stranger, "/people")
    assert stranger.post(path, data={"reason": "x", "csrf_token": token}).status_code == 404
    assert stranger.get("/admin/erasures").status_code == 403
    learner = sign_in(scene.leaver_user)
    assert learner.get(path).status_code == 403
    assert db.session.scalars(select(ErasureRequest)).all() == []


def test_a_rejected_request_changes_nothing(scene: Scene, sign_in: Callable[[User], FlaskClient]) -> None:
    scene.leaver.status = PersonStatus.INACTIVE
    db.session.flush()
    officer = sign_in(scene.officer)
    path = f"/people/{scene.leaver.public_id}/erasure"
    assert 'name="reason"' in officer.get(path).get_data(as_text=True)
    assert path in officer.get(f"/people/{scene.leaver.public_id}").get_data(as_text=True)  # linked from their page
    token = csrf_token(officer, path)
    officer.post(path, data={"reason": "left", "csrf_token": token})
    # One pending request at a time.
    officer.post(path, data={"reason": "again", "csrf_token": token})
    request = db.session.scalars(select(ErasureRequest)).one()
    admin = sign_in(scene.admin)
    token = csrf_token(admin, "/admin/erasures")
    assert (
        admin.post(f"/admin/erasures/{request.id}", data={"decision": "reject", "csrf_token": token}).status_code == 302
    )
    db.session.expire_all()
    assert request.status is ErasureStatus.REJECTED
    assert scene.leaver.email == EMAIL and scene.leaver.first_name_en == NAME["first_name_en"]
    # A decided request cannot be approved afterwards.
    admin.post(f"/admin/erasures/{request.id}", data={"decision": "approve", "csrf_token": token})
    db.session.expire_all()
    assert request.status is ErasureStatus.REJECTED and scene.leaver.email == EMAIL
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("erasure."))).all()
    assert sorted(actions) == ["erasure.reject", "erasure.request"]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_an_address_another_person_registered_is_not_the_leavers_to_erase(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    from academy.privacy.erasure import former_keys

    agency = make_agency()
    leaver = make_person(agency, email="shared@example.go.th")
    add_identifier(make_person(agency), IdentifierKind.MBOX, "mailto:shared@example.go.th")
    keys = former_keys(leaver)
    assert "mbox:mailto:shared@example.go.th" not in keys
    assert {i.key for i in leaver.identifiers} <= keys
    assert f"mbox_sha1sum:{hashlib.sha1(b'mailto:shared@example.go.th').hexdigest()}" in keys
