"""The document resources (State, Activity Profile, Agent Profile) over HTTP: storage, ETags,
concurrency rules per version, JSON merging, parameters and scopes (xAPI 1.0.3 and 2.0, Communication 2.3-2.7)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.support.lrs import Xapi

VERSIONS = ["1.0.3", "2.0.0"]

ACTIVITY = "https://academy.test/courses/digital-literacy"
AGENT = {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.go.th"}
OTHER_AGENT = {"objectType": "Agent", "mbox": "mailto:somsri@example.go.th"}
STATE_PATH = "/xapi/activities/state"
ACTIVITY_PROFILE_PATH = "/xapi/activities/profile"
AGENT_PROFILE_PATH = "/xapi/agents/profile"


def state_params(**overrides: Any) -> dict[str, str]:
    params: dict[str, Any] = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "bookmark"}
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def put_state(xapi: Xapi, body: bytes, content_type: str = "application/json", **overrides: Any) -> TestResponse:
    # 1.0.3 overwrites state without preconditions, so the tests write with it unless they test 2.0.
    version = overrides.pop("version", "1.0.3")
    return xapi(
        "PUT", STATE_PATH, query_string=state_params(**overrides), data=body, content_type=content_type, version=version
    )


def etag_of(response: TestResponse) -> str:
    return response.headers["ETag"]


# --- State: one document -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_state_put_then_get_returns_the_same_bytes(xapi: Xapi, version: str) -> None:
    body = b'{"page": 12}'
    assert put_state(xapi, body, version=version).status_code == 204
    response = xapi("GET", STATE_PATH, query_string=state_params(), version=version)
    assert response.status_code == 200
    assert response.get_data() == body


def test_state_get_keeps_the_content_type(xapi: Xapi) -> None:
    put_state(xapi, b"page 12", content_type="text/plain; charset=utf-8")
    response = xapi("GET", STATE_PATH, query_string=state_params())
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.get_data() == b"page 12"


def test_state_get_has_a_quoted_etag_of_the_content(xapi: Xapi) -> None:
    body = b'{"page": 12}'
    put_state(xapi, body)
    etag = etag_of(xapi("GET", STATE_PATH, query_string=state_params()))
    assert etag.startswith('"') and etag.endswith('"')
    assert etag.strip('"') == hashlib.sha1(body).hexdigest()


def test_state_etag_changes_with_the_content(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    first = etag_of(xapi("GET", STATE_PATH, query_string=state_params()))
    put_state(xapi, b'{"page": 13}')
    second = etag_of(xapi("GET", STATE_PATH, query_string=state_params()))
    assert first != second


def test_state_get_has_last_modified_as_an_http_date(xapi: Xapi) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    put_state(xapi, b'{"page": 12}')
    response = xapi("GET", STATE_PATH, query_string=state_params())
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert before <= modified <= datetime.now(UTC)


@pytest.fixture
def server_in_bangkok(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the test with the process's local time zone at UTC+7, as on a server set to Thai time."""
    monkeypatch.setenv("TZ", "Asia/Bangkok")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def test_state_last_modified_does_not_depend_on_the_servers_time_zone(xapi: Xapi, server_in_bangkok: None) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    put_state(xapi, b'{"page": 12}')
    response = xapi("GET", STATE_PATH, query_string=state_params())
    assert before <= parsedate_to_datetime(response.headers["Last-Modified"]) <= datetime.now(UTC)


def test_state_head_has_the_headers_but_no_body(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    response = xapi("HEAD", STATE_PATH, query_string=state_params())
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["ETag"]


def test_state_get_of_an_unknown_state_id_is_404(xapi: Xapi) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId="never-stored"))
    assert response.status_code == 404


def test_state_delete_removes_the_document(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    assert xapi("DELETE", STATE_PATH, query_string=state_params()).status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params()).status_code == 404


