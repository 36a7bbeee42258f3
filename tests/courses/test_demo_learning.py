"""The demo learner's story goes through the real player: completed, begun, assigned."""

from __future__ import annotations

from sqlalchemy import select

from academy.auth.services import get_user_by_email
from academy.db import db
from academy.org.demo import build_demo
from courses.demo import build_courses, build_demo_learning
from courses.models import Enrolment, EnrolmentSource, EnrolmentStatus
from lrs.models import Statement
from tests.support.app import BASE_URL


def test_the_demo_learner_has_a_completed_a_begun_and_an_assigned_course() -> None:
    build_demo(people=300, base_url=BASE_URL, password="demo-academy-2569")
    assert build_courses() == 21
    assert build_demo_learning("learner@demo.go.th", "hr@demo.go.th") == 3
    learner = get_user_by_email("learner@demo.go.th")
    assert learner is not None and learner.person is not None
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.person_id == learner.person.id)).all()
    assert sorted((e.status, e.source) for e in enrolments) == sorted(
        [
            (EnrolmentStatus.COMPLETED, EnrolmentSource.SELF),
            (EnrolmentStatus.IN_PROGRESS, EnrolmentSource.SELF),
            (EnrolmentStatus.ENROLLED, EnrolmentSource.ASSIGNED),
        ]
    )
    completed = next(e for e in enrolments if e.status is EnrolmentStatus.COMPLETED)
    verbs = db.session.scalars(select(Statement.verb_id).where(Statement.registration == completed.registration))
    assert "http://adlnet.gov/expapi/verbs/completed" in set(verbs)
    assert build_demo_learning("learner@demo.go.th", "hr@demo.go.th") == 0  # once only
