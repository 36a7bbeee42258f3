"""``flask --app wsgi academy course-export|course-import``: courses as JSON or YAML documents."""

from __future__ import annotations

from pathlib import Path

import click

from academy.audit.services import record_audit
from academy.extensions import db


@click.command("course-export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="File to write.")
def course_export_command(code: str, fmt: str, output: Path | None) -> None:
    """Export a course (with its modules, lessons, quizzes and alignments) as a JSON or YAML document."""
    from typing import cast

    from sqlalchemy import select

    from courses.models import Course
    from courses.services.exchange import ExchangeError, Format, export_course_text

    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise click.ClickException(f"no course has the code {code}")
    try:
        text = export_course_text(course, cast("Format", fmt))
    except ExchangeError as error:
        raise click.ClickException(str(error)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {course.code} to {output}", err=True)


@click.command("course-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def course_import_command(file: Path) -> None:
    """Import a course document (JSON or YAML): a new course, or an update of the course with the same code."""
    from courses.services.exchange import ExchangeError, format_for, import_course_text

    try:
        result = import_course_text(file.read_bytes(), format_for(file.name))
    except ExchangeError as error:
        db.session.rollback()
        for problem in error.errors:
            click.echo(f"{file.name}: {problem}", err=True)
        raise click.ClickException(f"nothing was imported: {len(error.errors)} problem(s) in {file.name}") from None
    course = result.course
    record_audit(
        "course.import",
        actor="cli",
        target_type="course",
        target_id=course.code,
        details={"file": file.name, "created": result.created},
    )
    db.session.commit()
    click.echo(f"{'created' if result.created else 'updated'} {course.code} ({course.status.value}): {course.title_th}")


#: What courses adds to the ``academy`` CLI group (courses.init_app).
commands = (course_export_command, course_import_command)
