"""Benchmark: what the competency projection costs the LRS write path.

Stores the same batches of 50 statements in-process through store_statements, on
PostgreSQL, with the evidence subscriber and without it. Every statement's actor is a
registered person and every parent course is aligned, so completions become evidence.

    .venv/bin/python bench/projection_cost.py [--batches 100] [--people 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import time

from lrs_common import DEFAULT_POSTGRES, fresh_postgres, make_statement


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import select

    from academy import create_app
    from academy.config import Settings
    from academy.db import bulk_insert, db
    from academy.ifi import ifi_key
    from academy.org.demo import build_demo
    from academy.org.models import IdentifierKind, Person, PersonIdentifier
    from competencies.models import Alignment
    from competencies.services.frameworks import seed_standard
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    with fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            build_demo(people=args.people, base_url="https://academy.example.go.th", password=None)
            framework = seed_standard()
            leaves = [c.id for c in framework.competencies if c.parent_id is not None]
            # The bench's learners are learner-N accounts of https://academy.example.go.th; its courses 0..199.
            people = db.session.scalars(select(Person.id).order_by(Person.id).limit(args.people)).all()
            bulk_insert(
                PersonIdentifier,
                [
                    {
                        "person_id": pid,
                        "kind": IdentifierKind.ACCOUNT,
                        "key": ifi_key("account", f"learner-{n}", "https://academy.example.go.th"),
                    }
                    for n, pid in enumerate(people)
                ],
            )
            bulk_insert(
                Alignment,
                [
                    {
                        "activity_id": f"https://academy.example.go.th/courses/{course}/lesson/{lesson}",
                        "competency_id": leaves[course % len(leaves)],
                        "level": 1 + course % 3,
                    }
                    for course in range(200)
                    for lesson in range(12)
                ],
            )
            db.session.commit()
            authority = {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "b"}}
            rng = random.Random(3)
            results = {}
            for label, subscribers in (("with the projection", None), ("without it", [])):
                saved = app.extensions.get("lrs.subscribers", [])
                if subscribers is not None:
                    app.extensions["lrs.subscribers"] = subscribers
                batches = [
                    json.loads(json.dumps([make_statement(rng) for _ in range(50)])) for _ in range(args.batches)
                ]
                started = time.perf_counter()
                for batch in batches:
                    store_statements(batch, version=XapiVersion.V1, authority=authority)
                    db.session.commit()
                results[label] = args.batches * 50 / (time.perf_counter() - started)
                app.extensions["lrs.subscribers"] = saved
            from competencies.models import Evidence

            evidence = db.session.query(Evidence).count()
            db.engine.dispose()
    print(f"projection cost: {args.batches} batches of 50 statements each way, one process, PostgreSQL")
    for label, rate in results.items():
        print(f"  {label:22} {rate:7.0f} statements/s")
    print(f"  evidence rows recorded: {evidence:,}")


if __name__ == "__main__":
    main()
