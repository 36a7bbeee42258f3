"""The other xAPI resources and the LRS around them: Activities, Agents, About, the 1.0.3 alternate
request syntax, version negotiation, CORS, the lrs-client CLI, the pipeline hook and in-process storing."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import User
from academy.db import db
from lrs.clients import get_client
from lrs.errors import StatementError
from lrs.models import Statement
from lrs.pipeline import StoredBatch, register_subscriber
from lrs.statements import store_statements
from lrs.versions import XapiVersion
from tests.support.lrs import Xapi, basic, statement

VERSIONS = ["1.0.3", "2.0.0"]
ACTIVITY = "https://academy.test/courses/digital-literacy"
AGENT = {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.go.th"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def defining(activity_id: str, **definition: Any) -> dict[str, Any]:
    return statement(object={"objectType": "Activity", "id": activity_id, "definition": definition})


# --- Activities ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_activity_definition_merges_the_languages_of_two_statements(xapi: Xapi, version: str) -> None:
    activity_id = "https://academy.test/courses/merged"
    xapi("POST", "/xapi/statements", json_body=defining(activity_id, name={"en-US": "Data"}), version=version)
    xapi("POST", "/xapi/statements", json_body=defining(activity_id, name={"th-TH": "ข้อมูล"}), version=version)
    response = xapi("GET", "/xapi/activities", query_string={"activityId": activity_id}, version=version)
    assert response.status_code == 200
    body = response.get_json()
    assert body["objectType"] == "Activity" and body["id"] == activity_id
    assert body["definition"]["name"] == {"en-US": "Data", "th-TH": "ข้อมูล"}


def test_activity_definition_takes_the_later_text_of_a_language(xapi: Xapi) -> None:
    activity_id = "https://academy.test/courses/renamed"
    xapi("POST", "/xapi/statements", json_body=defining(activity_id, name={"en-US": "Old name"}))
    xapi("POST", "/xapi/statements", json_body=defining(activity_id, name={"en-US": "New name"}))
    body = xapi("GET", "/xapi/activities", query_string={"activityId": activity_id}).get_json()
    assert body["definition"]["name"] == {"en-US": "New name"}


def test_activity_defined_in_context_activities_is_known(xapi: Xapi) -> None:
    parent = {"id": "https://academy.test/programmes/digital", "definition": {"name": {"en-US": "Digital programme"}}}
    xapi("POST", "/xapi/statements", json_body=statement(context={"contextActivities": {"parent": [parent]}}))
    body = xapi("GET", "/xapi/activities", query_string={"activityId": parent["id"]}).get_json()
    assert body["definition"] == parent["definition"]


def test_activity_definition_of_a_client_without_define_scope_is_not_adopted(
    xapi: Xapi, make_credentials: Callable[..., str]
) -> None:
    activity_id = "https://academy.test/courses/undefined"
    writer = make_credentials("statements/write")
    response = xapi("POST", "/xapi/statements", json_body=defining(activity_id, name={"en-US": "X"}), auth=writer)
    assert response.status_code == 200
    body = xapi("GET", "/xapi/activities", query_string={"activityId": activity_id}).get_json()
    assert body == {"objectType": "Activity", "id": activity_id}


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_activity_is_an_activity_without_definition(xapi: Xapi, version: str) -> None:
    activity_id = "https://academy.test/courses/never-mentioned"
    response = xapi("GET", "/xapi/activities", query_string={"activityId": activity_id}, version=version)
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Activity", "id": activity_id}


def test_activities_without_activity_id_is_400(xapi: Xapi) -> None:
    assert xapi("GET", "/xapi/activities").status_code == 400


def test_activities_with_an_activity_id_that_is_not_an_iri_is_400(xapi: Xapi) -> None:
    assert xapi("GET", "/xapi/activities", query_string={"activityId": "not an iri"}).status_code == 400


def test_activities_answer_get_only(xapi: Xapi) -> None:
    response = xapi("POST", "/xapi/activities", query_string={"activityId": ACTIVITY}, json_body={})
    assert response.status_code == 405


# --- Agents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_agents_returns_a_person_with_arrays(xapi: Xapi, version: str) -> None:
    response = xapi("GET", "/xapi/agents", query_string={"agent": json.dumps(AGENT)}, version=version)
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Person",
        "name": ["Somchai"],
        "mbox": ["mailto:somchai@example.go.th"],
    }


def test_agents_returns_an_account_as_an_array(xapi: Xapi) -> None:
    account = {"homePage": "https://academy.test", "name": "somchai"}
    response = xapi("GET", "/xapi/agents", query_string={"agent": json.dumps({"account": account})})
    assert response.get_json() == {"objectType": "Person", "account": [account]}


def test_agents_without_agent_is_400(xapi: Xapi) -> None:
    assert xapi("GET", "/xapi/agents").status_code == 400


@pytest.mark.parametrize("agent", ["{not json", json.dumps({"name": "Somchai"}), json.dumps({"mbox": "somchai"})])
def test_agents_with_an_invalid_agent_is_400(xapi: Xapi, agent: str) -> None:
    assert xapi("GET", "/xapi/agents", query_string={"agent": agent}).status_code == 400


# --- About ---------------------------------------------------------------------------------------


def test_about_lists_both_versions(client: FlaskClient) -> None:
    body = client.get("/xapi/about").get_json()
    assert {"1.0.3", "2.0.0"} <= set(body["version"])


def test_about_needs_neither_credentials_nor_version_header(client: FlaskClient) -> None:
    response = client.get("/xapi/about")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"


def test_about_ignores_bad_credentials(client: FlaskClient) -> None:
    response = client.get("/xapi/about", headers={"Authorization": "Basic bm9wZTpub3Bl"})
    assert response.status_code == 200


def test_about_answers_get_only(client: FlaskClient) -> None:
    assert client.post("/xapi/about", headers={"X-Experience-API-Version": "2.0.0"}).status_code == 405


# --- Alternate request syntax (1.0.3) ------------------------------------------------------------


def alternate_form(auth: str, version: str = "1.0.3", **fields: str) -> dict[str, str]:
    return {"Authorization": auth, "X-Experience-API-Version": version, **fields}


def test_alternate_put_stores_the_statement(
    client: FlaskClient, xapi: Xapi, make_credentials: Callable[..., str]
) -> None:
    statement_id = str(uuid.uuid4())
    form = alternate_form(make_credentials("all"), statementId=statement_id, content=json.dumps(statement()))
    response = client.post("/xapi/statements?method=PUT", data=form)
    assert response.status_code == 204, response.get_data(as_text=True)
    stored = xapi("GET", f"/xapi/statements?statementId={statement_id}", version="1.0.3")
    assert stored.status_code == 200 and stored.get_json()["verb"]["id"].endswith("/completed")


def test_alternate_put_with_a_content_type_field_stores_the_statement(
    client: FlaskClient, make_credentials: Callable[..., str]
) -> None:
    form = alternate_form(
        make_credentials("all"),
        statementId=str(uuid.uuid4()),
        content=json.dumps(statement()),
        **{"Content-Type": "application/json"},
    )
    assert client.post("/xapi/statements?method=PUT", data=form).status_code == 204


def test_alternate_get_reads_a_state_document(
    client: FlaskClient, xapi: Xapi, make_credentials: Callable[..., str]
) -> None:
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "bookmark"}
    xapi("PUT", "/xapi/activities/state", query_string=params, json_body={"page": 3}, version="1.0.3")
    response = client.post("/xapi/activities/state?method=GET", data=alternate_form(make_credentials("all"), **params))
    assert response.status_code == 200 and response.get_json() == {"page": 3}


def test_alternate_syntax_with_other_query_parameters_is_400(
    client: FlaskClient, make_credentials: Callable[..., str]
) -> None:
    statement_id = str(uuid.uuid4())
    form = alternate_form(make_credentials("all"), content=json.dumps(statement()))
    response = client.post(f"/xapi/statements?method=PUT&statementId={statement_id}", data=form)
    assert response.status_code == 400


def test_alternate_syntax_is_400_in_2_0(client: FlaskClient, make_credentials: Callable[..., str]) -> None:
    form = alternate_form(
        make_credentials("all"), "2.0.0", statementId=str(uuid.uuid4()), content=json.dumps(statement())
    )
    response = client.post("/xapi/statements?method=PUT", data=form)
    assert response.status_code == 400


def test_alternate_syntax_needs_a_form_body(client: FlaskClient, make_credentials: Callable[..., str]) -> None:
    headers = {"Authorization": make_credentials("all"), "X-Experience-API-Version": "1.0.3"}
    response = client.post("/xapi/statements?method=GET", headers=headers, json={})
    assert response.status_code == 400


def test_alternate_syntax_with_an_unknown_method_is_400(
    client: FlaskClient, make_credentials: Callable[..., str]
) -> None:
    response = client.post("/xapi/statements?method=PATCH", data=alternate_form(make_credentials("all")))
    assert response.status_code == 400


def test_alternate_syntax_checks_the_credentials_in_the_form(client: FlaskClient) -> None:
    response = client.post("/xapi/statements?method=GET", data=alternate_form("Basic bm9wZTpub3Bl"))
    assert response.status_code == 401


# --- Versions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_request_without_version_answers_400_in_the_clients_last_version(
    xapi: Xapi, make_credentials: Callable[..., str], version: str
) -> None:
    auth = make_credentials("all")
    assert xapi("GET", "/xapi/statements", auth=auth, version=version).status_code == 200
    response = xapi("GET", "/xapi/statements", auth=auth, version="")
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Version"] == version


def test_request_without_version_from_a_new_client_answers_in_2_0(
    xapi: Xapi, make_credentials: Callable[..., str]
) -> None:
    response = xapi("GET", "/xapi/statements", auth=make_credentials("all"), version="")
    assert response.status_code == 400 and response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize(("sent", "answered"), [("1.0", "1.0.3"), ("1.0.0", "1.0.3"), ("2.0", "2.0.0")])
def test_a_version_is_answered_with_its_latest_patch(xapi: Xapi, sent: str, answered: str) -> None:
    response = xapi("GET", "/xapi/statements", version=sent)
    assert response.status_code == 200 and response.headers["X-Experience-API-Version"] == answered


@pytest.mark.parametrize("version", ["0.95", "1.1.0", "3.0.0", "latest"])
def test_an_unsupported_version_is_400(xapi: Xapi, version: str) -> None:
    assert xapi("GET", "/xapi/statements", version=version).status_code == 400


@pytest.mark.parametrize(
    "path", ["/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile", "/xapi/activities"]
)
def test_document_resources_need_the_version_header(xapi: Xapi, path: str) -> None:
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
    if path == "/xapi/agents/profile":
        params.pop("activityId")
    assert xapi("GET", path, query_string=params, version="").status_code == 400


# --- CORS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/xapi/statements", "/xapi/activities/state", "/xapi/agents/profile"])
def test_cors_preflight_allows_the_xapi_methods_and_headers(client: FlaskClient, path: str) -> None:
    response = client.options(
        path,
        headers={
            "Origin": "https://content.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, if-match, x-experience-api-version",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "PUT", "POST", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match", "x-experience-api-version"} <= allowed


def test_cors_exposes_the_xapi_response_headers(client: FlaskClient) -> None:
    response = client.options("/xapi/activities/state", headers={"Origin": "https://content.example"})
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    expected = {"etag", "last-modified", "x-experience-api-version", "x-experience-api-consistent-through"}
    assert expected <= exposed


def test_cors_headers_are_on_errors_too(client: FlaskClient) -> None:
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- lrs-client CLI ------------------------------------------------------------------------------


def create_with_cli(app: Flask, *scopes: str) -> tuple[str, str]:
    args = ["academy", "lrs-client", "create", "--name", "CLI provider"]
    for scope in scopes:
        args += ["--scope", scope]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    key = re.search(r"^key\s+(\S+)$", result.output, re.MULTILINE)
    secret = re.search(r"^secret\s+(\S+)$", result.output, re.MULTILINE)
    assert key and secret, result.output
    return key.group(1), secret.group(1)


def test_cli_created_credentials_authenticate(app: Flask, xapi: Xapi) -> None:
    key, secret = create_with_cli(app, "statements/write")
    response = xapi("POST", "/xapi/statements", json_body=statement(), auth=basic(key, secret))
    assert response.status_code == 200


def test_cli_created_credentials_have_only_their_scopes(app: Flask, xapi: Xapi) -> None:
    key, secret = create_with_cli(app, "statements/write")
    assert xapi("GET", "/xapi/statements", auth=basic(key, secret)).status_code == 403


def test_cli_revoked_credentials_answer_401(app: Flask, xapi: Xapi) -> None:
    key, secret = create_with_cli(app, "statements/write")
    result = app.test_cli_runner().invoke(args=["academy", "lrs-client", "revoke", key])
    assert result.exit_code == 0, result.output
    response = xapi("POST", "/xapi/statements", json_body=statement(), auth=basic(key, secret))
    assert response.status_code == 401


def test_cli_rejects_an_unknown_scope(app: Flask) -> None:
    args = ["academy", "lrs-client", "create", "--name", "X", "--scope", "statements/everything"]
    assert app.test_cli_runner().invoke(args=args).exit_code != 0


def test_cli_revoke_of_an_unknown_key_fails(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["academy", "lrs-client", "revoke", "no-such-key"])
    assert result.exit_code != 0 and "no-such-key" in result.output


def test_cli_lists_clients_with_their_state(app: Flask) -> None:
    key, _secret = create_with_cli(app, "statements/write")
    app.test_cli_runner().invoke(args=["academy", "lrs-client", "revoke", key])
    listing = app.test_cli_runner().invoke(args=["academy", "lrs-client", "list"]).output
    [line] = [line for line in listing.splitlines() if line.startswith(key)]
    assert "revoked" in line


# --- the pipeline hook ---------------------------------------------------------------------------

Received = list[tuple[StoredBatch, list[str | None]]]


@pytest.fixture
def received(app: Flask) -> Iterator[Received]:
    """Register a subscriber for the test; yield what it received: each batch, and the ids of the
    rows it could read back through the session while it ran."""
    batches: list[tuple[StoredBatch, list[str | None]]] = []

    def subscriber(batch: StoredBatch) -> None:
        found = [
            db.session.scalar(select(Statement.id).where(Statement.id == uuid.UUID(s["id"]))) for s in batch.statements
        ]
        batches.append((batch, [str(i) if i is not None else None for i in found]))

    projection = register_subscriber(app, subscriber)
    try:
        yield batches
    finally:
        app.extensions["lrs.projections"].remove(projection)


def test_subscriber_receives_the_stored_statements_of_a_post(xapi: Xapi, received: Received) -> None:
    ids = xapi("POST", "/xapi/statements", json_body=[statement(), statement()]).get_json()
    [(batch, _rows)] = received
    assert [s["id"] for s in batch.statements] == ids
    assert all(s["stored"] and s["authority"] for s in batch.statements)
    assert list(batch.voided_ids) == []


def test_subscriber_sees_the_stored_rows_in_the_same_transaction(xapi: Xapi, received: Received) -> None:
    [statement_id] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    [(_batch, found)] = received
    assert found == [statement_id]


def test_subscriber_receives_the_voided_ids(xapi: Xapi, received: Received) -> None:
    [target] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    voiding = statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}}, object={"objectType": "StatementRef", "id": target}
    )
    xapi("POST", "/xapi/statements", json_body=voiding)
    assert [str(i) for i in received[-1][0].voided_ids] == [target]


def test_subscriber_is_not_called_for_a_rejected_batch(xapi: Xapi, received: Received) -> None:
    bad = statement(actor={"mbox": "somchai@example.go.th"})
    assert xapi("POST", "/xapi/statements", json_body=[statement(), bad]).status_code == 400
    assert received == []


def test_subscriber_receives_nothing_new_for_a_repeated_statement(xapi: Xapi, received: Received) -> None:
    statement_id = str(uuid.uuid4())
    xapi("PUT", f"/xapi/statements?statementId={statement_id}", json_body=statement())
    xapi("PUT", f"/xapi/statements?statementId={statement_id}", json_body=statement())
    assert [len(batch.statements) for batch, _rows in received] == [1, 0]


# --- storing in process --------------------------------------------------------------------------

AUTHORITY = {
    "objectType": "Agent",
    "name": "Course player",
    "account": {"homePage": "https://academy.test", "name": "player"},
}


def test_store_statements_stores_without_http() -> None:
    [statement_id] = store_statements(statement(), version=XapiVersion.V2, authority=AUTHORITY)
    row = db.session.scalar(select(Statement).where(Statement.id == statement_id))
    assert row is not None
    assert row.payload["authority"] == AUTHORITY and row.payload["version"] == "2.0.0"
    assert row.payload["stored"] and row.client_id is None


def test_store_statements_returns_the_ids_in_order() -> None:
    given = [str(uuid.uuid4()), str(uuid.uuid4())]
    ids = store_statements([statement(id=i) for i in given], version=XapiVersion.V2, authority=AUTHORITY)
    assert [str(i) for i in ids] == given


def test_store_statements_are_visible_over_http(xapi: Xapi) -> None:
    [statement_id] = store_statements(statement(), version=XapiVersion.V1, authority=AUTHORITY)
    response = xapi("GET", f"/xapi/statements?statementId={statement_id}", version="1.0.3")
    assert response.status_code == 200 and response.get_json()["authority"] == AUTHORITY


def test_store_statements_rejects_an_invalid_statement() -> None:
    with pytest.raises(StatementError):
        store_statements(statement(verb={"id": "not an iri"}), version=XapiVersion.V2, authority=AUTHORITY)
    assert db.session.scalars(select(Statement)).all() == []


def test_store_statements_publishes_to_subscribers(received: Received) -> None:
    [statement_id] = store_statements(statement(), version=XapiVersion.V2, authority=AUTHORITY)
    [(batch, found)] = received
    assert batch.statements[0]["id"] == str(statement_id) and found == [str(statement_id)]


def test_admins_create_and_revoke_clients_in_a_page(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    from academy.auth.models import Role
    from tests.support.app import csrf_token

    login(make_user(Role.ADMIN))
    page = "/admin/lrs-clients"
    response = client.post(
        page,
        data={
            "name": "Thai MOOC",
            "scopes": ["statements/write", "statements/read/mine"],
            "csrf_token": csrf_token(client, page),
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    key = re.search(r"<dt>[^<]+</dt><dd><code>([0-9a-f]{32})</code>", body)
    assert key and "Thai MOOC" in body
    revoked = client.post(f"{page}/{key.group(1)}/revoke", data={"csrf_token": csrf_token(client, page)})
    assert revoked.status_code == 302
    assert get_client(key.group(1)).active is False  # type: ignore[union-attr]


def test_learners_cannot_see_the_clients_page(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    assert login(make_user()).get("/admin/lrs-clients").status_code == 403
