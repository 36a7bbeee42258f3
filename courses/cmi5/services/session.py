"""The credentials of an AU launch session, and the cmi5 rules the LRS applies to what they send.

The fetch URL hands the AU a Basic token of its session. With it the AU may store statements
of its learner in its registration, and read and write its own state, its own activity profile
and its learner's agent profile: nothing else (no statement reads, no voiding, never the LMS's ``LMS.LaunchData``).
Statements that break a rule of cmi5 (sections 7.1, 9) are refused with 403 and a message
naming the rule; the LMS rejects rather than voids (cmi5 6.3).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from academy.db import db
from academy.ifi import agent_key
from academy.secrets import secret_matches
from courses.cmi5.models import AuState, LaunchMode, LaunchSession
from courses.cmi5.services.launch import SESSION_MAX_AGE
from courses.cmi5.services.lms import actor_of, lms_client, now
from courses.cmi5.vocabulary import (
    AU_VERBS,
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    COMPLETED,
    EXT_MASTERY_SCORE,
    EXT_PROGRESS,
    EXT_SESSION_ID,
    FAILED,
    INITIALIZED,
    LAUNCH_DATA,
    LEARNER_PREFERENCES,
    PASSED,
    TERMINATED,
    VOIDED,
)
from lrs import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentRequest, Restricted, XapiError

_UTC = re.compile(r"(Z|[+-]00:?00)$", re.IGNORECASE)
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_KEY = re.compile(r"cmi5-[0-9a-f]{32}")


class Refused(XapiError):
    """What the session's credentials may not do (403)."""

    status = 403


def authenticate_session(authorization: str) -> Restricted | None:
    """The LRS authenticator of AU sessions: their Basic token, while the session is open."""
    if authorization[:6].lower() != "basic ":
        return None
    try:
        key, _sep, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not _KEY.fullmatch(key):
        return None
    session = db.session.scalar(select(LaunchSession).where(LaunchSession.key == uuid.UUID(key[5:])))
    if session is None or session.secret_hash is None or not session.is_open:
        return None
    if not secret_matches(secret, session.secret_hash):
        return None
    if now() - session.launched_at > SESSION_MAX_AGE:
        return None
    client = lms_client()
    if not client.active:
        return None
    return Restricted(client, SessionRestriction(session.id))


def _ids(activities: object) -> set[str]:
    if not isinstance(activities, list):
        return set()
    return {str(a.get("id")) for a in activities if isinstance(a, Mapping)}


