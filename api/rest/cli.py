"""``flask --app wsgi academy api-token ...``: tokens of agencies' HR systems for the REST API."""

from __future__ import annotations

import click

from academy.audit.services import record_audit
from academy.db import db
from academy.org.services import get_agency_by_code
from api.rest.tokens import TokenError, create_token, list_tokens, revoke_token


@click.group("api-token")
def api_token_cli() -> None:
    """Manage the REST API tokens of agencies' HR systems."""


@api_token_cli.command("create")
@click.option("--agency", "agency_code", required=True, help="The agency's code: the token sees it and beneath it.")
@click.option("--name", required=True, help="Who uses the token, e.g. the agency's HR system.")
def create_command(agency_code: str, name: str) -> None:
    """Create a token and print it (it is shown only now)."""
    agency = get_agency_by_code(agency_code)
    if agency is None:
        raise click.ClickException(f"no agency has the code {agency_code}")
    try:
        new = create_token(agency, name, created_by="cli")
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    record_audit(
        "api_token.create",
        actor="cli",
        target_type="api_token",
        target_id=new.token.prefix,
        details={"agency": agency.code, "name": new.token.name},
    )
    db.session.commit()
    click.echo(f"token  {new.secret}\nagency {agency.code} {agency.name_en}\nname   {new.token.name}")


@api_token_cli.command("revoke")
@click.argument("prefix")
def revoke_command(prefix: str) -> None:
    """Revoke a token (by its prefix, ewa_...): it stops working at once."""
    try:
        token = revoke_token(prefix)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    record_audit("api_token.revoke", actor="cli", target_type="api_token", target_id=token.prefix)
    db.session.commit()
    click.echo(f"revoked {token.prefix} ({token.name})")


@api_token_cli.command("list")
def list_command() -> None:
    """List the tokens."""
    for token in list_tokens():
        status = "active " if token.active else "revoked"
        last = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        click.echo(f"{token.prefix}  {status}  {token.agency.code:10}  last used {last:25}  {token.name}")
