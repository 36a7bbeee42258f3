"""Demo courses: twenty courses across the seven areas of the standard, imported from course documents."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from academy.db import db
from competencies.models import Alignment
from competencies.services.frameworks import seed_standard
from courses.cmi5.demo import DEMO_CODE as CMI5_DEMO_CODE
from courses.cmi5.demo import build_cmi5_demo_course
from courses.models import Course, CourseFormat
from courses.services.exchange import import_course

DATA = Path(__file__).resolve().parent / "data" / "demo_courses.yaml"
#: Keys of the demo's lessons, quizzes and questions are uuid5 names in this namespace, so that
#: their activity IRIs are the same on every installation.
KEY_NAMESPACE = uuid.UUID("6f1c2b1e-8a1d-5d0e-9c57-2f4b8e0a2569")


def demo_documents() -> list[dict[str, Any]]:
    """The course documents of the demo (courses/data/demo_courses.yaml), with their keys filled in."""
    with DATA.open(encoding="utf-8") as stream:
        return [_with_keys(document) for document in yaml.safe_load_all(stream)]


def _key(*parts: object) -> str:
    return str(uuid.uuid5(KEY_NAMESPACE, "/".join(map(str, parts))))


def _with_keys(document: dict[str, Any]) -> dict[str, Any]:
    code = document["code"]
    for m, module in enumerate(document.get("modules") or []):
        for n, lesson in enumerate(module.get("lessons") or []):
            lesson.setdefault("key", _key(code, m, "lesson", n))
        for n, quiz in enumerate(module.get("quizzes") or []):
            quiz.setdefault("key", _key(code, m, "quiz", n))
            for q, question in enumerate(quiz.get("questions") or []):
                question.setdefault("key", _key(code, m, "quiz", n, "question", q))
    return document


def build_courses() -> int:
    """Create the demo courses that do not exist yet (by code), published and aligned; return how many."""
    seed_standard()
    existing = set(db.session.scalars(select(Course.code)))
    created = 0
    for document in demo_documents():
        if document["code"] in existing:
            continue
        import_course(document)
        created += 1
    if CMI5_DEMO_CODE not in existing:
        cmi5_course = build_cmi5_demo_course()
        framework = seed_standard()
        target = next(c for c in framework.competencies if c.code == "DG-02")
        db.session.add(Alignment(activity_id=cmi5_course.activity_iri, competency_id=target.id, level=2))
        db.session.flush()
        created += 1
    return created


def build_demo_learning(learner_email: str, officer_email: str) -> int:
    """Give the demo learner a story through the player: one course completed, one begun, one assigned.

    Only when both demo accounts exist (development); return how many enrolments were made.
    """
    from datetime import timedelta

    from academy.auth.services import get_user_by_email
    from academy.dates import current_fiscal_year, today
    from competencies.services.frameworks import active_standard
    from courses.services.catalogue import course_items, recommend_courses
    from courses.services.enrolment import assign_course, enrol, enrolment_of
    from courses.services.player import launch_course, start_attempt, submit_attempt, view_lesson

    learner, officer = get_user_by_email(learner_email), get_user_by_email(officer_email)
    framework = active_standard()
    if learner is None or learner.person is None or officer is None or framework is None:
        return 0
    person = learner.person
    picks = [
        r.course
        for r in recommend_courses(person, framework, limit=20)
        if r.course.format is CourseFormat.ONLINE and course_items(r.course)
    ][:3]
    if len(picks) < 3 or any(enrolment_of(person, course) for course in picks):
        return 0
    finished, begun, assigned = picks
    enrolment = enrol(person, finished)
    launch_course(enrolment, "th")
    for item in course_items(finished):
        if item.lesson is not None:
            view_lesson(enrolment, item.lesson, "th")
        elif item.quiz is not None:
            answers = {q.id: [c.id for c in q.choices if c.correct] for q in item.quiz.questions}
            submit_attempt(start_attempt(enrolment, item.quiz), answers, "th")
    enrolment = enrol(person, begun)
    launch_course(enrolment, "th")
    first = course_items(begun)[0]
    if first.lesson is not None:
        view_lesson(enrolment, first.lesson, "th")
    assign_course(assigned, [person.id], current_fiscal_year(), today() + timedelta(days=45), officer)
    return 3


def build_demo_assignments(officer_email: str, exclude_email: str) -> int:
    """The demo HR officer's assignments in their department: one course overdue, one due within a week.

    Each goes to a third of the department's untrained IT people (not the demo learner, whose own
    story build_demo_learning tells); return how many people were assigned. Only when the officer exists.
    """
    from datetime import timedelta

    from academy.auth.services import get_user_by_email
    from academy.dates import current_fiscal_year, today
    from academy.org.models import Agency, Person, PersonnelGroup, PersonStatus
    from courses.models import CourseKind, CourseStatus, Enrolment
    from courses.services.enrolment import assign_course

    officer = get_user_by_email(officer_email)
    if officer is None or not officer.scoped_agencies:
        return 0
    learner = get_user_by_email(exclude_email)
    skip = {learner.person_id} if learner is not None and learner.person_id is not None else set()
    department = officer.scoped_agencies[0]
    people = [
        pid
        for pid in db.session.scalars(
            select(Person.id)
            .join(Agency, Agency.id == Person.agency_id)
            .where(
                Agency.path.startswith(department.path),
                Person.personnel_group == PersonnelGroup.IT,
                Person.status == PersonStatus.ACTIVE,
                ~select(Enrolment.id).where(Enrolment.person_id == Person.id).exists(),
            )
            .order_by(Person.id)
        )
        if pid not in skip
    ]
    courses = db.session.scalars(
        select(Course)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Course.format == CourseFormat.ONLINE,
            Course.kind == CourseKind.NATIVE,
        )
        .order_by(Course.code)
    ).all()
    if len(courses) < 2 or len(people) < 3:
        return 0
    third = len(people) // 3
    year, day = current_fiscal_year(), today()
    overdue = assign_course(courses[0], people[:third], year, day - timedelta(days=10), officer)
    due_soon = assign_course(courses[1], people[third : 2 * third], year, day + timedelta(days=5), officer)
    return overdue + due_soon
