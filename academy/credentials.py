"""Machine credentials: LRS clients, REST API tokens and GDX consumers are one pattern.

A credential has a name, a public key that finds its row, a secret shown once and stored hashed
(academy.secrets), a way to be revoked, a CLI group (create, list, revoke) and an admins' page.
This module holds what they share; each kind keeps its own table, column names, scopes, messages
and page (README, Machine credentials).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import click
from sqlalchemy import ColumnElement, String, func, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from academy.audit.services import record_audit
from academy.db import UtcDateTime, db
from academy.secrets import hash_secret, new_key, new_secret, secret_matches


class CredentialMixin:
    """The columns every credential table has, and how a kind names its key and hash columns."""

    #: The attribute of the public key that finds the row (LRS clients, GDX consumers: key; API tokens: prefix).
    key_attribute: ClassVar[str] = "key"
    #: The attribute of the secret's stored hash.
    hash_attribute: ClassVar[str] = "secret_hash"

    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    @property
    def credential_key(self) -> str:
        """Return the public key of this credential."""
        return str(getattr(self, self.key_attribute))

    @property
    def credential_hash(self) -> str:
        """Return the stored hash of this credential's secret."""
        return str(getattr(self, self.hash_attribute))

    @property
    def is_usable(self) -> bool:
        """Tell whether the credential still works (not revoked)."""
        raise NotImplementedError

    def mark_revoked(self, now: datetime) -> None:
        """Make the credential stop working (the kind decides which columns say so)."""
        raise NotImplementedError


C = TypeVar("C", bound=CredentialMixin)
E = TypeVar("E", bound=Exception)


def _key_column(model: type[CredentialMixin]) -> InstrumentedAttribute[str]:
    """Return the column a kind finds its rows by."""
    column: InstrumentedAttribute[str] = getattr(model, model.key_attribute)
    return column


def check_credential_name(name: str, error: type[ValueError], *, missing: str, too_long: str | None) -> str:
    """Return the stripped name, or raise ``error`` with the kind's message (too_long None: no length check)."""
    name = name.strip()
    if not name:
        raise error(missing)
    if too_long is not None and len(name) > 255:
        raise error(too_long)
    return name


def issue_credential(
    model: type[C],
    *,
    make_key: Callable[[], str] = new_key,
    make_secret: Callable[[str], str] = lambda _key: new_secret(),
    **columns: Any,
) -> tuple[C, str]:
    """Add a credential with a new key and hashed secret; return it and the secret (shown once)."""
    key = make_key()
    secret = make_secret(key)
    row = model(**{model.key_attribute: key, model.hash_attribute: hash_secret(secret)}, **columns)
    db.session.add(row)
    db.session.flush()
    return row, secret


def find_by_key(model: type[C], key: str, *options: Any) -> C | None:
    """Return the credential with this public key, if any."""
    return db.session.scalar(select(model).where(_key_column(model) == key).options(*options))


def revoke_credential(found: C | None, key: str, error: Callable[[str], Exception], now: datetime | None = None) -> C:
    """Revoke the credential the kind found by ``key``, raising ``error(key)`` if it found none."""
    if found is None:
        raise error(key)
    found.mark_revoked(now or datetime.now(UTC))
    db.session.flush()
    return found


def list_credentials(
    model: type[C], *order_by: ColumnElement[Any] | InstrumentedAttribute[Any], options: Sequence[Any] = ()
) -> list[C]:
    """Return every credential of a kind, in the kind's order."""
    return list(db.session.scalars(select(model).options(*options).order_by(*order_by)))


def verify_credential(row: C | None, secret: str) -> C | None:
    """Return the credential if it still works and the secret is its own."""
    if row is None or not row.is_usable:
        return None
    if not secret_matches(secret, row.credential_hash):
        return None
    return row


# --- CLI ---------------------------------------------------------------------------------------


def record_cli_create(audit_type: str, key: str, details: dict[str, Any]) -> None:
    """Audit a credential created from the CLI and commit it (before its secret is printed)."""
    record_audit(f"{audit_type}.create", actor="cli", target_type=audit_type, target_id=key, details=details)
    db.session.commit()


def record_cli_revoke(audit_type: str, key: str) -> None:
    """Audit a revocation from the CLI and commit it."""
    record_audit(f"{audit_type}.revoke", actor="cli", target_type=audit_type, target_id=key)
    db.session.commit()


def credential_cli(
    group_name: str,
    help_text: str,
    *,
    audit_type: str,
    create: click.Command,
    revoke: Callable[[str], C],
    error: type[E],
    revoke_help: str,
    argument: str = "key",
    list_rows: Callable[[], Iterable[C]],
    list_line: Callable[[C], str],
    list_help: str,
) -> click.Group:
    """Build a kind's CLI group: its own create command, and the shared revoke and list commands."""
    group = click.Group(group_name, help=help_text)
    group.add_command(create, "create")

    @click.command("revoke", help=revoke_help)
    @click.argument(argument)
    def revoke_command(**arguments: str) -> None:
        try:
            row = revoke(arguments[argument])
        except error as failure:
            raise click.ClickException(str(failure)) from None
        record_cli_revoke(audit_type, row.credential_key)
        click.echo(f"revoked {row.credential_key} ({row.name})")

    @click.command("list", help=list_help)
    def list_command() -> None:
        for row in list_rows():
            click.echo(list_line(row))

    group.add_command(revoke_command)
    group.add_command(list_command)
    return group
