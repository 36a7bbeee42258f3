"""The Statements resource over HTTP: store, conflict, query, voiding, scopes, versions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from academy.db import db
from lrs.models import Statement
from lrs.statements import load_statements
from tests.support.lrs import Xapi, statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://academy.test", "name": "loader"}}


def test_about_needs_no_credentials(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert "2.0.0" in response.get_json()["version"] and "1.0.3" in response.get_json()["version"]


def test_requests_need_the_version_header(xapi: Xapi) -> None:
    response = xapi("GET", "/xapi/statements", version="")
    assert response.status_code == 400 and "X-Experience-API-Version" in response.get_json()["error"]
    assert xapi("GET", "/xapi/statements", version="0.9").status_code == 400


def test_requests_need_credentials(xapi: Xapi) -> None:
    response = xapi("GET", "/xapi/statements", auth="Basic bm9wZTpub3Bl")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_post_then_get_by_id(xapi: Xapi, version: str) -> None:
    response = xapi("POST", "/xapi/statements", json_body=statement(), version=version)
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()
    fetched = xapi("GET", f"/xapi/statements?statementId={statement_id}", version=version)
    assert fetched.status_code == 200
    body = fetched.get_json()
    assert body["id"] == statement_id and body["stored"] and body["timestamp"]
    assert body["authority"]["objectType"] == "Agent"
    assert body["version"] == ("2.0.0" if version == "2.0.0" else "1.0.0")
    assert fetched.headers["X-Experience-API-Version"] == version
    assert "X-Experience-API-Consistent-Through" in fetched.headers


def test_put_with_the_same_content_is_accepted_once(xapi: Xapi) -> None:
    statement_id = str(uuid.uuid4())
    assert xapi("PUT", f"/xapi/statements?statementId={statement_id}", json_body=statement()).status_code == 204
    assert xapi("PUT", f"/xapi/statements?statementId={statement_id}", json_body=statement()).status_code == 204
    different = statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"})
    response = xapi("PUT", f"/xapi/statements?statementId={statement_id}", json_body=different)
    assert response.status_code == 409 and statement_id in response.get_json()["error"]
    result = xapi("GET", "/xapi/statements").get_json()
    assert [s["id"] for s in result["statements"]] == [statement_id]


def test_a_batch_with_one_bad_statement_stores_nothing(xapi: Xapi) -> None:
    bad = statement(actor={"objectType": "Agent", "mbox": "somchai@example.go.th"})
    response = xapi("POST", "/xapi/statements", json_body=[statement(), bad])
    assert response.status_code == 400
    assert "mbox" in response.get_json()["error"]
    assert xapi("GET", "/xapi/statements").get_json()["statements"] == []


def test_voiding_hides_the_statement_from_queries(xapi: Xapi) -> None:
    [target] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
    )
    assert xapi("POST", "/xapi/statements", json_body=voiding).status_code == 200
    assert xapi("GET", f"/xapi/statements?statementId={target}").status_code == 404
    assert xapi("GET", f"/xapi/statements?voidedStatementId={target}").status_code == 200
    ids = [s["id"] for s in xapi("GET", "/xapi/statements").get_json()["statements"]]
    assert target not in ids


def test_filters_by_agent_verb_and_activity(xapi: Xapi) -> None:
    other_actor = {"objectType": "Agent", "mbox": "mailto:somsri@example.go.th"}
    xapi(
        "POST",
        "/xapi/statements",
        json_body=[
            statement(),
            statement(actor=other_actor),
            statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}),
        ],
    )
    by_agent = xapi("GET", '/xapi/statements?agent={"mbox":"mailto:somsri@example.go.th"}').get_json()
    assert len(by_agent["statements"]) == 1
    by_verb = xapi("GET", "/xapi/statements?verb=http://adlnet.gov/expapi/verbs/attempted").get_json()
    assert len(by_verb["statements"]) == 1
    by_activity = xapi("GET", "/xapi/statements?activity=https://academy.test/courses/digital-literacy").get_json()
    assert len(by_activity["statements"]) == 3


def test_more_link_pages_through_results(xapi: Xapi) -> None:
    xapi("POST", "/xapi/statements", json_body=[statement() for _ in range(5)])
    first = xapi("GET", "/xapi/statements?limit=2").get_json()
    assert len(first["statements"]) == 2 and first["more"]
    second = xapi("GET", first["more"]).get_json()
    third = xapi("GET", second["more"]).get_json()
    assert len(second["statements"]) == 2 and len(third["statements"]) == 1 and third["more"] == ""
    ids = [s["id"] for page in (first, second, third) for s in page["statements"]]
    assert len(set(ids)) == 5


def test_a_query_by_time_alone_pages_in_stored_order(xapi: Xapi) -> None:
    """since/until alone: ordered by stored (then pk), however the pks fell, and paged without loss."""
    late, early = datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC)
    # The later moment's statements are loaded first: their pks are the smaller ones.
    ids = {moment: [uuid.uuid4() for _ in range(3)] for moment in (late, early)}
    for moment, batch in ids.items():
        load_statements([statement(id=str(i)) for i in batch], stored=moment, authority=AUTHORITY)
    outside = uuid.uuid4()
    load_statements([statement(id=str(outside))], stored=datetime(2026, 3, 5, tzinfo=UTC), authority=AUTHORITY)
    db.session.flush()
    window = "since=2026-02-28T00:00:00Z&until=2026-03-03T00:00:00Z"
    newest_first = [
        s["id"] for page in pages(xapi, f"/xapi/statements?{window}&limit=2", "1.0.3") for s in page["statements"]
    ]
    by_pk = {str(i): n for n, i in enumerate([*ids[late], *ids[early]])}
    assert newest_first[:3] == sorted((str(i) for i in ids[late]), key=by_pk.__getitem__, reverse=True)
    assert newest_first[3:] == sorted((str(i) for i in ids[early]), key=by_pk.__getitem__, reverse=True)
    oldest_first = pages(xapi, f"/xapi/statements?{window}&limit=4&ascending=true", "1.0.3")
    assert [s["id"] for page in oldest_first for s in page["statements"]] == newest_first[::-1]
    assert [len(page["statements"]) for page in oldest_first] == [4, 2]
    # A voided statement leaves the page (the index of the time holds unvoided statements only).
    db.session.execute(update(Statement).where(Statement.id == uuid.UUID(newest_first[0])).values(voided=True))
    db.session.flush()
    after_void = xapi("GET", f"/xapi/statements?{window}").get_json()["statements"]
    assert [s["id"] for s in after_void] == newest_first[1:]


THAI = "th-TH"


def described(**overrides: Any) -> dict[str, Any]:
    """A statement with names and displays in two languages, so that each format shows."""
    return statement(
        id=str(uuid.uuid4()),
        verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", THAI: "สำเร็จ"}},
        **overrides,
    )


def pages(xapi: Xapi, link: str, version: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every page of a query, following its more links."""
    result = []
    while link:
        response = xapi("GET", link, version=version, headers=headers)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
        result.append(response.get_json())
        link = result[-1]["more"]
    return result


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("fmt", ["exact", "ids", "canonical"])
def test_more_link_continues_the_format_of_the_query(xapi: Xapi, version: str, fmt: str) -> None:
    xapi("POST", "/xapi/statements", json_body=[described() for _ in range(5)], version=version)
    found = pages(xapi, f"/xapi/statements?limit=2&format={fmt}", version, {"Accept-Language": THAI})
    assert [len(page["statements"]) for page in found] == [2, 2, 1]
    for page in found:
        for got in page["statements"]:
            if fmt == "ids":
                assert "name" not in got["actor"] and "display" not in got["verb"]
                assert got["object"] == {"id": "https://academy.test/courses/digital-literacy"}
            elif fmt == "canonical":
                assert got["verb"]["display"] == {THAI: "สำเร็จ"}
                assert got["object"]["definition"]["name"] == {THAI: "การรู้ดิจิทัล"}
            else:
                assert got["verb"]["display"] == {"en-US": "completed", THAI: "สำเร็จ"}
                assert got["object"]["definition"]["name"] == {"en-US": "Digital Literacy", THAI: "การรู้ดิจิทัล"}


