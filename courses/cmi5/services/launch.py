"""Registrations and launches: moveOn at the registration's start, the launch URL, the
``LMS.LaunchData`` state document and the ``launched`` statement, the one-time fetch of the
session's credentials, and the LMS's ``abandoned`` and ``waived`` (cmi5 8, 9.3, 10).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from academy.db import db, insert_ignoring_duplicates
from academy.ifi import agent_key
from academy.secrets import hash_secret, new_secret
from courses.cmi5.models import AssignableUnit, AuState, Cmi5Course, LaunchMode, LaunchSession
from courses.cmi5.models import Registration as Cmi5Registration
from courses.cmi5.services.lms import (
    actor_of,
    au_statement,
    duration_result,
    now,
    store_lms_statements,
    waived_result,
)
from courses.cmi5.services.satisfaction import au_state, evaluate_move_on, meets_move_on
from courses.cmi5.vocabulary import (
    ABANDONED,
    EXT_LAUNCH_MODE,
    EXT_LAUNCH_PARAMETERS,
    EXT_LAUNCH_URL,
    EXT_MASTERY_SCORE,
    EXT_MOVE_ON,
    EXT_SESSION_ID,
    LAUNCH_DATA,
    LAUNCHED,
    LEARNER_PREFERENCES,
    WAIVED,
)
from courses.models import Course, CourseKind, Enrolment, EnrolmentStatus
from lrs import AGENT_PROFILE, STATE, NotFound, Preconditions, Scope, get_document, put_document

#: Session credentials stop working this long after the launch, whatever the AU does.
SESSION_MAX_AGE = timedelta(hours=24)


class LaunchError(ValueError):
    """A launch, fetch or waiver that cannot be made; the message says why."""


@dataclass(frozen=True)
class Launch:
    session: LaunchSession
    #: Where to send the learner's browser: the AU's URL with the cmi5 launch parameters.
    url: str


def _base_url() -> str:
    return str(current_app.config["ACADEMY_BASE_URL"]).rstrip("/")


def endpoint_url() -> str:
    # No trailing slash: AUs append "/statements" and the like to it.
    return f"{_base_url()}/xapi"


def content_url(course: Course) -> str:
    """The base of the URLs our app serves a course package's files under to signed-in users."""
    return f"{_base_url()}/courses/{quote(course.code)}/cmi5/content"


def _content_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="cmi5-content")


def content_token(session_key: uuid.UUID) -> str:
    """The token in a launched AU's content URLs: the AU's page runs sandboxed, without the learner's
    cookie, so its own requests for the package's files carry this instead (in the path, so that
    the page's relative URLs carry it too)."""
    return str(_content_signer().dumps(session_key.hex))


def session_of_content_token(token: str) -> LaunchSession | None:
    """The launch session of a content token still within its age, or None."""
    try:
        key = _content_signer().loads(token, max_age=int(SESSION_MAX_AGE.total_seconds()))
        session_key = uuid.UUID(hex=str(key))
    except (BadSignature, ValueError):
        return None
    return db.session.scalar(select(LaunchSession).where(LaunchSession.key == session_key))


def session_content_url(course: Course, session_key: uuid.UUID) -> str:
    """The base of a launched AU's content URLs."""
    return f"{_base_url()}/cmi5/content/{content_token(session_key)}"


def course_page_url(course: Course) -> str:
    return f"{_base_url()}/courses/{quote(course.code)}/cmi5"


def au_url(au: AssignableUnit, session_key: uuid.UUID) -> str:
    """The AU's URL as launched, before the cmi5 parameters: absolute as given, or in the session's content path."""
    parts = urlsplit(au.url)
    if parts.scheme:
        # Imports refuse other schemes; a row from before that rule is not launched either.
        if parts.scheme.lower() not in ("http", "https"):
            raise LaunchError(f"the AU's URL is not http, https or relative to the package: {au.url!r}")
        return au.url
    return f"{session_content_url(au.course, session_key)}/{au.url}"


def start_registration(enrolment: Enrolment) -> bool:
    """Start the cmi5 registration of an enrolment: evaluate moveOn once at its start (cmi5 9.6.1),
    so that NotApplicable AUs satisfy their blocks and course. Return whether it was new.

    Call it when a learner enrols in a cmi5 course; launching calls it too. Flushes.
    """
    if enrolment.course.kind is not CourseKind.CMI5:
        raise LaunchError(f"course {enrolment.course.code} is not a cmi5 course")
    when = now()
    inserted = db.session.scalar(
        insert_ignoring_duplicates(Cmi5Registration)
        .values(enrolment_id=enrolment.id, started_at=when)
        .returning(Cmi5Registration.enrolment_id)
    )
    if inserted is None:  # started before (perhaps by a concurrent launch)
        return False
    evaluate_move_on(enrolment, uuid.uuid4(), when)
    return True


