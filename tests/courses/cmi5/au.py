"""An AU, played by the tests: it does over HTTP what an AU's JavaScript does after a launch.

Statements are built the way the cmi5 client libraries build them: the LaunchData's
contextTemplate as context, the registration, the cmi5 category (and moveOn for judged
verbs), the masteryScore extension on scored passed/failed.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CMI5 = "https://w3id.org/xapi/cmi5/"
VERBS = {
    name: f"http://adlnet.gov/expapi/verbs/{name}"
    for name in ("initialized", "completed", "passed", "failed", "terminated", "experienced", "voided")
}


def path_of(url: str) -> str:
    """The path and query of an absolute URL of ours (the test client needs no host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Au:
    def __init__(self, client: FlaskClient, launch_url: str, version: str = "1.0.3") -> None:
        self.client = client
        self.launch_url = launch_url
        self.version = version
        query = parse_qs(urlsplit(launch_url).query)
        self.params = {name: values[0] for name, values in query.items()}
        self.endpoint = self.params["endpoint"]
        self.actor: dict[str, Any] = json.loads(self.params["actor"])
        self.registration = self.params["registration"]
        self.activity_id = self.params["activityId"]
        self.auth: str | None = None
        self.data: dict[str, Any] = {}

    # --- launch ------------------------------------------------------------------------

    def fetch(self) -> dict[str, Any]:
        response = self.client.post(path_of(self.params["fetch"]))
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        if "auth-token" in body:
            self.auth = "Basic " + body["auth-token"]
        return body

    def xapi(
        self,
        method: str,
        resource: str,
        params: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = "application/json",
        auth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        headers = {"X-Experience-API-Version": self.version, **(headers or {})}
        if auth is not None or self.auth is not None:
            headers["Authorization"] = auth if auth is not None else str(self.auth)
        path = path_of(self.endpoint) + resource + (f"?{urlencode(params)}" if params else "")
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        kwargs: dict[str, Any] = {"headers": headers, "data": data}
        if content_type is not None and data is not None:
            kwargs["content_type"] = content_type
        return self.client.open(path, method=method, **kwargs)

    def state_params(self, state_id: str) -> dict[str, str]:
        return {
            "stateId": state_id,
            "activityId": self.activity_id,
            "agent": json.dumps(self.actor),
            "registration": self.registration,
        }

    def load_launch_data(self) -> dict[str, Any]:
        response = self.xapi("GET", "/activities/state", self.state_params("LMS.LaunchData"))
        assert response.status_code == 200, response.get_data(as_text=True)
        self.data = response.get_json()
        return self.data

    def read_preferences(self) -> TestResponse:
        return self.xapi(
            "GET", "/agents/profile", {"profileId": "cmi5LearnerPreferences", "agent": json.dumps(self.actor)}
        )

    def start(self) -> None:
        """What an AU does first: fetch, LaunchData, learner preferences, initialized."""
        self.fetch()
        self.load_launch_data()
        assert self.read_preferences().status_code in (200, 404)
        self.expect(self.send(self.initialized()), 204)

    # --- statements ---------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return str(self.data["contextTemplate"]["extensions"][CMI5 + "context/extensions/sessionid"])

    def statement(
        self, verb: str, result: dict[str, Any] | None = None, *, defined: bool = True, moveon: bool = False
    ) -> dict[str, Any]:
        context = json.loads(json.dumps(self.data.get("contextTemplate", {})))
        context["registration"] = self.registration
        activities = context.setdefault("contextActivities", {})
        categories = activities.setdefault("category", [])
        if defined:
            categories.append({"id": CMI5 + "context/categories/cmi5"})
        if moveon:
            categories.append({"id": CMI5 + "context/categories/moveon"})
        if not categories:
            activities.pop("category")
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "actor": dict(self.actor),
            "verb": {"id": VERBS.get(verb, verb), "display": {"en-US": verb}},
            "object": {"id": self.activity_id, "objectType": "Activity"},
            "context": context,
        }
        if result is not None:
            statement["result"] = result
        return statement

    def initialized(self) -> dict[str, Any]:
        return self.statement("initialized")

    def completed(self) -> dict[str, Any]:
        return self.statement("completed", {"completion": True, "duration": "PT30S"}, moveon=True)

    def judged(self, verb: str, score: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = {"success": verb == "passed", "duration": "PT45S"}
        statement = self.statement(verb, result, moveon=True)
        if score is not None:
            result["score"] = dict(score)
            if "masteryScore" in self.data:
                statement["context"].setdefault("extensions", {})[CMI5 + "context/extensions/masteryscore"] = self.data[
                    "masteryScore"
                ]
        return statement

    def passed(self, score: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.judged("passed", score)

    def failed(self, score: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.judged("failed", score)

    def terminated(self) -> dict[str, Any]:
        return self.statement("terminated", {"duration": "PT60S"})

    def allowed(self, verb: str = "experienced") -> dict[str, Any]:
        return self.statement(verb, defined=False)

    def send(self, statement: dict[str, Any], method: str = "PUT", auth: str | None = None) -> TestResponse:
        if method == "PUT":
            return self.xapi(
                "PUT", "/statements", {"statementId": statement.get("id", str(uuid.uuid4()))}, statement, auth=auth
            )
        return self.xapi("POST", "/statements", None, statement, auth=auth)

    @staticmethod
    def expect(response: TestResponse, *statuses: int) -> TestResponse:
        assert response.status_code in statuses, f"{response.status_code}: {response.get_data(as_text=True)}"
        return response

    def refused(self, statement: dict[str, Any], method: str = "PUT") -> str:
        """Send a statement the LMS must refuse (403); return the LRS's reason."""
        response = self.expect(self.send(statement, method), 403)
        return str(response.get_json()["error"])


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
