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
from academy.extensions import db
from academy.org.events import announce_people_changed
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
    announce_people_changed(report.changed_ids)  # changed positions change role profiles (standing)
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
@click.option(
    "--national",
    is_flag=True,
    help="Every kind of state personnel (teachers, police, local officials...), not only civil servants: "
    "use with --people 3000000 for the nation.",
)
def demo_command(people: int, if_empty: bool, national: bool) -> None:
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
            national=national,
        )
    from competencies.demo import build_learning

    with _progress(None, "statements", "learning") as bar:
        completions = build_learning(current_app.config["ACADEMY_BASE_URL"], progress=bar.update)
    from courses.demo import build_courses, build_demo_assignments, build_demo_learning

    courses = build_courses()
    build_demo_learning("learner@demo.go.th", "hr@demo.go.th")
    build_demo_assignments("hr@demo.go.th", "learner@demo.go.th")
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


@academy_cli.command("reset-second-factor")
@click.option("--email", required=True)
def reset_second_factor_command(email: str) -> None:
    """Remove a user's second factor (a lost phone, e.g. the only admin's): they enrol again at the next sign-in."""
    from academy.auth.second_factor import reset_second_factor
    from academy.auth.services import get_user_by_email
    from academy.auth.sessions import end_user_sessions

    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user has the email {email}")
    existed = reset_second_factor(user)
    ended = end_user_sessions(user.id, reason="factor_reset")
    record_audit(
        "auth.second_factor_reset",
        actor="cli",
        target_type="user",
        target_id=user.id,
        details={"had_factor": existed, "sessions_ended": ended},
    )
    db.session.commit()
    click.echo(f"second factor of {user.email} reset ({'it had one' if existed else 'it had none'})")
