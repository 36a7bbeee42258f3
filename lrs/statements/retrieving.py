"""Retrieving statements: the paged, filtered queries, one statement by id, and their attachments."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, LargeBinary, Select, and_, select, tuple_, type_coerce
from sqlalchemy.orm import InstrumentedAttribute

from academy.db import db
from lrs.clients import readable_by
from lrs.errors import NotFound
from lrs.models import (
    Attachment,
    Statement,
    StatementActivity,
    StatementAgent,
    ref_of_activity,
    ref_of_agent,
    ref_of_verb,
)
from lrs.payloads import payload_text

MAX_LIMIT = 100


@dataclass(frozen=True)
class StatementQuery:
    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: uuid.UUID | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = MAX_LIMIT
    ascending: bool = False
    #: Only statements stored by this client (statements/read/mine).
    client_id: int | None = None
    #: Only statements whose actor is a person of this agency or beneath it (an agency-scoped client).
    agency_id: int | None = None
    #: The cursor of a `more` link: the last pk of the previous page, and its stored (a page by_stored).
    after_pk: int | None = None
    after_stored: datetime | None = None

    @property
    def by_stored(self) -> bool:
        """Whether the page is ordered by (stored, pk) rather than pk: a query by time alone.

        It then walks the (stored, pk) index of unvoided statements from its bound and stops at
        the page's end, however many statements the time holds. Ordered by pk, the database would
        walk the month's pk index past every statement stored after ``until`` (a month's worth),
        or read every statement of the time to sort them. Other queries walk the index of their
        filter, in pk order; pk is the order of stored but for batches stored at the same moment.
        """
        return bool(self.since or self.until) and not (self.agent or self.verb or self.activity or self.registration)


class StatementText(NamedTuple):
    """A statement of a page as stored JSON text, with what a `more` link continues from."""

    pk: int
    stored: datetime
    text: str


def query_statements(query: StatementQuery) -> tuple[list[Statement], bool]:
    """The page of statements matching the query, and whether more follow.

    A statement is in the result when it matches the filters, or when it targets (by
    StatementRef) a statement that matches them, voided or not: a voiding statement is found
    by what it voided. The two are read as two index-driven queries, each ordered and limited,
    and merged: one query with an OR across them would scan the table.
    """
    return _query(query, select(Statement), lambda row: row.pk)


def query_statement_texts(query: StatementQuery) -> tuple[list[StatementText], bool]:
    """The same page as query_statements(), as stored JSON text: nothing decoded or re-encoded."""
    texts = typing.cast(
        Select[Any], select(Statement.pk, Statement.stored, type_coerce(Statement.payload, LargeBinary))
    )
    rows, more = _query(query, texts, lambda row: row[0])
    return [StatementText(pk, stored, payload_text(payload)) for pk, stored, payload in rows], more


def _query(query: StatementQuery, base: Select[Any], pk_of: Callable[[Any], int]) -> tuple[list[Any], bool]:
    limit = min(query.limit or MAX_LIMIT, MAX_LIMIT)
    rows = _page(_matching(base, query), query, limit)
    if (query.agent or query.verb or query.activity or query.registration) and _any_referrer(query):
        # The targets may be stored at any time (since/until are the referrers'): every month is searched.
        referenced = _matching(select(Statement.id), query)
        referrers = base.where(
            Statement.object_statement_id.is_not(None), Statement.object_statement_id.in_(referenced)
        )
        pages = [rows, _page(referrers, query, limit)]
        rows = sorted(
            {pk_of(row): row for page in pages for row in page}.values(), key=pk_of, reverse=not query.ascending
        )
    return rows[:limit], len(rows) > limit


def _any_referrer(query: StatementQuery) -> bool:
    """Whether any unvoided statement within the query's time refers to another (StatementRef).

    Most months hold none: the query for referrers, whose plan must otherwise collect every
    statement matching the filters (thousands for a course), is then not sent at all. One
    look-up in the small partial index of such statements.
    """
    found = db.session.scalar(
        select(Statement.pk)
        .where(
            Statement.object_statement_id.is_not(None),
            Statement.voided.is_(False),
            *_within_time(Statement.stored, query),
        )
        .limit(1)
    )
    return found is not None


def _page(select_: Select[Any], query: StatementQuery, limit: int) -> list[Any]:
    """One ordered, limited page of unvoided statements within the query's time, client and cursor."""
    select_ = select_.where(Statement.voided.is_(False), *_within_time(Statement.stored, query))
    if query.client_id is not None:
        select_ = select_.where(Statement.client_id == query.client_id)
    if query.agency_id is not None:
        select_ = select_.where(readable_by(query.agency_id))
    keys: list[InstrumentedAttribute[Any]] = [Statement.stored, Statement.pk] if query.by_stored else [Statement.pk]
    if query.after_pk is not None:
        position, after = tuple_(*keys), (query.after_stored, query.after_pk)[-len(keys) :]
        select_ = select_.where(position > after if query.ascending else position < after)
    order = [key.asc() if query.ascending else key.desc() for key in keys]
    result = db.session.execute(select_.order_by(*order).limit(limit + 1))
    # select(Statement) gives Statement objects; a select of columns gives rows.
    return list(result.scalars() if select_.column_descriptions[0]["type"] is Statement else result.all())


