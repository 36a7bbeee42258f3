"""``flask --app wsgi academy api-token ...``: tokens of agencies' HR systems for the REST API."""

from __future__ import annotations

import click

from academy.credentials import credential_cli, record_cli_create
from academy.org.services import get_agency_by_code
from api.rest.models import ApiToken
from api.rest.tokens import TokenError, create_token, list_tokens, revoke_token


@click.command("create")
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
    record_cli_create("api_token", new.token.prefix, {"agency": agency.code, "name": new.token.name})
    click.echo(f"token  {new.secret}\nagency {agency.code} {agency.name_en}\nname   {new.token.name}")


def _list_line(token: ApiToken) -> str:
    status = "active " if token.active else "revoked"
    last = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
    return f"{token.prefix}  {status}  {token.agency.code:10}  last used {last:25}  {token.name}"


api_token_cli = credential_cli(
    "api-token",
    "Manage the REST API tokens of agencies' HR systems.",
    audit_type="api_token",
    create=create_command,
    revoke=revoke_token,
    error=TokenError,
    revoke_help="Revoke a token (by its prefix, ewa_...): it stops working at once.",
    argument="prefix",
    list_rows=list_tokens,
    list_line=_list_line,
    list_help="List the tokens.",
)
