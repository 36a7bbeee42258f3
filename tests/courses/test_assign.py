"""HR officers assign a course to the untrained people of a profile in their agency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year, today
from academy.db import db
from academy.org.models import Agency, Person
from competencies.models import TrainingYear
from courses.models import Course, Enrolment, EnrolmentSource
from tests.support.app import csrf_token

Login = Callable[[User], FlaskClient]


def test_an_officer_assigns_a_course_to_the_untrained_people_of_a_profile(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    course = make_course()
    ministry = make_agency("41")
    division = make_agency(parent=make_agency("41001", parent=ministry))
    untrained = make_person(division, line="K-COMP", level="K2")
    trained = make_person(division, line="K-COMP", level="K2")
    other_profile = make_person(division, line="K-GEN", level="K2")
    year = current_fiscal_year()
    db.session.add(TrainingYear(person_id=trained.id, fiscal_year=year))
    elsewhere = make_agency("42")
    db.session.flush()

    client = login(make_user(Role.HR_OFFICER, agencies=(ministry,)))
    query = f"agency=41&profile=it-operational&course={course.code}&fiscal_year={year}"
    page = client.get(f"/courses/assign?{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert untrained.first_name_th in text and trained.first_name_th not in text
    assert other_profile.first_name_th not in text
    assert client.get(f"/courses/assign?agency={elsewhere.code}").status_code == 404

    token = csrf_token(client, f"/courses/assign?{query}")
    due = (today() + timedelta(days=30)).isoformat()
    form = {"agency": "41", "profile": "it-operational", "course": course.code, "fiscal_year": str(year)}
    assert client.post("/courses/assign", data={**form, "due_on": due}).status_code == 400  # no CSRF token
    past = (today() - timedelta(days=1)).isoformat()
    assert client.post("/courses/assign", data={**form, "due_on": past, "csrf_token": token}).status_code == 400
    response = client.post("/courses/assign", data={**form, "due_on": due, "csrf_token": token})
    assert response.status_code == 302
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)).all()
    assert [(e.person_id, e.source, e.fiscal_year, e.due_on.isoformat()) for e in enrolments] == [
        (untrained.id, EnrolmentSource.ASSIGNED, year, due)
    ]


def test_learners_may_not_assign_courses(make_user: Callable[..., User], login: Login) -> None:
    assert login(make_user(Role.LEARNER)).get("/courses/assign").status_code == 403


def test_an_assignment_can_add_the_course_to_the_peoples_development_plans(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    from competencies.idp.models import Idp, IdpState, LearningKind
    from competencies.idp.services.workflow import create_idp

    course = make_course()
    ministry = make_agency("43")
    division = make_agency(parent=make_agency("43001", parent=ministry))
    with_plan = make_person(division, line="K-COMP", level="K2")
    without_plan = make_person(division, line="K-COMP", level="K2")
    year = current_fiscal_year()
    existing = create_idp(with_plan, year, None, None)
    existing.state = IdpState.AGREED
    db.session.flush()

    client = login(make_user(Role.HR_OFFICER, agencies=(ministry,)))
    query = f"agency=43&profile=it-operational&course={course.code}&fiscal_year={year}"
    token = csrf_token(client, f"/courses/assign?{query}")
    due = (today() + timedelta(days=30)).isoformat()
    form = {"agency": "43", "profile": "it-operational", "course": course.code, "fiscal_year": str(year)}
    response = client.post("/courses/assign", data={**form, "due_on": due, "csrf_token": token, "add_to_idps": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    plans = {i.person_id: i for i in db.session.scalars(select(Idp).where(Idp.fiscal_year == year))}
    assert set(plans) == {with_plan.id, without_plan.id}
    assert plans[without_plan.id].state is IdpState.DRAFT  # a new plan for who had none
    assert plans[with_plan.id].state is IdpState.AGREED and plans[with_plan.id].version == 2
    for plan in plans.values():
        [goal] = plan.goals
        assert (goal.competency.code, goal.target_level) == ("DG-01", 2)
        assert [(item.kind, item.course_id) for item in goal.learning] == [(LearningKind.COURSE, course.id)]
    # Again: nothing is planned twice.
    client.post("/courses/assign", data={**form, "due_on": due, "csrf_token": token, "add_to_idps": "1"})
    db.session.expire_all()
    assert len(db.session.get(Idp, existing.id).goals[0].learning) == 1  # type: ignore[union-attr]
