"""Load test: the projections under concurrent batches, then the live projections against a rebuild.

Gunicorn (gthread workers) on a fresh PostgreSQL database with the demo's people registered,
its courses aligned and half of the learners enrolled in three of them. Clients POST batches
of 50 statements for ``--seconds``: about half are completions by registered people of
aligned courses and activities (some with the enrolment's registration, some failed), the
rest lessons experienced, launches, progress and strangers' statements, and now and then a
void of one of the client's own earlier completions. Prints statements/s and the batches by
status; then rebuilds every projection from the statements (rolled back afterwards) and
compares it with the live rows, table by table.

    .venv/bin/python bench/projection_load.py [--seconds 120] [--clients 8] [--workers 4] [--threads 4]
        [--people 3000] [--learners 1000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn, make_statement, migrate_and_create_client

BATCH = 50
HOME = "https://academy.example.go.th"
PROVIDER = "https://provider.example.go.th/activities"
ADL = "http://adlnet.gov/expapi/verbs/"


@dataclass
class World:
    """What the statements are about: the learners' actors, the courses and their lessons, enrolments."""

    learners: list[str]  # public ids of registered people
    courses: list[tuple[int, str, list[str]]]  # id, activity IRI, lesson IRIs
    registrations: dict[tuple[str, int], str] = field(default_factory=dict)  # (public id, course id) -> registration


