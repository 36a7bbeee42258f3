"""The statements the LMS itself makes (launched, satisfied, abandoned, waived), built with
the ``tincan`` library and stored in-process through the LRS's one write path."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Statement,
    Verb,
)

from academy.db import db, insert_ignoring_duplicates
from academy.org.models import Person
from academy.secrets import hash_secret, new_secret
from courses.cmi5.models import AssignableUnit, Block
from courses.cmi5.vocabulary import (
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_REASON,
    EXT_SESSION_ID,
    LMS_VERBS,
    SATISFIED,
    TYPE_BLOCK,
    TYPE_COURSE,
)
from courses.models import Course, Enrolment
from lrs import LrsClient, XapiVersion, authority_of, store_statements

#: The LRS client of cmi5: the authority of the LMS's and the AUs' statements. Revoking it
#: (LRS clients page) stops every AU session's credentials.
LMS_CLIENT_KEY = "cmi5-lms"
LMS_CLIENT_SCOPES = "profile state statements/write"


def lms_client() -> LrsClient:
    """The cmi5 LRS client, made on first use (its secret is never known: no one logs in with it)."""
    client = db.session.scalar(select(LrsClient).where(LrsClient.key == LMS_CLIENT_KEY))
    if client is None:
        db.session.execute(
            insert_ignoring_duplicates(LrsClient).values(
                name="cmi5 LMS (AU launch sessions)",
                key=LMS_CLIENT_KEY,
                secret_hash=hash_secret(new_secret()),
                scopes=LMS_CLIENT_SCOPES,
                active=True,
                # The platform's own writer: its statements complete our courses (README, Trust model).
                platform=True,
            )
        )
        client = db.session.scalar(select(LrsClient).where(LrsClient.key == LMS_CLIENT_KEY))
        assert client is not None
    return client


def actor_of(person: Person) -> dict[str, Any]:
    """The person's pseudonymous account actor (DESIGN.md, Identity)."""
    return {
        "objectType": "Agent",
        "account": {"homePage": current_app.config["ACADEMY_BASE_URL"], "name": str(person.public_id)},
    }


def _agent(person: Person) -> Agent:
    return Agent(account=AgentAccount(home_page=current_app.config["ACADEMY_BASE_URL"], name=str(person.public_id)))


def _names(texts: dict[str, str]) -> LanguageMap | None:
    named = {lang: text for lang, text in texts.items() if lang and text}
    return LanguageMap(named) if named else None


def _context(
    enrolment: Enrolment,
    session_key: uuid.UUID,
    grouping: Sequence[str],
    *,
    parent: Sequence[str] = (),
    moveon: bool = False,
    extensions: dict[str, Any] | None = None,
) -> Context:
    categories = [Activity(id=CATEGORY_CMI5)] + ([Activity(id=CATEGORY_MOVEON)] if moveon else [])
    activities = ContextActivities(category=categories, grouping=[Activity(id=iri) for iri in grouping])
    if parent:
        activities.parent = [Activity(id=iri) for iri in parent]
    return Context(
        registration=enrolment.registration,
        context_activities=activities,
        extensions=Extensions({EXT_SESSION_ID: str(session_key), **(extensions or {})}),
    )


def _verb(iri: str) -> Verb:
    return Verb(id=iri, display=LanguageMap({"en-US": LMS_VERBS[iri]}))


def au_statement(
    verb: str,
    enrolment: Enrolment,
    au: AssignableUnit,
    session_key: uuid.UUID,
    when: datetime,
    *,
    extensions: dict[str, Any] | None = None,
    result: Result | None = None,
    moveon: bool = False,
) -> dict[str, Any]:
    """A statement of the LMS about an AU (launched, abandoned, waived)."""
    statement = Statement(
        id=uuid.uuid4(),
        timestamp=when,
        actor=_agent(enrolment.person),
        verb=_verb(verb),
        object=Activity(id=au.activity_iri),
        context=_context(
            enrolment,
            session_key,
            [au.publisher_id],
            parent=[enrolment.course.activity_iri],
            moveon=moveon,
            extensions=extensions,
        ),
        result=result,
    )
    return dict(json.loads(statement.to_json()))


def satisfied_statement(
    enrolment: Enrolment, target: Block | Course, publisher_id: str, session_key: uuid.UUID, when: datetime
) -> dict[str, Any]:
    """The LMS's ``satisfied`` of a block or the course (cmi5 9.3.9), its object ours, not the publisher's."""
    if isinstance(target, Block):
        definition = ActivityDefinition(type=TYPE_BLOCK, name=_names(target.title))
        parent = [enrolment.course.activity_iri]
    else:
        definition = ActivityDefinition(type=TYPE_COURSE, name=_names({"th": target.title_th, "en": target.title_en}))
        parent = []
    statement = Statement(
        id=uuid.uuid4(),
        timestamp=when,
        actor=_agent(enrolment.person),
        verb=_verb(SATISFIED),
        object=Activity(id=target.activity_iri, definition=definition),
        context=_context(enrolment, session_key, [publisher_id], parent=parent),
    )
    return dict(json.loads(statement.to_json()))


def waived_result(reason: str) -> Result:
    return Result(success=True, completion=True, extensions=Extensions({EXT_REASON: reason}))


def duration_result(duration: timedelta) -> Result:
    return Result(duration=max(duration, timedelta(0)))


def store_lms_statements(statements: list[dict[str, Any]]) -> None:
    """Store the LMS's statements (in-process, with the cmi5 client as authority); flushes."""
    if not statements:
        return
    client = lms_client()
    store_statements(
        statements,
        version=XapiVersion.V1,
        authority=authority_of(client, current_app.config["ACADEMY_BASE_URL"]),
        client=client,
    )


def now() -> datetime:
    """This moment, to the millisecond (as the LRS stores it)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
