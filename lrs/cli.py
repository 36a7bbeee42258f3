"""``flask --app wsgi academy lrs-client ...``: LRS credentials; ``academy rebuild-projections``."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select
from tqdm import tqdm

from academy.audit.services import record_audit
from academy.credentials import credential_cli, record_cli_create
from academy.db import db
from lrs.clients import SCOPES, ClientError, create_client, list_clients, revoke_client
from lrs.models import LrsClient, Statement
from lrs.pipeline import projections


@click.command("create")
@click.option("--name", required=True, help="Who the client is, e.g. the provider's name.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SCOPES)),
    help="An xAPI scope (repeatable).",
)
@click.option("--agency", "agency_code", help="Scope the client to this agency (code) and everything beneath it.")
@click.option("--admin", is_flag=True, help="An LRS administrator's client: it may void any statement.")
def create_command(name: str, scopes: tuple[str, ...], agency_code: str | None, admin: bool) -> None:
    """Create a client and print its key and secret (the secret is shown only now)."""
    try:
        new = create_client(name, list(scopes), admin=admin, agency_code=agency_code)
    except ClientError as error:
        raise click.ClickException(str(error)) from None
    record_cli_create(
        "lrs_client",
        new.client.key,
        {"name": name, "scopes": sorted(scopes), "admin": admin, "agency": agency_code},
    )
    click.echo(f"key    {new.client.key}\nsecret {new.secret}\nscopes {new.client.scopes}")


def _list_line(client: LrsClient) -> str:
    flags = " ".join(f for f, on in (("admin", client.admin), ("platform", client.platform)) if on)
    return (
        f"{client.key}  {'active ' if client.active else 'revoked'}  {client.scopes:40}  {flags:14}"
        f"  refused-voids={client.refused_voids}  {client.name}"
    )


lrs_client_cli = credential_cli(
    "lrs-client",
    "Manage the credentials of LRS clients (training providers, our course player).",
    audit_type="lrs_client",
    create=create_command,
    revoke=revoke_client,
    error=ClientError,
    revoke_help="Disable a client: its credentials stop working at once.",
    list_rows=list_clients,
    list_line=_list_line,
    list_help="List the clients.",
)


@click.command("rebuild-projections")
def rebuild_projections_command() -> None:
    """Rebuild every projection (evidence, attainment, enrolment progress, cmi5 satisfaction) from the statements."""
    total = db.session.scalar(select(func.count()).select_from(Statement)) or 0
    counts: dict[str, int] = {}
    labels: list[str] = []
    # In the order the projections see a stored batch; one progress bar each, on stderr (stdout is the report).
    for projection in projections():
        if projection.rebuild is None:
            continue
        size = projection.size() if projection.size is not None else None
        with tqdm(
            total=size, unit=projection.unit, desc=projection.name, file=sys.stderr, disable=None, unit_scale=True
        ) as bar:
            counts[projection.name] = projection.rebuild(bar.update)
        labels.append(f"{counts[projection.name]} {projection.label}")
    record_audit("projections.rebuild", actor="cli", details={"statements": total, **counts})
    db.session.commit()
    click.echo(f"rebuilt: {total} statements read, {', '.join(labels)}")


@click.command("lrs-partitions")
@click.option("--ahead", default=3, show_default=True, help="Months after this one to create partitions for.")
@click.option("--detach", "detach", metavar="YYYY-MM", help="Detach this month's partitions, to archive them.")
def lrs_partitions_command(ahead: int, detach: str | None) -> None:
    """Create the monthly partitions of the statements ahead of time (PostgreSQL); list them."""
    from lrs.partitions import Month, detach_month, ensure_partitions, is_partitioned, partitions

    if not is_partitioned():
        click.echo("the statements are not partitioned on this database (SQLite): nothing to do")
        return
    created = ensure_partitions(ahead)
    detached = detach_month(Month.parse(detach)) if detach else []
    if created or detached:
        record_audit("lrs.partitions", actor="cli", details={"created": created, "detached": detached})
    db.session.commit()
    for name in created:
        click.echo(f"created  {name}")
    for name in detached:
        click.echo(f"detached {name} (dump it, then DROP TABLE it)")
    for name, bounds, estimate in partitions():
        click.echo(f"{name:42} {bounds}  ~{estimate:,} rows")
