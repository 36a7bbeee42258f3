"""LRS fixtures: clients with credentials, and requests that carry them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lrs.clients import NewClient, create_client

Xapi = Callable[..., TestResponse]


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.fixture
def make_credentials() -> Callable[..., str]:
    def make(*scopes: str, name: str = "Provider") -> str:
        new = create_client(name, list(scopes or ("all",)))
        return basic(new.client.key, new.secret)

    return make


@pytest.fixture
def provider() -> NewClient:
    """The client (scope all) whose credentials xapi() sends unless told otherwise."""
    return create_client("Provider", ["all"])


@pytest.fixture
def xapi(client: FlaskClient, provider: NewClient) -> Xapi:
    """Send an xAPI request: xapi("POST", "/xapi/statements", json=..., version="2.0.0")."""
    default_auth = basic(provider.client.key, provider.secret)

    def send(
        method: str,
        path: str,
        *,
        json_body: Any = None,
        version: str = "2.0.0",
        auth: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        all_headers = {"X-Experience-API-Version": version, "Authorization": auth or default_auth, **(headers or {})}
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body)
            kwargs.setdefault("content_type", "application/json")
        return client.open(path, method=method, headers=all_headers, **kwargs)

    return send


def statement(**overrides: Any) -> dict[str, Any]:
    """A valid statement: a learner completed an activity."""
    value: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.go.th"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "https://academy.test/courses/digital-literacy",
            "definition": {"name": {"en-US": "Digital Literacy", "th-TH": "การรู้ดิจิทัล"}},
        },
    }
    value.update(overrides)
    return value
