"""Privacy fixtures: the competency fixtures (the seeded standard, an aligned activity), and people who learn."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import User
from tests.competencies.conftest import aligned, standard  # noqa: F401  (fixtures)
from tests.support.app import PASSWORD, csrf_token


@pytest.fixture
def sign_in(app: Flask) -> Callable[[User], FlaskClient]:
    """A fresh client signed in as this user: several people act in one test."""

    def do(user: User) -> FlaskClient:
        client = app.test_client()
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do


def form_token(client: FlaskClient, path: str) -> str:
    return csrf_token(client, path)
