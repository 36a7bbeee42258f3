"""Credential fixtures: a person who completes a course of ours (by the player's statement) and a provider's
aligned activity; the standard and a course come from the courses' and competencies' fixtures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Alignment, Framework
from competencies.services.frameworks import seed_standard
from courses.models import Course
from lrs.clients import NewClient
from tests.courses.conftest import make_course  # noqa: F401  (the fixture)
from tests.support.competencies import ACTIVITY, competency
from tests.support.lrs import statement

ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


@pytest.fixture
def learner(make_agency: Callable[..., Agency], make_person: Callable[..., Person]) -> Person:
    person = make_person(make_agency(), first_name_th="สมหญิง", last_name_th="ใจดี", email="somying@example.go.th")
    add_identifier(person, IdentifierKind.MBOX, "mailto:somying@example.go.th")
    return person


@pytest.fixture
def aligned_activity(standard: Framework, provider: NewClient) -> str:
    """A provider's course aligned with DG-02 at level 1, granted to the provider xapi() sends as."""
    target = competency(standard, "DG-02")
    alignment = Alignment(activity_id=ACTIVITY, competency_id=target.id, level=1, owner_client_id=provider.client.id)
    db.session.add(alignment)
    db.session.flush()
    return ACTIVITY


def completion(mbox: str, activity: str, timestamp: str = "2026-03-01T09:00:00Z", **extra: Any) -> dict[str, Any]:
    return statement(
        actor={"objectType": "Agent", "mbox": f"mailto:{mbox}"},
        object={
            "objectType": "Activity",
            "id": activity,
            "definition": {"name": {"th-TH": "พื้นฐาน PDPA", "en-US": "PDPA basics"}},
        },
        timestamp=timestamp,
        **extra,
    )


def store_as_player(payload: dict[str, Any]) -> uuid.UUID:
    """Store a statement as the academy's own player does (the platform's statements count for our courses)."""
    from courses.services.player import player_authority
    from lrs import XapiVersion, store_statements

    [statement_id] = store_statements(payload, version=XapiVersion.V1, authority=player_authority())
    db.session.expire_all()
    return statement_id


def void_as_player(statement_id: uuid.UUID) -> None:
    store_as_player(
        statement(
            actor={"objectType": "Agent", "mbox": "mailto:somying@example.go.th"},
            verb={"id": ADL + "voided"},
            object={"objectType": "StatementRef", "id": str(statement_id)},
        )
    )


@pytest.fixture
def complete_course(make_course: Callable[..., Course], learner: Person) -> Callable[..., uuid.UUID]:  # noqa: F811
    """The learner completes a course of ours (DG101, aligned with DG-01 at level 2); returns the statement id."""

    made: list[Course] = []

    def complete(course: Course | None = None, timestamp: str = "2026-03-01T09:00:00Z") -> uuid.UUID:
        if course is None:
            if not made:
                made.append(make_course())
            course = made[0]
        return store_as_player(completion("somying@example.go.th", course.activity_iri, timestamp))

    return complete
