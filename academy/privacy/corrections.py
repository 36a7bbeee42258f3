"""Correction requests: a person says what is wrong in their record; their agency's HR officers answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from academy.auth.models import User
from academy.db import db
from academy.org.models import Agency, Person
from academy.org.services import subtree_condition
from academy.privacy.models import CorrectionRequest, CorrectionStatus

#: The longest request or reply, in characters.
MAX_TEXT = 4000


def create_correction(person: Person, text: str) -> CorrectionRequest:
    """Record what the person says is wrong; it waits, open, for their agency's HR officers."""
    text = text.strip()
    if not text:
        raise ValueError("say what is wrong")
    request = CorrectionRequest(person=person, text=text[:MAX_TEXT], status=CorrectionStatus.OPEN)
    db.session.add(request)
    db.session.flush()
    return request


def corrections_of(person: Person) -> list[CorrectionRequest]:
    query = select(CorrectionRequest).where(CorrectionRequest.person_id == person.id)
    return list(db.session.scalars(query.order_by(CorrectionRequest.id.desc())))


def corrections_query(
    within: Sequence[Agency] | None, status: CorrectionStatus | None = None
) -> Select[CorrectionRequest]:
    """The requests of people within these agencies (None = all), open ones first, newest first."""
    query = (
        select(CorrectionRequest)
        .join(Person, Person.id == CorrectionRequest.person_id)
        .join(Agency, Agency.id == Person.agency_id)
        .options(joinedload(CorrectionRequest.person).joinedload(Person.agency))
    )
    if within is not None:
        query = query.where(subtree_condition(within))
    if status is not None:
        query = query.where(CorrectionRequest.status == status)
    return query.order_by(
        CorrectionRequest.status.desc(), CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc()
    )


def get_correction(request_id: int, within: Sequence[Agency] | None) -> CorrectionRequest | None:
    """The request, if its person is within these agencies (None = anywhere)."""
    query = corrections_query(within).where(CorrectionRequest.id == request_id)
    return db.session.scalar(query)


def answer_correction(request: CorrectionRequest, reply: str, officer: User, *, done: bool = True) -> None:
    """Reply to the request and mark it done (or leave it open with the reply so far)."""
    request.reply = reply.strip()[:MAX_TEXT]
    request.status = CorrectionStatus.DONE if done else CorrectionStatus.OPEN
    request.replied_at = datetime.now(UTC)
    request.replied_by_id = officer.id
    db.session.flush()
