"""LRS clients: credentials, scopes, the authority they give the statements they store, and the trust
model (README, Trust model): who stored a statement, and what the projections may believe of it.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, exists, func, select, update

from academy.credentials import (
    check_credential_name,
    find_by_key,
    issue_credential,
    list_credentials,
    revoke_credential,
    verify_credential,
)
from academy.db import db, insert_ignoring_duplicates
from academy.org.models import Agency, Person, PersonIdentifier
from lrs.models import Agent, IgnoredStatement, LrsClient, Statement

#: The xAPI OAuth scopes; "all" implies every other, "all/read" every read.
SCOPES = frozenset(
    {"statements/write", "statements/read", "statements/read/mine", "all/read", "all", "state", "define", "profile"}
)


class ClientError(ValueError):
    """A request about a client that cannot be carried out."""


@dataclass(frozen=True)
class NewClient:
    client: LrsClient
    #: Shown once; only its hash is stored.
    secret: str


def create_client(
    name: str, scopes: list[str], agency_id: int | None = None, *, admin: bool = False, agency_code: str | None = None
) -> NewClient:
    """Add a client with a new key and secret; ``agency_code`` scopes it to that agency's subtree."""
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ClientError(f"unknown scopes: {', '.join(unknown)} (known: {', '.join(sorted(SCOPES))})")
    if not scopes:
        raise ClientError("a client needs at least one scope")
    # No length check here: the form limits it (as before the shared pattern).
    name = check_credential_name(name, ClientError, missing="a client needs a name", too_long=None)
    if agency_code:
        agency_id = db.session.scalar(select(Agency.id).where(Agency.code == agency_code.strip()))
        if agency_id is None:
            raise ClientError(f"no agency has the code {agency_code.strip()}")
    client, secret = issue_credential(
        LrsClient,
        name=name,
        scopes=" ".join(sorted(set(scopes))),
        agency_id=agency_id,
        active=True,
        admin=admin,
        platform=False,
        refused_voids=0,
    )
    return NewClient(client, secret)


def get_client(key: str) -> LrsClient | None:
    return find_by_key(LrsClient, key)


def revoke_client(key: str) -> LrsClient:
    return revoke_credential(get_client(key), key, lambda key: ClientError(f"no client has the key {key}"))


def list_clients() -> list[LrsClient]:
    return list_credentials(LrsClient, LrsClient.name)


def authenticate_basic(authorization: str | None) -> LrsClient | None:
    """The active client named by an HTTP Basic Authorization header, if its secret matches."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        key, _sep, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not key or len(key) > 64 or "\x00" in key:  # no client has it, and the database cannot look it up
        return None
    return verify_credential(get_client(key), secret)


def has_scope(client: LrsClient, *wanted: str) -> bool:
    """Whether the client holds any of the wanted scopes (or one that implies it)."""
    held = client.scope_set
    if "all" in held:
        return True
    reads = {"statements/read", "statements/read/mine"}
    return any(scope in held or (scope in reads and "all/read" in held) for scope in wanted)


def authority_of(client: LrsClient, base_url: str) -> dict[str, object]:
    """The authority Agent the LRS writes into the statements this client stores."""
    return {"objectType": "Agent", "name": client.name, "account": {"homePage": base_url, "name": client.key}}


# --- trust -------------------------------------------------------------------------------------

#: Why a projection did not believe a stored statement (lrs_ignored_statements.reason).
IGNORED_PLATFORM_COURSE = "platform_course"  # a provider's statement about one of our courses
IGNORED_NOT_GRANTED = "not_granted"  # a provider's completion of an alignment not granted to it
IGNORED_OUTSIDE_AGENCY = "outside_agency"  # about a person outside the client's agencies
IGNORED_REASONS = (IGNORED_PLATFORM_COURSE, IGNORED_NOT_GRANTED, IGNORED_OUTSIDE_AGENCY)


@dataclass(frozen=True)
class Writer:
    """Who stored a statement, as the trust rules see it: the one place the platform is recognised."""

    #: The storing client; None for the platform's in-process writers (the course player).
    client_id: int | None
    #: The platform itself: the player (no client) or a platform client (the cmi5 LMS and its AU sessions).
    platform: bool
    #: May void any statement.
    admin: bool
    #: Its statements are about people of this agency's subtree only (None: anyone).
    agency_id: int | None


PLATFORM = Writer(client_id=None, platform=True, admin=False, agency_id=None)


def writer_of(client: LrsClient | None) -> Writer:
    """The writer of statements stored with this client (None: in-process, the platform)."""
    if client is None:
        return PLATFORM
    if client.platform:
        return Writer(client.id, platform=True, admin=client.admin, agency_id=None)
    return Writer(client.id, platform=False, admin=client.admin, agency_id=client.agency_id)


def writers_by_client() -> dict[int | None, Writer]:
    """Every client's writer by client id, and the platform's under None (rebuilds read stored statements)."""
    writers: dict[int | None, Writer] = {None: PLATFORM}
    for client in db.session.scalars(select(LrsClient)):
        writers[client.id] = writer_of(client)
    return writers


def is_platform_statement() -> ColumnElement[bool]:
    """The SQL condition of writer_of(...).platform on lrs_statements: stored by no client or a platform one."""
    return Statement.client_id.is_(None) | Statement.client_id.in_(
        select(LrsClient.id).where(LrsClient.platform.is_(True)).scalar_subquery()
    )


def may_void(writer: Writer, target_client_ids: Iterable[int | None]) -> bool:
    """Whether the writer may void statements stored by these clients (None: the platform)."""
    if writer.platform or writer.admin:
        return True
    return all(client_id == writer.client_id for client_id in target_client_ids)


def people_of_agency(agency_id: int) -> ColumnElement[bool]:
    """The SQL condition on people: in this agency or beneath it."""
    root = db.session.scalar(select(Agency.path).where(Agency.id == agency_id))
    if root is None:
        return Person.id.is_(None)  # the agency is gone: nobody
    # A constant prefix, so that PostgreSQL walks ix_agencies_path.
    return Person.agency_id.in_(
        select(Agency.id).where(Agency.path.startswith(root, autoescape=True)).scalar_subquery()
    )


def readable_by(agency_id: int) -> ColumnElement[bool]:
    """The SQL condition on lrs_statements: the actor is a person of the agency's subtree.

    A semi-join through the unique index of person identifiers: a page of statements is still
    read in pk order and stops at its end.
    """
    return Statement.actor_ref.in_(
        select(Agent.id)
        .join(PersonIdentifier, PersonIdentifier.key == Agent.agent_key)
        .join(Person, Person.id == PersonIdentifier.person_id)
        .where(people_of_agency(agency_id))
        .scalar_subquery()
    )


def agent_of_agency(key: str, agency_id: int) -> bool:
    """Whether the agent key is an identifier of a person of the agency's subtree (the rule of readable_by)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    PersonIdentifier.key == key,
                    PersonIdentifier.person_id.in_(select(Person.id).where(people_of_agency(agency_id))),
                )
            )
        )
    )


