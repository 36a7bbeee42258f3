"""``flask --app wsgi academy ...``: the platform's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from tqdm import tqdm

from academy.audit.services import record_audit
from academy.auth.models import Role
from academy.auth.services import AccountError, create_user
from academy.dates import FISCAL_YEAR_MAX, FISCAL_YEAR_MIN
from academy.extensions import db
from academy.org.importer import COLUMNS, ImportFileError, count_rows, import_people, read_rows, template_csv


@click.group("academy")
def academy_cli() -> None:
    """E-Workforce Academy commands."""


def _progress(total: int | None, unit: str, description: str) -> tqdm:
    # The bar goes to stderr so that the report on stdout stays machine-readable.
    return tqdm(total=total, unit=unit, desc=description, file=sys.stderr, disable=None, unit_scale=True)


@academy_cli.command("import-people")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count, store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows and report the invalid ones.")
@click.option("--full", is_flag=True, help="The file is complete: people of its agencies not in it become inactive.")
def import_people_command(file: Path, dry_run: bool, skip_invalid: bool, full: bool) -> None:
    """Import people from an HR CSV or XLSX file (see import-template)."""
    try:
        with _progress(count_rows(file), "rows", "import") as bar:
            report = import_people(
                read_rows(file),
                base_url=current_app.config["ACADEMY_BASE_URL"],
                full=full,
                skip_invalid=skip_invalid,
                progress=bar.update,
            )
    except ImportFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    for row_error in report.errors:
        click.echo(f"{file.name}: {row_error}", err=True)
    if report.invalid_rows > len(report.errors):
        click.echo(f"... and more: {report.invalid_rows} invalid rows in all", err=True)
    summary = ", ".join(f"{key} {value}" for key, value in report.as_dict().items())
    if not report.ok:
        db.session.rollback()
        raise click.ClickException(f"nothing was stored: {report.invalid_rows} invalid rows ({summary})")
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run, nothing stored: {summary}")
        return
    # Changed positions change role profiles: refresh what coverage counts about those people.
    from competencies.services.standing import refresh_standing

    refresh_standing(report.changed_ids)
    record_audit(
        "people.import",
        actor="cli",
        details={"file": file.name, "full": full, "skip_invalid": skip_invalid, **report.as_dict()},
    )
    db.session.commit()
    skipped = f" ({report.invalid_rows} invalid rows skipped)" if report.invalid_rows else ""
    click.echo(f"imported: {summary}{skipped}")


@academy_cli.command("import-template")
def import_template_command() -> None:
    """Print the CSV template of import-people, then what each column means (on stderr)."""
    click.echo(template_csv(), nl=False)
    for column in COLUMNS:
        required = "required" if column.required else "optional"
        click.echo(f"  {column.name:22} {required:9} {column.description}", err=True)


@academy_cli.command("demo")
@click.option("--people", default=5000, show_default=True, type=click.IntRange(min=1), help="How many people.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has agencies.")
def demo_command(people: int, if_empty: bool) -> None:
    """Build a realistic demo government (deterministic); in development, three demo accounts."""
    from academy.org.demo import build_demo, database_is_empty

    development = current_app.config["ACADEMY_ENV"] == "development"
    if not database_is_empty():
        if if_empty:
            click.echo("demo: the database already has data; nothing done")
            if development:  # `make run` says how to sign in every time it starts the server
                _echo_demo_accounts()
            return
        raise click.ClickException("the database already has agencies: the demo needs an empty database")
    with _progress(people, "people", "demo") as bar:
        result = build_demo(
            people=people,
            base_url=current_app.config["ACADEMY_BASE_URL"],
            password=current_app.config["ACADEMY_DEMO_PASSWORD"] if development else None,
            progress=bar.update,
        )
    from competencies.demo import build_learning

    with _progress(None, "statements", "learning") as bar:
        completions = build_learning(current_app.config["ACADEMY_BASE_URL"], progress=bar.update)
    from courses.demo import build_courses, build_demo_learning

    courses = build_courses()
    build_demo_learning("learner@demo.go.th", "hr@demo.go.th")
    record_audit("demo.build", actor="cli", details={"people": people, "completions": completions})
    db.session.commit()
    click.echo(
        f"demo: {result.agencies} agencies, {result.report.created} people, "
        f"{completions} completions of aligned courses this fiscal year, {courses} courses"
    )
    if not development:
        click.echo("demo: no demo accounts outside development mode (ACADEMY_ENV=development)")
    for email, password, name in result.accounts:
        click.echo(f"  {email:22} password {password}   ({name})")


def _echo_demo_accounts() -> None:
    """Print the demo accounts the database has, and warn when the learners' identities name another address."""
    from sqlalchemy import select

    from academy.auth.models import User
    from academy.org.models import IdentifierKind, PersonIdentifier

    users = db.session.scalars(
        select(User).where(User.email.like("%@demo.go.th"), User.active.is_(True)).order_by(User.id)
    ).all()
    password = current_app.config["ACADEMY_DEMO_PASSWORD"]
    for user in users:
        click.echo(f"  {user.email:22} password {password}   ({user.display_name})")
    learner = next((user.person for user in users if user.person is not None), None)
    if learner is None:
        return
    suffix = f" {learner.public_id}"
    keys = db.session.scalars(
        select(PersonIdentifier.key).where(
            PersonIdentifier.person_id == learner.id, PersonIdentifier.kind == IdentifierKind.ACCOUNT
        )
    )
    home_pages = {key.removeprefix("account:").removesuffix(suffix) for key in keys if key.endswith(suffix)}
    base_url = current_app.config["ACADEMY_BASE_URL"]
    if home_pages and base_url not in home_pages:
        # Learners' xAPI accounts were stored with the address the demo was built for: on another
        # one their cmi5 and player statements would no longer reach them.
        click.echo(
            f"demo: WARNING: the demo's learners are identified at {', '.join(sorted(home_pages))}, "
            f"but the platform now runs at {base_url}; use that port again, or start from a new database",
            err=True,
        )