def test_more_link_of_a_canonical_query_keeps_its_languages(xapi: Xapi) -> None:
    xapi("POST", "/xapi/statements", json_body=[described() for _ in range(3)])
    first = xapi("GET", "/xapi/statements?limit=2&format=canonical", headers={"Accept-Language": THAI}).get_json()
    # The link is followed without Accept-Language: it continues the query as asked.
    second = xapi("GET", first["more"]).get_json()
    assert [s["verb"]["display"] for s in second["statements"]] == [{THAI: "สำเร็จ"}]


def test_read_mine_sees_only_its_own_statements(xapi: Xapi, make_credentials: Callable[..., str]) -> None:
    mine = make_credentials("statements/write", "statements/read/mine", name="Mine")
    theirs = make_credentials("statements/write", "statements/read/mine", name="Theirs")
    [own_id] = xapi("POST", "/xapi/statements", json_body=statement(), auth=mine).get_json()
    [other_id] = xapi("POST", "/xapi/statements", json_body=statement(), auth=theirs).get_json()
    listed = [s["id"] for s in xapi("GET", "/xapi/statements", auth=mine).get_json()["statements"]]
    assert listed == [own_id]
    assert xapi("GET", f"/xapi/statements?statementId={other_id}", auth=mine).status_code == 404


