"""Alignments and their grants (README, Trust model), and what a stored statement gave as evidence."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from academy.db import db
from academy.org.models import Person
from competencies.models import Alignment, Competency, Evidence
from lrs import LrsClient, Statement, ignored_reasons


class AlignmentError(ValueError):
    """An alignment that cannot be saved; the message says why."""


def is_platform_activity(activity_id: str) -> bool:
    """Whether the activity is one of the platform's own courses (only the platform's statements count)."""
    from courses.models import Course  # courses builds on competencies, not the other way round

    return db.session.scalar(select(Course.id).where(Course.activity_iri == activity_id)) is not None


def courses_by_activity(activity_ids: Iterable[str]) -> dict[str, Any]:
    """Our courses among these activity IRIs, by IRI (pages show their titles instead of the IRI)."""
    from courses.models import Course  # courses builds on competencies, not the other way round

    wanted = set(activity_ids)
    if not wanted:
        return {}
    return {c.activity_iri: c for c in db.session.scalars(select(Course).where(Course.activity_iri.in_(wanted)))}


def save_alignment(activity_id: str, competency: Competency, level: int, owner_client_id: int | None) -> Alignment:
    """Align the activity with the competency at the level, granted to ``owner_client_id`` (None: the platform's)."""
    if owner_client_id is not None:
        owner = db.session.get(LrsClient, owner_client_id)
        if owner is None or owner.platform:
            raise AlignmentError(_("Choose a provider's LRS client, or the platform."))
        if is_platform_activity(activity_id):
            raise AlignmentError(
                _("This activity is one of the platform's own courses: only the platform's statements complete it.")
            )
    alignment = db.session.scalar(
        select(Alignment).where(Alignment.activity_id == activity_id, Alignment.competency_id == competency.id)
    )
    if alignment is None:
        alignment = Alignment(activity_id=activity_id, competency_id=competency.id)
        db.session.add(alignment)
    alignment.level = level
    alignment.owner_client_id = owner_client_id
    db.session.flush()
    return alignment


def grantable_clients() -> list[LrsClient]:
    """The clients an alignment may be granted to: providers (not the platform's own)."""
    return list(db.session.scalars(select(LrsClient).where(LrsClient.platform.is_(False)).order_by(LrsClient.name)))


@dataclass(frozen=True)
class EvidenceLine:
    evidence: Evidence
    person: Person
    competency: Competency


@dataclass(frozen=True)
class StatementEvidence:
    """A stored statement as the admins see it: who stored it, what the trust rules said, its evidence."""

    statement: Statement
    client: LrsClient | None
    #: lrs.clients.IGNORED_* reasons; empty when the projections believed it (or had nothing to do).
    ignored: list[str]
    evidence: list[EvidenceLine]


def statement_evidence(statement_id: uuid.UUID) -> StatementEvidence | None:
    """The statement with this id, its writer, the trust rules' notes and its evidence; None if not stored."""
    statement = db.session.scalar(select(Statement).where(Statement.id == statement_id))
    if statement is None:
        return None
    rows = db.session.execute(
        select(Evidence, Person, Competency)
        .join(Person, Person.id == Evidence.person_id)
        .join(Competency, Competency.id == Evidence.competency_id)
        .where(Evidence.statement_id == statement_id)
        .order_by(Evidence.id)
    ).all()
    return StatementEvidence(
        statement=statement,
        client=db.session.get(LrsClient, statement.client_id) if statement.client_id is not None else None,
        ignored=ignored_reasons(statement_id),
        evidence=[EvidenceLine(e, p, c) for e, p, c in rows],
    )


@dataclass(frozen=True)
class PersonEvidence:
    """One piece of a person's evidence and where it came from (the statement and the client that sent it)."""

    evidence: Evidence
    competency: Competency
    client: LrsClient | None


def evidence_of(person_id: int, limit: int = 50, offset: int = 0) -> tuple[list[PersonEvidence], int]:
    """The person's evidence, newest first (``limit`` from ``offset``), with its source; and how many there are."""
    rows = db.session.execute(
        select(Evidence, Competency, LrsClient)
        .join(Competency, Competency.id == Evidence.competency_id)
        .outerjoin(Statement, Statement.id == Evidence.statement_id)
        .outerjoin(LrsClient, LrsClient.id == Statement.client_id)
        .where(Evidence.person_id == person_id)
        .order_by(Evidence.achieved_at.desc(), Evidence.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.person_id == person_id))
    return [PersonEvidence(e, c, client) for e, c, client in rows], total or 0
