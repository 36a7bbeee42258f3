"""REST API fixtures: an agency tree, tokens, and requests that carry them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from academy.org.models import Agency
from api.rest.tokens import create_token
from tests.support.rest import Api, Tree, bearer


@pytest.fixture
def tree(make_agency: Callable[..., Agency]) -> Tree:
    ministry_a = make_agency("11", name_en="Ministry of Digital Economy", name_th="กระทรวงดิจิทัล")
    department_a = make_agency("11001", parent=ministry_a, name_en="Department of Digital Services")
    division_a = make_agency("1100101", parent=department_a, name_en="Data Division")
    ministry_b = make_agency("22", name_en="Ministry of Finance", name_th="กระทรวงการคลัง")
    department_b = make_agency("22001", parent=ministry_b, name_en="Comptroller General's Department")
    return Tree(ministry_a, department_a, division_a, ministry_b, department_b)


@pytest.fixture
def make_token() -> Callable[..., str]:
    def make(agency: Agency, name: str = "DPIS") -> str:
        return create_token(agency, name, created_by="test").secret

    return make


@pytest.fixture
def token_a(tree: Tree, make_token: Callable[..., str]) -> str:
    """A token of department A: it sees department A and its division."""
    return make_token(tree.department_a)


@pytest.fixture
def api(client: FlaskClient, token_a: str) -> Api:
    """Call the API with department A's token: api("GET", "/api/v1/people", query_string=...)."""

    def send(method: str, path: str, *, token: str | None = token_a, **kwargs: Any) -> TestResponse:
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        return client.open(path, method=method, headers=headers, **kwargs)

    return send
