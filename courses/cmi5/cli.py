"""cmi5 commands: a package's import as a course, and the sweep of idle launch sessions (run it on a schedule)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app

from academy.audit.services import record_audit
from academy.db import db

#: Sessions abandoned per transaction: a long backlog commits as it goes.
BATCH = 500


@click.command("cmi5-abandon-idle")
@click.option(
    "--idle-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Abandon open sessions with no statement for this many hours [default: ACADEMY_CMI5_IDLE_HOURS, 24].",
)
def cmi5_abandon_idle_command(idle_hours: float | None) -> None:
    """Abandon the cmi5 sessions that AUs left open: record ``abandoned`` for each (cmi5 9.3.6)."""
    from courses.cmi5.services.launch import abandon_idle_sessions

    hours = idle_hours if idle_hours is not None else float(current_app.config["ACADEMY_CMI5_IDLE_HOURS"])
    total = 0
    while True:
        count = abandon_idle_sessions(timedelta(hours=hours), limit=BATCH)
        if count:
            record_audit("cmi5.abandon_idle", actor="cli", details={"sessions": count, "idle_hours": hours})
        db.session.commit()
        total += count
        if count < BATCH:
            break
    click.echo(f"abandoned {total} cmi5 session(s) idle for more than {hours:g} hours")


@click.command("cmi5-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code", required=True, help="The new course's code.")
@click.option("--provider", default="E-Workforce Academy", show_default=True)
@click.option("--hours", default="1", show_default=True, help="The course's hours.")
@click.option("--publish", is_flag=True, help="Publish the course at once (else it is a draft).")
@click.option("--allow-browse", is_flag=True, help="Learners may open its units in Browse mode (nothing recorded).")
def cmi5_import_command(file: Path, code: str, provider: str, hours: str, publish: bool, allow_browse: bool) -> None:
    """Import a cmi5 package (a ZIP with cmi5.xml at its root, or a cmi5.xml) as a course."""
    from decimal import Decimal, InvalidOperation

    from courses.cmi5.package import PackageError
    from courses.cmi5.services.importer import ImportOptions, import_package
    from courses.models import CourseStatus

    try:
        course_hours = Decimal(hours)
    except InvalidOperation:
        raise click.BadParameter(f"{hours!r} is not a number", param_hint="--hours") from None
    options = ImportOptions(
        code=code,
        provider=provider,
        hours=course_hours,
        status=CourseStatus.PUBLISHED if publish else CourseStatus.DRAFT,
        allow_browse=allow_browse,
    )
    try:
        course = import_package(file.read_bytes(), file.name, options)
    except PackageError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{file.name}: {problem}", err=True)
        raise click.ClickException(f"{file.name} was not imported: {len(error.problems)} problem(s)") from None
    record_audit(
        "cmi5.import", actor="cli", target_type="course", target_id=course.code, details={"package": file.name}
    )
    db.session.commit()
    click.echo(f"imported {course.code} ({course.status.value}): {course.title_en or course.title_th}")


#: What cmi5 adds to the ``academy`` CLI group (courses.cmi5.init_app).
commands = (cmi5_import_command, cmi5_abandon_idle_command)
