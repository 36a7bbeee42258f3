"""Privacy fixtures: the competency fixtures (the seeded standard, an aligned activity), and people who learn."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import User
from tests.competencies.conftest import aligned, standard  # noqa: F401  (fixtures)
from tests.support.app import csrf_token
from tests.support.second_factor import sign_in as sign_in_page


@pytest.fixture
def sign_in(app: Flask) -> Callable[[User], FlaskClient]:
    """A fresh client signed in as this user: several people act in one test."""

    def do(user: User) -> FlaskClient:
        return sign_in_page(app.test_client(), user)

    return do


def form_token(client: FlaskClient, path: str) -> str:
    return csrf_token(client, path)