def test_state_delete_with_a_stale_if_match_is_412(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    response = xapi("DELETE", STATE_PATH, query_string=state_params(), headers={"If-Match": '"0000"'})
    assert response.status_code == 412
    assert xapi("GET", STATE_PATH, query_string=state_params()).status_code == 200


def test_state_is_kept_apart_per_agent(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    response = xapi("GET", STATE_PATH, query_string=state_params(agent=json.dumps(OTHER_AGENT)))
    assert response.status_code == 404


def test_state_is_found_by_the_agents_ifi_whatever_its_name(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    renamed = {"mbox": AGENT["mbox"], "name": "Somchai Jaidee"}
    response = xapi("GET", STATE_PATH, query_string=state_params(agent=json.dumps(renamed)))
    assert response.status_code == 200 and response.get_data() == b'{"page": 12}'


# --- State: overwriting per version --------------------------------------------------------------


def test_state_put_over_an_existing_state_overwrites_in_1_0_3(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}', version="1.0.3")
    assert put_state(xapi, b'{"page": 13}', version="1.0.3").status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_data() == b'{"page": 13}'


def test_state_put_over_an_existing_state_without_preconditions_is_409_in_2_0(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}', version="2.0.0")
    assert put_state(xapi, b'{"page": 13}', version="2.0.0").status_code == 409
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_data() == b'{"page": 12}'


def test_state_put_of_a_new_state_without_preconditions_is_accepted_in_2_0(xapi: Xapi) -> None:
    assert put_state(xapi, b'{"page": 12}', version="2.0.0").status_code == 204


def test_state_put_with_the_current_etag_overwrites_in_2_0(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}', version="2.0.0")
    etag = etag_of(xapi("GET", STATE_PATH, query_string=state_params()))
    response = xapi(
        "PUT",
        STATE_PATH,
        query_string=state_params(),
        data=b'{"page": 13}',
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_data() == b'{"page": 13}'


# --- State: ids, since, registration, deleting a context -----------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_state_get_without_state_id_lists_the_ids(xapi: Xapi, version: str) -> None:
    put_state(xapi, b"{}", stateId="b-state")
    put_state(xapi, b"{}", stateId="a-state")
    put_state(xapi, b"{}", stateId="elsewhere", activityId="https://academy.test/courses/other")
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None), version=version)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert sorted(response.get_json()) == ["a-state", "b-state"]


def test_state_ids_since_a_past_moment_include_the_document(xapi: Xapi) -> None:
    put_state(xapi, b"{}")
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, since=since))
    assert response.get_json() == ["bookmark"]


def test_state_ids_since_a_later_moment_exclude_the_document(xapi: Xapi) -> None:
    put_state(xapi, b"{}")
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, since=since))
    assert response.status_code == 200 and response.get_json() == []


def test_state_ids_since_compare_moments_not_wall_clock_times(xapi: Xapi) -> None:
    put_state(xapi, b"{}")
    bangkok = timezone(timedelta(hours=7))
    since = (datetime.now(UTC) - timedelta(minutes=5)).astimezone(bangkok).isoformat()
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, since=since))
    assert response.get_json() == ["bookmark"]


def test_state_ids_with_an_invalid_since_is_400(xapi: Xapi) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, since="yesterday"))
    assert response.status_code == 400


def test_state_registration_separates_documents(xapi: Xapi) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    put_state(xapi, b'{"attempt": 1}', registration=first)
    put_state(xapi, b'{"attempt": 2}', registration=second)
    got = xapi("GET", STATE_PATH, query_string=state_params(registration=first))
    assert got.get_data() == b'{"attempt": 1}'
    assert xapi("GET", STATE_PATH, query_string=state_params()).status_code == 404


def test_state_registration_is_matched_whatever_its_case(xapi: Xapi) -> None:
    registration = str(uuid.uuid4())
    put_state(xapi, b'{"attempt": 1}', registration=registration)
    response = xapi("GET", STATE_PATH, query_string=state_params(registration=registration.upper()))
    assert response.status_code == 200 and response.get_data() == b'{"attempt": 1}'


def test_state_delete_without_state_id_deletes_the_whole_context(xapi: Xapi) -> None:
    put_state(xapi, b"{}", stateId="one")
    put_state(xapi, b"{}", stateId="two")
    put_state(xapi, b"{}", stateId="kept", agent=json.dumps(OTHER_AGENT))
    assert xapi("DELETE", STATE_PATH, query_string=state_params(stateId=None)).status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params(stateId=None)).get_json() == []
    other = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, agent=json.dumps(OTHER_AGENT)))
    assert other.get_json() == ["kept"]