def build(database_url: str, people: int, learners: int) -> World:
    """The demo's people and courses, extra aligned activities, and enrolments of some learners."""
    import flask_migrate
    from sqlalchemy import select

    from academy import create_app
    from academy.config import Settings
    from academy.db import bulk_insert, db
    from academy.org.demo import build_demo
    from academy.org.models import Person
    from competencies.models import Alignment
    from competencies.services.frameworks import leaf_competencies, seed_standard
    from courses.demo import build_courses
    from courses.models import Course, CourseKind, Enrolment, EnrolmentSource, EnrolmentStatus
    from courses.services.catalogue import course_items

    settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
    app = create_app(settings=settings)
    rng = random.Random(2569)
    with app.app_context():
        flask_migrate.upgrade()
        build_demo(people=people, base_url=HOME, password=None)
        framework = seed_standard()
        build_courses()
        competencies = leaf_competencies(framework)
        # Activities of another provider, aligned too: completions of them are evidence without an enrolment.
        bulk_insert(
            Alignment,
            [
                {
                    "activity_id": f"{PROVIDER}/{n}",
                    "competency_id": competencies[n % len(competencies)].id,
                    "level": 1 + n % 3,
                }
                for n in range(40)
            ],
        )
        native = db.session.scalars(select(Course).where(Course.kind == CourseKind.NATIVE).order_by(Course.id)).all()
        courses = [(c.id, c.activity_iri, [item.iri for item in course_items(c)]) for c in native]
        persons = db.session.execute(select(Person.id, Person.public_id).order_by(Person.id).limit(learners)).all()
        world = World(learners=[str(public_id) for _id, public_id in persons], courses=courses)
        rows = []
        for person_id, public_id in persons[: learners // 2]:
            for course_id, _iri, _lessons in rng.sample(courses, k=3):
                registration = uuid.uuid4()
                world.registrations[(str(public_id), course_id)] = str(registration)
                rows.append(
                    {
                        "person_id": person_id,
                        "course_id": course_id,
                        "registration": registration,
                        "source": EnrolmentSource.SELF,
                        "status": EnrolmentStatus.ENROLLED,
                        "progress": 0,
                        "enrolled_at": datetime.now(UTC),
                    }
                )
        bulk_insert(Enrolment, rows)
        db.session.commit()
        db.engine.dispose()
    return world


def _moment(rng: random.Random) -> str:
    moment = datetime(2024, 10, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(2 * 365 * 86400))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _statement(public_id: str, verb: str, activity: str, rng: random.Random, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": public_id}},
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": _moment(rng),
        **extra,
    }


def make_batch(world: World, rng: random.Random, completions: list[str], size: int = BATCH) -> list[dict[str, Any]]:
    """A realistic batch of ``size``: completions by registered people, lessons, launches, strangers, a few voids."""
    batch: list[dict[str, Any]] = []
    courses = {course_id: (iri, lessons) for course_id, iri, lessons in world.courses}
    enrolled = list(world.registrations)
    while len(batch) < size:
        if rng.random() < 0.6:  # about an enrolment (its registration sent or not), else any course
            learner, course_id = rng.choice(enrolled)
        else:
            learner, course_id = rng.choice(world.learners), rng.choice(world.courses)[0]
        course_iri, lessons = courses[course_id]
        registration = world.registrations.get((learner, course_id))
        context = {"context": {"registration": registration}} if registration and rng.random() < 0.7 else {}
        kind = rng.random()
        if kind < 0.3:
            success = rng.random() < 0.9
            verb = rng.choice(["completed", "passed"])
            statement = _statement(learner, verb, course_iri, rng, result={"success": success}, **context)
            if success:
                completions.append(statement["id"])
        elif kind < 0.5:
            statement = _statement(learner, "completed", f"{PROVIDER}/{rng.randrange(40)}", rng)
            completions.append(statement["id"])
        elif kind < 0.8 and registration and lessons:
            statement = _statement(
                learner,
                rng.choice(["experienced", "completed"]),
                rng.choice(lessons),
                rng,
                context={"registration": registration},
            )
        elif kind < 0.9:
            verb = rng.choice(["launched", "progressed"])
            statement = _statement(learner, verb, course_iri, rng, **context)
        else:
            statement = make_statement(rng)  # a stranger (no registered identifier)
        batch.append(statement)
    if completions and rng.random() < 0.5:
        target = completions.pop(rng.randrange(len(completions)))
        voiding = _statement(rng.choice(world.learners), "voided", "unused", rng)
        voiding["object"] = {"objectType": "StatementRef", "id": target}
        batch[-1] = voiding
    return batch


def client_loop(port: int, auth: str, world: World, seed: int, stop_at: float, results: dict[str, Any]) -> None:
    rng = random.Random(seed)
    completions: list[str] = []
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < stop_at:
        batch = make_batch(world, rng, completions)
        try:
            connection.request("POST", "/xapi/statements", body=json.dumps(batch), headers=headers)
            response = connection.getresponse()
            body = response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, body = type(error).__name__, b""
        with results["lock"]:
            results["status"][status] += 1
            if status == "200":
                results["stored"] += len(batch)
            elif len(results["samples"]) < 5:
                results["samples"].append(f"{status}: {body[:300]!r}")
    connection.close()


def compare(database_url: str) -> dict[str, tuple[int, int, int]]:
    """Rebuild every projection (rolled back afterwards); per table: live rows, only live, only rebuilt."""
    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from credentials.services.issuing import issue_queued
    from lrs import rebuild_and_compare, snapshot_projections

    app = create_app(settings=Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url}))
    with app.app_context():
        # What the credentials worker does after the ingest (production issues in a job): the queue emptied.
        while issue_queued()[0]:
            db.session.commit()
        sizes = {name: len(rows) for name, rows in snapshot_projections().items()}
        started = time.monotonic()
        differences = rebuild_and_compare()
        print(f"  rebuild took {time.monotonic() - started:.1f} s")
        db.session.rollback()
        db.engine.dispose()
    return {
        name: (sizes[name], len(only_live), len(only_rebuilt))
        for name, (only_live, only_rebuilt) in differences.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=1000, help="registered people the statements are about")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with fresh_postgres(args.postgres) as database_url:
        started = time.monotonic()
        world = build(database_url, args.people, args.learners)
        # The load is the platform's own (player and cmi5 statements about our courses): a provider's
        # statements about them would be stored but ignored by the projections (the trust model).
        auth = migrate_and_create_client(database_url, platform=True)
        print(
            f"built {args.people:,} people, {len(world.courses)} courses, {len(world.registrations):,} enrolments "
            f"in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        port = free_port()
        results: dict[str, Any] = {"lock": threading.Lock(), "status": Counter(), "stored": 0, "samples": []}
        with gunicorn(database_url, args.workers, port, threads=args.threads):
            started = time.monotonic()
            stop_at = started + args.seconds
            threads = [
                threading.Thread(target=client_loop, args=(port, auth, world, seed, stop_at, results))
                for seed in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        batches = sum(results["status"].values())
        errors = batches - results["status"]["200"]
        print(
            f"projection load: {args.clients} clients x batches of {BATCH}, gunicorn {args.workers} workers x "
            f"{args.threads} threads, PostgreSQL, {elapsed:.0f} s"
        )
        print(
            f"  statements stored   {results['stored']:,} = {results['stored'] / elapsed:,.0f} statements/s "
            f"({batches:,} batches)"
        )
        print(
            f"  errors              {errors} ({', '.join(f'{s}: {n}' for s, n in sorted(results['status'].items()))})"
        )
        for sample in results["samples"]:
            print(f"    {sample}")
        print("live projections against a rebuild (rows; only live; only rebuilt):")
        differences = compare(database_url)
        for name, (rows, only_live, only_rebuilt) in differences.items():
            print(f"  {name:16} {rows:8,} rows  {only_live:5} only live  {only_rebuilt:5} only rebuilt")
        total = sum(live + rebuilt for _rows, live, rebuilt in differences.values())
        print(f"  differences         {total}")


if __name__ == "__main__":
    main()
