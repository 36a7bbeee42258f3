"""The work of each kind of job: the people import (dry run, then import), rebuilding projections, the GDX push."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, text

from academy.audit.services import record_audit
from academy.auth.models import User
from academy.db import db
from academy.org.events import announce_people_changed
from academy.org.importer import ImportFileError, ImportReport, count_rows, import_people, read_rows
from academy.org.models import Agency
from jobs.models import Job
from jobs.progress import Progress
from jobs.runner import Outcome, handler
from jobs.services import create_job, new_file, storage_root

PEOPLE_CHECK = "people_import_check"
PEOPLE_IMPORT = "people_import"
REBUILD_PROJECTIONS = "rebuild_projections"
GDX_PUSH = "gdx_push"


def _scope(job: Job) -> list[Agency] | None:
    if job.scope_agency_ids is None:
        return None
    return list(db.session.scalars(select(Agency).where(Agency.id.in_(job.scope_agency_ids))))


def _errors_file(report: ImportReport) -> tuple[str | None, str | None]:
    """The row errors as a CSV to download (row, column, message); None when there are none."""
    if not report.errors:
        return None, None
    path, relative = new_file("results", ".csv")
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "message"])
        for error in report.errors:
            writer.writerow([error.row, error.column, error.message])
    return relative, "import-errors.csv"


def file_digest(path: Path) -> str:
    """The SHA-256 of an uploaded file, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _run_import(job: Job, progress: Progress, *, store: bool) -> Outcome:
    upload = storage_root() / job.params["upload"]
    digest = file_digest(upload)
    checked = job.params.get("checked_sha256")
    if checked and checked != digest:
        # The import stores what its dry run showed, or nothing.
        return Outcome(failed="the file changed after its dry run: nothing was stored")
    progress.set_total(count_rows(upload))
    skip_invalid = bool(job.params.get("skip_invalid"))
    full = bool(job.params.get("full"))
    rolled_back = 0
    try:
        # A savepoint: a dry run, or a file with invalid rows, leaves nothing behind, while the
        # job's own state is still committed with the report.
        with db.session.begin_nested() as savepoint:
            report = import_people(
                read_rows(upload),
                base_url=current_app.config["ACADEMY_BASE_URL"],
                full=full,
                skip_invalid=skip_invalid,
                progress=progress.advance,
                within=_scope(job),
            )
            if not store or not report.ok:
                savepoint.rollback()
                rolled_back = report.created or report.updated
    except ImportFileError as error:
        return Outcome(failed=str(error))
    if not (store and report.ok) and rolled_back:
        _vacuum_people()
    file_path, file_name = _errors_file(report)
    result = {**report.as_dict(), "ok": report.ok, "stored": store and report.ok, "sha256": digest}
    if not report.ok:
        return Outcome(result, file_path, file_name, failed=f"{report.invalid_rows} invalid rows: nothing was stored")
    if store:
        announce_people_changed(report.changed_ids)
        starter = db.session.get(User, job.started_by_id) if job.started_by_id else None
        record_audit(
            "people.import",
            actor=starter.email if starter else "job",
            user_id=starter.id if starter else None,
            target_type="job",
            target_id=job.id,
            details={
                "file": job.params.get("filename"),
                "full": full,
                "skip_invalid": skip_invalid,
                **report.as_dict(),
            },
        )
    return Outcome(result, file_path, file_name)


def _vacuum_people() -> None:
    """Clear away the rows a dry run wrote and rolled back (PostgreSQL) before the import writes them again.

    An aborted insert stays in the table and its indexes, dead, until a vacuum; the import
    confirmed at once after a 400,000-row dry run ran a third slower than the dry run, and
    these dead entries are the likely cause. The savepoint's rollback let go of its locks, so
    the vacuum (a connection of its own, outside the job's transaction) does not wait for the
    job; it gives up after a few seconds of waiting for anyone else.
    """
    if db.engine.dialect.name != "postgresql":
        return
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SET lock_timeout = '5s'"))
            connection.execute(text("VACUUM (ANALYZE) people, person_identifiers"))
    except Exception:
        current_app.logger.warning("people import: the tables were not vacuumed after the dry run", exc_info=True)


@handler(PEOPLE_CHECK)
def check_people(job: Job, progress: Progress) -> Outcome:
    """The dry run: every row checked, the report and its errors kept, nothing stored."""
    return _run_import(job, progress, store=False)


@handler(PEOPLE_IMPORT)
def import_people_job(job: Job, progress: Progress) -> Outcome:
    """The import: stored only when every row is valid, or the user chose to skip invalid rows."""
    return _run_import(job, progress, store=True)


