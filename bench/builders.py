"""The benchmarks' shared data builders: evidence and standing, courses and enrolments, learners, a person's history.

Each works in the current app context's database (migrated, with the demo government and
the standard seeded) and commits. bench/coverage.py, bench/portal.py, bench/hr_person.py and
bench/national.py build their data with them.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyotp
from lrs_common import make_statement

PASSWORD = "bench password 2569"


def enrol_second_factor(email: str) -> pyotp.TOTP:
    """A new authenticator for this user (officers pass a second factor), replacing any they had.

    The secret is stored encrypted with the app's secret key: enrol in an app configured with
    the key the measured server runs with.
    """
    from sqlalchemy import select

    from academy.auth.models import SecondFactor, User
    from academy.auth.second_factor import enrol_totp
    from academy.db import db

    user = db.session.scalars(select(User).where(User.email == email)).one()
    factor = db.session.get(SecondFactor, user.id)
    if factor is not None:
        db.session.delete(factor)
        db.session.flush()
    totp = pyotp.TOTP(pyotp.random_base32(32))
    enrol_totp(user, totp.secret, totp.generate_otp(totp.timecode(datetime.now(UTC)) - 1))
    db.session.commit()
    return totp


PROVIDER_COURSES = 60


def add_evidence(evidence: int, *, seed: int = 7, people_share: float = 1.0) -> None:
    """``evidence`` statement evidence rows over the last two years, and their attainment.

    The rows go to a random ``people_share`` of the people (all of them by default), by COPY;
    attainment is each person's highest level per competency.
    """
    from sqlalchemy import func, select, text

    from academy.db import db
    from academy.org.models import Person
    from competencies.services.frameworks import active_standard

    framework = active_standard()
    assert framework is not None, "seed the standard first"
    started = time.monotonic()
    competencies = [c.id for c in framework.competencies if c.parent_id is not None]
    first, last = db.session.execute(select(func.min(Person.id), func.max(Person.id))).one()
    rng = random.Random(seed)
    if people_share < 1.0:
        chosen = rng.sample(range(first, last + 1), k=int((last - first + 1) * people_share))

        def person() -> int:
            return chosen[rng.randrange(len(chosen))]
    else:

        def person() -> int:
            return rng.randint(first, last)

    today = datetime.now(UTC)
    raw = db.session.connection().connection.dbapi_connection
    columns = "person_id, competency_id, level, source, activity_id, achieved_at, recorded_at"
    with raw.cursor() as cursor, cursor.copy(f"COPY evidence ({columns}) FROM STDIN") as copy:
        for _ in range(evidence):
            moment = today - timedelta(days=rng.randrange(730), seconds=rng.randrange(86400))
            copy.write_row(
                (
                    person(),
                    rng.choice(competencies),
                    rng.randint(1, 4),
                    "statement",
                    "https://provider.example/course",
                    moment,
                    today,
                )
            )
    db.session.execute(
        text(
            "INSERT INTO attainments (person_id, competency_id, level, as_of, evidence_count) "
            "SELECT person_id, competency_id, max(level), now(), count(*) FROM evidence "
            "GROUP BY person_id, competency_id"
        )
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"added {evidence:,} evidence rows and their attainment in {time.monotonic() - started:.0f} s", flush=True)


def refresh_standings(*, everyone: bool = True) -> None:
    """The standing coverage counts: of everyone, or (at national scale) of the people with attainment.

    Without attainment a person meets no requirement and has no training year: coverage counts
    such a person (no standing row) as neither trained nor attained, as the projection would.
    """
    from sqlalchemy import select, text

    from academy.db import db
    from competencies.models import Attainment
    from competencies.services.standing import refresh_everyone, refresh_standing

    started = time.monotonic()
    if everyone:
        refresh_everyone()
    else:
        refresh_standing(db.session.scalars(select(Attainment.person_id).distinct()).all())
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    who = "everyone's" if everyone else "the standing of everyone with attainment"
    print(f"refreshed {who} standing (the projection coverage counts) in {time.monotonic() - started:.0f} s")


def project_standings_in_sql(*, meets_share: float = 0.25, area_share: float = 0.4) -> None:
    """The projections coverage counts, set-based in SQL, for the people with attainment (PostgreSQL).

    Training years exactly as the projection derives them (the Bangkok fiscal year of each
    standing statement evidence); whether a person meets their profile, and each area, drawn
    with fixed shares as bench/gdx_feed.py does: refresh_standing() over hundreds of thousands
    of people takes longer than this 2-core machine gives a benchmark, and coverage only counts.
    """
    from sqlalchemy import text

    from academy.db import db
    from competencies.services.frameworks import active_standard

    framework = active_standard()
    assert framework is not None, "seed the standard first"
    started = time.monotonic()
    db.session.execute(
        text(
            "INSERT INTO training_years (person_id, fiscal_year) "
            "SELECT DISTINCT person_id, "
            "extract(year FROM (achieved_at AT TIME ZONE 'Asia/Bangkok') + interval '3 months')::int + 543 "
            "FROM evidence WHERE withdrawn_at IS NULL AND source = 'statement' ON CONFLICT DO NOTHING"
        )
    )
    db.session.execute(text("SELECT setseed(0.42)"))
    db.session.execute(
        text(
            "INSERT INTO standings (person_id, meets_all, updated_at) "
            "SELECT person_id, random() < :share, now() FROM (SELECT DISTINCT person_id FROM attainments) a "
            "ON CONFLICT DO NOTHING"
        ),
        {"share": meets_share},
    )
    db.session.execute(
        text(
            "INSERT INTO area_standings (person_id, area_id) SELECT a.person_id, c.id "
            "FROM (SELECT DISTINCT person_id FROM attainments) a CROSS JOIN competencies c "
            "WHERE c.framework_id = :framework AND c.parent_id IS NULL AND random() < :share ON CONFLICT DO NOTHING"
        ),
        {"framework": framework.id, "share": area_share},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"projections (training years, standing, areas) in SQL in {time.monotonic() - started:.0f} s", flush=True)


def add_courses(rng: random.Random, count: int, base_url: str) -> list[str]:
    """``count`` published courses (two chapters of three lessons and a quiz), each aligned with 1-3 competencies."""
    from academy.db import db
    from competencies.models import Alignment
    from competencies.services.frameworks import active_standard, leaf_competencies
    from courses.models import (
        Choice,
        Course,
        CourseFormat,
        CourseStatus,
        Lesson,
        Module,
        Question,
        QuestionKind,
        Quiz,
    )

    framework = active_standard()
    assert framework is not None, "seed the standard first"
    competencies = leaf_competencies(framework)
    codes = []
    for number in range(count):
        code = f"BENCH{number:03d}"
        area = competencies[number % len(competencies)]
        course = Course(
            code=code,
            title_th=f"หลักสูตร{area.name_th} รุ่นที่ {number}",
            title_en=f"{area.name_en}, run {number}",
            description_th="หลักสูตรสำหรับทดสอบความเร็ว " * 5,
            description_en="A course for the benchmark. " * 5,
            provider=rng.choice(["สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล", "TDGA", "Thai MOOC"]),
            format=rng.choice(list(CourseFormat)),
            hours=Decimal(rng.choice(["1.5", "3.0", "6.0", "12.0"])),
            language=rng.choice(["th", "th", "en"]),
            status=CourseStatus.PUBLISHED,
            activity_iri=f"{base_url}/courses/{code}",
        )
        for m in range(2):
            module = Module(position=m + 1, title_th=f"บทที่ {m + 1}", title_en=f"Chapter {m + 1}")
            module.lessons = [
                Lesson(position=n + 1, title_th=f"บทเรียน {n + 1}", title_en=f"Lesson {n + 1}", body_th="<p>เนื้อหา</p>")
                for n in range(3)
            ]
            quiz = Quiz(position=4, title_th="แบบทดสอบ", title_en="Quiz")
            quiz.questions = [
                Question(
                    position=q + 1,
                    kind=QuestionKind.SINGLE,
                    text_th=f"คำถาม {q + 1}",
                    text_en=f"Question {q + 1}",
                    choices=[
                        Choice(position=1, code="a", text_th="ก", text_en="A", correct=True),
                        Choice(position=2, code="b", text_th="ข", text_en="B"),
                    ],
                )
                for q in range(5)
            ]
            module.quizzes = [quiz]
            course.modules.append(module)
        db.session.add(course)
        db.session.flush()
        for competency in rng.sample(competencies, k=rng.randint(1, 3)):
            db.session.add(
                Alignment(activity_id=course.activity_iri, competency_id=competency.id, level=rng.randint(1, 3))
            )
        codes.append(code)
    db.session.commit()
    return codes


def add_enrolments(rng: random.Random, count: int) -> None:
    """About ``count`` self-enrolments of random people in random courses, in every status."""
    from sqlalchemy import func, select

    from academy.db import bulk_insert, db
    from academy.org.models import Person
    from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus

    course_ids = list(db.session.scalars(select(Course.id)))
    first, last = db.session.execute(select(func.min(Person.id), func.max(Person.id))).one()
    pairs = {(rng.randint(first, last), rng.choice(course_ids)) for _ in range(count)}
    rows = []
    for person_id, course_id in sorted(pairs):
        status = rng.choice(list(EnrolmentStatus))
        rows.append(
            {
                "person_id": person_id,
                "course_id": course_id,
                "registration": uuid.uuid4(),
                "source": EnrolmentSource.SELF,
                "status": status,
                "progress": 100 if status is EnrolmentStatus.COMPLETED else rng.randrange(100),
                "enrolled_at": datetime.now(UTC),
            }
        )
    for start in range(0, len(rows), 100_000):
        bulk_insert(Enrolment, rows[start : start + 100_000])
    db.session.commit()


def add_learners(rng: random.Random, count: int) -> list[str]:
    """``count`` IT officers with accounts (password ``PASSWORD``) and attainment in 8 competencies; their emails."""
    from sqlalchemy import select

    from academy.auth.models import Role
    from academy.auth.services import create_user
    from academy.db import db, insert_ignoring_duplicates
    from academy.org.models import Person, PersonnelGroup
    from competencies.models import Attainment
    from competencies.services.frameworks import active_standard, leaf_competencies

    framework = active_standard()
    assert framework is not None, "seed the standard first"
    competencies = leaf_competencies(framework)
    learners = db.session.scalars(
        select(Person)
        .where(Person.personnel_group == PersonnelGroup.IT, Person.email.is_not(None))
        .order_by(Person.id)
        .limit(2000)
    ).all()
    emails = []
    for person in rng.sample(list(learners), k=count):
        create_user(email=person.email, password=PASSWORD, roles=(Role.LEARNER,), person=person)
        for competency in rng.sample(competencies, k=8):
            db.session.execute(
                insert_ignoring_duplicates(Attainment).values(
                    person_id=person.id,
                    competency_id=competency.id,
                    level=rng.randint(1, 3),
                    as_of=db.func.now(),
                    evidence_count=1,
                )
            )
        emails.append(person.email)
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()
    return emails


def _statement(
    rng: random.Random, actor: dict[str, Any], iri: str, name: str, verb: str, when: datetime
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": iri, "definition": {"name": {"th-TH": name, "en-US": name}}},
        "timestamp": when.isoformat().replace("+00:00", "Z"),
    }
    if verb in ("completed", "passed"):
        value["result"] = {"completion": True, "success": True, "duration": f"PT{rng.randrange(1, 6)}H"}
    return value


def add_person_history(
    rng: random.Random, *, base_url: str, enrolments: int, statements: int, noise: int
) -> tuple[str, str]:
    """One IT officer with a long history, and an HR officer of their unit; return (officer's email, public id).

    The officer is enrolled in ``enrolments`` of the courses (half assigned with due dates, some
    overdue) and has ``statements`` statements of their own (lessons, quizzes and completions of
    our courses and of a provider's aligned courses, sent by that provider, so they carry
    evidence and fill the transcript); ``noise`` statements of other people go with them.
    """
    from sqlalchemy import select

    from academy.auth.models import Role
    from academy.auth.services import create_user
    from academy.db import bulk_insert, db
    from academy.org.models import Person, PersonnelGroup
    from competencies.models import Alignment
    from competencies.services.frameworks import active_standard, leaf_competencies
    from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
    from lrs import XapiVersion, store_statements
    from lrs.clients import create_client

    framework = active_standard()
    assert framework is not None, "seed the standard first"
    competencies = leaf_competencies(framework)
    courses = list(db.session.scalars(select(Course).order_by(Course.id)))
    provider = create_client("Thai MOOC", ["all"])
    provider_iris = [f"https://thaimooc.example/courses/{n}" for n in range(PROVIDER_COURSES)]
    for iri in provider_iris:
        db.session.add(
            Alignment(
                activity_id=iri,
                competency_id=rng.choice(competencies).id,
                level=rng.randint(1, 3),
                owner_client_id=provider.client.id,
            )
        )
    person = db.session.scalars(
        select(Person).where(Person.personnel_group == PersonnelGroup.IT).order_by(Person.id).limit(1)
    ).one()
    today = date.today()
    rows = []
    for number, course in enumerate(rng.sample(courses, k=min(enrolments, len(courses)))):
        status = rng.choice(list(EnrolmentStatus))
        assigned = number % 2 == 0
        rows.append(
            {
                "person_id": person.id,
                "course_id": course.id,
                "registration": uuid.uuid4(),
                "source": EnrolmentSource.ASSIGNED if assigned else EnrolmentSource.SELF,
                "fiscal_year": 2570 if assigned else None,
                "due_on": today + timedelta(days=rng.randint(-30, 90)) if assigned else None,
                "status": status,
                "progress": 100 if status is EnrolmentStatus.COMPLETED else rng.randrange(100),
                "enrolled_at": datetime.now(UTC),
                "completed_at": datetime.now(UTC) - timedelta(days=rng.randrange(700))
                if status is EnrolmentStatus.COMPLETED
                else None,
            }
        )
    mine = {row["course_id"] for row in rows}
    # The person's own enrolments replace any the random enrolments gave them.
    db.session.execute(
        Enrolment.__table__.delete().where(Enrolment.person_id == person.id, Enrolment.course_id.in_(mine))
    )
    bulk_insert(Enrolment, rows)
    db.session.commit()

    actor = {"objectType": "Agent", "account": {"homePage": base_url, "name": str(person.public_id)}}
    authority = {"objectType": "Agent", "name": "Thai MOOC", "mbox": "mailto:lrs@thaimooc.example"}
    values = []
    for _ in range(statements):
        when = datetime.now(UTC) - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        if rng.random() < 0.3:
            n = rng.randrange(PROVIDER_COURSES)
            verb = rng.choice(["completed", "passed", "experienced", "attempted"])
            values.append(_statement(rng, actor, provider_iris[n], f"วิชา Thai MOOC {n}", verb, when))
        else:
            course = rng.choice(courses)
            verb = rng.choice(["experienced", "experienced", "attempted", "completed", "passed"])
            values.append(
                _statement(rng, actor, f"{course.activity_iri}/lesson/{rng.randrange(6)}", "บทเรียน", verb, when)
            )
    values += [make_statement(rng, people=5000) for _ in range(noise)]
    rng.shuffle(values)
    for first in range(0, len(values), 500):
        store_statements(
            values[first : first + 500], version=XapiVersion.V2, authority=authority, client=provider.client
        )
        db.session.commit()
    officer = f"hr.bench@{person.agency.code}.go.th"
    create_user(email=officer, password=PASSWORD, roles=(Role.HR_OFFICER,), agencies=(person.agency,))
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()
    return officer, str(person.public_id)