def note_ignored(statement_ids: Iterable[uuid.UUID], client_id: int | None, reason: str) -> None:
    """Record that statements stored by ``client_id`` were not believed, and why (idempotent)."""
    rows = [{"statement_id": i, "client_id": client_id, "reason": reason} for i in sorted(set(statement_ids))]
    if rows:
        db.session.execute(insert_ignoring_duplicates(IgnoredStatement).values(rows))


def forget_ignored(statement_ids: Iterable[uuid.UUID], reasons: Iterable[str] | None = None) -> None:
    """Drop the notes of statements that no longer stand (voided), or of these reasons (a rebuild)."""
    ids = list(statement_ids)
    if ids:
        statement = delete(IgnoredStatement).where(IgnoredStatement.statement_id.in_(ids))
        if reasons is not None:
            statement = statement.where(IgnoredStatement.reason.in_(list(reasons)))
        db.session.execute(statement)


def forget_all_ignored(reasons: Iterable[str]) -> None:
    """Drop every note of these reasons (a rebuild writes them again)."""
    db.session.execute(delete(IgnoredStatement).where(IgnoredStatement.reason.in_(list(reasons))))


def ignored_reasons(statement_id: uuid.UUID) -> list[str]:
    """Why the projections did not believe this statement (empty: they did, or had nothing to do)."""
    return list(
        db.session.scalars(
            select(IgnoredStatement.reason)
            .where(IgnoredStatement.statement_id == statement_id)
            .order_by(IgnoredStatement.reason)
        )
    )


def ignored_counts() -> dict[int, int]:
    """The number of ignored statements of each client (by client id)."""
    return {
        client_id: count
        for client_id, count in db.session.execute(
            select(IgnoredStatement.client_id, func.count(func.distinct(IgnoredStatement.statement_id)))
            .where(IgnoredStatement.client_id.is_not(None))
            .group_by(IgnoredStatement.client_id)
        ).all()
        if client_id is not None
    }


def recent_ignored(client_id: int, limit: int = 100) -> list[IgnoredStatement]:
    """The client's latest ignored statements (newest first), for the admins' page."""
    return list(
        db.session.scalars(
            select(IgnoredStatement)
            .where(IgnoredStatement.client_id == client_id)
            .order_by(IgnoredStatement.id.desc())
            .limit(limit)
        )
    )


def note_refused_void(client_id: int) -> None:
    """Count a voiding batch refused to this client (after its own transaction rolled back)."""
    db.session.execute(
        update(LrsClient).where(LrsClient.id == client_id).values(refused_voids=LrsClient.refused_voids + 1)
    )
