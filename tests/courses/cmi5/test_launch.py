"""Launching an AU: the launch URL, the one-time fetch, LMS.LaunchData, the launched statement."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from academy.auth.models import User
from courses.cmi5.models import LaunchMode, LaunchSession
from courses.cmi5.services.launch import session_of_content_token
from courses.models import Course, Enrolment, EnrolmentStatus
from tests.courses.cmi5.au import CMI5, Au, path_of
from tests.support.app import BASE_URL, csrf_token
from tests.support.cmi5 import au, aus_of, block, statements_of, structure, verbs_of

PARAMETRISED = structure(
    block(
        "block/1",
        au(
            "au/1",
            url="index.html?paramA=1&amp;paramB=2",
            attrs='moveOn="CompletedAndPassed" masteryScore="0.9" launchMethod="OwnWindow"',
            after_url="<launchParameters> sample string </launchParameters>"
            "<entitlementKey>sample value</entitlementKey>",
        ),
    )
)


def modes_offered(page: str) -> dict[str, list[str]]:
    """The launch modes the course page offers for each AU, by AU key, in the page's order."""
    found: dict[str, list[str]] = {}
    for key, item in re.findall(r'<li class="cmi5-au" id="au-([0-9a-f-]+)">(.*?)</li>', page, re.S):
        found[key] = re.findall(r'data-mode="(\w+)"', item)
    return found


def player_session(enrolment: Enrolment) -> LaunchSession:
    from academy.db import db

    return db.session.scalars(db.select(LaunchSession).where(LaunchSession.enrolment_id == enrolment.id)).one()


def test_launch_url_carries_the_cmi5_parameters(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au], learner: User
) -> None:
    course = make_cmi5(PARAMETRISED)
    enrolment = enrol(course)
    unit = aus_of(course)[0]
    player = launch(enrolment)

    parts = urlsplit(player.launch_url)
    base, token, page = f"{parts.scheme}://{parts.netloc}{parts.path}".rsplit("/", 2)
    assert (base, page) == (f"{BASE_URL}/cmi5/content", "index.html")
    assert session_of_content_token(token) == player_session(enrolment)
    query = parse_qs(parts.query)
    assert query["paramA"] == ["1"] and query["paramB"] == ["2"]
    assert query["endpoint"] == [f"{BASE_URL}/xapi"]
    assert query["fetch"][0].startswith(f"{BASE_URL}/cmi5/fetch/")
    assert json.loads(query["actor"][0]) == {
        "objectType": "Agent",
        "account": {"homePage": BASE_URL, "name": str(learner.person.public_id)},
    }
    assert query["registration"] == [str(enrolment.registration)]
    assert query["activityId"] == [unit.activity_iri]
    assert unit.activity_iri != unit.publisher_id
    assert unit.activity_iri.startswith(course.activity_iri + "/")


def test_absolute_au_url_is_launched_as_given(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    course = make_cmi5(structure(au("au/1", url="https://content.example/unit.html?lang=th")), bare=True)
    player = launch(enrol(course))
    assert player.launch_url.startswith("https://content.example/unit.html?lang=th&endpoint=")


def test_fetch_returns_the_token_once(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au], client: FlaskClient
) -> None:
    player = launch(enrol(make_cmi5()))
    first = client.post(path_of(player.params["fetch"]))
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert set(first.get_json()) == {"auth-token"}
    second = client.post(path_of(player.params["fetch"]))
    assert second.status_code == 200
    assert second.get_json()["error-code"] == "1" and "auth-token" not in second.get_json()
    assert client.post("/cmi5/fetch/not-a-token").get_json()["error-code"] == "2"
    assert client.get(path_of(player.params["fetch"])).status_code == 405


