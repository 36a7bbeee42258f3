"""An office for IDP tests: a department with a division, its head, an official, their colleagues and HR."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.org.models import Agency, Person
from academy.org.supervision import set_unit_head
from competencies.models import Framework
from tests.support.app import csrf_token


@dataclass
class Office:
    ministry: Agency
    department: Agency
    division: Agency
    other: Agency  # another department, elsewhere
    head: Person  # head of the division: the official's supervisor
    official: Person
    colleague: Person  # also reports to the head
    stranger: Person  # in the other department, heads it
    director: Person  # head of the department, above the division's head
    head_user: User
    official_user: User
    colleague_user: User
    stranger_user: User
    director_user: User
    hr: User  # HR of the department
    other_hr: User  # HR of the other department
    admin: User


@pytest.fixture
def office(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
) -> Office:
    ministry = make_agency("30")
    department = make_agency("30001", parent=ministry)
    division = make_agency("3000101", parent=department)
    other = make_agency("30002", parent=ministry)
    head = make_person(division, line="K-COMP", level="K3")
    official = make_person(division, line="K-COMP", level="K2")
    colleague = make_person(division, line="K-COMP", level="K1")
    stranger = make_person(other, line="K-COMP", level="K3")
    director = make_person(department, line="K-COMP", level="K4")
    set_unit_head(head, True)
    set_unit_head(stranger, True)
    set_unit_head(director, True)
    return Office(
        ministry,
        department,
        division,
        other,
        head,
        official,
        colleague,
        stranger,
        director,
        make_user(person=head),
        make_user(person=official),
        make_user(person=colleague),
        make_user(person=stranger),
        make_user(person=director),
        make_user(Role.HR_OFFICER, agencies=(department,)),
        make_user(Role.HR_OFFICER, agencies=(other,)),
        make_user(Role.ADMIN),
    )


@pytest.fixture
def sign_in(client: FlaskClient, login: Callable[..., FlaskClient]) -> Callable[[User], FlaskClient]:
    """Sign in as the user, signing out whoever was signed in."""
    state = {"in": False}

    def sign(user: User) -> FlaskClient:
        if state["in"]:
            client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        state["in"] = True
        return login(user)

    return sign
