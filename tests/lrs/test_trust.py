"""The trust model of the LRS (README, Trust model): who may void what, who reads whose statements."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from lrs.clients import NewClient, create_client
from lrs.models import LrsClient, Statement
from lrs.statements import store_statements
from lrs.versions import XapiVersion
from tests.support.lrs import Xapi, basic, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
PLAYER = {"objectType": "Agent", "name": "Academy", "account": {"homePage": "https://academy.test", "name": "player"}}


def voiding(target: str) -> dict[str, object]:
    return statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}}, object={"objectType": "StatementRef", "id": target}
    )


def auth_of(new: NewClient) -> str:
    return basic(new.client.key, new.secret)


def is_voided(statement_id: str) -> bool:
    db.session.expire_all()
    return bool(db.session.scalar(select(Statement.voided).where(Statement.id == uuid.UUID(statement_id))))


def test_a_client_cannot_void_another_clients_statement(xapi: Xapi) -> None:
    [target] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    other = create_client("Other provider", ["statements/write", "statements/read/mine"])
    response = xapi("POST", "/xapi/statements", json_body=voiding(target), auth=auth_of(other))
    assert response.status_code == 403
    assert "stored by another client" in response.get_json()["error"]
    assert not is_voided(target)
    # Nothing of the refused batch is stored, and the refusal is counted for the admins.
    assert db.session.scalar(select(Statement).where(Statement.client_id == other.client.id)) is None
    assert db.session.get(LrsClient, other.client.id).refused_voids == 1  # type: ignore[union-attr]


def test_a_client_voids_its_own_statements_and_an_admin_client_voids_any(xapi: Xapi) -> None:
    [own] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    assert xapi("POST", "/xapi/statements", json_body=voiding(own)).status_code == 200
    assert is_voided(own)
    # A voiding statement whose target is not stored is stored, as xAPI says.
    assert xapi("POST", "/xapi/statements", json_body=voiding(str(uuid.uuid4()))).status_code == 200
    [theirs] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    admin = create_client("LRS administrator", ["statements/write"], admin=True)
    assert xapi("POST", "/xapi/statements", json_body=voiding(theirs), auth=auth_of(admin)).status_code == 200
    assert is_voided(theirs)


def test_a_provider_cannot_void_the_players_statement(xapi: Xapi) -> None:
    [target] = store_statements(statement(), version=XapiVersion.V2, authority=PLAYER)
    db.session.commit()
    assert xapi("POST", "/xapi/statements", json_body=voiding(str(target))).status_code == 403
    assert not is_voided(str(target))
    # The platform itself (in-process, no client) voids any statement.
    [stored] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    store_statements(voiding(stored), version=XapiVersion.V2, authority=PLAYER)
    assert is_voided(stored)


def test_an_agency_scoped_reader_reads_only_statements_about_its_people(
    xapi: Xapi, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    ministry = make_agency("31")
    department, elsewhere = make_agency("31001", parent=ministry), make_agency("32")
    ours, theirs = make_person(department), make_person(elsewhere)
    add_identifier(ours, IdentifierKind.MBOX, "mailto:ours@example.go.th")
    add_identifier(theirs, IdentifierKind.MBOX, "mailto:theirs@example.go.th")
    [about_ours] = xapi(
        "POST", "/xapi/statements", json_body=statement(actor={"mbox": "mailto:ours@example.go.th"})
    ).get_json()
    [about_theirs] = xapi(
        "POST", "/xapi/statements", json_body=statement(actor={"mbox": "mailto:theirs@example.go.th"})
    ).get_json()
    reader = create_client("Ministry 31 dashboard", ["statements/read"], agency_code="31")
    found = xapi("GET", "/xapi/statements", auth=auth_of(reader)).get_json()
    assert [s["id"] for s in found["statements"]] == [about_ours]
    assert xapi("GET", f"/xapi/statements?statementId={about_theirs}", auth=auth_of(reader)).status_code == 404
    assert xapi("GET", f"/xapi/statements?statementId={about_ours}", auth=auth_of(reader)).status_code == 200
    # An unscoped reader reads both.
    both = xapi("GET", "/xapi/statements").get_json()["statements"]
    assert {s["id"] for s in both} == {about_ours, about_theirs}


def test_the_clients_page_shows_refused_voids(
    xapi: Xapi, client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    [target] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    other = create_client("Other provider", ["statements/write"])
    for _attempt in range(2):
        assert xapi("POST", "/xapi/statements", json_body=voiding(target), auth=auth_of(other)).status_code == 403
    login(make_user(Role.ADMIN))
    body = client.get("/admin/lrs-clients").get_data(as_text=True)
    assert f'<td data-refused-voids="{other.client.key}">2</td>' in body


def test_an_admin_creates_an_agency_scoped_admin_client(
    client: FlaskClient,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    from tests.support.app import csrf_token

    agency = make_agency("33")
    login(make_user(Role.ADMIN))
    page = "/admin/lrs-clients"
    data = {"name": "Ministry 33 LRS", "scopes": ["statements/write"], "agency": "33", "admin": "y"}
    response = client.post(page, data={**data, "csrf_token": csrf_token(client, page)})
    assert response.status_code == 200
    made = db.session.scalar(select(LrsClient).where(LrsClient.name == "Ministry 33 LRS"))
    assert made is not None and (made.agency_id, made.admin) == (agency.id, True)
    unknown = client.post(page, data={**data, "agency": "99999", "csrf_token": csrf_token(client, page)})
    assert unknown.status_code == 400 and "no agency has the code 99999" in unknown.get_data(as_text=True)


def test_the_cli_creates_admin_and_agency_scoped_clients(app: Flask, make_agency: Callable[..., Agency]) -> None:
    agency = make_agency("34")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["academy", "lrs-client", "create", "--name", "Ministry 34", "--scope", "all", "--agency", "34", "--admin"]
    )
    assert result.exit_code == 0, result.output
    made = db.session.scalar(select(LrsClient).where(LrsClient.name == "Ministry 34"))
    assert made is not None and (made.agency_id, made.admin) == (agency.id, True)
    unknown = runner.invoke(args=["academy", "lrs-client", "create", "--name", "X", "--scope", "all", "--agency", "0"])
    assert unknown.exit_code != 0 and "no agency has the code 0" in unknown.output
    listed = runner.invoke(args=["academy", "lrs-client", "list"]).output
    assert "admin" in listed and "refused-voids=0" in listed


# --- documents: an agency-scoped client sees and changes only its people's --------------------------

ACTIVITY = "https://academy.test/courses/digital-literacy"
OURS = {"objectType": "Agent", "mbox": "mailto:doc-ours@example.go.th"}
THEIRS = {"objectType": "Agent", "mbox": "mailto:doc-theirs@example.go.th"}
NOBODYS = {"objectType": "Agent", "mbox": "mailto:doc-nobody@example.go.th"}
STATE = "/xapi/activities/state"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY_PROFILE = "/xapi/activities/profile"


def state_of(agent: dict[str, str], state_id: str | None = "bookmark") -> dict[str, str]:
    params = {"activityId": ACTIVITY, "agent": json.dumps(agent)}
    if state_id is not None:
        params["stateId"] = state_id
    return params


def profile_of(agent: dict[str, str], profile_id: str | None = "preferences") -> dict[str, str]:
    params = {"agent": json.dumps(agent)}
    if profile_id is not None:
        params["profileId"] = profile_id
    return params


@pytest.fixture
def agency_reader(make_agency: Callable[..., Agency], make_person: Callable[..., Person]) -> str:
    """The credentials of a client scoped to ministry 41; OURS is a person of its department, THEIRS of 42's."""
    ministry = make_agency("41")
    department, elsewhere = make_agency("41001", parent=ministry), make_agency("42")
    add_identifier(make_person(department), IdentifierKind.MBOX, OURS["mbox"])
    add_identifier(make_person(elsewhere), IdentifierKind.MBOX, THEIRS["mbox"])
    return auth_of(create_client("Ministry 41 LMS", ["state", "profile", "statements/read"], agency_code="41"))


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_an_agency_scoped_client_sees_and_changes_only_the_state_of_its_people(
    xapi: Xapi, agency_reader: str, version: str
) -> None:
    for agent, body in ((OURS, b'{"page": 1}'), (THEIRS, b'{"page": 2}'), (NOBODYS, b'{"page": 3}')):
        assert (
            xapi("PUT", STATE, query_string=state_of(agent), data=body, content_type="application/json").status_code
            == 204
        )

    def send(method: str, agent: dict[str, str], state_id: str | None = "bookmark", **kwargs: object) -> TestResponse:
        return xapi(
            method, STATE, query_string=state_of(agent, state_id), auth=agency_reader, version=version, **kwargs
        )

    # Its own person's state: read, listed, changed, deleted.
    assert send("GET", OURS).get_data() == b'{"page": 1}'
    assert send("GET", OURS, None).get_json() == ["bookmark"]
    assert send("POST", OURS, data=b'{"seen": true}', content_type="application/json").status_code == 204
    assert send("GET", OURS).get_json() == {"page": 1, "seen": True}
    assert send("DELETE", OURS).status_code == 204
    assert send("GET", OURS).status_code == 404
    # Another agency's person, and an agent who is nobody's: as if there were no document, as for statements.
    for agent in (THEIRS, NOBODYS):
        missing = send("GET", agent)
        assert missing.status_code == 404
        assert missing.get_json() == {"error": "no document has the id 'bookmark' here"}
        assert send("HEAD", agent).status_code == 404
        assert send("GET", agent, None).get_json() == []
        for method in ("PUT", "POST"):
            refused = send(
                method, agent, data=b'{"page": 9}', content_type="application/json", headers={"If-Match": "*"}
            )
            assert refused.status_code == 403
            assert "only the documents of its people" in refused.get_json()["error"]
        assert send("DELETE", agent).status_code == 403
        assert send("DELETE", agent, None).status_code == 403
    # Nothing of theirs changed; the unscoped client still reads every document.
    assert xapi("GET", STATE, query_string=state_of(THEIRS)).get_data() == b'{"page": 2}'
    assert xapi("GET", STATE, query_string=state_of(NOBODYS)).get_data() == b'{"page": 3}'


