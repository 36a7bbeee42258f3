"""The digital skill standard: frameworks, role requirements, evidence, attainment, gaps, coverage."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register competencies: its models, pages and HR reports, commands, and the evidence projection."""
    from academy.cli import academy_cli
    from competencies import models as _models  # noqa: F401
    from competencies.cli import commands
    from competencies.reports.views import bp as reports_bp
    from competencies.services.evidence import (
        count_statements,
        rebuild_projections,
        record_statement_evidence,
        snapshot_evidence,
    )
    from competencies.views import bp
    from lrs import register_projection

    app.register_blueprint(bp)
    app.register_blueprint(reports_bp)  # HR reports, /reports
    from competencies.idp import init_app as init_idp

    init_idp(app)  # individual development plans, the supervisor's team
    for command in commands:
        academy_cli.add_command(command)
    from competencies import notifications

    notifications.register()  # IDP reminders, the HR weekly digest (academy.notifications)
    register_projection(
        app,
        "evidence",
        record_statement_evidence,
        rebuild_projections,
        snapshot_evidence,
        size=count_statements,
        unit="statements",
        label="evidence rows",
    )
    from competencies.services.privacy import register_export_tables

    register_export_tables(app)  # My data (academy.privacy)
    connect_org_events(app)  # org events (people, requirements changed) refresh standing


def connect_org_events(app: Flask) -> None:
    """Refresh standing, for this app, when people or the requirements of their profiles change."""
    # Imported here: the package's modules import the shell (academy.projections), which imports
    # competencies.models; importing the services when the package loads would close that circle.
    from competencies.events import connect_org_events as connect

    connect(app)
