"""Benchmark: the *My data* ZIP of a person with 5,000 statements (issue 15: target <= 2 s).

Builds a fresh database (SQLite, or PostgreSQL with --postgres), a person with a platform
account and an mbox, S statements of theirs (default 5,000) among O statements of other
people (default 20,000), all stored through store_statements(); then the person signs in
and downloads /me/data.zip R times (default 3) through the app's WSGI stack. Prints each
time, the median, the ZIP's size and the rows it holds.

    .venv/bin/python bench/my_data.py [--statements 5000] [--others 20000] [--postgres [URL]]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lrs_common import DEFAULT_POSTGRES, fresh_postgres  # noqa: E402

BASE_URL = "https://academy.bench"
PASSWORD = "bench password 2569"
VERBS = ["completed", "passed", "failed", "attempted", "experienced", "answered", "launched", "progressed"]


def statement(actor: dict[str, object], number: int) -> dict[str, object]:
    return {
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{VERBS[number % len(VERBS)]}", "display": {"en-US": "did"}},
        "object": {
            "objectType": "Activity",
            "id": f"https://provider.example/courses/{number % 40}/lesson/{number % 7}",
            "definition": {"name": {"en-US": f"Lesson {number}", "th-TH": f"บทเรียน {number}"}},
        },
        "result": {"score": {"scaled": (number % 100) / 100}, "completion": True, "duration": "PT12M"},
        "context": {"registration": str(uuid.UUID(int=number % 50 + 1)), "language": "th-TH"},
    }


def run(database_url: str, args: argparse.Namespace) -> None:
    import flask_migrate

    from academy import create_app
    from academy.auth.models import Role
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.db import db
    from academy.org.demo import ensure_position_lines
    from academy.org.models import AgencyKind, IdentifierKind, Person, PersonIdentifier, PositionLevel, PositionLine
    from academy.org.services import add_identifier, apply_role_profile, create_agency, platform_account_key
    from lrs import XapiVersion, store_statements

    settings = Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_SECRET_KEY": "bench-secret",
            "ACADEMY_BASE_URL": BASE_URL,
        }
    )
    app = create_app({"WTF_CSRF_ENABLED": False}, settings=settings)
    with app.app_context():
        flask_migrate.upgrade()
        ensure_position_lines()
        agency = create_agency(code="90001", name_th="กรมทดสอบ", name_en="Bench Department", kind=AgencyKind.DEPARTMENT)
        line = db.session.scalars(db.select(PositionLine).where(PositionLine.code == "K-COMP")).one()
        level = db.session.scalars(db.select(PositionLevel).where(PositionLevel.code == "K2")).one()
        person = Person(
            agency=agency,
            employee_no="B000001",
            first_name_th="สมหญิง",
            last_name_th="ทดสอบ",
            first_name_en="Somying",
            last_name_en="Bench",
            email="somying@bench.go.th",
            position_line=line,
            position_level=level,
        )
        apply_role_profile(person)
        db.session.add(person)
        db.session.flush()
        person.identifiers.append(
            PersonIdentifier(kind=IdentifierKind.ACCOUNT, key=platform_account_key(BASE_URL, person.public_id))
        )
        add_identifier(person, IdentifierKind.MBOX, "mailto:somying@bench.go.th")
        user = create_user(email="somying@bench.go.th", password=PASSWORD, roles=(Role.LEARNER,), person=person)
        db.session.commit()
        email = user.email
        mine = [
            {"account": {"homePage": BASE_URL, "name": str(person.public_id)}},
            {"mbox": "mailto:somying@bench.go.th"},
        ]
        authority = {"objectType": "Agent", "name": "bench", "account": {"homePage": BASE_URL, "name": "bench"}}
        started = time.perf_counter()
        batch: list[dict[str, object]] = []
        total = args.statements + args.others
        # The person's statements spread among the others', as they would arrive.
        every = max(1, total // max(1, args.statements))
        written_mine = 0
        for number in range(total):
            if written_mine < args.statements and number % every == 0:
                actor: dict[str, object] = mine[written_mine % 2]
                written_mine += 1
            else:
                actor = {"mbox": f"mailto:other{number % 5000}@bench.go.th"}
            batch.append(statement(actor, number))
            if len(batch) == 500:
                store_statements(batch, version=XapiVersion.V2, authority=authority)
                db.session.commit()
                batch = []
        if batch:
            store_statements(batch, version=XapiVersion.V2, authority=authority)
            db.session.commit()
        print(f"stored {total:,} statements ({written_mine:,} of the person) in {time.perf_counter() - started:.1f} s")

    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    times = []
    data = b""
    for _ in range(args.repeat):
        started = time.perf_counter()
        response = client.get("/me/data.zip", buffered=False)
        data = b"".join(response.iter_encoded())
        times.append(time.perf_counter() - started)
        response.close()
    archive = zipfile.ZipFile(io.BytesIO(data))
    counts = json.loads(archive.read("counts.json"))
    print("runs (s):", ", ".join(f"{t:.3f}" for t in times))
    print(
        f"My data ZIP, {counts['xapi_statements']:,} statements: median {statistics.median(times):.3f} s "
        f"(target <= 2 s), {len(data) / 1024:.0f} KiB, {len(archive.namelist())} files"
    )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--others", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=None)
    args = parser.parse_args()
    if args.postgres:
        with fresh_postgres(args.postgres) as url:
            print("database: PostgreSQL")
            run(url, args)
    else:
        with tempfile.TemporaryDirectory() as folder:
            print("database: SQLite")
            run(f"sqlite:///{folder}/bench.sqlite3", args)


if __name__ == "__main__":
    main()
