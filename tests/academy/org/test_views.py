"""People pages: an HR officer sees only their agencies, and cannot guess their way out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.extensions import db
from academy.org.events import people_changed
from academy.org.models import Agency, Person
from competencies.models import Standing
from competencies.services.frameworks import seed_standard
from tests.support.app import csrf_token


@pytest.fixture
def world(make_agency: Callable[..., Agency], make_person: Callable[..., Person]) -> dict[str, object]:
    ministry = make_agency("10")
    mine = make_agency("10001", parent=ministry)
    my_division = make_agency("1000101", parent=mine)
    theirs = make_agency("10002", parent=ministry)
    return {
        "mine": mine,
        "theirs": theirs,
        "colleague": make_person(mine, first_name_th="สมศรี", last_name_th="ใจงาม", first_name_en="Somsri"),
        "in_division": make_person(my_division, line="K-COMP", first_name_th="วิชัย"),
        "stranger": make_person(theirs, first_name_th="สมศักดิ์", last_name_th="ลับลับ", first_name_en="Somsak"),
    }


@pytest.fixture
def hr_client(
    world: dict[str, object], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> FlaskClient:
    return login(make_user(Role.HR_OFFICER, agencies=(world["mine"],)))


def test_hr_officer_sees_their_agency_and_units_beneath(hr_client: FlaskClient, world: dict) -> None:
    page = hr_client.get("/people").get_data(as_text=True)
    assert "สมศรี" in page and "วิชัย" in page
    assert "สมศักดิ์" not in page
    assert hr_client.get(f"/people/{world['in_division'].public_id}").status_code == 200


def test_another_agencys_person_is_404_for_an_hr_officer(hr_client: FlaskClient, world: dict) -> None:
    assert hr_client.get(f"/people/{world['stranger'].public_id}").status_code == 404


def test_search_and_agency_filter_do_not_leak(hr_client: FlaskClient, world: dict) -> None:
    assert "สมศักดิ์" not in hr_client.get("/people?q=Somsak").get_data(as_text=True)
    page = hr_client.get(f"/people?agency={world['theirs'].id}").get_data(as_text=True)
    assert "สมศักดิ์" not in page and "สมศรี" not in page
    tree = hr_client.get("/agencies").get_data(as_text=True)
    assert "10001" in tree and "10002" not in tree


def test_search_filters_by_name_group_and_status(hr_client: FlaskClient) -> None:
    page = hr_client.get("/people?q=ใจงาม").get_data(as_text=True)
    assert "สมศรี" in page and "วิชัย" not in page
    page = hr_client.get("/people?group=it").get_data(as_text=True)
    assert "วิชัย" in page and "สมศรี" not in page
    assert hr_client.get("/people?group=bogus").status_code == 400


def test_people_list_is_paginated(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    agency = make_agency("11")
    for _ in range(55):
        make_person(agency)
    client = login(make_user(Role.ADMIN))
    first = client.get("/people").get_data(as_text=True)
    assert "55" in first and 'rel="next"' in first
    second = client.get("/people?page=2").get_data(as_text=True)
    assert second.count("/people/") - second.count("/people/import") == 5


def test_admin_sees_everyone_and_can_override_a_profile(
    world: dict, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    stranger = world["stranger"]
    path = f"/people/{stranger.public_id}"
    assert client.get(path).status_code == 200
    response = client.post(
        f"{path}/role-profile", data={"group": "it", "level": "", "csrf_token": csrf_token(client, path)}
    )
    assert response.status_code == 302
    db.session.refresh(stranger)
    assert stranger.personnel_group_override is not None and stranger.personnel_group.value == "it"


def test_overriding_a_profile_sends_people_changed_and_refreshes_the_persons_standing(
    app: Flask, world: dict, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    seed_standard()
    heard: list[list[int]] = []

    def receiver(_sender: Flask, *, person_ids: list[int]) -> None:
        heard.append(person_ids)

    client = login(make_user(Role.ADMIN))
    colleague = world["colleague"]
    path = f"/people/{colleague.public_id}"
    assert db.session.get(Standing, colleague.id) is None
    with people_changed.connected_to(receiver, app):
        response = client.post(
            f"{path}/role-profile", data={"group": "it", "level": "", "csrf_token": csrf_token(client, path)}
        )
    assert response.status_code == 302 and heard == [[colleague.id]]
    db.session.expire_all()
    standing = db.session.get(Standing, colleague.id)
    assert standing is not None and standing.meets_all is False  # now held to the IT profile, untrained


def test_an_hr_officer_cannot_override_profiles(hr_client: FlaskClient, world: dict) -> None:
    path = f"/people/{world['colleague'].public_id}"
    response = hr_client.post(f"{path}/role-profile", data={"group": "it", "csrf_token": csrf_token(hr_client, path)})
    assert response.status_code == 403


def test_import_template_lists_every_column(hr_client: FlaskClient) -> None:
    response = hr_client.get("/people/import-template.csv")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("agency_code,employee_no,")