@academy_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "agency_codes", multiple=True, help="Agency code, for an HR officer (repeatable).")
@click.password_option()
def create_user_command(email: str, roles: tuple[str, ...], agency_codes: tuple[str, ...], password: str) -> None:
    """Create a user (e.g. the first academy admin)."""
    from academy.org.services import get_agency_by_code

    agencies = []
    for code in agency_codes:
        agency = get_agency_by_code(code)
        if agency is None:
            raise click.ClickException(f"no agency has the code {code}")
        agencies.append(agency)
    try:
        user = create_user(email=email, password=password, roles=[Role(r) for r in roles], agencies=agencies)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    record_audit("user.create", actor="cli", target_type="user", target_id=user.id, details={"email": user.email})
    db.session.commit()
    click.echo(f"created {user.email} ({', '.join(roles)})")


@academy_cli.command("seed-standard")
def seed_standard_command() -> None:
    """Create the civil-service digital skill standard with its default requirement matrix (idempotent)."""
    from competencies.services.frameworks import seed_standard

    framework = seed_standard()
    db.session.commit()
    click.echo(f"standard: {framework.code} {framework.version} ({len(framework.competencies)} areas and competencies)")


@academy_cli.command("rebuild-projections")
def rebuild_projections_command() -> None:
    """Rebuild evidence, attainment, enrolment progress and cmi5 satisfaction from every stored statement."""
    from sqlalchemy import func, select

    from competencies.services.evidence import rebuild_projections
    from courses.cmi5.services.satisfaction import rebuild_cmi5_satisfaction
    from courses.models import Course, CourseKind, Enrolment
    from courses.services.progress import rebuild_course_progress
    from lrs.models import Statement

    def enrolments_of(kind: CourseKind) -> int:
        query = select(func.count()).select_from(Enrolment).join(Course).where(Course.kind == kind)
        return db.session.scalar(query) or 0

    total = db.session.scalar(select(func.count()).select_from(Statement)) or 0
    with _progress(total, "statements", "rebuild") as bar:
        created = rebuild_projections(progress=bar.update)
    # In the order the statement subscribers run: enrolment progress (native courses), then cmi5.
    with _progress(enrolments_of(CourseKind.NATIVE), "enrolments", "progress") as bar:
        replayed = rebuild_course_progress(progress=bar.update)
    with _progress(enrolments_of(CourseKind.CMI5), "registrations", "cmi5") as bar:
        registrations = rebuild_cmi5_satisfaction(progress=bar.update)
    record_audit(
        "projections.rebuild",
        actor="cli",
        details={"statements": total, "evidence": created, "enrolments": replayed, "cmi5_registrations": registrations},
    )
    db.session.commit()
    click.echo(
        f"rebuilt: {total} statements read, {created} evidence rows, {replayed} enrolments replayed, "
        f"{registrations} cmi5 registrations replayed"
    )


