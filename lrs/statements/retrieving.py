"""Retrieving statements: the paged, filtered queries, one statement by id, and their attachments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, LargeBinary, Row, Select, and_, select, true, tuple_, type_coerce
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


class StoredStatement(NamedTuple):
    """A statement of a page, decoded."""

    pk: int
    stored: datetime
    payload: dict[str, Any]


def query_statements(query: StatementQuery) -> tuple[list[StoredStatement], bool]:
    """The page of statements matching the query, and whether more follow.

    A statement is in the result when it matches the filters, or when it targets (by
    StatementRef) a statement that matches them, voided or not: a voiding statement is found
    by what it voided. The two are read as two index-driven queries, each ordered and limited,
    and merged: one query with an OR across them would scan the table.
    """
    rows, more = _query(query, Statement.payload)
    return [StoredStatement._make(row) for row in rows], more


def query_statement_texts(query: StatementQuery) -> tuple[list[StatementText], bool]:
    """The same page as query_statements(), as stored JSON text: nothing decoded or re-encoded."""
    rows, more = _query(query, type_coerce(Statement.payload, LargeBinary))
    return [StatementText(row.pk, row.stored, payload_text(row.payload)) for row in rows], more


def _query(
    query: StatementQuery, payload: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> tuple[list[Row[Any]], bool]:
    limit = min(query.limit or MAX_LIMIT, MAX_LIMIT)
    columns = select(Statement.pk, Statement.stored, payload.label("payload"))
    filters = _index_filters(query)
    rows = _page(_matching(columns, query, filters[1:]), query, limit, filters[0] if filters else None)
    if (query.agent or query.verb or query.activity or query.registration) and _any_referrer(query):
        # The targets may be stored at any time (since/until are the referrers'): every month is searched.
        referenced = _matching(select(Statement.id), query, filters)
        referrers = columns.where(
            Statement.object_statement_id.is_not(None), Statement.object_statement_id.in_(referenced)
        )
        pages = [rows, _page(referrers, query, limit)]
        rows = sorted({row.pk: row for page in pages for row in page}.values(), key=lambda row: row.pk)
        if not query.ascending:
            rows.reverse()
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


def _page(found: Select[Any], query: StatementQuery, limit: int, walked: _IndexFilter | None = None) -> list[Row[Any]]:
    """One ordered, limited page of unvoided statements within the query's time, client and cursor.

    With an agent or activity filter the page walks that index table in statement order and
    stops at the page's end, instead of collecting every match to sort it. On PostgreSQL each
    entry looks its statement up in a LATERAL subquery on (pk, stored): the lookup is pruned to
    the entry's month at run time, and the planner counts one statement an entry. Joined on
    (pk, stored) instead, it multiplies the two equalities' selectivities, expects about one
    statement in all, and reads every match of a course to sort them.
    """
    found = found.where(Statement.voided.is_(False), *_within_time(Statement.stored, query))
    if query.client_id is not None:
        found = found.where(Statement.client_id == query.client_id)
    if query.agency_id is not None:
        found = found.where(readable_by(query.agency_id))
    page: Select[Any]
    keys: list[InstrumentedAttribute[Any]]
    if walked is None:
        page = found
        keys = [Statement.stored, Statement.pk] if query.by_stored else [Statement.pk]
    else:
        table, conditions = walked
        entry = and_(Statement.pk == table.statement_pk, Statement.stored == table.stored)
        if db.session.get_bind().dialect.name == "postgresql":
            each = found.where(entry).offset(0).lateral()
            page = select(*each.c).select_from(table).join(each, true())
        else:  # SQLite has no LATERAL, and no partitions to prune
            page = found.join(table, entry)
        page = page.where(*conditions, *_within_time(table.stored, query))
        keys = [table.statement_pk]
    if query.after_pk is not None:
        position, after = tuple_(*keys), (query.after_stored, query.after_pk)[-len(keys) :]
        page = page.where(position > after if query.ascending else position < after)
    order = [key.asc() if query.ascending else key.desc() for key in keys]
    return list(db.session.execute(page.order_by(*order).limit(limit + 1)).all())


def _within_time(stored: InstrumentedAttribute[datetime], query: StatementQuery) -> list[ColumnElement[bool]]:
    """since/until on a table's ``stored``: on PostgreSQL they prune its monthly partitions."""
    conditions = []
    if query.since:
        conditions.append(stored > query.since)
    if query.until:
        conditions.append(stored <= query.until)
    return conditions


#: An index table and the conditions of its filter (lrs_statement_agents, lrs_statement_activities).
_IndexFilter = tuple[type[StatementAgent] | type[StatementActivity], list[ColumnElement[bool]]]


def _index_filters(query: StatementQuery) -> list[_IndexFilter]:
    """The agent and activity filters, each on its index table."""
    filters: list[_IndexFilter] = []
    if query.agent:
        agent = [
            StatementAgent.agent_ref == ref_of_agent(query.agent),
            StatementAgent.direct.is_(not query.related_agents),
        ]
        if query.verb:
            # The entries carry their statement's verb (in the index on PostgreSQL): only the verb's
            # statements are looked up, not every statement of the agent.
            agent.append(StatementAgent.verb_ref == ref_of_verb(query.verb))
        filters.append((StatementAgent, agent))
    if query.activity:
        activity = [
            StatementActivity.activity_ref == ref_of_activity(query.activity),
            StatementActivity.direct.is_(not query.related_activities),
        ]
        filters.append((StatementActivity, activity))
    return filters


_S = TypeVar("_S", bound=Select[Any])


def _matching(select_: _S, query: StatementQuery, joined: list[_IndexFilter]) -> _S:
    """Add the verb and registration filters, and join the index tables of ``joined`` on (pk, stored)."""
    for table, conditions in joined:
        select_ = select_.join(
            table,
            and_(
                table.statement_pk == Statement.pk,
                table.stored == Statement.stored,
                *_within_time(table.stored, query),
                *conditions,
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


def get_attachments(statements: Iterable[Statement | StoredStatement]) -> dict[str, Attachment]:
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
