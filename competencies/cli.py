"""The standard's commands: seed-standard, framework-export, framework-import, coverage-target."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from academy.audit.services import record_audit
from academy.dates import FISCAL_YEAR_MAX, FISCAL_YEAR_MIN
from academy.extensions import db


@click.command("seed-standard")
def seed_standard_command() -> None:
    """Create the civil-service digital skill standard with its default requirement matrix (idempotent)."""
    from competencies.services.frameworks import seed_standard

    framework = seed_standard()
    db.session.commit()
    click.echo(f"standard: {framework.code} {framework.version} ({len(framework.competencies)} areas and competencies)")


@click.command("framework-export")
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


@click.command("framework-import")
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


@click.command("coverage-target")
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


#: What competencies adds to the ``academy`` CLI group (competencies.init_app).
commands = (seed_standard_command, framework_export_command, framework_import_command, coverage_target_command)
