"""What a session's credentials may do, and the cmi5 statement rules the LMS enforces (403)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from academy.org.models import Person
from courses.cmi5.models import LaunchMode
from courses.models import Course, Enrolment
from tests.courses.cmi5.au import CMI5, Au, basic
from tests.support.cmi5 import au, block, structure

SCORED = structure(block("block/1", au("au/1", attrs='moveOn="CompletedOrPassed" masteryScore="0.9"')))


@pytest.fixture
def player(make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]) -> Au:
    """A launched AU, started: initialized is stored."""
    au_player = launch(enrol(make_cmi5(SCORED)))
    au_player.start()
    return au_player


# --- credentials -------------------------------------------------------------------------------


def test_no_token_before_the_fetch(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    au_player = launch(enrol(make_cmi5()))
    au_player.expect(au_player.send(au_player.allowed(), auth=basic("catapult", "fire")), 401)
    au_player.expect(au_player.send(au_player.allowed(), auth=""), 401)
    token = au_player.fetch()["auth-token"]
    assert au_player.auth == f"Basic {token}"
    key = __import__("base64").b64decode(token).decode().split(":")[0]
    au_player.expect(au_player.send(au_player.allowed(), auth=basic(key, "wrong secret")), 401)


def test_only_the_launched_learners_statements(
    player: Au, make_person: Callable[..., Person], make_agency: Callable[..., Any]
) -> None:
    other = make_person(make_agency())
    for statement in (player.allowed(), player.completed()):
        statement["actor"] = {
            "objectType": "Agent",
            "account": {"homePage": player.actor["account"]["homePage"], "name": str(other.public_id)},
        }
        assert "of the launched learner only" in player.refused(statement)
    statement = player.passed()
    statement["actor"] = {"objectType": "Agent", "mbox": "mailto:catapult@example.com"}
    assert "identified by its account" in player.refused(statement)
    statement = player.passed()
    statement["actor"]["objectType"] = "Group"
    assert "must be an Agent" in player.refused(statement)


def test_no_statement_reads_and_no_voiding(player: Au) -> None:
    assert player.xapi("GET", "/statements", {"registration": player.registration}).status_code == 403
    stored = player.allowed()
    player.expect(player.send(stored), 204)
    voiding = player.statement("voided", defined=False)
    voiding["object"] = {"objectType": "StatementRef", "id": stored["id"]}
    assert "may not void" in player.refused(voiding)


def test_state_of_the_au_only_and_launch_data_read_only(player: Au) -> None:
    own = player.state_params("progress")
    player.expect(player.xapi("PUT", "/activities/state", own, {"page": 3}), 204)
    assert player.xapi("GET", "/activities/state", own).get_json() == {"page": 3}
    elsewhere = {**own, "activityId": "https://elsewhere.example/activity"}
    assert player.xapi("GET", "/activities/state", elsewhere).status_code == 403
    someone = {**own, "agent": json.dumps({"mbox": "mailto:someone@example.com"})}
    assert player.xapi("GET", "/activities/state", someone).status_code == 403
    launch_data = player.state_params("LMS.LaunchData")
    assert player.xapi("PUT", "/activities/state", launch_data, {"test": True}).status_code == 403
    assert player.xapi("POST", "/activities/state", launch_data, {"test": True}).status_code == 403
    assert player.xapi("DELETE", "/activities/state", launch_data).status_code == 403
    everything = {k: v for k, v in own.items() if k != "stateId"}
    assert player.xapi("DELETE", "/activities/state", everything).status_code == 403
    assert player.load_launch_data()["moveOn"] == "CompletedOrPassed"


def test_state_ids_only_of_the_launch_registration(player: Au) -> None:
    own = player.state_params("progress")
    player.expect(player.xapi("PUT", "/activities/state", own, {"page": 3}), 204)
    listing = {k: v for k, v in own.items() if k != "stateId"}
    assert "progress" in player.xapi("GET", "/activities/state", listing).get_json()
    # Without registration the list would span the learner's other registrations of this AU.
    unregistered = {k: v for k, v in listing.items() if k != "registration"}
    assert player.xapi("GET", "/activities/state", unregistered).status_code == 403
    assert player.xapi("DELETE", "/activities/state", unregistered).status_code == 403
    one = {k: v for k, v in own.items() if k != "registration"}
    assert player.xapi("GET", "/activities/state", one).status_code == 404


def test_activity_profile_of_the_au_only(player: Au) -> None:
    own = {"activityId": player.activity_id, "profileId": "bookmarks"}
    player.expect(player.xapi("PUT", "/activities/profile", own, {"page": 2}, headers={"If-None-Match": "*"}), 204)
    assert player.xapi("GET", "/activities/profile", own).get_json() == {"page": 2}
    elsewhere = {"activityId": "https://elsewhere.example/activity", "profileId": "bookmarks"}
    assert player.xapi("GET", "/activities/profile", elsewhere).status_code == 403
    assert player.xapi("GET", "/activities/profile", {"activityId": elsewhere["activityId"]}).status_code == 403


def test_learner_preferences(player: Au) -> None:
    def put(body: Any, agent: Any = None, content_type: str | None = "application/json") -> int:
        params = {"profileId": "cmi5LearnerPreferences", "agent": json.dumps(agent or player.actor)}
        return player.xapi(
            "PUT", "/agents/profile", params, body, content_type=content_type, headers={"If-None-Match": "*"}
        ).status_code

    good = {"languagePreference": "th-TH,en-US", "audioPreference": "off"}
    assert put(good, agent={"mbox": "mailto:catapult@example.com"}) == 403
    assert put(good, content_type=None) == 403
    assert put("just some text", content_type="text/plain") == 403
    assert put({"audioPreference": "on"}) == 403
    assert put({"languagePreference": "th"}) == 403
    assert put({"languagePreference": "not comma separated", "audioPreference": "on"}) == 403
    assert put({"languagePreference": "", "audioPreference": "on"}) == 403
    assert put(good) == 204
    assert player.read_preferences().get_json() == good
    no_agent = player.xapi("PUT", "/agents/profile", {"profileId": "cmi5LearnerPreferences"}, good)
    assert no_agent.status_code == 400


# --- session order -----------------------------------------------------------------------------------


def test_initialized_comes_first_after_the_preferences(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    au_player = launch(enrol(make_cmi5(SCORED)))
    au_player.fetch()
    au_player.load_launch_data()
    assert "before it sends initialized" in au_player.refused(au_player.initialized())
    au_player.read_preferences()
    assert "first statement must be initialized" in au_player.refused(au_player.allowed())
    assert "first statement must be initialized" in au_player.refused(au_player.completed())
    au_player.expect(au_player.send(au_player.initialized()), 204)
    assert "initialized is sent once" in au_player.refused(au_player.initialized())
    au_player.expect(au_player.send(au_player.allowed()), 204)


def test_terminated_is_last(player: Au) -> None:
    batch = [player.terminated(), player.allowed()]
    response = player.xapi("POST", "/statements", None, batch)
    assert response.status_code == 403
    assert "statement 2 of 2: terminated was the session's last statement" in response.get_json()["error"]
    player.expect(player.send(player.terminated()), 204)
    player.expect(player.send(player.allowed()), 401)
    assert player.xapi("GET", "/activities/state", player.state_params("LMS.LaunchData")).status_code == 401


# --- statement rules ---------------------------------------------------------------------------------


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def alter(statement: dict[str, Any]) -> None:
        *parents, last = path
        target = statement
        for part in parents:
            target = target[part]
        del target[last]

    return alter


def _set(*path_and_value: Any) -> Callable[[dict[str, Any]], None]:
    *path, value = path_and_value

    def alter(statement: dict[str, Any]) -> None:
        *parents, last = path
        target = statement
        for part in parents:
            target = target[part]
        target[last] = value

    return alter


MASTERY = CMI5 + "context/extensions/masteryscore"
SESSION = CMI5 + "context/extensions/sessionid"
GOOD_SCORE = {"scaled": 0.9, "raw": 90, "min": 0, "max": 100}
LOW_SCORE = {"scaled": 0.89, "raw": 89, "min": 0, "max": 100}


@pytest.mark.parametrize(
    ("kind", "alter", "reason"),
    [
        ("allowed", _drop("timestamp"), "carry a timestamp"),
        ("allowed", _set("timestamp", "2026-11-22T08:00:00.000-06:00"), "in UTC"),
        ("passed", _drop("context"), "need the context"),
        ("passed", _drop("context", "registration"), "the launch's registration"),
        (
            "passed",
            _set("context", "registration", "ccaf384c-f8d4-4e7a-8304-49af58f0b176"),
            "the launch's registration",
        ),
        ("allowed", _drop("context", "extensions", SESSION), "session id extension"),
        ("allowed", _set("context", "contextActivities", "grouping", []), "publisher id"),
        ("passed", _set("object", "id", "http://example.com/not/the/lms/id"), "the launch's activityId"),
        ("passed", _set("verb", "id", "https://w3id.org/xapi/adl/verbs/satisfied"), "not a verb an AU may use"),
        ("passed", _set("result", "completion", True), "passed carries no result.completion"),
        ("completed", _set("result", "success", True), "completed carries no result.success"),
        ("completed", _drop("result", "completion"), "completed needs result.completion true"),
        ("completed", _set("result", "completion", False), "completed needs result.completion true"),
        ("completed", _set("result", "score", {"scaled": 0.5}), "completed carries no score"),
        ("terminated", _drop("result"), "terminated needs result.duration"),
        ("terminated", _drop("result", "duration"), "terminated needs result.duration"),
        ("completed", _drop("result", "duration"), "completed needs result.duration"),
        ("passed", _drop("result", "duration"), "passed needs result.duration"),
        ("failed", _drop("result", "duration"), "failed needs result.duration"),
        ("passed", _drop("result", "success"), "passed needs result.success true"),
        ("passed", _set("result", "success", False), "passed needs result.success true"),
        ("failed", _drop("result", "success"), "failed needs result.success false"),
        ("failed", _set("result", "success", True), "failed needs result.success false"),
        ("passed", _set("result", "score", {"scaled": 0.89}), "below the masteryScore"),
        ("failed", _set("result", "score", {"scaled": 0.9}), "at or above the masteryScore"),
        ("failed", _set("result", "score", {"scaled": 0.91}), "at or above the masteryScore"),
        ("passed", _drop("result", "score", "min"), "raw score needs min and max"),
        ("passed", _drop("result", "score", "max"), "raw score needs min and max"),
        (
            "completed",
            _set("context", "contextActivities", "category", [{"id": CMI5 + "context/categories/cmi5"}]),
            "moveOn",
        ),
        (
            "passed",
            _set("context", "contextActivities", "category", [{"id": CMI5 + "context/categories/cmi5"}]),
            "moveOn",
        ),
        (
            "allowed",
            _set("context", "contextActivities", "category", [{"id": CMI5 + "context/categories/moveon"}]),
            "moveOn",
        ),
        ("passed", _drop("context", "extensions", MASTERY), "carries the masteryScore extension"),
        ("passed", _set("context", "extensions", MASTERY, 0.8), "must be the LaunchData's masteryScore"),
        ("completed", _set("result", "extensions", {CMI5 + "result/extensions/progress": 140}), "progress extension"),
    ],
)
def test_statements_breaking_a_rule_are_refused(
    player: Au, kind: str, alter: Callable[[dict[str, Any]], None], reason: str
) -> None:
    statement = {
        "allowed": player.allowed,
        "completed": player.completed,
        "passed": lambda: player.passed(GOOD_SCORE),
        "failed": lambda: player.failed(LOW_SCORE),
        "terminated": player.terminated,
    }[kind]()
    alter(statement)
    assert reason in player.refused(statement)


def test_terminated_with_the_moveon_category(player: Au) -> None:
    statement = player.terminated()
    statement["context"]["contextActivities"]["category"].append({"id": CMI5 + "context/categories/moveon"})
    assert "other statements do not" in player.refused(statement)


def test_a_post_without_statement_id(player: Au) -> None:
    statement = player.allowed()
    del statement["id"]
    assert "carry their own id" in player.refused(statement, method="POST")


def test_verbs_once_a_session_and_passed_or_failed(player: Au) -> None:
    player.expect(player.send(player.completed()), 204)
    assert "completed was already sent in this session" in player.refused(player.completed())
    player.expect(player.send(player.passed(GOOD_SCORE)), 204)
    assert "passed was already sent in this session" in player.refused(player.passed(GOOD_SCORE))
    assert "one passed or failed" in player.refused(player.failed(LOW_SCORE))


def test_failed_then_passed_in_one_session(player: Au) -> None:
    player.expect(player.send(player.failed()), 204)
    assert "failed was already sent" in player.refused(player.failed())
    assert "one passed or failed" in player.refused(player.passed())


def test_registration_rules_across_sessions(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5(SCORED))
    first = launch(enrolment)
    first.start()
    first.expect(first.send(first.completed()), 204)
    first.expect(first.send(first.passed()), 204)
    first.expect(first.send(first.terminated()), 204)
    second = launch(enrolment)
    second.start()
    assert "completed was already sent in this registration" in second.refused(second.completed())
    assert "passed was already sent in this registration" in second.refused(second.passed())
    assert "failed may not follow passed" in second.refused(second.failed())


@pytest.mark.parametrize("mode", [LaunchMode.BROWSE, LaunchMode.REVIEW])
def test_browse_and_review_record_no_results(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au], mode: LaunchMode
) -> None:
    enrolment = enrol(make_cmi5(SCORED, allow_browse=mode is LaunchMode.BROWSE))
    if mode is LaunchMode.REVIEW:  # Review is for a unit done
        first = launch(enrolment)
        first.start()
        first.expect(first.send(first.completed()), 204)
        first.expect(first.send(first.terminated()), 204)
    au_player = launch(enrolment, mode=mode)
    au_player.start()
    assert au_player.data["launchMode"] == mode.value
    au_player.expect(au_player.send(au_player.allowed()), 204)
    for statement in (au_player.completed(), au_player.failed(), au_player.passed()):
        assert f"in {mode.value} mode" in au_player.refused(statement)
    au_player.expect(au_player.send(au_player.terminated()), 204)


def test_xapi_2_statements_are_checked_too(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    au_player = launch(enrol(make_cmi5(SCORED)))
    au_player.version = "2.0.0"
    au_player.start()
    au_player.expect(au_player.send(au_player.completed()), 204)
    assert "completed was already sent" in au_player.refused(au_player.completed())