@academy_cli.command("framework-export")
@click.argument("code")
@click.option("--version", "version", default=None, help="The framework's version (default: the latest).")
def framework_export_command(code: str, version: str | None) -> None:
    """Print a framework as a CASE 1.0 CFPackage (JSON)."""
    import json

    from sqlalchemy import select

    from competencies.models import Framework
    from competencies.services.exchange import export_case

    query = select(Framework).where(Framework.code == code).order_by(Framework.version.desc())
    if version:
        query = query.where(Framework.version == version)
    framework = db.session.scalars(query).first()
    if framework is None:
        raise click.ClickException(f"no framework has the code {code}")
    package = export_case(framework, f"{current_app.config['ACADEMY_BASE_URL']}/case")
    click.echo(json.dumps(package, ensure_ascii=False, indent=2))


@academy_cli.command("framework-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code", default=None, help="The framework's code (CASE: default from the package).")
@click.option("--version", "version", default="1", show_default=True, help="CSV only: the framework's version.")
@click.option("--name-th", default=None, help="CSV only: the framework's Thai name.")
@click.option("--name-en", default=None, help="CSV only: the framework's English name.")
def framework_import_command(
    file: Path, code: str | None, version: str, name_th: str | None, name_en: str | None
) -> None:
    """Import a framework from a CASE 1.0 JSON package or a CSV file (as a draft)."""
    from competencies.services.exchange import (
        ExchangeError,
        import_case,
        import_framework_csv,
        read_framework_csv,
    )

    try:
        if file.suffix.lower() == ".csv":
            if not (code and name_th and name_en):
                raise click.ClickException("a CSV import needs --code, --name-th and --name-en")
            framework = import_framework_csv(
                read_framework_csv(file), code=code, version=version, name_th=name_th, name_en=name_en
            )
        else:
            framework = import_case(file.read_text(encoding="utf-8"), code=code)
    except ExchangeError as error:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {error}") from None
    record_audit(
        "framework.import",
        actor="cli",
        target_type="framework",
        target_id=framework.code,
        details={"file": file.name, "competencies": len(framework.competencies)},
    )
    db.session.commit()
    click.echo(
        f"imported {framework.code} {framework.version} as a draft: "
        f"{len(framework.competencies)} areas and competencies, {len(framework.levels)} levels"
    )


@academy_cli.command("coverage-target")
@click.argument("fiscal_year", type=click.IntRange(FISCAL_YEAR_MIN, FISCAL_YEAR_MAX))
@click.argument("percent", type=click.FloatRange(0, 100))
def coverage_target_command(fiscal_year: int, percent: float) -> None:
    """Set the share of the target population to train in a fiscal year (BE; default 60)."""
    from decimal import Decimal

    from competencies.models import CoverageTarget

    target = db.session.get(CoverageTarget, fiscal_year) or CoverageTarget(fiscal_year=fiscal_year)
    before = str(target.target_percent) if target.target_percent is not None else None
    target.target_percent = Decimal(str(percent)).quantize(Decimal("0.01"))
    db.session.add(target)
    record_audit(
        "coverage.target",
        actor="cli",
        target_type="fiscal_year",
        target_id=fiscal_year,
        details={"before": before, "after": str(target.target_percent)},
    )
    db.session.commit()
    click.echo(f"FY {fiscal_year}: target {target.target_percent}%")


@academy_cli.command("cmi5-import")
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


@academy_cli.command("course-export")
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


@academy_cli.command("course-import")
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