class SessionRestriction:
    """The cmi5 rules of one launch session."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id

    def _session(self) -> LaunchSession:
        session = db.session.scalar(select(LaunchSession).where(LaunchSession.id == self.session_id).with_for_update())
        if session is None or not session.is_open:
            raise XapiError("the AU session has ended", 401)
        return session

    # --- documents -----------------------------------------------------------------------

    def check_document(self, request: DocumentRequest) -> None:
        session = self._session()
        enrolment, au = session.enrolment, session.au
        learner = agent_key(actor_of(enrolment.person))
        writes = request.method in ("PUT", "POST", "DELETE")
        if request.kind in (STATE, AGENT_PROFILE) and request.agent_key != learner:
            raise Refused("these credentials are for the launched learner's documents only (cmi5 11.0)")
        if request.kind == STATE:
            if request.activity_id != au.activity_iri:
                raise Refused("these credentials are for the state of the launched AU only")
            if request.registration not in ("", str(enrolment.registration)):
                raise Refused("these credentials are for the launch's registration only")
            # Without a registration the id list and the delete-all span every registration of the
            # learner's AU, other launches' included: the AU must name its own.
            if request.document_id is None and not request.registration:
                raise Refused("these credentials list and delete state in the launch's registration only")
            if writes and request.document_id in (LAUNCH_DATA, None):
                raise Refused("LMS.LaunchData is the LMS's: the AU may read it, not change it (cmi5 10.2.1)")
        elif request.kind == ACTIVITY_PROFILE:
            # Another course's AU's profile may hold what that publisher keeps of its learners.
            if request.activity_id != au.activity_iri:
                raise Refused("these credentials are for the launched AU's activity profile only")
        elif request.kind == AGENT_PROFILE and request.document_id == LEARNER_PREFERENCES:
            if request.method in ("GET", "HEAD"):
                session.preferences_read_at = session.preferences_read_at or now()
            elif request.method in ("PUT", "POST"):
                _check_learner_preferences(request)

    # --- statements ----------------------------------------------------------------------

    def check_statements(self, statements: Sequence[dict[str, Any]]) -> None:
        session = self._session()
        rules = _Rules(session)
        for index, statement in enumerate(statements):
            try:
                rules.check(statement)
            except Refused as error:
                where = f"statement {index + 1} of {len(statements)}: " if len(statements) > 1 else ""
                raise Refused(f"{where}{error.message}") from None


def _check_learner_preferences(request: DocumentRequest) -> None:
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        raise Refused("cmi5LearnerPreferences must be sent as application/json (cmi5 11.0)")
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("cmi5LearnerPreferences is not JSON (cmi5 11.0)") from None
    if not isinstance(document, dict):
        raise Refused("cmi5LearnerPreferences must be a JSON object (cmi5 11.0)")
    languages = document.get("languagePreference")
    if not isinstance(languages, str) or not all(_LANGUAGE_TAG.fullmatch(tag) for tag in languages.split(",")):
        raise Refused(
            "languagePreference must be a comma-separated list of language tags, such as th,en-US (cmi5 11.1)"
        )
    if document.get("audioPreference") not in ("on", "off"):
        raise Refused('audioPreference must be "on" or "off" (cmi5 11.2)')


class _Rules:
    """The session's state as a batch is checked statement by statement (cmi5 7.1, 9)."""

    def __init__(self, session: LaunchSession) -> None:
        self.session = session
        self.au = session.au
        self.registration = str(session.enrolment.registration)
        self.learner = agent_key(actor_of(session.enrolment.person))
        self.verbs = list(session.verbs or [])
        self.initialized = session.initialized_at is not None
        self.terminated = False
        state = db.session.get(AuState, (session.enrolment_id, session.au_id))
        self.completed = state is not None and state.completed_at is not None
        self.passed = state is not None and state.passed_at is not None

    def check(self, statement: Mapping[str, Any]) -> None:
        verb = statement["verb"]["id"]
        context = statement.get("context") or {}
        activities = context.get("contextActivities") or {}
        categories = _ids(activities.get("category"))
        defined = CATEGORY_CMI5 in categories
        if "id" not in statement:
            raise Refused("an AU's statements carry their own id (cmi5 9.1)")
        if "timestamp" not in statement:
            raise Refused("an AU's statements carry a timestamp (cmi5 9.7)")
        if not _UTC.search(str(statement["timestamp"])):
            raise Refused("timestamps must be in UTC (cmi5 9.7)")
        if verb == VOIDED:
            raise Refused("an AU may not void statements (cmi5 6.3)")
        actor = statement["actor"]
        if actor.get("objectType", "Agent") != "Agent" or "account" not in actor:
            raise Refused("the actor must be an Agent identified by its account, as launched (cmi5 9.2)")
        if agent_key(actor) != self.learner:
            raise Refused("these credentials may store statements of the launched learner only (cmi5 8.1.3)")
        if not context:
            raise Refused("an AU's statements need the context of the LaunchData's contextTemplate (cmi5 9.6)")
        if str(context.get("registration", "")).lower() != self.registration:
            raise Refused("context.registration must be the launch's registration (cmi5 9.6.1)")
        if (context.get("extensions") or {}).get(EXT_SESSION_ID) != str(self.session.key):
            raise Refused("the context needs the session id extension of the launch (cmi5 9.6.3.1)")
        if self.au.publisher_id not in _ids(activities.get("grouping")):
            raise Refused("contextActivities.grouping needs the AU's publisher id activity (cmi5 9.6.2.3)")
        if self.terminated:
            raise Refused("terminated was the session's last statement (cmi5 9.3.8)")
        moveon = CATEGORY_MOVEON in categories
        if not defined:
            if moveon:
                raise Refused("only cmi5 defined passed, failed and completed carry the moveOn category (cmi5 9.6.2.2)")
            if not self.initialized:
                raise Refused("the AU's first statement must be initialized (cmi5 9.3)")
            return
        self._defined(statement, verb, moveon)

    def _defined(self, statement: Mapping[str, Any], verb: str, moveon: bool) -> None:
        if verb not in AU_VERBS:
            raise Refused(f"{verb} is not a verb an AU may use in cmi5 defined statements (cmi5 9.3)")
        name = AU_VERBS[verb]
        target = statement.get("object") or {}
        if target.get("objectType", "Activity") != "Activity" or target.get("id") != self.au.activity_iri:
            raise Refused("the object of a cmi5 defined statement is the AU: the launch's activityId (cmi5 9.4)")
        if verb == INITIALIZED:
            if self.initialized:
                raise Refused("initialized is sent once, as the session's first statement (cmi5 9.3.2)")
            if self.session.preferences_read_at is None:
                raise Refused("the AU reads cmi5LearnerPreferences before it sends initialized (cmi5 11.0)")
        elif not self.initialized:
            raise Refused("the AU's first statement must be initialized (cmi5 9.3)")
        if name in self.verbs:
            raise Refused(f"{name} was already sent in this session (cmi5 9.3)")
        judged = verb in (PASSED, FAILED)
        if judged and ({"passed", "failed"} & set(self.verbs)):
            raise Refused("a session has one passed or failed, not both or two (cmi5 9.3)")
        if verb in (COMPLETED, PASSED, FAILED) and self.session.launch_mode is not LaunchMode.NORMAL:
            raise Refused(f"in {self.session.launch_mode.value} mode an AU sends no {name} (cmi5 10.2.2)")
        if verb == COMPLETED and self.completed:
            raise Refused("completed was already sent in this registration (cmi5 9.3)")
        if verb == PASSED and self.passed:
            raise Refused("passed was already sent in this registration (cmi5 9.3)")
        if verb == FAILED and self.passed:
            raise Refused("failed may not follow passed in a registration (cmi5 9.3)")
        if moveon != (verb in (COMPLETED, PASSED, FAILED)):
            raise Refused(
                "passed, failed and completed carry the moveOn category; other statements do not (cmi5 9.6.2.2)"
            )
        self._result(statement, verb, name)
        self.verbs.append(name)
        if verb == INITIALIZED:
            self.initialized = True
        elif verb == TERMINATED:
            self.terminated = True
        elif verb == COMPLETED:
            self.completed = True
        elif verb == PASSED:
            self.passed = True

    def _result(self, statement: Mapping[str, Any], verb: str, name: str) -> None:
        result = statement.get("result") or {}
        expected_success = {PASSED: True, FAILED: False}.get(verb)
        if expected_success is None and "success" in result:
            raise Refused(f"{name} carries no result.success (cmi5 9.5.2)")
        if expected_success is not None and result.get("success") is not expected_success:
            raise Refused(f"{name} needs result.success {str(expected_success).lower()} (cmi5 9.5.2)")
        if verb == COMPLETED and result.get("completion") is not True:
            raise Refused("completed needs result.completion true (cmi5 9.5.3)")
        if verb != COMPLETED and "completion" in result:
            raise Refused(f"{name} carries no result.completion (cmi5 9.5.3)")
        if verb in (COMPLETED, PASSED, FAILED, TERMINATED) and "duration" not in result:
            raise Refused(f"{name} needs result.duration (cmi5 9.5.4.1)")
        score = result.get("score")
        if score is not None and verb not in (PASSED, FAILED):
            raise Refused(f"{name} carries no score: only passed and failed do (cmi5 9.5.1)")
        if score is not None and "raw" in score and not ("min" in score and "max" in score):
            raise Refused("a raw score needs min and max (cmi5 9.5.1)")
        progress = (result.get("extensions") or {}).get(EXT_PROGRESS)
        if progress is not None and not (isinstance(progress, int) and 0 <= progress <= 100):
            raise Refused("the progress extension is an integer from 0 to 100 (cmi5 9.5.5.1)")
        self._mastery(statement, verb, name, score)

    def _mastery(self, statement: Mapping[str, Any], verb: str, name: str, score: Mapping[str, Any] | None) -> None:
        mastery = self.au.mastery_score
        extensions = (statement.get("context") or {}).get("extensions") or {}
        if EXT_MASTERY_SCORE in extensions:
            try:
                given = Decimal(str(extensions[EXT_MASTERY_SCORE]))
            except InvalidOperation:
                given = None
            if mastery is None or given != mastery:
                raise Refused("the masteryScore extension must be the LaunchData's masteryScore (cmi5 9.6.3.2)")
        if mastery is None or score is None or verb not in (PASSED, FAILED):
            return
        if EXT_MASTERY_SCORE not in extensions:
            raise Refused(f"a scored {name} carries the masteryScore extension (cmi5 9.6.3.2)")
        scaled = score.get("scaled")
        if scaled is None:
            return
        if verb == PASSED and Decimal(str(scaled)) < mastery:
            raise Refused(f"passed with a scaled score below the masteryScore {mastery} (cmi5 9.3.4)")
        if verb == FAILED and Decimal(str(scaled)) >= mastery:
            raise Refused(f"failed with a scaled score at or above the masteryScore {mastery} (cmi5 9.3.5)")