def test_an_agency_scoped_client_sees_and_changes_only_the_agent_profiles_of_its_people(
    xapi: Xapi, agency_reader: str
) -> None:
    for agent in (OURS, THEIRS):
        created = xapi(
            "PUT",
            AGENT_PROFILE,
            query_string=profile_of(agent),
            json_body={"lang": "th"},
            headers={"If-None-Match": "*"},
        )
        assert created.status_code == 204

    def send(
        method: str, agent: dict[str, str], profile_id: str | None = "preferences", **kwargs: object
    ) -> TestResponse:
        return xapi(method, AGENT_PROFILE, query_string=profile_of(agent, profile_id), auth=agency_reader, **kwargs)

    assert send("GET", OURS).get_json() == {"lang": "th"}
    assert send("GET", OURS, None).get_json() == ["preferences"]
    assert send("PUT", OURS, json_body={"lang": "en"}, headers={"If-Match": "*"}).status_code == 204
    assert send("GET", THEIRS).status_code == 404
    assert send("GET", THEIRS, None).get_json() == []
    assert send("PUT", THEIRS, json_body={"lang": "en"}, headers={"If-Match": "*"}).status_code == 403
    assert send("POST", THEIRS, json_body={"lang": "en"}).status_code == 403
    assert send("DELETE", THEIRS).status_code == 403
    assert xapi("GET", AGENT_PROFILE, query_string=profile_of(THEIRS)).get_json() == {"lang": "th"}
    assert xapi("GET", AGENT_PROFILE, query_string=profile_of(OURS)).get_json() == {"lang": "en"}