@handler(REBUILD_PROJECTIONS)
def rebuild_projections(job: Job, progress: Progress) -> Outcome:
    """Rebuild every projection from the statements, in the order they see a batch."""
    from lrs.pipeline import projections

    chosen = [projection for projection in projections() if projection.rebuild is not None]
    sizes = [projection.size() if projection.size is not None else 0 for projection in chosen]
    progress.set_total(sum(sizes))
    counts: dict[str, Any] = {}
    for projection in chosen:
        assert projection.rebuild is not None
        counts[projection.name] = projection.rebuild(progress.advance)
    record_audit("projections.rebuild", actor="job", target_type="job", target_id=job.id, details=counts)
    return Outcome(counts)


NOTIFICATIONS = "notifications"


class MailUnavailable(ConnectionError):
    """Not one mail of a notifications run could be sent (the SMTP server is down or refuses): retried later."""


NOTIFICATIONS_PARTITION = "notifications_partition"


def _mail_outcome(counts: dict[str, Any]) -> Outcome:
    if counts["failed"] and not counts["mailed"]:
        raise MailUnavailable(f"{counts['failed']} mails could not be sent: {counts.get('error')}")
    return Outcome(counts)


@handler(NOTIFICATIONS)
def send_notifications(job: Job, progress: Progress) -> Outcome:
    """Produce the notifications that are due and mail the pending ones (academy.notifications); commits.

    When every send failed (the server is down or refuses), the job raises :class:`MailUnavailable`:
    Celery retries it with backoff, and after the last retry it shows as failed with the error, to
    run again. When only some failed, it succeeds and its result counts them: they stay pending
    and the next run (the next hour's slot) sends them. Sent mails are never sent again.

    With ACADEMY_JOBS_NOTIFICATION_PARTITIONS above 1 it only produces them, then leaves the
    mailing to that many partition jobs (user id modulo N) that the workers take side by side.
    """
    from datetime import UTC, datetime

    from academy.notifications import produce_due_notifications, send_due_notifications

    now = datetime.now(UTC)
    partitions = int(current_app.config["ACADEMY_JOBS_NOTIFICATION_PARTITIONS"])
    progress.set_total(1)
    if partitions == 1:
        counts = send_due_notifications(now)
        progress.advance(1)
        return _mail_outcome(counts)
    counts = produce_due_notifications(now)
    children = [
        create_job(
            NOTIFICATIONS_PARTITION,
            params={"index": index, "count": partitions, "now": now.isoformat()},
            task_key=f"{job.task_key}:{index}/{partitions}",
            parent=job,
        )
        for index in range(partitions)
    ]
    progress.advance(1)
    # The partition jobs are sent when this job's outcome is committed.
    return Outcome({**counts, "partition_jobs": [child.id for child in children]})


@handler(NOTIFICATIONS_PARTITION)
def send_notifications_partition(job: Job, progress: Progress) -> Outcome:
    """Mail the pending notifications of one partition (user id modulo count == index); fails as the whole run does."""
    from datetime import datetime

    from academy.notifications import send_pending_notifications

    partition = (int(job.params["index"]), int(job.params["count"]))
    progress.set_total(1)
    counts = send_pending_notifications(datetime.fromisoformat(str(job.params["now"])), partition)
    progress.advance(1)
    return _mail_outcome(counts)


@handler(GDX_PUSH)
def gdx_push(job: Job, progress: Progress) -> Outcome:
    """Send every agency's coverage record to GDX (the push's own outbox keeps each record once)."""
    from academy.config import GdxSettings
    from academy.dates import current_fiscal_year
    from api.gdx.services.push import GdxSender, push_coverage
    from competencies.services.coverage import Population
    from competencies.services.frameworks import active_standard

    settings = GdxSettings.from_flask_config(current_app.config)
    problems = settings.push_problems()
    if problems:
        return Outcome(failed="; ".join(problems))
    framework = active_standard()
    if framework is None:
        return Outcome(failed="no skill standard is active: nothing to push")
    year = current_fiscal_year()
    outcome = push_coverage(
        year,
        framework,
        GdxSender(settings),
        commit=db.session.commit,
        population=Population(job.params.get("population", Population.IT.value)),
        trigger=str(job.params.get("trigger", "job")),
        on_total=progress.set_total,
        progress=progress.advance,
    )
    report = outcome.report
    result = {
        "fiscal_year": year,
        "enqueued": outcome.enqueued,
        "delivered": report.delivered,
        "failed": report.failed,
        "pending": report.pending,
    }
    record_audit("gdx.push", actor="job", target_type="gdx_push_run", target_id=outcome.run_id, details=result)
    if report.failed or report.pending:
        return Outcome(result, failed=f"{report.failed} records refused, {report.pending} still pending")
    return Outcome(result)


def upload_path(relative: str) -> Path:
    return storage_root() / relative


REPORT_EXPORT = "report_export"


