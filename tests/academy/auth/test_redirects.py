"""One safe-redirect rule for every ``next``: the usual bypasses fall back to the home page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import User
from academy.auth.redirects import is_safe_redirect, safe_redirect_target
from tests.support.app import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[3]

BYPASSES = [
    "/\t/evil.example/phish",
    "/%09/evil.example/phish",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%0A/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%0D%0A/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " /\t/evil.example",
    "evil.example",
    "",
]
SAFE = ["/", "/people?q=%E0%B8%81&page=2", "/courses/PY-101/lessons/intro", "/reports/agencies/03003?fy=2569"]


@pytest.mark.parametrize("target", BYPASSES)
def test_bypasses_fall_back_to_the_home_page(app: Flask, target: str) -> None:
    assert not is_safe_redirect(target)
    with app.test_request_context():
        assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_kept(app: Flask, target: str) -> None:
    with app.test_request_context():
        assert safe_redirect_target(target) == target


@pytest.mark.parametrize("target", ["/\t/evil.example/phish", "//evil.example/phish", "/\\evil.example", "%2F%2Fevil"])
def test_sign_in_never_redirects_off_site(client: FlaskClient, make_user: Callable[..., User], target: str) -> None:
    user = make_user()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login", query_string={"next": target}, data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_goes_on_to_the_page_asked_for(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login", query_string={"next": "/courses?q=python"}, data=data)
    assert response.headers["Location"] == "/courses?q=python"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%5C%5Cevil.example", "javascript:alert(1)"])
def test_the_language_switch_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_every_reader_of_next_uses_the_safe_redirect_rule() -> None:
    readers = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "node_modules" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""(args|form|values)(\.get\(|\[)\s*["']next["']""", line):
                readers.append((path.relative_to(ROOT), number, "safe_redirect_target(" in line))
    assert readers, "no reader of next found: the pattern is out of date"
    assert [reader for reader in readers if not reader[2]] == []