def test_state_delete_without_state_id_keeps_other_registrations(xapi: Xapi) -> None:
    deleted, kept = str(uuid.uuid4()), str(uuid.uuid4())
    put_state(xapi, b"{}", stateId="one", registration=deleted)
    put_state(xapi, b"{}", stateId="other", registration=kept)
    response = xapi("DELETE", STATE_PATH, query_string=state_params(stateId=None, registration=deleted))
    assert response.status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params(stateId=None, registration=deleted)).get_json() == []
    assert xapi("GET", STATE_PATH, query_string=state_params(stateId=None, registration=kept)).get_json() == ["other"]


@pytest.mark.parametrize("version", VERSIONS)
def test_state_ids_without_registration_cover_every_registration(xapi: Xapi, version: str) -> None:
    put_state(xapi, b"{}", stateId="plain")
    put_state(xapi, b"{}", stateId="first", registration=str(uuid.uuid4()))
    put_state(xapi, b"{}", stateId="second", registration=str(uuid.uuid4()))
    put_state(xapi, b"{}", stateId="plain", registration=str(uuid.uuid4()))
    response = xapi("GET", STATE_PATH, query_string=state_params(stateId=None), version=version)
    assert response.get_json() == ["first", "plain", "second"]


@pytest.mark.parametrize("version", VERSIONS)
def test_state_delete_without_registration_deletes_every_registration(xapi: Xapi, version: str) -> None:
    registrations = [str(uuid.uuid4()), str(uuid.uuid4())]
    put_state(xapi, b"{}", stateId="plain")
    for registration in registrations:
        put_state(xapi, b"{}", stateId="attempt", registration=registration)
    put_state(xapi, b"{}", stateId="kept", agent=json.dumps(OTHER_AGENT), registration=registrations[0])
    response = xapi("DELETE", STATE_PATH, query_string=state_params(stateId=None), version=version)
    assert response.status_code == 204
    for registration in registrations:
        listed = xapi("GET", STATE_PATH, query_string=state_params(stateId=None, registration=registration))
        assert listed.get_json() == []
    other = state_params(stateId=None, agent=json.dumps(OTHER_AGENT), registration=registrations[0])
    assert xapi("GET", STATE_PATH, query_string=other).get_json() == ["kept"]


def test_state_get_of_one_document_without_registration_is_the_one_stored_without(xapi: Xapi) -> None:
    put_state(xapi, b'{"attempt": 1}', registration=str(uuid.uuid4()))
    assert xapi("GET", STATE_PATH, query_string=state_params()).status_code == 404
    put_state(xapi, b'{"attempt": 0}')
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_data() == b'{"attempt": 0}'


# --- State: POST merges JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_state_post_merges_json_objects(xapi: Xapi, version: str) -> None:
    put_state(xapi, b'{"page": 12, "score": 3}')
    response = xapi(
        "POST",
        STATE_PATH,
        query_string=state_params(),
        json_body={"score": 4, "done": True},
        version=version,
    )
    assert response.status_code == 204
    merged = xapi("GET", STATE_PATH, query_string=state_params())
    assert merged.get_json() == {"page": 12, "score": 4, "done": True}
    assert merged.headers["Content-Type"] == "application/json"