def test_an_agency_scoped_client_reads_activity_profiles_but_does_not_change_them(
    xapi: Xapi, agency_reader: str
) -> None:
    params = {"activityId": ACTIVITY, "profileId": "syllabus"}
    assert (
        xapi(
            "PUT", ACTIVITY_PROFILE, query_string=params, json_body={"weeks": 4}, headers={"If-None-Match": "*"}
        ).status_code
        == 204
    )
    assert xapi("GET", ACTIVITY_PROFILE, query_string=params, auth=agency_reader).get_json() == {"weeks": 4}
    assert xapi("GET", ACTIVITY_PROFILE, query_string={"activityId": ACTIVITY}, auth=agency_reader).get_json() == [
        "syllabus"
    ]
    for method in ("PUT", "POST"):
        refused = xapi(
            method,
            ACTIVITY_PROFILE,
            query_string=params,
            json_body={"weeks": 1},
            headers={"If-Match": "*"},
            auth=agency_reader,
        )
        assert refused.status_code == 403
        assert "do not change them" in refused.get_json()["error"]
    assert xapi("DELETE", ACTIVITY_PROFILE, query_string=params, auth=agency_reader).status_code == 403
    assert xapi("GET", ACTIVITY_PROFILE, query_string=params).get_json() == {"weeks": 4}
    # The unscoped client changes it.
    assert (
        xapi(
            "PUT", ACTIVITY_PROFILE, query_string=params, json_body={"weeks": 5}, headers={"If-Match": "*"}
        ).status_code
        == 204
    )