def launch_data(session: LaunchSession) -> dict[str, Any]:
    """The ``LMS.LaunchData`` state document of a session (cmi5 10.2)."""
    au, enrolment = session.au, session.enrolment
    document: dict[str, Any] = {
        "contextTemplate": {
            "registration": str(enrolment.registration),
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": au.publisher_id}],
                "parent": [{"objectType": "Activity", "id": au.course.activity_iri}],
            },
            "extensions": {EXT_SESSION_ID: str(session.key)},
        },
        "launchMode": session.launch_mode.value,
        "launchMethod": au.launch_method.value,
        "moveOn": au.move_on.value,
        "returnURL": course_page_url(au.course),
    }
    if au.mastery_score is not None:
        document["masteryScore"] = float(au.mastery_score)
    if au.launch_parameters is not None:
        document["launchParameters"] = au.launch_parameters
    if au.entitlement_key is not None:
        document["entitlementKey"] = {"courseStructure": au.entitlement_key}
    return document


def open_sessions(enrolment: Enrolment) -> list[LaunchSession]:
    return list(
        db.session.scalars(
            select(LaunchSession)
            .where(
                LaunchSession.enrolment_id == enrolment.id,
                LaunchSession.terminated_at.is_(None),
                LaunchSession.abandoned_at.is_(None),
            )
            .order_by(LaunchSession.id)
        )
    )


def launch_au(
    enrolment: Enrolment, au: AssignableUnit, mode: LaunchMode = LaunchMode.NORMAL, language: str | None = None
) -> Launch:
    """Launch an AU for an enrolment: abandon the registration's open sessions, write the
    LaunchData (and, given the portal's language, the learner's preferences), record
    ``launched``, and return the launch URL (with its one-time fetch URL)."""
    if au.course_id != enrolment.course_id:
        raise LaunchError("the AU is not part of the enrolment's course")
    start_registration(enrolment)
    session_key = uuid.uuid4()
    url = au_url(au, session_key)
    for previous in open_sessions(enrolment):
        abandon_session(previous)
    when = now()
    fetch_token = new_secret()
    session = LaunchSession(
        key=session_key,
        enrolment=enrolment,
        au=au,
        launch_mode=mode,
        launch_url=url,
        fetch_hash=hash_secret(fetch_token),
        launched_at=when,
        verbs=[],
    )
    db.session.add(session)
    db.session.flush()
    actor = actor_of(enrolment.person)
    key = agent_key(actor)
    assert key is not None
    put_document(
        Scope(STATE, activity_id=au.activity_iri, agent_key=key, registration=str(enrolment.registration)),
        LAUNCH_DATA,
        json.dumps(launch_data(session), ensure_ascii=False).encode(),
        "application/json",
        Preconditions(),
    )
    if language is not None:
        set_learner_preferences(key, language)
    extensions: dict[str, Any] = {
        EXT_LAUNCH_MODE: mode.value,
        EXT_LAUNCH_URL: url,
        EXT_MOVE_ON: au.move_on.value,
    }
    if au.mastery_score is not None:
        extensions[EXT_MASTERY_SCORE] = float(au.mastery_score)
    if au.launch_parameters is not None:
        extensions[EXT_LAUNCH_PARAMETERS] = au.launch_parameters
    store_lms_statements([au_statement(LAUNCHED, enrolment, au, session.key, when, extensions=extensions)])
    if enrolment.status is EnrolmentStatus.ENROLLED:
        enrolment.status = EnrolmentStatus.IN_PROGRESS
    parameters = urlencode(
        {
            "endpoint": endpoint_url(),
            "fetch": f"{_base_url()}/cmi5/fetch/{fetch_token}",
            "actor": json.dumps(actor, separators=(",", ":")),
            "registration": str(enrolment.registration),
            "activityId": au.activity_iri,
        },
        quote_via=quote,
    )
    parts = urlsplit(url)
    query = f"{parts.query}&{parameters}" if parts.query else parameters
    db.session.flush()
    return Launch(session, urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment)))


def launch_modes(au: AssignableUnit, state: AuState | None) -> list[LaunchMode]:
    """The modes a learner may open the AU in (cmi5 10.2.2): Normal always; Review once its moveOn
    is met (or it is waived); Browse where the course allows it."""
    modes = [LaunchMode.NORMAL]
    if meets_move_on(au, state) or (state is not None and state.satisfied_at is not None):
        modes.append(LaunchMode.REVIEW)
    package = db.session.get(Cmi5Course, au.course_id)
    if package is not None and package.allow_browse:
        modes.append(LaunchMode.BROWSE)
    return modes


def check_launch_mode(enrolment: Enrolment, au: AssignableUnit, mode: LaunchMode) -> None:
    """Raise LaunchError when the learner may not open the AU in that mode (``launch_au`` itself
    launches in any mode: the LMS chooses it, cmi5 10.2.2; this is the learner's choice)."""
    if mode is LaunchMode.NORMAL:
        return
    if mode not in launch_modes(au, db.session.get(AuState, (enrolment.id, au.id))):
        reason = "the course does not allow Browse" if mode is LaunchMode.BROWSE else "the unit is not done yet"
        raise LaunchError(f"{mode.value} mode is not offered here: {reason}")


