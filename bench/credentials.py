"""Benchmark: issuing and verifying credentials (Open Badges 3.0, eddsa-rdfc-2022).

On PostgreSQL (a fresh database): the median time to build and sign one OpenBadgeCredential,
and to verify one with our verifier (signature, key and status lookups), in-process; then the
projection's batch issuance: 10,000 people who each completed a course, issued by the
credentials rebuild (what ``rebuild-projections`` runs; from 2,000 people it signs in one worker
process a core), the figure per second and the CPU time it took. Each figure is printed with the
load averages when it was taken: the machine may be shared.

    .venv/bin/python bench/credentials.py [--completions 10000] [--samples 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from lrs_common import DEFAULT_POSTGRES, fresh_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--completions", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import func, select

    from academy import create_app
    from academy.config import Settings
    from academy.db import bulk_insert, db
    from academy.org.demo import build_demo
    from academy.org.models import Person
    from competencies.models import Alignment
    from competencies.services.frameworks import seed_standard
    from courses.models import (
        CompletionRule,
        Course,
        CourseFormat,
        CourseStatus,
        Enrolment,
        EnrolmentSource,
        EnrolmentStatus,
    )
    from credentials.models import IssuedCredential
    from credentials.services.awards import earned_awards
    from credentials.services.documents import badge_document, verification_method_id
    from credentials.services.holding import document_of
    from credentials.services.issuing import rebuild_credentials
    from credentials.services.keys import signing_key
    from credentials.services.signing import sign_document
    from credentials.services.verify import verify_credential

    base = "https://academy.example.go.th"
    with fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ(
            {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_BASE_URL": base}
        )
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            build_demo(people=args.completions, base_url=base, password=None)
            framework = seed_standard()
            leaf = next(c for c in framework.competencies if c.parent_id is not None)
            course = Course(
                code="BENCH1",
                title_th="การรู้ดิจิทัลสำหรับข้าราชการ",
                title_en="Digital literacy for civil servants",
                provider="สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล",
                format=CourseFormat.ONLINE,
                hours=Decimal("6.0"),
                language="th",
                status=CourseStatus.PUBLISHED,
                activity_iri=f"{base}/courses/BENCH1",
                completion_rule=CompletionRule.LESSONS_AND_QUIZZES,
            )
            db.session.add(course)
            db.session.flush()
            db.session.add(Alignment(activity_id=course.activity_iri, competency_id=leaf.id, level=2))
            people = db.session.scalars(select(Person.id).order_by(Person.id).limit(args.completions)).all()
            start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
            bulk_insert(
                Enrolment,
                [
                    {
                        "registration": uuid.uuid4(),
                        "person_id": person_id,
                        "course_id": course.id,
                        "source": EnrolmentSource.SELF,
                        "status": EnrolmentStatus.COMPLETED,
                        "progress": 100,
                        "completed_at": start + timedelta(minutes=n),
                        "fiscal_year": 2569,
                    }
                    for n, person_id in enumerate(people)
                ],
            )
            db.session.commit()

            # One credential: build and sign (the award read once; the signing is what varies).
            award = next(iter(earned_awards([people[0]]).values()))
            key = signing_key()
            timings = []
            for n in range(args.samples):
                began = time.perf_counter()
                document = badge_document(award, uuid.uuid4(), n + 1)
                sign_document(document, key.private, verification_method_id(key.key_id), datetime.now(UTC))
                timings.append(time.perf_counter() - began)
            sign_median = statistics.median(timings) * 1000
            sign_load = os.getloadavg()

            # The batch: every completion issued, as the projection's rebuild does it.
            began, cpu_began, workers_began = time.perf_counter(), time.process_time(), _children_cpu()
            issued = rebuild_credentials()
            db.session.commit()
            batch_seconds = time.perf_counter() - began
            batch_cpu = time.process_time() - cpu_began
            batch_workers_cpu = _children_cpu() - workers_began
            batch_load = os.getloadavg()
            stored = db.session.scalar(select(func.count()).select_from(IssuedCredential))

            # Verifying one (stored) credential: signature, issuer key, status list, in-process.
            samples = db.session.scalars(select(IssuedCredential).limit(args.samples)).all()
            documents = [document_of(credential) for credential in samples]
            timings = []
            for document in documents:
                began = time.perf_counter()
                result = verify_credential(document)
                timings.append(time.perf_counter() - began)
                assert result.valid, result.findings
            verify_median = statistics.median(timings) * 1000
            verify_load = os.getloadavg()
            db.session.rollback()

    print(
        f"issue and sign one OpenBadgeCredential: median {sign_median:.1f} ms ({args.samples} samples)"
        f" [load {_load(sign_load)}]"
    )
    print(
        f"verify one credential (our verifier): median {verify_median:.1f} ms ({len(documents)} samples)"
        f" [load {_load(verify_load)}]"
    )
    print(
        f"batch issuance (rebuild): {issued} credentials for {len(people)} completions in {batch_seconds:.1f} s"
        f" = {issued / batch_seconds:.0f} credentials/s ({stored} stored) [load {_load(batch_load)}]"
    )
    print(
        f"  CPU time: {batch_cpu:.1f} s in this process + {batch_workers_cpu:.1f} s in signing workers"
        f" = {(batch_cpu + batch_workers_cpu) / max(issued, 1) * 1000:.2f} ms a credential"
    )
    print(f"cores: {os.cpu_count()}")


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the rebuild's signing workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load(averages: tuple[float, float, float]) -> str:
    """The load averages over 1, 5 and 15 minutes, when the figure was taken (the machine is shared)."""
    return " ".join(f"{value:.1f}" for value in averages)


if __name__ == "__main__":
    main()
