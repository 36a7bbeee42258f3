"""Projections under concurrent batches: no errors, and the live rows equal a rebuild's (PostgreSQL)."""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import func, select

from academy import create_app
from academy.db import db
from academy.org.demo import ensure_position_lines
from academy.org.models import Agency, Person
from competencies.models import Alignment, Attainment, Evidence
from competencies.services.frameworks import seed_standard
from courses.models import (
    CompletionRule,
    Course,
    CourseFormat,
    CourseStatus,
    Enrolment,
    EnrolmentSource,
    Lesson,
    Module,
)
from courses.services.activities import course_iri_for, lesson_iri
from lrs import rebuild_and_compare
from lrs.clients import create_client
from tests.support.app import BASE_URL, make_settings, postgres_database
from tests.support.lrs import basic

pytestmark = [
    pytest.mark.own_database,
    pytest.mark.skipif(
        not os.environ.get("ACADEMY_TEST_DATABASE_URL"), reason="PostgreSQL only: SQLite serialises writers"
    ),
]

ADL = "http://adlnet.gov/expapi/verbs/"
EXTERNAL = "https://provider.example/courses/cyber-hygiene"
THREADS, BATCHES, BATCH = 6, 8, 15


@pytest.fixture
def own_app(make_agency: Callable[..., Agency], make_person: Callable[..., Person]) -> Iterator[Flask]:
    """An app on a database of its own: the standard, six people, three aligned courses, some enrolments."""
    server_url = os.environ["ACADEMY_TEST_DATABASE_URL"]
    for database_url in postgres_database(server_url):
        app = create_app(settings=make_settings(database_url))
        with app.app_context():
            flask_migrate.upgrade()
            ensure_position_lines()
            standard = seed_standard()
            leaves = [c for c in standard.competencies if c.parent_id is not None]
            agency = make_agency()
            people = [make_person(agency, line="K-COMP", level="K2") for _ in range(6)]
            courses = [_course(f"CC{n}") for n in range(3)]
            for n, course in enumerate(courses):
                db.session.add(Alignment(activity_id=course.activity_iri, competency_id=leaves[n].id, level=1 + n))
            db.session.add(Alignment(activity_id=EXTERNAL, competency_id=leaves[0].id, level=3))
            for person in people[:3]:
                for course in courses[:2]:
                    db.session.add(Enrolment(person_id=person.id, course_id=course.id, source=EnrolmentSource.SELF))
            new = create_client("load", ["all"])
            # The platform's own writers (player, cmi5 LMS): the trust model believes their course statements.
            new.client.platform = True
            app.config["TEST_AUTH"] = basic(new.client.key, new.secret)
            db.session.commit()
        yield app
        with app.app_context():
            db.engine.dispose()


def _course(code: str) -> Course:
    course = Course(
        code=code,
        title_th=f"หลักสูตร {code}",
        title_en=f"Course {code}",
        description_th="",
        description_en="",
        provider="สถาบัน",
        format=CourseFormat.ONLINE,
        hours=Decimal("1.0"),
        language="th",
        status=CourseStatus.PUBLISHED,
        activity_iri=course_iri_for(code),
        completion_rule=CompletionRule.LESSONS_AND_QUIZZES,
    )
    module = Module(position=1, title_th="บทที่ 1", title_en="Chapter 1")
    module.lessons = [Lesson(position=n, title_th=f"บท {n}", title_en=f"Lesson {n}") for n in (1, 2, 3)]
    course.modules = [module]
    db.session.add(course)
    db.session.flush()
    return course


def _moment(rng: random.Random) -> str:
    """A moment over two fiscal years, so that arrival order is not time order."""
    moment = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(600 * 86400))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _statement(actor: dict[str, Any], verb: str, activity: str, rng: random.Random, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": actor,
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": _moment(rng),
        **extra,
    }


class World:
    """What the statements are about, read once: actors, courses, lessons, registrations."""

    def __init__(self) -> None:
        people = db.session.scalars(select(Person).order_by(Person.id)).all()
        self.actors = {
            p.id: {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": str(p.public_id)}} for p in people
        }
        courses = db.session.scalars(select(Course).order_by(Course.id)).all()
        self.courses = [
            (c.id, c.activity_iri, [lesson_iri(lesson) for lesson in c.modules[0].lessons]) for c in courses
        ]
        self.registrations = {
            (e.person_id, e.course_id): str(e.registration) for e in db.session.scalars(select(Enrolment))
        }


def _batch(world: World, rng: random.Random, mine: list[str]) -> list[dict[str, Any]]:
    """Completions by registered people (some failed, some with their registration), lessons viewed,
    launches, an aligned outside activity; voids of this client's earlier completions."""
    batch = []
    for _ in range(BATCH):
        person_id = rng.choice(list(world.actors))
        actor = world.actors[person_id]
        course_id, course_iri, lessons = rng.choice(world.courses)
        registration = world.registrations.get((person_id, course_id))
        context = {"context": {"registration": registration}} if registration and rng.random() < 0.7 else {}
        kind = rng.random()
        if kind < 0.4:
            success = rng.random() < 0.85
            verb = rng.choice(["completed", "passed"])
            statement = _statement(actor, verb, course_iri, rng, result={"success": success}, **context)
            if success:
                mine.append(statement["id"])
        elif kind < 0.6:
            statement = _statement(actor, "completed", EXTERNAL, rng)
            mine.append(statement["id"])
        elif kind < 0.85 and registration:
            statement = _statement(
                actor,
                rng.choice(["experienced", "completed"]),
                rng.choice(lessons),
                rng,
                context={"registration": registration},
            )
        else:
            statement = _statement(actor, "launched", course_iri, rng, **context)
        batch.append(statement)
    for target in [mine.pop(rng.randrange(len(mine))) for _ in range(min(2, len(mine) - 4))]:
        voiding = _statement(world.actors[rng.choice(list(world.actors))], "voided", "unused", rng)
        voiding["object"] = {"objectType": "StatementRef", "id": target}
        batch.append(voiding)
    return batch


def test_concurrent_batches_about_the_same_people_store_without_errors_and_equal_a_rebuild(own_app: Flask) -> None:
    with own_app.app_context():
        world = World()
    headers = {
        "Authorization": own_app.config["TEST_AUTH"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[str] = []
        batches = [_batch(world, rng, mine) for _ in range(BATCHES)]
        http = own_app.test_client()
        start.wait()
        for batch in batches:
            try:
                response = http.post("/xapi/statements", data=json.dumps(batch), headers=headers)
            except Exception as error:  # the test counts whatever the request raised
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")
                continue
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with own_app.app_context():
        # The load did what it is about: attainment, enrolments made from records, voided evidence.
        assert db.session.scalar(select(func.count()).select_from(Attainment)) > 0
        assert db.session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.source == EnrolmentSource.RECORD)
        )
        assert db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.withdrawn_at.is_not(None)))
        differences = rebuild_and_compare()
        db.session.rollback()
    assert {name: diff for name, diff in differences.items() if diff != (set(), set())} == {}
