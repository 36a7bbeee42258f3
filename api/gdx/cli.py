"""``flask --app wsgi academy gdx-consumer|gdx-push``: the GDX feed's consumers and the push (daily: jobs/, by beat)."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import current_app
from tqdm import tqdm

from academy.audit.services import record_audit
from academy.config import GdxSettings
from academy.credentials import credential_cli, record_cli_create
from academy.dates import BANGKOK, FISCAL_YEAR_MAX, FISCAL_YEAR_MIN, current_fiscal_year
from academy.db import db
from api.gdx.services.consumers import ConsumerError, create_consumer, list_consumers, revoke_consumer
from api.gdx.services.push import (
    GdxSender,
    PushError,
    PushOutcome,
    push_coverage,
)
from competencies.services.coverage import Population
from competencies.services.frameworks import active_standard

#: Exit status of a push that left records pending or failed (for cron's mail and monitoring).
EXIT_INCOMPLETE = 3


@click.command("create")
@click.option("--name", required=True, help="Who the consumer is, e.g. GDX (DGA).")
def create_consumer_command(name: str) -> None:
    """Create a consumer and print its Consumer-Key and secret (the secret is shown only now)."""
    try:
        new = create_consumer(name)
    except ConsumerError as error:
        raise click.ClickException(str(error)) from None
    record_cli_create("gdx_consumer", new.consumer.key, {"name": new.consumer.name})
    click.echo(f"consumer-key {new.consumer.key}\nsecret       {new.secret}")


gdx_consumer_cli = credential_cli(
    "gdx-consumer",
    "Manage the consumers of the GDX feed (Consumer-Key and secret).",
    audit_type="gdx_consumer",
    create=create_consumer_command,
    revoke=revoke_consumer,
    error=ConsumerError,
    revoke_help="Disable a consumer: its secret and tokens stop working at once.",
    list_rows=list_consumers,
    list_line=lambda consumer: f"{consumer.key}  {'active ' if consumer.active else 'revoked'}  {consumer.name}",
    list_help="List the consumers.",
)


def _push(fiscal_year: int | None, population: Population, max_wait: float, trigger: str) -> PushOutcome:
    framework = active_standard()
    if framework is None:
        raise PushError("no skill standard is active: nothing to push (academy seed-standard)")
    sender = GdxSender(GdxSettings.from_flask_config(current_app.config))
    year = fiscal_year or current_fiscal_year()
    # The bar goes to stderr so that the report on stdout stays machine-readable.
    with tqdm(total=0, unit="records", desc=f"GDX FY {year}", file=sys.stderr, disable=None) as bar:

        def on_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        outcome = push_coverage(
            year,
            framework,
            sender,
            commit=db.session.commit,
            population=population,
            trigger=trigger,
            max_wait=max_wait,
            on_total=on_total,
            progress=bar.update,
        )
    report = outcome.report
    record_audit(
        "gdx.push",
        actor="cli" if trigger == "cli" else trigger,
        target_type="gdx_push_run",
        target_id=outcome.run_id,
        details={
            "fiscal_year": year,
            "population": population.value,
            "enqueued": outcome.enqueued,
            "delivered": report.delivered,
            "failed": report.failed,
            "pending": report.pending,
            "attempts": report.attempts,
        },
    )
    db.session.commit()
    click.echo(
        f"GDX push FY {year} ({population.value}): {outcome.enqueued} new records, {report.delivered} delivered, "
        f"{report.failed} failed, {report.pending} still pending, {report.attempts} attempts"
    )
    return outcome


_population = click.option(
    "--population",
    type=click.Choice([p.value for p in Population]),
    default=Population.IT.value,
    show_default=True,
    help="Target population of the records (the plan's target is the IT group).",
)
_max_wait = click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Seconds to keep retrying while GDX fails; what is left waits for the next push.",
)


@click.command("gdx-push")
@click.option(
    "--fiscal-year",
    type=click.IntRange(FISCAL_YEAR_MIN, FISCAL_YEAR_MAX),
    default=None,
    help="BE; default: the current one.",
)
@_population
@_max_wait
@click.option("--retry-failed", is_flag=True, help="Send records GDX refused (4xx) again, after fixing the cause.")
@click.pass_context
def gdx_push_command(
    ctx: click.Context, fiscal_year: int | None, population: str, max_wait: float, retry_failed: bool
) -> None:
    """Send every agency's coverage record to GDX's ingest URL (outbox, retries, delivery log)."""
    if retry_failed:
        from api.gdx.services.outbox import retry_failed as requeue

        count = requeue(datetime.now(BANGKOK))
        record_audit("gdx_outbox.retry_failed", actor="cli", target_type="gdx_outbox", details={"entries": count})
        db.session.commit()
        click.echo(f"{count} failed records queued again")
    try:
        outcome = _push(fiscal_year, Population(population), max_wait, "cli")
    except PushError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if outcome.report.pending or outcome.report.failed:
        click.echo("some records are not delivered: see the delivery log (admin page Push to GDX)", err=True)
        ctx.exit(EXIT_INCOMPLETE)


#: What academy's CLI adds (academy/__init__.py).
commands = (gdx_consumer_cli, gdx_push_command)