def test_launch_data_is_written_before_launch(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    course = make_cmi5(PARAMETRISED)
    enrolment = enrol(course)
    unit = aus_of(course)[0]
    player = launch(enrolment)
    player.fetch()
    data = player.load_launch_data()

    template = data["contextTemplate"]
    session = template["extensions"][CMI5 + "context/extensions/sessionid"]
    assert session
    assert {"objectType": "Activity", "id": unit.publisher_id} in template["contextActivities"]["grouping"]
    assert {"objectType": "Activity", "id": course.activity_iri} in template["contextActivities"]["parent"]
    assert template["registration"] == str(enrolment.registration)
    assert data["launchMode"] == "Normal"
    assert data["launchMethod"] == "OwnWindow"
    assert data["moveOn"] == "CompletedAndPassed"
    assert data["masteryScore"] == 0.9
    assert data["launchParameters"] == "sample string"
    assert data["entitlementKey"] == {"courseStructure": "sample value"}
    assert data["returnURL"] == f"{BASE_URL}/courses/{course.code}/cmi5"


def test_launched_statement(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    course = make_cmi5(PARAMETRISED, allow_browse=True)
    enrolment = enrol(course)
    player = launch(enrolment, mode=LaunchMode.BROWSE)
    player.fetch()
    player.load_launch_data()

    [launched] = statements_of(enrolment)
    assert launched["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"
    assert launched["object"]["id"] == player.activity_id
    assert launched["actor"]["account"] == player.actor["account"]
    context = launched["context"]
    assert context["registration"] == str(enrolment.registration)
    assert {"id": CMI5 + "context/categories/cmi5", "objectType": "Activity"} in context["contextActivities"][
        "category"
    ]
    assert aus_of(course)[0].publisher_id in {a["id"] for a in context["contextActivities"]["grouping"]}
    extensions = context["extensions"]
    assert extensions[CMI5 + "context/extensions/sessionid"] == player.session_id
    assert extensions[CMI5 + "context/extensions/launchmode"] == "Browse"
    assert extensions[CMI5 + "context/extensions/moveon"] == "CompletedAndPassed"
    assert extensions[CMI5 + "context/extensions/masteryscore"] == 0.9
    assert extensions[CMI5 + "context/extensions/launchparameters"] == "sample string"
    launch_url = urlsplit(extensions[CMI5 + "context/extensions/launchurl"])
    assert launch_url.path == urlsplit(player.launch_url).path
    assert launch_url.path.startswith("/cmi5/content/") and launch_url.path.endswith("/index.html")
    assert parse_qs(launch_url.query) == {"paramA": ["1"], "paramB": ["2"]}
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS


def test_a_full_session(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5())
    player = launch(enrolment)
    player.start()
    player.expect(player.send(player.allowed()), 204)
    player.expect(player.send(player.completed()), 204)
    player.expect(player.send(player.terminated()), 204)
    assert verbs_of(enrolment) == [
        "launched",
        "initialized",
        "experienced",
        "completed",
        "satisfied",
        "satisfied",
        "terminated",
    ]
    # Terminated ends the session: its credentials stop working.
    player.expect(player.send(player.allowed()), 401)


def test_launch_button(
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    learner: User,
    login: Callable[[User], FlaskClient],
) -> None:
    course = make_cmi5()
    unit = aus_of(course)[0]
    client = login(learner)
    page = f"/courses/{course.code}/cmi5"
    assert (
        client.post(f"{page}/aus/{unit.key}/launch", data={"csrf_token": csrf_token(client, page)}).status_code == 403
    )
    enrol(course)
    assert client.post(f"{page}/aus/{unit.key}/launch").status_code == 400  # no CSRF token
    response = client.post(f"{page}/aus/{unit.key}/launch", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 303
    assert response.location.startswith(f"{BASE_URL}/cmi5/content/")
    assert "/index.html?endpoint=" in response.location


def test_course_page_lists_blocks_and_units_with_status(
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    learner: User,
    login: Callable[[User], FlaskClient],
    client: FlaskClient,
) -> None:
    course = make_cmi5(structure(block("block/1", au("au/1", attrs='moveOn="Passed"'), au("au/2"))))
    first, second = aus_of(course)
    assert client.get(f"/courses/{course.code}/cmi5").status_code == 302  # signed out: to the login page
    enrol(course)
    login(learner)
    page = client.get(f"/courses/{course.code}/cmi5").get_data(as_text=True)
    assert "Block 1" in page or "block/1" in page
    assert f'id="au-{first.key}"' in page and f'id="au-{second.key}"' in page
    assert 'data-status="not_started"' in page
    assert 'data-status="satisfied"' in page  # au/2 has moveOn NotApplicable
    assert modes_offered(page) == {str(first.key): ["Normal"], str(second.key): ["Review", "Normal"]}
    assert client.get("/courses/NO-SUCH/cmi5").status_code == 404


def test_the_portal_language_goes_first_in_the_learner_preferences(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], client: FlaskClient
) -> None:
    from courses.cmi5.services.launch import launch_au

    enrolment = enrol(make_cmi5())
    unit = aus_of(enrolment.course)[0]
    player = Au(client, launch_au(enrolment, unit, language="en").url)
    player.fetch()
    assert player.read_preferences().get_json() == {"languagePreference": "en-US,th-TH", "audioPreference": "on"}
    params = {"profileId": "cmi5LearnerPreferences", "agent": json.dumps(player.actor)}
    quiet = {"languagePreference": "en-US", "audioPreference": "off"}
    player.expect(player.xapi("PUT", "/agents/profile", params, quiet, headers={"If-Match": "*"}), 204)
    player = Au(client, launch_au(enrolment, unit, language="th").url)
    player.fetch()
    assert player.read_preferences().get_json() == {"languagePreference": "th-TH,en-US", "audioPreference": "off"}


def test_review_once_done_and_browse_where_the_course_allows_it(
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    launch: Callable[..., Au],
    learner: User,
    login: Callable[[User], FlaskClient],
) -> None:
    closed = make_cmi5(code="C5-CLOSED")
    open_course = make_cmi5(code="C5-BROWSE", allow_browse=True)
    enrolment = enrol(closed)
    enrol(open_course)
    client = login(learner)

    def post(course: Course, mode: str) -> int:
        page = f"/courses/{course.code}/cmi5"
        unit = aus_of(course)[0]
        data = {"csrf_token": csrf_token(client, page), "mode": mode}
        return client.post(f"{page}/aus/{unit.key}/launch", data=data).status_code

    assert modes_offered(client.get(f"/courses/{closed.code}/cmi5").get_data(as_text=True)).popitem()[1] == ["Normal"]
    browse_page = client.get(f"/courses/{open_course.code}/cmi5").get_data(as_text=True)
    assert modes_offered(browse_page).popitem()[1] == ["Normal", "Browse"]
    assert post(closed, "Review") == 400  # not done yet
    assert post(closed, "Browse") == 400  # the course does not allow it
    assert post(closed, "Sideways") == 400
    assert post(open_course, "Browse") == 303

    player = launch(enrolment)
    player.start()
    player.expect(player.send(player.completed()), 204)
    player.expect(player.send(player.terminated()), 204)
    done_page = client.get(f"/courses/{closed.code}/cmi5").get_data(as_text=True)
    assert modes_offered(done_page).popitem()[1] == ["Review", "Normal"]
    assert post(closed, "Review") == 303
    assert verbs_of(enrolment)[-1] == "launched"
    review = statements_of(enrolment)[-1]
    assert review["context"]["extensions"][CMI5 + "context/extensions/launchmode"] == "Review"
