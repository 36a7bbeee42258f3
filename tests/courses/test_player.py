"""The player writes xAPI; progress, completion, attainment and coverage follow from the statements."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import select

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Attainment, Framework
from competencies.services.coverage import agency_coverage
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus, ItemProgress, QuizAttempt
from courses.services.activities import lesson_iri, quiz_iri
from courses.services.catalogue import course_items
from courses.services.enrolment import enrol
from courses.services.player import PlayerError, launch_course, start_attempt, submit_attempt, view_lesson
from lrs.models import Statement
from tests.support.competencies import competency
from tests.support.courses import correct_answers, wrong_answers
from tests.support.lrs import statement

ADL = "http://adlnet.gov/expapi/verbs/"


def statements_of(enrolment: Enrolment) -> list[dict]:
    return list(
        db.session.scalars(
            select(Statement.payload).where(Statement.registration == enrolment.registration).order_by(Statement.pk)
        )
    )


def test_a_learner_works_through_a_course_and_the_lrs_attainment_and_coverage_follow(
    make_course: Callable[..., Course],
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    course = make_course()
    department = make_agency("30001", parent=make_agency("30"))
    person = make_person(department, line="K-COMP", level="K2")
    make_person(department, line="K-COMP", level="K1")
    year = current_fiscal_year()
    assert agency_coverage(department.parent, year, standard).figures.trained == 0

    enrolment = enrol(person, course)
    launch_course(enrolment, "th")
    lessons = [item.lesson for item in course_items(course) if item.lesson]
    quiz = next(item.quiz for item in course_items(course) if item.quiz)
    view_lesson(enrolment, lessons[0], "th")
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS and enrolment.progress == 33
    view_lesson(enrolment, lessons[1], "en")
    assert enrolment.progress == 67

    failed = submit_attempt(start_attempt(enrolment, quiz), wrong_answers(quiz), "th")
    assert not failed.passed and failed.correct == 0 and failed.attempts_left == 2
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS
    passed = submit_attempt(start_attempt(enrolment, quiz), correct_answers(quiz), "th")
    assert passed.passed and passed.correct == 3 and str(passed.attempt.score) == "100.00"
    db.session.expire_all()
    assert enrolment.status is EnrolmentStatus.COMPLETED and enrolment.progress == 100

    # The LRS holds the whole story, each statement with the enrolment's registration.
    stored = statements_of(enrolment)
    verbs = [s["verb"]["id"].removeprefix(ADL) for s in stored]
    assert verbs == [
        "launched",
        "experienced",
        "progressed",
        "experienced",
        "progressed",
        "answered",
        "answered",
        "answered",
        "failed",
        "progressed",
        "answered",
        "answered",
        "answered",
        "passed",
        "completed",
    ]
    first = stored[1]
    assert first["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://academy.test", "name": str(person.public_id)},
    }
    assert first["object"]["id"] == lesson_iri(lessons[0])
    assert first["context"]["contextActivities"]["parent"][0]["id"] == course.activity_iri
    assert first["context"]["platform"] == "E-Workforce Academy"
    assert first["context"]["language"] == "th-TH" and stored[3]["context"]["language"] == "en-US"
    answered = stored[5]
    assert answered["object"]["definition"]["interactionType"] in {"choice", "true-false"}
    assert answered["context"]["contextActivities"]["parent"][0]["id"] == quiz_iri(quiz)
    assert answered["context"]["contextActivities"]["grouping"][0]["id"] == course.activity_iri
    assert "response" in answered["result"] and answered["result"]["success"] is False
    assert stored[13]["result"]["score"]["scaled"] == 1.0 and stored[13]["result"]["success"] is True
    assert stored[-1]["object"]["id"] == course.activity_iri and stored[-1]["result"]["completion"] is True

    # The completion is evidence: attainment and the ministry's coverage rise.
    target = competency(standard, "DG-01")
    level = db.session.scalar(
        select(Attainment.level).where(Attainment.person_id == person.id, Attainment.competency_id == target.id)
    )
    assert level == 2
    assert agency_coverage(department.parent, year, standard).figures.trained == 1


def test_the_quiz_keeps_its_attempt_limit_and_checks_answers(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    course = make_course(attempt_limit=1)
    enrolment = enrol(make_person(make_agency()), course)
    quiz = next(item.quiz for item in course_items(course) if item.quiz)
    attempt = start_attempt(enrolment, quiz)
    assert start_attempt(enrolment, quiz).id == attempt.id  # the open attempt, not a second one
    with pytest.raises(PlayerError, match="answer every question"):
        submit_attempt(attempt, {}, "th")
    single = next(q for q in quiz.questions if q.kind == "single")
    two_choices = {**correct_answers(quiz), single.id: [c.id for c in single.choices]}
    with pytest.raises(PlayerError, match="exactly one"):
        submit_attempt(attempt, two_choices, "th")
    with pytest.raises(PlayerError, match="not one of"):
        submit_attempt(attempt, {**correct_answers(quiz), single.id: [999999]}, "th")
    assert submit_attempt(attempt, wrong_answers(quiz), "th").attempts_left == 0
    with pytest.raises(PlayerError, match="no attempts"):
        start_attempt(enrolment, quiz)
    assert db.session.scalar(select(QuizAttempt.passed).where(QuizAttempt.id == attempt.id)) is False


def test_questions_and_choices_are_shuffled_per_attempt(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    course = make_course(attempt_limit=None)
    enrolment = enrol(make_person(make_agency()), course)
    quiz = next(item.quiz for item in course_items(course) if item.quiz)
    orders = set()
    for seed in range(8):
        attempt = start_attempt(enrolment, quiz, random.Random(seed))
        orders.add(tuple(entry["question"] for entry in attempt.layout))
        submit_attempt(attempt, wrong_answers(quiz), "th")
    assert len(orders) > 1
    assert all(sorted(order) == sorted(q.id for q in quiz.questions) for order in orders)


def test_a_platform_completion_without_an_enrolment_makes_a_record_enrolment(
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    from courses.services.player import player_authority
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    course = make_course()
    person = make_person(make_agency())
    add_identifier(person, IdentifierKind.MBOX, "mailto:napat@example.go.th")
    completed = statement(
        actor={"objectType": "Agent", "mbox": "mailto:napat@example.go.th"},
        object={"objectType": "Activity", "id": course.activity_iri},
        timestamp="2026-03-01T09:00:00Z",
    )
    [statement_id] = store_statements(completed, version=XapiVersion.V1, authority=player_authority())
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id))
    assert enrolment is not None
    assert (enrolment.source, enrolment.status, enrolment.progress) == (
        EnrolmentSource.RECORD,
        EnrolmentStatus.COMPLETED,
        100,
    )
    assert enrolment.completed_at.isoformat().startswith("2026-03-01T09:00")

    voiding = statement(verb={"id": ADL + "voided"}, object={"objectType": "StatementRef", "id": str(statement_id)})
    store_statements(voiding, version=XapiVersion.V1, authority=player_authority())
    db.session.expire_all()
    assert enrolment.status is EnrolmentStatus.ENROLLED and enrolment.completed_at is None


def test_voiding_a_lesson_statement_replays_the_enrolment(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    course = make_course()
    enrolment = enrol(make_person(make_agency()), course)
    lesson = course_items(course)[0].lesson
    view_lesson(enrolment, lesson, "th")
    experienced = next(s for s in statements_of(enrolment) if s["verb"]["id"] == ADL + "experienced")
    assert enrolment.progress == 33
    store_statements(
        statement(verb={"id": ADL + "voided"}, object={"objectType": "StatementRef", "id": experienced["id"]}),
        version=XapiVersion.V1,
        authority={"objectType": "Agent", "mbox": "mailto:admin@example.go.th"},
    )
    db.session.expire_all()
    assert enrolment.progress == 0
    assert db.session.get(ItemProgress, (enrolment.id, lesson_iri(lesson))) is None


def test_rebuilding_replays_every_enrolment_to_the_same_progress(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    from courses.services.progress import rebuild_course_progress

    course = make_course()
    agency = make_agency()
    finished, halfway = enrol(make_person(agency), course), enrol(make_person(agency), course)
    items = course_items(course)
    for item in items[:2]:
        view_lesson(finished, item.lesson, "th")
    view_lesson(halfway, items[0].lesson, "th")
    quiz = items[2].quiz
    submit_attempt(start_attempt(finished, quiz), correct_answers(quiz), "th")
    before = [(e.status, e.progress, e.completed_at) for e in (finished, halfway)]
    assert before[0][:2] == (EnrolmentStatus.COMPLETED, 100) and before[1][:2] == (EnrolmentStatus.IN_PROGRESS, 33)
    assert rebuild_course_progress() == 2
    db.session.expire_all()
    assert [(e.status, e.progress, e.completed_at) for e in (finished, halfway)] == before


def test_recommendations_are_ordered_by_how_much_of_the_gap_they_close(
    make_course: Callable[..., Course],
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    from courses.services.catalogue import recommend_courses

    person = make_person(make_agency(), line="K-COMP", level="K2")
    small = make_course("DG-SMALL", aligned_to="DG-01", level=1)
    large = make_course("DG-LARGE", aligned_to="DG-01", level=3)
    assert [r.course.code for r in recommend_courses(person, standard)][:2] == [large.code, small.code]
    ranked = recommend_courses(person, standard, exclude=[large.id])
    assert large.code not in [r.course.code for r in ranked] and ranked[0].closes >= 1


def test_enrolling_in_a_cmi5_course_starts_its_registration(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    from courses.cmi5.demo import build_cmi5_demo_course
    from courses.cmi5.models import Registration

    course = build_cmi5_demo_course()
    enrolment = enrol(make_person(make_agency()), course)
    assert db.session.scalar(select(Registration).where(Registration.enrolment_id == enrolment.id)) is not None