def set_learner_preferences(learner_key: str, language: str) -> None:
    """Put the portal's language first in the learner's cmi5LearnerPreferences (cmi5 11.0),
    keeping their audio preference."""
    scope = Scope(AGENT_PROFILE, agent_key=learner_key)
    audio = "on"
    try:
        current = json.loads(get_document(scope, LEARNER_PREFERENCES).content)
    except (NotFound, ValueError):
        current = None
    if isinstance(current, dict) and current.get("audioPreference") in ("on", "off"):
        audio = current["audioPreference"]
    languages = "en-US,th-TH" if language == "en" else "th-TH,en-US"
    document = {"languagePreference": languages, "audioPreference": audio}
    put_document(scope, LEARNER_PREFERENCES, json.dumps(document).encode(), "application/json", Preconditions())


@dataclass(frozen=True)
class FetchAnswer:
    """The fetch URL's JSON answer: the auth token once, the cmi5 error afterwards (cmi5 8.2)."""

    body: dict[str, str]


def fetch_auth_token(fetch_token: str) -> FetchAnswer:
    """Answer a POST to a session's fetch URL. Flushes."""
    session = db.session.scalar(
        select(LaunchSession).where(LaunchSession.fetch_hash == hash_secret(fetch_token)).with_for_update()
    )
    if session is None:
        return FetchAnswer({"error-code": "2", "error-text": "This fetch URL is not one the LMS issued."})
    if session.fetched_at is not None:
        return FetchAnswer({"error-code": "1", "error-text": "The authorization token has already been returned."})
    if not session.is_open or now() - session.launched_at > SESSION_MAX_AGE:
        return FetchAnswer({"error-code": "1", "error-text": "The AU session has ended."})
    secret = new_secret()
    session.secret_hash = hash_secret(secret)
    session.fetched_at = now()
    db.session.flush()
    token = base64.b64encode(f"{session.credential_key}:{secret}".encode()).decode()
    return FetchAnswer({"auth-token": token})


def abandon_session(session: LaunchSession, when: datetime | None = None) -> None:
    """End a session the AU left without ``terminated``: record ``abandoned`` (cmi5 9.3.6). Flushes."""
    if not session.is_open:
        return
    when = when or now()
    session.abandoned_at = when
    last = session.last_statement_at or session.launched_at
    store_lms_statements(
        [
            au_statement(
                ABANDONED,
                session.enrolment,
                session.au,
                session.key,
                when,
                result=duration_result(last - session.launched_at),
            )
        ]
    )
    db.session.flush()


def abandon_idle_sessions(idle_for: timedelta, limit: int | None = None) -> int:
    """Abandon the open sessions that have sent nothing for ``idle_for`` (cmi5 9.3.6 lets the LMS
    decide when a session is abandoned); at most ``limit`` of them. Return how many. Flushes."""
    cutoff = now() - idle_for
    last_heard = func.coalesce(LaunchSession.last_statement_at, LaunchSession.fetched_at, LaunchSession.launched_at)
    query = (
        select(LaunchSession)
        .where(LaunchSession.terminated_at.is_(None), LaunchSession.abandoned_at.is_(None), last_heard < cutoff)
        .order_by(LaunchSession.id)
        .limit(limit)
        # Another sweep (or the AU's last statement) holding a session leaves it to that one.
        .with_for_update(skip_locked=True, of=LaunchSession)
    )
    sessions = list(db.session.scalars(query))
    when = now()
    for session in sessions:
        abandon_session(session, when)
    return len(sessions)


WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")


def waive_au(enrolment: Enrolment, au: AssignableUnit, reason: str) -> None:
    """Waive an AU in a registration (cmi5 9.3.7): ``waived`` in a session of its own, then moveOn. Flushes."""
    if au.course_id != enrolment.course_id:
        raise LaunchError("the AU is not part of the enrolment's course")
    if reason not in WAIVE_REASONS:
        raise LaunchError(f"a waiver's reason is one of {', '.join(WAIVE_REASONS)} (cmi5 9.5.5.2), not {reason!r}")
    start_registration(enrolment)
    state = au_state(enrolment, au)
    if state.waived_at is not None:
        raise LaunchError("the AU is already waived in this registration")
    if state.satisfied_at is not None or meets_move_on(au, state):
        raise LaunchError("the AU's moveOn criteria are already met: there is nothing to waive")
    when = now()
    session_key = uuid.uuid4()
    state.waived_at, state.waive_reason = when, reason
    store_lms_statements(
        [au_statement(WAIVED, enrolment, au, session_key, when, result=waived_result(reason), moveon=True)]
    )
    evaluate_move_on(enrolment, session_key, when)
