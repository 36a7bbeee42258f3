"""Real ``celery worker`` processes on a real Redis broker and on the embedded SQL broker, on the test's database.

Each test builds a database of its own (a SQLite file, or a PostgreSQL database when the
suite runs on PostgreSQL) that the workers, in their own processes, share with the test.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.extensions import db
from academy.org.models import Person, PersonIdentifier
from jobs.handlers import file_digest
from jobs.models import Job, JobState
from jobs.services import claim_job, create_job, new_file, send, sweep_stale
from tests.jobs.conftest import AGENCY, Stack
from tests.jobs.conftest import finished_job as _finished
from tests.jobs.conftest import job_row as _job
from tests.jobs.conftest import read_value as _read
from tests.jobs.conftest import worker_logs as _logs
from tests.support.jobs import (
    Beat,
    Worker,
    wait_for,
    workers,
    write_people,
)

pytestmark = [
    pytest.mark.own_database,
    # kombu's SQL transport (the embedded broker) declares its relationships with noload (SQLAlchemy 2.1 deprecates it).
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"),
]


def _upload(stack: Stack, rows: int) -> str:
    path, relative = new_file("uploads", ".csv")
    write_people(path, AGENCY, rows)
    return relative


def _queue(kind: str, params: dict[str, Any], task_key: str | None = None) -> int:
    job = create_job(kind, params=params, task_key=task_key)
    db.session.commit()  # sends it
    job_id = job.id
    db.session.remove()
    return job_id


def _people() -> tuple[int, int, int]:
    return (
        _read(select(func.count()).select_from(Person)),
        _read(select(func.count(func.distinct(Person.employee_no)))),
        _read(select(func.count()).select_from(PersonIdentifier)),
    )


def _imports_audited(job_id: int) -> int:
    return int(
        _read(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "people.import", AuditEntry.target_id == str(job_id))
        )
    )


def _done_so_far(stack: Stack, job_id: int) -> int:
    """How far the running job got, read where its worker writes it (not the job row, on SQLite)."""
    if stack.on_sqlite:
        path = Path(stack.environ["ACADEMY_JOBS_STORAGE_DIR"]) / "progress" / f"{job_id}.json"
        try:
            return int(json.loads(path.read_text(encoding="utf-8"))["done"])
        except (OSError, ValueError):
            return 0
    return int(_read(select(Job.done).where(Job.id == job_id)) or 0)


#: RabbitMQ (amqp://) too, for the tests of delivery.
EVERY_BROKER = pytest.mark.parametrize("stack", ["embedded", "redis", "rabbitmq"], indirect=True)


@EVERY_BROKER
def test_dry_run_then_import_runs_to_completion(stack: Stack) -> None:
    upload = _upload(stack, 500)
    with workers(stack.environ, stack.workdir) as running:
        check = _queue("people_import_check", {"upload": upload, "filename": "people.csv"})
        job = wait_for(lambda: _finished(check), 90, "the dry run", lambda: _logs(*running))
        assert job.state is JobState.SUCCEEDED, job.error
        assert job.result == {
            "rows": 500,
            "created": 500,
            "updated": 0,
            "unchanged": 0,
            "deactivated": 0,
            "invalid_rows": 0,
            "ok": True,
            "stored": False,
            "sha256": file_digest(Path(stack.environ["ACADEMY_JOBS_STORAGE_DIR"]) / upload),
        }
        assert _people()[0] == 0  # a dry run stores nothing
        imported = _queue(
            "people_import", {"upload": upload, "filename": "people.csv", "checked_sha256": job.result["sha256"]}
        )
        job = wait_for(lambda: _finished(imported), 90, "the import", lambda: _logs(*running))
    assert job.state is JobState.SUCCEEDED, job.error
    assert (job.done, job.total, job.result["created"], job.attempts) == (500, 500, 500, 1)
    assert _people() == (500, 500, 1000)  # an account and an email identifier each


def test_a_file_changed_after_its_dry_run_is_not_imported(stack: Stack) -> None:
    upload = _upload(stack, 20)
    path = Path(stack.environ["ACADEMY_JOBS_STORAGE_DIR"]) / upload
    checked = file_digest(path)
    with path.open("a", encoding="utf-8") as handle:  # one more row after the dry run
        handle.write("99999,E9,นาย,ก,ข,Mr.,A,B,x@example.go.th,K-COMP,K2,,no,active,2560-10-01\n")
    with workers(stack.environ, stack.workdir) as running:
        imported = _queue("people_import", {"upload": upload, "checked_sha256": checked})
        job = wait_for(lambda: _finished(imported), 90, "the import", lambda: _logs(*running))
    assert job.state is JobState.FAILED and job.error == "the file changed after its dry run: nothing was stored"
    assert _people()[0] == 0


def test_invalid_rows_store_nothing_and_the_errors_download(stack: Stack) -> None:
    path, upload = new_file("uploads", ".csv")
    write_people(path, AGENCY, 30)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("99999,E9,นาย,ก,ข,Mr.,A,B,x@example.go.th,K-COMP,K2,,no,active,2560-10-01\n")
    with workers(stack.environ, stack.workdir) as running:
        imported = _queue("people_import", {"upload": upload})
        job = wait_for(lambda: _finished(imported), 90, "the import", lambda: _logs(*running))
    assert job.state is JobState.FAILED and job.error == "1 invalid rows: nothing was stored"
    assert job.result is not None and job.result["invalid_rows"] == 1 and job.result["stored"] is False
    assert _people()[0] == 0
    errors = (Path(stack.environ["ACADEMY_JOBS_STORAGE_DIR"]) / str(job.file_path)).read_text(encoding="utf-8-sig")
    assert errors.splitlines()[0] == "row,column,message" and "32,agency_code" in errors


@EVERY_BROKER
def test_worker_killed_mid_import_another_finishes_each_row_once(stack: Stack) -> None:
    rows = 20_000
    upload = _upload(stack, rows)
    first = Worker(stack.environ, stack.workdir / "first.log", "first")
    try:
        imported = _queue("people_import", {"upload": upload})
        wait_for(lambda: _done_so_far(stack, imported) > 0, 120, "the import to start", first.output)
        first.kill()  # kill -9, the worker and its pool at once, mid-import
    finally:
        first.stop()
    assert _job(imported).state is JobState.RUNNING
    assert _people()[0] == 0  # its transaction died with it
    with workers(stack.environ, stack.workdir) as running:
        if stack.broker == "embedded":
            # The SQL broker forgets a message its consumer took: the sweep (beat, every minute) sends it again.
            time.sleep(3)
            assert imported in sweep_stale()
        # Redis gives the unacknowledged message to another worker after the visibility timeout;
        # RabbitMQ as soon as the dead worker's connection closes.
        job = wait_for(lambda: _finished(imported), 180, "another worker to finish", lambda: _logs(*running))
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.attempts == 2 and job.result is not None and job.result["created"] == rows
    assert _people() == (rows, rows, 2 * rows)
    assert _imports_audited(imported) == 1


def test_duplicated_deliveries_do_nothing_twice(stack: Stack) -> None:
    rows = 3000
    upload = _upload(stack, rows)
    with workers(stack.environ, stack.workdir, count=2) as running:
        imported = _queue("people_import", {"upload": upload})
        send(imported)  # the same message twice more, to two workers at once
        send(imported)
        job = wait_for(lambda: _finished(imported), 120, "the import", lambda: _logs(*running))
        # And once more after it finished, then a small job behind it: when that is done, so is the duplicate.
        send(imported)
        marker = _queue("people_import_check", {"upload": _upload(stack, 1)})
        wait_for(lambda: _finished(marker), 90, "the job behind the duplicate", lambda: _logs(*running))
        time.sleep(1)
    assert job.state is JobState.SUCCEEDED, job.error
    assert _people() == (rows, rows, 2 * rows)
    assert _imports_audited(imported) == 1
    assert _job(imported).finished_at == job.finished_at


def test_a_schedule_slot_fires_once_with_two_beats(stack: Stack) -> None:
    """Two beats send the day's GDX push slot; workers claim it through the job's unique task key."""
    stack.app.config["ACADEMY_GDX_INGEST_URL"] = "http://127.0.0.1:9/ingest"
    environ = {**stack.environ, "ACADEMY_GDX_INGEST_URL": "http://127.0.0.1:9/ingest"}
    celery = stack.app.extensions["celery"]
    with workers(environ, stack.workdir, count=2) as running:
        for _beat in range(2):
            celery.send_task("jobs.gdx_push_slot")
        wait_for(
            lambda: _read(select(func.count()).select_from(Job).where(Job.kind == "gdx_push")),
            60,
            "the slot's job",
            lambda: _logs(*running),
        )
        job_id = _read(select(Job.id).where(Job.kind == "gdx_push"))
        job = wait_for(lambda: _finished(job_id), 60, "the push", lambda: _logs(*running))
        time.sleep(2)
    assert _read(select(func.count()).select_from(Job).where(Job.kind == "gdx_push")) == 1
    # No skill standard is active in this database: the push fails, and says why.
    assert job.state is JobState.FAILED and job.error is not None


_SENT = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/\w+\] Scheduler: Sending due task jobs-probe ", re.M
)
_RAN = re.compile(r"Task jobs\.probe_slot\[[\w-]+\] succeeded in [\d.e-]+s: (None|\d+)")


def _slots_sent(beat: Beat, seconds: int) -> list[int]:
    """The clock slots in which a beat sent the probe (from its log's local times)."""
    from datetime import datetime

    stamps = _SENT.findall(beat.log.read_text(encoding="utf-8", errors="replace"))
    return [int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp() // seconds) for stamp in stamps]


def test_two_beat_processes_make_one_job_per_slot(stack: Stack) -> None:
    """Two real beats (one by mistake) send the probe slot on the same 3 s of the clock: one job per slot."""
    seconds = 3
    environ = {**stack.environ, "ACADEMY_JOBS_PROBE_SECONDS": str(seconds)}
    # The beats start with the worker (all three declare the broker's queues at once).
    beats = [Beat(environ, stack.workdir / f"beat{n}.log", stack.workdir / f"beat{n}-schedule") for n in range(2)]
    try:
        with workers(environ, stack.workdir) as running:

            def both_sent() -> bool:
                first, second = (set(_slots_sent(beat, seconds)) for beat in beats)
                return len(first & second) >= 2

            wait_for(both_sent, 60, "both beats to send two slots", lambda: _logs(*running, *beats))
            # Stopped mid-slot, when neither is sending: a send cut short would be logged, never delivered.
            time.sleep((seconds * 1.5 - time.time() % seconds) % seconds)
            for beat in beats:
                beat.stop()
            sent = [slot for beat in beats for slot in _slots_sent(beat, seconds)]

            def all_ran() -> list[str]:
                ran = _RAN.findall(running[0].log.read_text(encoding="utf-8", errors="replace"))
                return ran if len(ran) >= len(sent) else []

            ran = wait_for(all_ran, 60, "the worker to take every slot message", lambda: _logs(*running))
            claimed = [int(job_id) for job_id in ran if job_id != "None"]
            for job_id in claimed:
                wait_for(lambda job_id=job_id: _finished(job_id), 60, "the probe jobs", lambda: _logs(*running))
    finally:
        for beat in beats:
            beat.stop()
    jobs = db.session.execute(select(Job.task_key, Job.state).where(Job.kind == "probe")).all()
    db.session.remove()
    # Every message was taken, one per slot made the job, the other beat's found it made.
    assert len(ran) == len(sent) and len(sent) >= 2 * 2
    assert sorted(claimed) == sorted(set(claimed))
    assert sorted(int(key.removeprefix("probe:")) for key, _state in jobs) == sorted(set(sent))
    assert len(jobs) == len(claimed) and {state for _key, state in jobs} == {JobState.SUCCEEDED}


def test_concurrent_claims_of_one_slot(stack: Stack) -> None:
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        with stack.app.app_context():
            barrier.wait()
            job = claim_job("gdx_push", "gdx_push:slot-test")
            results.append(None if job is None else job.id)
            db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len([found for found in results if found is not None]) == 1
    assert _read(select(func.count()).select_from(Job).where(Job.task_key == "gdx_push:slot-test")) == 1
