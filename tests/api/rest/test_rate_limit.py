"""Each token has its own budget of calls; over it, 429 with a JSON message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.support.rest import Api, Tree


@pytest.fixture
def low_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_API_RATE_LIMIT", "3 per minute")


def test_a_token_over_its_limit_gets_429_and_others_do_not(
    api: Api, tree: Tree, make_token: Callable[..., str], low_limit: None
) -> None:
    for _ in range(3):
        assert api("GET", "/api/v1/agencies").status_code == 200
    # The budget is per token across the whole API, not per resource.
    response = api("GET", "/api/v1/people")
    assert response.status_code == 429
    assert response.get_json()["message"] == "too many requests: the limit is 3 per 1 minute"
    assert int(response.headers["Retry-After"]) > 0
    other = make_token(tree.department_b)
    assert api("GET", "/api/v1/agencies", token=other).status_code == 200


def test_unauthenticated_calls_are_limited_by_address(api: Api, tree: Tree, low_limit: None) -> None:
    for _ in range(3):
        assert api("GET", "/api/v1/agencies", token="ewa_000000000000.guess").status_code == 401
    assert api("GET", "/api/v1/agencies", token="ewa_000000000000.guess").status_code == 429
    assert api("GET", "/api/v1/agencies").status_code == 200  # a genuine token has its own budget
