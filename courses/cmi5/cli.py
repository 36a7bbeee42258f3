"""cmi5 commands: the sweep that abandons idle launch sessions (run it on a schedule)."""

from __future__ import annotations

from datetime import timedelta

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
