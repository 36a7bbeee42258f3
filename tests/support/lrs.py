"""xAPI helpers: Basic credentials, a valid statement, the type of the xapi fixture."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from werkzeug.test import TestResponse

Xapi = Callable[..., TestResponse]


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


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
