"""The credentials' commands: credential-verify, credential-key, credential-revoke."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click

from academy.audit.services import record_audit
from academy.extensions import db


@click.command("credential-verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def credential_verify_command(file: Path, as_json: bool) -> None:
    """Verify a credential (JSON, or a baked SVG badge): signature, revocation, expiry; exit 1 if it does not hold."""
    from credentials.services.badge import unbake_svg
    from credentials.services.verify import verify_credential

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        text = json.dumps(unbake_svg(text))
    result = verify_credential(text)
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{'VALID' if result.valid else 'NOT VALID'}: {file}")
        for reason in result.reasons:
            click.echo(f"  - {reason}")
        for number, held in enumerate(result.held, 1):
            click.echo(f"  credential {number} inside: {'valid' if held.valid else ', '.join(held.findings)}")
    if not result.valid:
        sys.exit(1)


@click.command("credential-key")
@click.argument("key_id")
def credential_key_command(key_id: str) -> None:
    """Print a new signing key entry for ACADEMY_CREDENTIAL_KEY (put it first to rotate; keep the old ones after it)."""
    from credentials.services.keys import _KEY_ID, new_key_entry

    if not _KEY_ID.match(key_id):
        raise click.ClickException("a key id is 1-100 letters, digits, dots, dashes or underscores")
    click.echo(new_key_entry(key_id))


@click.command("credential-revoke")
@click.argument("credential_id", type=click.UUID)
@click.option("--reason", required=True, help="Why it is revoked (kept, and in the audit log).")
def credential_revoke_command(credential_id: uuid.UUID, reason: str) -> None:
    """Revoke an issued credential: its status bit flips; the credential itself never changes."""
    from credentials.models import RevocationReason
    from credentials.services.holding import credential_by_id
    from credentials.services.issuing import revoke_credentials

    credential = credential_by_id(credential_id)
    if credential is None:
        raise click.ClickException(f"no credential {credential_id}")
    if not revoke_credentials([credential.id], RevocationReason.ADMIN, note=reason):
        raise click.ClickException("it was revoked already")
    record_audit(
        "credential.revoke", actor="cli", target_type="credential", target_id=credential_id, details={"reason": reason}
    )
    db.session.commit()
    click.echo(f"revoked {credential_id}")


commands = [credential_verify_command, credential_key_command, credential_revoke_command]