@handler(REPORT_EXPORT)
def export_people_report(job: Job, progress: Progress) -> Outcome:
    """A large people report (a ministry, all personnel) as CSV, XLSX or PDF, kept as the job's file."""
    from flask_babel import force_locale

    from academy.org.services import get_agency_by_code
    from competencies.reports.exports import export_report
    from competencies.reports.services import PDF_PEOPLE_LIMIT, people_report
    from competencies.services.coverage import population_from_label
    from competencies.services.frameworks import active_standard

    params = job.params
    agency = get_agency_by_code(str(params["agency"]))
    framework = active_standard()
    if agency is None or framework is None:
        return Outcome(failed="the agency or the active skill standard is gone")
    fmt = str(params["format"])
    progress.set_total(1)
    with force_locale(str(params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"])):
        report = people_report(
            agency,
            int(params["fiscal_year"]),
            framework,
            population_from_label(str(params["population"])),
            q=str(params.get("q", "")),
            trained=params.get("trained"),
            limit=PDF_PEOPLE_LIMIT if fmt == "pdf" else None,
        )
        content = export_report(report, fmt)
    path, relative = new_file("results", f".{fmt}")
    path.write_bytes(content)
    progress.advance(1)
    rows = len(report.tables[0].rows)
    starter = db.session.get(User, job.started_by_id) if job.started_by_id else None
    record_audit(
        "report.people_export",
        actor=starter.email if starter else "job",
        user_id=starter.id if starter else None,
        target_type="agency",
        target_id=agency.code,
        details={**{key: value for key, value in params.items() if key != "locale"}, "rows": rows, "job": job.id},
    )
    return Outcome({"rows": rows, "format": fmt}, relative, f"{report.filename}.{fmt}")


MY_DATA_EXPORT = "my_data_export"
ERASURE = "erasure"


@handler(MY_DATA_EXPORT)
def export_my_data(job: Job, progress: Progress) -> Outcome:
    """A person's *My data* ZIP, written to the jobs storage for its starter alone to download."""
    from datetime import datetime

    from academy.org.models import Person
    from academy.privacy.export import data_subject, export_tables, write_export

    person = db.session.get(Person, int(job.params["person_id"]))
    starter = db.session.get(User, job.started_by_id) if job.started_by_id else None
    if person is None or starter is None or starter.person_id != person.id:
        return Outcome(failed="the person or their account is gone")
    generated = datetime.fromisoformat(str(job.params["generated"]))
    progress.set_total(len(export_tables()))
    path, relative = new_file("results", ".zip")
    try:
        size = write_export(data_subject(person), generated, path, progress.advance)
    except BaseException:
        path.unlink(missing_ok=True)  # a retry writes a fresh file
        raise
    return Outcome({"bytes": size}, relative, f"my-data-{generated:%Y%m%d}.zip")


@handler(ERASURE)
def erase_person_job(job: Job, progress: Progress) -> Outcome:
    """Carry out an approved erasure, in the job's one transaction; a second delivery erases nothing twice."""
    from academy.privacy.erasure import ErasureRefused, carry_out_erasure
    from academy.privacy.models import ErasureRequest

    progress.set_total(1)
    # The request's row lock (PostgreSQL) keeps two jobs of one request from erasing at once.
    request = db.session.scalar(
        select(ErasureRequest).where(ErasureRequest.id == int(job.params["request_id"])).with_for_update()
    )
    if request is None:
        return Outcome(failed="the erasure request is gone")
    try:
        counts = carry_out_erasure(request, current_app.config["ACADEMY_BASE_URL"])
    except ErasureRefused as error:
        return Outcome(failed=str(error))
    progress.advance(1)
    if counts is None:
        return Outcome({"already_erased": True})
    return Outcome(dict(counts))


PROBE = "probe"


@handler(PROBE)
def probe(job: Job, progress: Progress) -> Outcome:
    """Nothing to do: the schedule's probe (ACADEMY_JOBS_PROBE_SECONDS) shows that beat and the workers run."""
    progress.set_total(1)
    progress.advance(1)
    return Outcome({"slot": job.params.get("slot")})


CLEANUP = "cleanup"
LRS_PARTITIONS = "lrs_partitions"
#: How many months after this one the LRS's statement partitions are kept created.
PARTITIONS_AHEAD = 3


@handler(CLEANUP)
def clean_up(job: Job, progress: Progress) -> Outcome:
    """Delete old finished jobs' files and old uploads (ACADEMY_JOBS_KEEP_DAYS)."""
    from jobs.services import clean_up_files

    progress.set_total(1)
    counts = clean_up_files()
    progress.advance(1)
    return Outcome(dict(counts))


@handler(LRS_PARTITIONS)
def lrs_partitions(job: Job, progress: Progress) -> Outcome:
    """Keep the LRS statement partitions of this month and the next three created (PostgreSQL; SQLite: nothing)."""
    from lrs.partitions import ensure_partitions, is_partitioned

    progress.set_total(1)
    if not is_partitioned():
        progress.advance(1)
        return Outcome({"partitioned": False, "partitions_created": 0})
    created = ensure_partitions(PARTITIONS_AHEAD)
    if created:
        record_audit("lrs.partitions", actor="job", target_type="job", target_id=job.id, details={"created": created})
    progress.advance(1)
    return Outcome({"partitioned": True, "partitions_created": len(created), "partitions": ", ".join(created)})