def test_state_post_merges_json_sent_with_a_charset(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}', content_type="application/json; charset=utf-8")
    response = xapi(
        "POST",
        STATE_PATH,
        query_string=state_params(),
        data=b'{"score": 4}',
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_json() == {"page": 12, "score": 4}


def test_state_post_of_a_new_document_stores_it(xapi: Xapi) -> None:
    response = xapi("POST", STATE_PATH, query_string=state_params(), json_body={"page": 1})
    assert response.status_code == 204
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_json() == {"page": 1}


def test_state_post_onto_a_non_json_document_is_400(xapi: Xapi) -> None:
    put_state(xapi, b"page 12", content_type="text/plain")
    response = xapi("POST", STATE_PATH, query_string=state_params(), json_body={"page": 13})
    assert response.status_code == 400
    assert xapi("GET", STATE_PATH, query_string=state_params()).get_data() == b"page 12"


def test_state_post_of_non_json_onto_a_json_document_is_400(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    response = xapi("POST", STATE_PATH, query_string=state_params(), data=b"page 13", content_type="text/plain")
    assert response.status_code == 400


def test_state_post_of_a_json_array_onto_a_json_document_is_400(xapi: Xapi) -> None:
    put_state(xapi, b'{"page": 12}')
    response = xapi("POST", STATE_PATH, query_string=state_params(), json_body=[1, 2])
    assert response.status_code == 400


def test_state_post_of_invalid_json_is_400(xapi: Xapi) -> None:
    response = xapi("POST", STATE_PATH, query_string=state_params(), data=b"{not json", content_type="application/json")
    assert response.status_code == 400


# --- State: parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["activityId", "agent"])
@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_state_without_a_required_parameter_is_400(xapi: Xapi, missing: str, method: str) -> None:
    params = state_params(**{missing: None})
    response = xapi(method, STATE_PATH, query_string=params, json_body={"page": 1}, version="1.0.3")
    assert response.status_code == 400
    assert missing in response.get_json()["error"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_write_without_state_id_is_400(xapi: Xapi, method: str) -> None:
    response = xapi(method, STATE_PATH, query_string=state_params(stateId=None), json_body={"page": 1})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "agent",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(json.dumps({"name": "Somchai"}), id="no-ifi"),
        pytest.param(json.dumps({"mbox": "somchai@example.go.th"}), id="mbox-without-mailto"),
        pytest.param(json.dumps({"mbox": "mailto:a@example.go.th", "openid": "https://id.example"}), id="two-ifis"),
    ],
)
def test_state_with_an_invalid_agent_is_400(xapi: Xapi, agent: str) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(agent=agent))
    assert response.status_code == 400


def test_state_with_an_activity_id_that_is_not_an_iri_is_400(xapi: Xapi) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(activityId="not an iri"))
    assert response.status_code == 400


@pytest.mark.parametrize("registration", ["not-a-uuid", "12345678-1234-1234-1234-1234567890"])
def test_state_with_a_bad_registration_is_400(xapi: Xapi, registration: str) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(registration=registration))
    assert response.status_code == 400


def test_state_with_an_unknown_parameter_is_400(xapi: Xapi) -> None:
    response = xapi("GET", STATE_PATH, query_string=state_params(profileId="x"))
    assert response.status_code == 400


# --- Activity Profile and Agent Profile ----------------------------------------------------------

PROFILES = [
    pytest.param(ACTIVITY_PROFILE_PATH, {"activityId": ACTIVITY}, id="activity-profile"),
    pytest.param(AGENT_PROFILE_PATH, {"agent": json.dumps(AGENT)}, id="agent-profile"),
]


def profile_params(context: dict[str, str], profile_id: str | None = "settings") -> dict[str, str]:
    return {**context, "profileId": profile_id} if profile_id is not None else dict(context)


def put_profile(
    xapi: Xapi,
    path: str,
    context: dict[str, str],
    body: Any,
    *,
    version: str = "2.0.0",
    headers: dict[str, str] | None = None,
    profile_id: str = "settings",
) -> TestResponse:
    return xapi(
        "PUT", path, query_string=profile_params(context, profile_id), json_body=body, version=version, headers=headers
    )


