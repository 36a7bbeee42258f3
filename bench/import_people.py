"""Benchmark: import N people (default 400,000) from a CSV file, then re-import it.

Prints rows/s and the importing process's peak RSS. Runs on a fresh SQLite file by
default, or on a fresh database of a PostgreSQL server (--postgres URL), dropped after.

    .venv/bin/python bench/import_people.py [--people 400000] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lrs_common import fresh_postgres  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from academy.org.importer import COLUMNS  # noqa: E402


@contextmanager
def fresh_database(postgres: str | None, workdir: Path) -> Iterator[str]:
    """A new SQLite file in workdir, or a new database on the PostgreSQL server (dropped after)."""
    if not postgres:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    with fresh_postgres(postgres) as url:
        yield url


def prepare(database_url: str, csv_path: Path, people: int) -> None:
    """Migrate, create the demo agencies and position lines, and write the CSV of people."""
    import flask_migrate

    from academy import create_app
    from academy.config import Settings
    from academy.extensions import db
    from academy.org.demo import SEED, build_agencies, ensure_position_lines, generate_people

    settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
    app = create_app(settings=settings)
    with app.app_context():
        flask_migrate.upgrade()
        ensure_position_lines()
        rng = random.Random(SEED)
        departments = build_agencies(rng)
        db.session.commit()
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=[column.name for column in COLUMNS])
            writer.writeheader()
            for _number, row in generate_people(rng, departments, people):
                writer.writerow(row)
        db.engine.dispose()


def timed_import(database_url: str, csv_path: Path) -> tuple[float, str]:
    env = {**os.environ, "ACADEMY_DATABASE_URL": database_url, "ACADEMY_ENV": "testing"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "academy", "import-people", str(csv_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"import failed:\n{result.stderr[-2000:]}")
    return elapsed, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--postgres", help="PostgreSQL server URL; a fresh database is created on it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.postgres, Path(tmp)) as database_url:
        csv_path = Path(tmp) / "people.csv"
        prepare(database_url, csv_path, args.people)
        size_mb = csv_path.stat().st_size / 1e6
        backend = make_url(database_url).get_backend_name()
        print(f"import-people benchmark: {args.people:,} rows, {size_mb:.1f} MB CSV, {backend}")
        for label in ("first import (insert)", "re-import (no change)"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            elapsed, summary = timed_import(database_url, csv_path)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            # ru_maxrss of children: the largest of the import processes so far, in KiB on Linux.
            peak_mb = usage.ru_maxrss / 1024
            # The import process's own CPU time: less at the mercy of the load than the wall clock.
            cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(
                f"  {label:24} {elapsed:7.1f} s  {args.people / elapsed:9,.0f} rows/s  CPU {cpu:6.1f} s  "
                f"peak RSS {peak_mb:6.0f} MB  load {load}   [{summary}]"
            )


if __name__ == "__main__":
    main()
