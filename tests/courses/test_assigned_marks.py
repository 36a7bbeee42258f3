"""HR sees who has been assigned what: marks on the unit people list and on the assign page; BE due dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.dates import be_year, current_fiscal_year, today
from academy.db import db
from academy.org.models import Agency, Person
from courses.models import Course, Enrolment, EnrolmentSource
from tests.support.app import csrf_token

Login = Callable[[User], FlaskClient]


@pytest.fixture
def department(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency("62001", parent=make_agency("62"), name_th="กรมทดสอบ", name_en="Test Department")


def test_the_unit_people_list_sorts_on_the_server_and_marks_assigned_people(
    make_course: Callable[..., Course],
    department: Agency,
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    people = [
        make_person(department, line="K-COMP", level="K2", employee_no=f"SORTS-{n}", first_name_th=f"ชื่อ{n}")
        for n in (3, 1, 2)
    ]
    course = make_course("SORT1")
    db.session.add(
        Enrolment(
            person_id=people[0].id,
            course_id=course.id,
            source=EnrolmentSource.ASSIGNED,
            fiscal_year=current_fiscal_year(),
            due_on=today() - timedelta(days=2),
        )
    )
    db.session.flush()
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))
    base = f"/reports/agencies/{department.code}/people"

    def order(sort: str) -> list[str]:
        text = client.get(f"{base}?sort={sort}").get_data(as_text=True)
        table = text[text.index("<tbody>") :]
        return sorted(("SORTS-1", "SORTS-2", "SORTS-3"), key=table.index)

    assert order("employee_no") == ["SORTS-1", "SORTS-2", "SORTS-3"]
    assert order("-employee_no") == ["SORTS-3", "SORTS-2", "SORTS-1"]
    assert client.get(f"{base}?sort=nonsense").status_code == 200  # unknown: by name
    text = client.get(base).get_data(as_text=True)
    assert 'aria-sort="ascending"' in text
    row = text[text.index("ชื่อ3") :]
    row = row[: row.index("</tr>")]
    assert "badge assigned" in row and 'class="overdue"' in row
    other = text[text.index("ชื่อ1") :]
    assert "badge assigned" not in other[: other.index("</tr>")]


def test_a_due_date_in_buddhist_era_assigns_and_the_people_are_marked_assigned(
    make_course: Callable[..., Course],
    department: Agency,
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course("BEDUE")
    person = make_person(department, line="K-COMP", level="K2")
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))
    year = current_fiscal_year()
    query = f"agency={department.code}&profile=it-operational&course={course.code}&fiscal_year={year}"
    page = client.get(f"/courses/assign?{query}").get_data(as_text=True)
    default = today() + timedelta(days=30)
    assert f'value="{default.day:02d}/{default.month:02d}/{be_year(default.year)}"' in page  # BE on Thai pages
    assert 'type="date"' not in page
    due = today() + timedelta(days=20)
    form = {
        "agency": department.code,
        "profile": "it-operational",
        "course": course.code,
        "fiscal_year": str(year),
        "csrf_token": csrf_token(client, f"/courses/assign?{query}"),
    }
    bad = client.post("/courses/assign", data={**form, "due_on": "31/02/2570"})
    assert bad.status_code == 400
    be = f"{due.day}/{due.month}/{be_year(due.year)}"
    assert client.post("/courses/assign", data={**form, "due_on": be}).status_code == 302
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id))
    assert enrolment is not None and enrolment.due_on == due
    page = client.get(f"/courses/assign?{query}").get_data(as_text=True)
    row = page[page.index(person.first_name_th) :]
    assert "badge assigned" in row[: row.index("</li>")]