def test_write_only_credentials_cannot_read(xapi: Xapi, make_credentials: Callable[..., str]) -> None:
    writer = make_credentials("statements/write")
    assert xapi("POST", "/xapi/statements", json_body=statement(), auth=writer).status_code == 200
    assert xapi("GET", "/xapi/statements", auth=writer).status_code == 403


def test_cors_preflight_is_answered(client) -> None:  # type: ignore[no-untyped-def]
    response = client.options(
        "/xapi/statements", headers={"Origin": "https://content.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Version" in response.headers["Access-Control-Allow-Headers"]


def test_cors_preflight_may_be_cached(client) -> None:  # type: ignore[no-untyped-def]
    response = client.options(
        "/xapi/statements", headers={"Origin": "https://content.example", "Access-Control-Request-Method": "PUT"}
    )
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_an_unknown_path_under_xapi_is_404_with_cors_headers(xapi: Xapi) -> None:
    response = xapi("GET", "/xapi/no-such-resource")
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Version" in response.headers["Access-Control-Expose-Headers"]


def test_a_204_carries_no_content_type(xapi: Xapi) -> None:
    response = xapi("PUT", f"/xapi/statements?statementId={uuid.uuid4()}", json_body=statement())
    assert response.status_code == 204
    assert "Content-Type" not in response.headers


def test_2_0_refuses_the_alternate_request_syntax(client, make_credentials) -> None:  # type: ignore[no-untyped-def]
    auth = make_credentials("all")
    form = {"X-Experience-API-Version": "2.0.0", "Authorization": auth}
    response = client.post("/xapi/statements?method=GET", data=form)
    assert response.status_code == 400
    form["X-Experience-API-Version"] = "1.0.3"
    assert client.post("/xapi/statements?method=GET", data=form).status_code == 200


def test_a_statement_referring_to_a_match_is_found_and_only_looked_for_once_one_is_stored(xapi: Xapi) -> None:
    from sqlalchemy import event

    from academy.db import db

    sent: list[str] = []

    def capture(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        sent.append(sql)

    [target] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        activity = "/xapi/statements?activity=https://academy.test/courses/digital-literacy"
        assert [s["id"] for s in xapi("GET", activity).get_json()["statements"]] == [target]
        # Nothing refers to another statement yet: the query for referrers is not sent.
        assert not [sql for sql in sent if "object_statement_id IN" in sql]
        referring = statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
            object={"objectType": "StatementRef", "id": target},
        )
        [referrer] = xapi("POST", "/xapi/statements", json_body=referring).get_json()
        sent.clear()
        assert [s["id"] for s in xapi("GET", activity).get_json()["statements"]] == [referrer, target]
        assert [sql for sql in sent if "object_statement_id IN" in sql]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