def _within_time(stored: InstrumentedAttribute[datetime], query: StatementQuery) -> list[ColumnElement[bool]]:
    """since/until on a table's ``stored``: on PostgreSQL they prune its monthly partitions."""
    conditions = []
    if query.since:
        conditions.append(stored > query.since)
    if query.until:
        conditions.append(stored <= query.until)
    return conditions


_S = TypeVar("_S", bound=Select[Any])


def _matching(select_: _S, query: StatementQuery) -> _S:
    """Add the agent, verb, activity and registration filters.

    Agent and activity filters join their index tables: the database then walks one
    index in statement order and stops at the page's end, instead of collecting every
    match to sort it.
    """
    if query.agent:
        select_ = select_.join(
            StatementAgent,
            and_(
                StatementAgent.statement_pk == Statement.pk,
                StatementAgent.stored == Statement.stored,
                *_within_time(StatementAgent.stored, query),
                StatementAgent.agent_ref == ref_of_agent(query.agent),
                StatementAgent.direct.is_(not query.related_agents),
            ),
        )
    if query.activity:
        select_ = select_.join(
            StatementActivity,
            and_(
                StatementActivity.statement_pk == Statement.pk,
                StatementActivity.stored == Statement.stored,
                *_within_time(StatementActivity.stored, query),
                StatementActivity.activity_ref == ref_of_activity(query.activity),
                StatementActivity.direct.is_(not query.related_activities),
            ),
        )
    if query.verb:
        select_ = select_.where(Statement.verb_ref == ref_of_verb(query.verb))
    if query.registration:
        select_ = select_.where(Statement.registration == query.registration)
    return select_


def get_statement(
    statement_id: uuid.UUID, *, voided: bool, client_id: int | None = None, agency_id: int | None = None
) -> Statement:
    """The statement with this id; ``voided`` asks for a voided one (voidedStatementId)."""
    select_ = select(Statement).where(Statement.id == statement_id, Statement.voided.is_(voided))
    if client_id is not None:
        select_ = select_.where(Statement.client_id == client_id)
    if agency_id is not None:
        select_ = select_.where(readable_by(agency_id))
    statement = db.session.scalar(select_)
    if statement is None:
        raise NotFound(f"no {'voided ' if voided else ''}statement has the id {statement_id}")
    return statement


def get_attachments(statements: Iterable[Statement]) -> dict[str, Attachment]:
    wanted = {
        a["sha2"]
        for s in statements
        for holder in (s.payload, s.payload.get("object") or {})
        for a in holder.get("attachments") or ()
    }
    if not wanted:
        return {}
    wanted = {sha2.lower() for sha2 in wanted}  # stored under the lower-case hash
    return {a.sha2: a for a in db.session.scalars(select(Attachment).where(Attachment.sha2.in_(wanted)))}
