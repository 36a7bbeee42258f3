"""One admin_required for every admin page: the anonymous sign in first, everyone but admins gets 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.org.models import Agency

ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/audit",
    "/admin/courses/",
    "/admin/cmi5/import",
    "/admin/gdx/consumers",
    "/admin/gdx/deliveries",
    "/admin/lrs-clients",
    "/admin/api-tokens",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_the_anonymous_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.HR_OFFICER])
def test_everyone_but_admins_is_refused(
    client: FlaskClient,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    role: Role,
) -> None:
    login(make_user(role, agencies=(make_agency(),)) if role is Role.HR_OFFICER else make_user(role))
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path


def test_admins_get_every_admin_page(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    login(make_user(Role.ADMIN))
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path
