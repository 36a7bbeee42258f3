"""The user form: a new user is not told to keep a password; agencies and the person come from pickers."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from tests.support.app import csrf_token

Login = Callable[[User], FlaskClient]


def test_the_new_user_form_asks_for_a_password_and_offers_pickers(make_user: Callable[..., User], login: Login) -> None:
    client = login(make_user(Role.ADMIN))
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert "keep the current password" not in page and "รหัสผ่านเดิม" not in page
    assert 'data-picker="/agencies/search.json"' in page and 'data-picker="/people/search.json"' in page
    assert page.count('name="agency_codes"') == 2  # two empty agency pickers


def test_pickers_values_create_an_officer_and_a_linked_learner(
    make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    login: Login,
) -> None:
    first, second = make_agency("81", name_th="กระทรวงหนึ่ง"), make_agency("82", name_th="กระทรวงสอง")
    person = make_person(make_agency("81001", parent=first), employee_no="6500123")
    client = login(make_user(Role.ADMIN))
    found = client.get("/people/search.json?q=6500123").get_json()
    assert found == [{"code": "81001:6500123", "name": person.full_name_th}]
    response = client.post(
        "/admin/users/new",
        data={
            "email": "picked@example.go.th",
            "password": "a-long-password",
            "roles": ["hr_officer", "learner"],
            "agency_codes": ["81 กระทรวงหนึ่ง", "82 กระทรวงสอง", ""],
            "employee": f"81001:6500123 {person.full_name_th}",
            "active": "y",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "picked@example.go.th"))
    assert user is not None and user.person_id == person.id
    assert sorted(a.code for a in user.scoped_agencies) == ["81", "82"]
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="81 กระทรวงหนึ่ง"' in page and 'value="82 กระทรวงสอง"' in page
    assert second.code in page


def test_an_officer_finds_only_people_of_their_agencies(
    make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    login: Login,
) -> None:
    mine, theirs = make_agency("83"), make_agency("84")
    make_person(mine, employee_no="7700001")
    make_person(theirs, employee_no="7700002")
    client = login(make_user(Role.HR_OFFICER, agencies=(mine,)))
    assert [p["code"] for p in client.get("/people/search.json?q=77000").get_json()] == ["83:7700001"]
