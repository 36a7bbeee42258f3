"""Benchmark: due-date reminders by email, once each, with 1 worker process and with 2.

On a fresh PostgreSQL database: a small demo government, then with set-based inserts N people
(default 100,000), an account each, and an assigned course due in 7 days for each of them.
A local SMTP sink (aiosmtpd, in its own process, counting what it receives) takes the mail.

1. One process runs ``send_due_notifications(now)``: it produces N "due in 7 days"
   notifications (ON CONFLICT DO NOTHING) and mails them; mails/s measured.
2. The notifications are deleted, and two processes run side by side, each with its own
   partition (user id modulo 2): mails/s of both together.

Each pass checks the sink received exactly N mails (none twice, none lost), then a second run
sends none. Prints the figures and os.getloadavg().

``--mode celery`` (or ``both``): the same N mails through the platform's jobs, with 1 and then 2
real ``celery worker`` processes (concurrency 1 each) on Redis: a ``notifications`` job (what beat
sends hourly) produces the N rows, then hands the mailing to 2 partition jobs
(ACADEMY_JOBS_NOTIFICATION_PARTITIONS=2) that the workers take. Measured from the job's sending
to the last partition job's end; the sink checks exactly N received and no recipient twice.

    .venv/bin/python bench/reminders.py [--people 100000] [--postgres URL] [--mode processes|celery|both]
        [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from lrs_common import DEFAULT_POSTGRES, fresh_postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sink(port: int, received: Any, ready: Any, stop: Any, distinct: Any = None) -> None:
    """An SMTP server that only counts the messages it accepts (in its own process).

    With ``distinct`` (a Value), also how many distinct recipients it saw since the count was last
    reset to 0: a mail sent twice shows as received > distinct.
    """
    from aiosmtpd.controller import Controller

    seen: set[str] = set()

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with received.get_lock():
                if received.value == 0:
                    seen.clear()
                received.value += 1
            if distinct is not None:
                seen.update(envelope.rcpt_tos)
                distinct.value = len(seen)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _app(database_url: str, port: int) -> Any:
    from academy import create_app
    from academy.config import Settings

    settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
    return create_app(
        {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "ACADEMY_BASE_URL": "https://academy.example.go.th",
        },
        settings=settings,
    )


def build(database_url: str, port: int, people: int) -> None:
    import flask_migrate
    from sqlalchemy import select, text

    from academy.dates import current_fiscal_year
    from academy.db import db
    from academy.org.demo import build_demo
    from academy.org.models import Person
    from competencies.services.frameworks import seed_standard
    from courses.models import CompletionRule, Course, CourseFormat, CourseStatus
    from courses.services.activities import course_iri_for

    app = _app(database_url, port)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        build_demo(people=10, base_url="https://academy.example.go.th", password=None)
        seed_standard()
        course = Course(
            code="BENCH101",
            title_th="ความมั่นคงปลอดภัยไซเบอร์สำหรับทุกคน",
            title_en="Cyber security for everyone",
            provider="สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล",
            format=CourseFormat.ONLINE,
            hours=3,
            language="th",
            status=CourseStatus.PUBLISHED,
            activity_iri=course_iri_for("BENCH101"),
            completion_rule=CompletionRule.LESSONS_AND_QUIZZES,
        )
        db.session.add(course)
        db.session.flush()
        template = db.session.scalars(select(Person.id).order_by(Person.id).limit(1)).one()
        statements = [
            """INSERT INTO people (public_id, agency_id, employee_no, title_th, first_name_th, last_name_th, title_en,
                                   first_name_en, last_name_en, position_line_id, position_level_id, is_cio, status,
                                   personnel_group, role_level, is_unit_head, created_at, updated_at)
               SELECT gen_random_uuid(), t.agency_id, 'R' || g, t.title_th, t.first_name_th, t.last_name_th || g,
                      t.title_en, t.first_name_en, t.last_name_en || g, t.position_line_id, t.position_level_id,
                      false, t.status, t.personnel_group, t.role_level, false, now(), now()
               FROM people t CROSS JOIN generate_series(1, :people) g WHERE t.id = :template""",
            # An account each, half of them reading English.
            """INSERT INTO users (email, password_hash, display_name, person_id, active, preferred_locale)
               SELECT 'person' || p.id || '@bench.example.go.th', '!', p.first_name_en || ' ' || p.last_name_en,
                      p.id, true, CASE WHEN p.id % 2 = 0 THEN 'th' ELSE 'en' END
               FROM people p WHERE p.employee_no LIKE 'R%'""",
            # The course assigned a month ago, due in 7 days.
            """INSERT INTO enrolments (registration, person_id, course_id, source, fiscal_year, due_on, enrolled_at,
                                       status, progress)
               SELECT gen_random_uuid(), p.id, :course, 'assigned', :fy, CURRENT_DATE + 7, now() - interval '30 days',
                      'enrolled', 0
               FROM people p WHERE p.employee_no LIKE 'R%'""",
            "ANALYZE",
        ]
        for statement in statements:
            db.session.execute(
                text(statement),
                {"people": people, "template": template, "course": course.id, "fy": current_fiscal_year()},
            )
            db.session.commit()
        print(f"built {people:,} people, accounts and assignments due in 7 days in {time.monotonic() - started:.0f} s")


def worker(database_url: str, port: int, partition: tuple[int, int] | None, results: Any) -> None:
    from academy.dates import utcnow
    from academy.notifications import send_due_notifications

    app = _app(database_url, port)
    with app.app_context():
        begin = time.perf_counter()
        counts = send_due_notifications(utcnow(), partition)
        results.put((partition, counts, time.perf_counter() - begin))


def run_pass(database_url: str, port: int, processes: int, received: Any) -> tuple[float, int, list[Any]]:
    with received.get_lock():
        received.value = 0
    results: Any = multiprocessing.Queue()
    partitions = [None] if processes == 1 else [(index, processes) for index in range(processes)]
    begin = time.perf_counter()
    workers = [multiprocessing.Process(target=worker, args=(database_url, port, part, results)) for part in partitions]
    for process in workers:
        process.start()
    outcomes = [results.get() for _ in workers]
    for process in workers:
        process.join()
    return time.perf_counter() - begin, int(received.value), outcomes


# --- through the jobs: real celery workers on Redis -------------------------------------------------


def _worker_environ(database_url: str, port: int, redis_url: str, prefix: str, storage: str) -> dict[str, str]:
    return {
        **os.environ,
        "ACADEMY_ENV": "testing",
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_SECRET_KEY": "bench-secret-key",
        "ACADEMY_BASE_URL": "https://academy.example.go.th",
        "ACADEMY_CELERY_BROKER_URL": redis_url,
        "ACADEMY_CELERY_KEY_PREFIX": prefix,
        "ACADEMY_JOBS_STORAGE_DIR": storage,
        "ACADEMY_JOBS_NOTIFICATION_PARTITIONS": "2",
        "ACADEMY_MAIL_SERVER": "127.0.0.1",
        "ACADEMY_MAIL_PORT": str(port),
    }


def _start_workers(count: int, environ: dict[str, str], logs: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    root = Path(__file__).resolve().parents[1]
    started = []
    for number in range(count):
        log = logs / f"worker{count}-{number}.log"
        command = [sys.executable, "-m", "celery", "-A", "jobs.worker:celery_app", "worker", "--concurrency", "1"]
        command += ["--loglevel", "INFO", "--hostname", f"bench{number}@%h", "--without-gossip", "--without-mingle"]
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command, cwd=root, env=environ, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.append((process, log))
    deadline = time.monotonic() + 120
    for _process, log in started:
        while " ready." not in log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit(f"a worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
    return started


def _stop_workers(started: list[tuple[subprocess.Popen[bytes], Path]]) -> None:
    for process, _log in started:
        os.killpg(process.pid, signal.SIGTERM)
    for process, _log in started:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def celery_pass(
    database_url: str, port: int, workers: int, received: Any, distinct: Any, redis_url: str, storage: str
) -> dict[str, Any]:
    """The notifications job with N workers: from queueing it to the last partition job's end."""
    import redis
    from sqlalchemy import create_engine, select, text

    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from jobs.models import Job, JobState
    from jobs.services import create_job

    prefix = f"academy-bench-{uuid.uuid4().hex[:8]}:"
    environ = _worker_environ(database_url, port, redis_url, prefix, storage)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notifications"))
    with received.get_lock():
        received.value = 0
    distinct.value = 0
    started = _start_workers(workers, environ, Path(storage))
    app = create_app(settings=Settings.from_environ(environ))
    try:
        with app.app_context():
            begin = time.perf_counter()
            job = create_job("notifications", task_key=f"notifications:bench-{uuid.uuid4().hex[:8]}")
            db.session.commit()  # sends it
            hourly = job.id
            db.session.remove()
            while True:
                time.sleep(0.5)
                rows = list(db.session.scalars(select(Job).where((Job.id == hourly) | (Job.parent_id == hourly))))
                db.session.expunge_all()
                db.session.remove()
                parent = next(row for row in rows if row.id == hourly)
                if parent.state is JobState.FAILED:
                    raise SystemExit(f"the notifications job failed: {parent.error}")
                children = [row for row in rows if row.parent_id == hourly]
                if children and all(child.finished for child in children):
                    break
            seconds = time.perf_counter() - begin
            load = os.getloadavg()
            assert parent.started_at and parent.finished_at
            produce_seconds = (parent.finished_at - parent.started_at).total_seconds()
            send_begin = min(child.started_at for child in children if child.started_at)
            send_end = max(child.finished_at for child in children if child.finished_at)
            mailed = sum((child.result or {}).get("mailed", 0) for child in children)
            failed = [child.error for child in children if child.state is JobState.FAILED]
            with engine.connect() as connection:
                pending = connection.execute(
                    text("SELECT count(*) FROM notifications WHERE email_state <> 'sent'")
                ).scalar_one()
    finally:
        _stop_workers(started)
        app.extensions["celery"].close()
        engine.dispose()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
    return {
        "workers": workers,
        "seconds": seconds,
        "produce_seconds": produce_seconds,
        "send_seconds": (send_end - send_begin).total_seconds(),
        "produced": sum((parent.result or {}).get("produced", {}).values()),
        "mailed": mailed,
        "received": int(received.value),
        "distinct": int(distinct.value),
        "pending": pending,
        "failed": failed,
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--mode", choices=["processes", "celery", "both"], default="both")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    multiprocessing.set_start_method("spawn")
    port = _free_port()
    received: Any = multiprocessing.Value("l", 0)
    distinct: Any = multiprocessing.Value("l", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=sink, args=(port, received, ready, stop, distinct), daemon=True)
    server.start()
    ready.wait(30)
    print(f"start: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    figures = []
    passes = []
    try:
        with fresh_postgres(args.postgres) as database_url:
            build(database_url, port, args.people)
            engine = create_engine(database_url)
            if args.mode in ("processes", "both"):
                for processes in (1, 2):
                    with engine.begin() as connection:
                        connection.execute(text("DELETE FROM notifications"))
                    seconds, got, outcomes = run_pass(database_url, port, processes, received)
                    mailed = sum(counts["mailed"] for _part, counts, _s in outcomes)
                    produced = sum(sum(counts["produced"].values()) for _part, counts, _s in outcomes)
                    with engine.connect() as connection:
                        pending = connection.execute(
                            text("SELECT count(*) FROM notifications WHERE email_state <> 'sent'")
                        ).scalar_one()
                    _again_seconds, again, _ = run_pass(database_url, port, processes, received)
                    figures.append((processes, produced, mailed, got, pending, again, seconds, outcomes))
            engine.dispose()
            if args.mode in ("celery", "both"):
                with tempfile.TemporaryDirectory(prefix="academy-bench-") as storage:
                    for workers in (1, 2):
                        passes.append(celery_pass(database_url, port, workers, received, distinct, args.redis, storage))
                        print(f"  (pass with {workers} worker(s) done: {passes[-1]['seconds']:.1f} s)", flush=True)
    finally:
        stop.set()
        server.join(10)
    print(f"Reminders benchmark: {args.people:,} people with a course due in 7 days, PostgreSQL, SMTP sink (aiosmtpd)")
    for processes, produced, mailed, got, pending, again, seconds, outcomes in figures:
        each = ", ".join(f"{part}: {counts['mailed']:,} in {s:.1f} s" for part, counts, s in outcomes)
        print(
            f"  {processes} process{'es' if processes > 1 else ''}: {produced:,} notifications produced, "
            f"{mailed:,} mailed, {got:,} received by the sink, {pending:,} not sent, a second run sent {again:,}; "
            f"{seconds:.1f} s wall, {mailed / seconds:,.0f} mails/s ({each})"
        )
    rates = []
    for figure in passes:
        ok = figure["received"] == figure["distinct"] == args.people and not figure["failed"]
        rates.append(args.people / figure["seconds"])
        print(
            f"  celery, {figure['workers']} worker process{'es' if figure['workers'] > 1 else ''} (Redis, 2 partition "
            f"jobs): {figure['produced']:,} produced in {figure['produce_seconds']:.1f} s, {figure['mailed']:,} mailed "
            f"in {figure['send_seconds']:.1f} s ({figure['mailed'] / figure['send_seconds']:,.0f} mails/s sending), "
            f"{figure['received']:,} received, {figure['distinct']:,} distinct recipients, {figure['pending']:,} not "
            f"sent; {figure['seconds']:.1f} s in all = {rates[-1]:,.0f} mails/s; "
            f"{'OK: exactly N, none twice' if ok else 'WRONG COUNT OR FAILURES: ' + str(figure['failed'])}; "
            f"load average {', '.join(f'{x:.2f}' for x in figure['load'])}"
        )
    if len(passes) == 2:
        first, second = passes
        sending = (second["mailed"] / second["send_seconds"]) / (first["mailed"] / first["send_seconds"])
        print(f"  2 workers / 1 worker: {rates[1] / rates[0]:.2f}x in all, {sending:.2f}x in the sending phase")
    print(f"  load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