def create_profile(xapi: Xapi, path: str, context: dict[str, str], body: Any, profile_id: str = "settings") -> str:
    """Create a profile document (If-None-Match: *) and return its ETag."""
    response = put_profile(xapi, path, context, body, headers={"If-None-Match": "*"}, profile_id=profile_id)
    assert response.status_code == 204, response.get_data(as_text=True)
    return etag_of(xapi("GET", path, query_string=profile_params(context, profile_id)))


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_if_none_match_star_creates_the_document(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    response = put_profile(xapi, path, context, {"theme": "dark"}, version=version, headers={"If-None-Match": "*"})
    assert response.status_code == 204
    got = xapi("GET", path, query_string=profile_params(context), version=version)
    assert got.status_code == 200 and got.get_json() == {"theme": "dark"}
    assert got.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_second_if_none_match_star_is_412(xapi: Xapi, path: str, context: dict[str, str], version: str) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = put_profile(xapi, path, context, {"theme": "light"}, version=version, headers={"If-None-Match": "*"})
    assert response.status_code == 412
    assert xapi("GET", path, query_string=profile_params(context)).get_json() == {"theme": "dark"}


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_if_match_with_the_current_etag_replaces_the_document(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    etag = create_profile(xapi, path, context, {"theme": "dark"})
    response = put_profile(xapi, path, context, {"theme": "light"}, version=version, headers={"If-Match": etag})
    assert response.status_code == 204
    got = xapi("GET", path, query_string=profile_params(context))
    assert got.get_json() == {"theme": "light"} and etag_of(got) != etag


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_if_match_with_a_stale_etag_is_412(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    stale = create_profile(xapi, path, context, {"theme": "dark"})
    current = put_profile(xapi, path, context, {"theme": "light"}, headers={"If-Match": stale})
    assert current.status_code == 204
    response = put_profile(xapi, path, context, {"theme": "blue"}, version=version, headers={"If-Match": stale})
    assert response.status_code == 412
    assert xapi("GET", path, query_string=profile_params(context)).get_json() == {"theme": "light"}


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_if_match_on_a_missing_document_is_412(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    response = put_profile(xapi, path, context, {"theme": "dark"}, version=version, headers={"If-Match": '"abc"'})
    assert response.status_code == 412
    assert response.get_json()["error"] == "If-Match: there is no such document"
    assert xapi("GET", path, query_string=profile_params(context)).status_code == 404


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_put_of_a_new_document_without_preconditions_is_400_in_1_0_3(
    xapi: Xapi, path: str, context: dict[str, str]
) -> None:
    response = put_profile(xapi, path, context, {"theme": "dark"}, version="1.0.3")
    assert response.status_code == 400
    assert xapi("GET", path, query_string=profile_params(context)).status_code == 404


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_put_of_a_new_document_without_preconditions_is_accepted_in_2_0(
    xapi: Xapi, path: str, context: dict[str, str]
) -> None:
    assert put_profile(xapi, path, context, {"theme": "dark"}, version="2.0.0").status_code == 204
    assert xapi("GET", path, query_string=profile_params(context)).get_json() == {"theme": "dark"}


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_put_over_an_existing_document_without_preconditions_is_409(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = put_profile(xapi, path, context, {"theme": "light"}, version=version)
    assert response.status_code == 409
    assert xapi("GET", path, query_string=profile_params(context)).get_json() == {"theme": "dark"}


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_post_merges_without_preconditions(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    create_profile(xapi, path, context, {"theme": "dark", "size": 1})
    response = xapi("POST", path, query_string=profile_params(context), json_body={"size": 2}, version=version)
    assert response.status_code == 204
    assert xapi("GET", path, query_string=profile_params(context)).get_json() == {"theme": "dark", "size": 2}


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_post_with_a_stale_if_match_is_412(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = xapi(
        "POST", path, query_string=profile_params(context), json_body={"size": 2}, headers={"If-Match": '"stale"'}
    )
    assert response.status_code == 412


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_delete_with_a_wrong_if_match_is_412(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = xapi("DELETE", path, query_string=profile_params(context), headers={"If-Match": '"wrong"'})
    assert response.status_code == 412
    assert xapi("GET", path, query_string=profile_params(context)).status_code == 200


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_delete_with_the_current_if_match_deletes(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    etag = create_profile(xapi, path, context, {"theme": "dark"})
    response = xapi("DELETE", path, query_string=profile_params(context), headers={"If-Match": etag})
    assert response.status_code == 204
    assert xapi("GET", path, query_string=profile_params(context)).status_code == 404


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_delete_without_profile_id_is_400(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = xapi("DELETE", path, query_string=profile_params(context, None))
    assert response.status_code == 400
    assert xapi("GET", path, query_string=profile_params(context)).status_code == 200


@pytest.mark.parametrize(("path", "context"), PROFILES)
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_get_of_an_unknown_profile_id_is_404(
    xapi: Xapi, path: str, context: dict[str, str], version: str
) -> None:
    response = xapi("GET", path, query_string=profile_params(context, "never-stored"), version=version)
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_get_has_quoted_etag_and_last_modified(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {"theme": "dark"})
    response = xapi("GET", path, query_string=profile_params(context))
    assert response.headers["ETag"] == f'"{hashlib.sha1(response.get_data()).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["Last-Modified"]).tzinfo is not None


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_get_without_profile_id_lists_the_ids(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {}, profile_id="b")
    create_profile(xapi, path, context, {}, profile_id="a")
    response = xapi("GET", path, query_string=profile_params(context, None))
    assert response.status_code == 200 and sorted(response.get_json()) == ["a", "b"]


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_ids_since_a_later_moment_are_empty(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    create_profile(xapi, path, context, {})
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    response = xapi("GET", path, query_string={**context, "since": since})
    assert response.status_code == 200 and response.get_json() == []


@pytest.mark.parametrize(("path", "context"), PROFILES)
def test_profile_content_type_is_kept(xapi: Xapi, path: str, context: dict[str, str]) -> None:
    response = xapi(
        "PUT",
        path,
        query_string=profile_params(context),
        data=b"\x89PNG\r\n",
        content_type="image/png",
        headers={"If-None-Match": "*"},
    )
    assert response.status_code == 204
    got = xapi("GET", path, query_string=profile_params(context))
    assert got.headers["Content-Type"] == "image/png" and got.get_data() == b"\x89PNG\r\n"


def test_activity_profiles_are_kept_apart_per_activity(xapi: Xapi) -> None:
    create_profile(xapi, ACTIVITY_PROFILE_PATH, {"activityId": ACTIVITY}, {"theme": "dark"})
    other = {"activityId": "https://academy.test/courses/other", "profileId": "settings"}
    assert xapi("GET", ACTIVITY_PROFILE_PATH, query_string=other).status_code == 404


def test_agent_profiles_are_kept_apart_per_agent(xapi: Xapi) -> None:
    create_profile(xapi, AGENT_PROFILE_PATH, {"agent": json.dumps(AGENT)}, {"theme": "dark"})
    other = {"agent": json.dumps(OTHER_AGENT), "profileId": "settings"}
    assert xapi("GET", AGENT_PROFILE_PATH, query_string=other).status_code == 404


def test_activity_profile_without_activity_id_is_400(xapi: Xapi) -> None:
    response = xapi("GET", ACTIVITY_PROFILE_PATH, query_string={"profileId": "settings"})
    assert response.status_code == 400


def test_agent_profile_without_agent_is_400(xapi: Xapi) -> None:
    response = xapi("GET", AGENT_PROFILE_PATH, query_string={"profileId": "settings"})
    assert response.status_code == 400


def test_agent_profile_with_an_invalid_agent_is_400(xapi: Xapi) -> None:
    response = xapi("GET", AGENT_PROFILE_PATH, query_string={"agent": "{not json", "profileId": "settings"})
    assert response.status_code == 400


# --- Scopes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param(STATE_PATH, state_params(), id="state"),
        pytest.param(ACTIVITY_PROFILE_PATH, {"activityId": ACTIVITY, "profileId": "settings"}, id="activity-profile"),
        pytest.param(AGENT_PROFILE_PATH, {"agent": json.dumps(AGENT), "profileId": "settings"}, id="agent-profile"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_documents_need_their_scope(
    xapi: Xapi, make_credentials: Callable[..., str], path: str, params: dict[str, str], method: str
) -> None:
    writer = make_credentials("statements/write")
    response = xapi(method, path, query_string=params, json_body={"a": 1}, auth=writer, headers={"If-None-Match": "*"})
    assert response.status_code == 403


def test_the_state_scope_does_not_open_profiles(xapi: Xapi, make_credentials: Callable[..., str]) -> None:
    state_only = make_credentials("state")
    params = {"activityId": ACTIVITY, "profileId": "settings"}
    assert xapi("GET", ACTIVITY_PROFILE_PATH, query_string=params, auth=state_only).status_code == 403
    assert xapi("GET", STATE_PATH, query_string=state_params(), auth=state_only).status_code == 404


def test_the_profile_scope_does_not_open_state(xapi: Xapi, make_credentials: Callable[..., str]) -> None:
    profile_only = make_credentials("profile")
    assert xapi("GET", STATE_PATH, query_string=state_params(), auth=profile_only).status_code == 403
    params = {"activityId": ACTIVITY, "profileId": "settings"}
    assert xapi("GET", ACTIVITY_PROFILE_PATH, query_string=params, auth=profile_only).status_code == 404
