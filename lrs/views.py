"""The xAPI resources under /xapi: thin handlers over lrs.statements and lrs.documents."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from academy.db import db, retry_transaction
from academy.ifi import agent_key
from academy.inputs import MAX_INT, parse_int
from lrs.clients import agent_of_agency, authenticate_basic, authority_of, has_scope, note_refused_void
from lrs.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    Preconditions,
    Scope,
    delete_document,
    delete_documents,
    get_document,
    list_document_ids,
    post_document,
    put_document,
)
from lrs.errors import NotFound, XapiError
from lrs.http import XapiRequest, parse_json_param, read_request
from lrs.models import Activity, LrsClient
from lrs.multipart import build_multipart, parse_multipart
from lrs.restrictions import DocumentRequest, Restriction, authenticate_restricted
from lrs.statements import (
    MAX_LIMIT,
    StatementQuery,
    StatementText,
    StoredStatement,
    VoidRefused,
    format_statements,
    get_attachments,
    get_statement,
    query_statement_texts,
    query_statements,
    store_statements,
)
from lrs.validation import parse_json, parse_timestamp, validate_agent, validate_iri, validate_uuid
from lrs.versions import SUPPORTED_VERSIONS, VersionError, XapiVersion, negotiate_version

bp = Blueprint("lrs", __name__, url_prefix="/xapi")

_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "HEAD, GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Length, Authorization, X-Experience-API-Version, "
    "If-Match, If-None-Match, X-Requested-With",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Cache-Control, Content-Type, Content-Length, "
    "WWW-Authenticate, X-Experience-API-Version, X-Experience-API-Consistent-Through",
}
_ALL_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]
#: How long a browser may keep a preflight's answer (browsers cap it lower themselves).
_PREFLIGHT_MAX_AGE = "86400"


def _xreq() -> XapiRequest:
    return g.xapi_request


def _version() -> XapiVersion:
    return g.xapi_version


def _client() -> LrsClient:
    return g.lrs_client


def _restriction() -> Restriction | None:
    return g.get("lrs_restriction")


@bp.before_request
def _prepare() -> ResponseReturnValue | None:
    if request.method == "OPTIONS":
        return Response(status=200, headers={"Access-Control-Max-Age": _PREFLIGHT_MAX_AGE})
    g.xapi_request = read_request(request)
    xreq = g.xapi_request
    about = request.endpoint == "lrs.about"
    client = None if about else authenticate_basic(xreq.header("authorization"))
    if client is None and not about:
        # Restricted credentials (a cmi5 launch session's token) name no client of their own.
        restricted = authenticate_restricted(xreq.header("authorization"))
        if restricted is not None:
            client, g.lrs_restriction = restricted.client, restricted.restriction
    g.lrs_client = client
    try:
        g.xapi_version = negotiate_version(xreq.header("x-experience-api-version"))
    except VersionError:
        # Answer in the version this client last spoke (2.0 for a stranger).
        g.xapi_version = XapiVersion(client.last_version) if client and client.last_version else XapiVersion.V2
        if not about:
            raise
    if xreq.alternate and g.xapi_version.is_v2:
        raise XapiError("xAPI 2.0 does not allow the alternate request syntax")
    if about:
        return None
    if client is None:
        response = _error_response(XapiError("valid LRS credentials are required (HTTP Basic)", 401))
        response.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
        return response
    if client.last_version != g.xapi_version.value:
        client.last_version = g.xapi_version.value
        # Committed here, not by commit_on_success: the note stands whatever the request does next
        # (a GET commits nothing, and retry_transaction rolls back before it runs a write again).
        db.session.commit()
    return None


@bp.after_app_request
def _headers(response: Response) -> Response:
    # Every answer under /xapi, an unknown path's 404 included: without CORS headers browser
    # content sees a network error instead of the status.
    if request.path != bp.url_prefix and not request.path.startswith(f"{bp.url_prefix}/"):
        return response
    response.headers.update(_CORS_HEADERS)
    if response.status_code == 204:
        response.headers.remove("Content-Type")  # no content, so no type of it
    if request.endpoint == "lrs.statements" and getattr(g, "xapi_request", None) and _xreq().method in ("GET", "HEAD"):
        # Every statement read says how current it is, errors included: the LRS writes
        # synchronously, so it is consistent through now.
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        response.headers["X-Experience-API-Consistent-Through"] = now
    version = getattr(g, "xapi_version", XapiVersion.V2)
    response.headers["X-Experience-API-Version"] = version.value
    return response


def _error_response(error: XapiError) -> Response:
    response = Response(json.dumps({"error": error.message}), status=error.status, mimetype="application/json")
    return response


@bp.errorhandler(XapiError)
def _xapi_error(error: XapiError) -> ResponseReturnValue:
    db.session.rollback()
    return _error_response(error)


@bp.errorhandler(VoidRefused)
def _void_refused(error: VoidRefused) -> ResponseReturnValue:
    db.session.rollback()
    # Counted in a transaction of its own, for the admins' page of clients (README, Trust model).
    note_refused_void(_client().id)
    db.session.commit()
    return _error_response(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    # A body over the limit (413) or a query parameter with NUL (400), in the LRS's own error form.
    db.session.rollback()
    return _error_response(XapiError(error.description or error.name, error.code or 500))


@bp.errorhandler(VersionError)
def _version_error(error: VersionError) -> ResponseReturnValue:
    return _error_response(XapiError(str(error)))


_T = TypeVar("_T")
#: PostgreSQL's unique_violation.
_UNIQUE_VIOLATION = "23505"
_RACE_ATTEMPTS = 3


def _in_transaction(work: Callable[[], _T]) -> _T:
    """Run a write and commit it, again after a lost race, so that no client sees a 500 for it.

    retry_transaction() runs it again after a deadlock or a serialisation failure. Inserting a
    statement id or a document that a concurrent request has just inserted is a lost race too:
    run again, the request finds the row and answers as for any stored one.
    """
    for attempt in range(1, _RACE_ATTEMPTS + 1):
        try:
            return retry_transaction(work)
        except IntegrityError as error:
            if attempt == _RACE_ATTEMPTS or getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
    raise AssertionError("unreachable")


def _require(*scopes: str) -> None:
    if not has_scope(_client(), *scopes):
        raise XapiError(f"these credentials lack the scope {' or '.join(scopes)}", 403)


def _json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(value, ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json", headers=headers or {})
    return response


def _head(response: Response) -> Response:
    if _xreq().method == "HEAD":
        response.set_data(b"")
    return response


def _allowed_params(allowed: set[str]) -> None:
    unknown = set(_xreq().params) - allowed
    if unknown:
        raise XapiError(f"unknown parameters: {', '.join(sorted(unknown))}")


def _rfc1123(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- about ----------------------------------------------------------------------------------------


@bp.route("/about", methods=_ALL_METHODS)
def about() -> ResponseReturnValue:
    if _xreq().method not in ("GET", "HEAD"):
        raise XapiError("the About resource answers GET only", 405)
    return _head(_json_response({"version": list(SUPPORTED_VERSIONS), "extensions": {}}))


# --- statements --------------------------------------------------------------------------------------

_QUERY_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}


@bp.route("/statements", methods=_ALL_METHODS)
def statements() -> ResponseReturnValue:
    method = _xreq().method
    if method in ("GET", "HEAD"):
        return _head(_get_statements())
    if method == "PUT":
        return _put_statement()
    if method == "POST":
        return _post_statements()
    raise XapiError(f"the Statements resource does not answer {method}", 405)


def _read_statement_body() -> tuple[object, dict[str, Any]]:
    xreq = _xreq()
    media_type = xreq.content_type.split(";")[0].strip().lower()
    if media_type == "multipart/mixed":
        body, attachments = parse_multipart(xreq.body, xreq.content_type)
        return parse_json(body), dict(attachments)
    if media_type != "application/json":
        raise XapiError(
            f"statements must be sent as application/json or multipart/mixed, not {media_type or 'nothing'}"
        )
    return parse_json(xreq.body), {}


def _store(payload: object, attachments: dict[str, Any], statement_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    _require("statements/write")
    client = _client()
    return store_statements(
        payload,
        version=_version(),
        authority=authority_of(client, current_app.config["ACADEMY_BASE_URL"]),
        client=client,
        attachments=attachments,
        statement_id=statement_id,
        define=has_scope(client, "define"),
        check=restriction.check_statements if (restriction := _restriction()) else None,
    )


def _put_statement() -> ResponseReturnValue:
    _allowed_params({"statementId"})
    text = _xreq().param("statementId")
    if not text:
        raise XapiError("a PUT to the Statements resource needs the statementId parameter")
    validate_uuid(text, "statementId")
    payload, attachments = _read_statement_body()
    statement_id = uuid.UUID(text)
    _in_transaction(lambda: _store(payload, attachments, statement_id))
    return Response(status=204)


def _post_statements() -> ResponseReturnValue:
    _allowed_params(set())
    payload, attachments = _read_statement_body()
    ids = _in_transaction(lambda: _store(payload, attachments))
    return _json_response([str(i) for i in ids])


def _flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise XapiError(f"the {name} parameter must be true or false")
    return value.lower() == "true"


def _languages() -> list[str]:
    """The languages of Accept-Language, in the client's order."""
    header = _xreq().header("accept-language") or ""
    return [part.split(";")[0].strip() for part in header.split(",") if part.strip() and part.strip() != "*"]


def _read_scope_client_id() -> int | None:
    """None when the client may read every statement; its id when only its own (read/mine)."""
    client = _client()
    if has_scope(client, "statements/read"):
        return None
    if has_scope(client, "statements/read/mine"):
        return client.id
    raise XapiError("these credentials lack the scope statements/read", 403)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="xapi-more")


def _format_params(params: dict[str, str]) -> tuple[str, bool]:
    """The format and attachments parameters of a query."""
    fmt = params.get("format") or "exact"
    if fmt not in ("exact", "ids", "canonical"):
        raise XapiError("the format parameter must be exact, ids or canonical")
    return fmt, _flag(params, "attachments")


def _get_statements() -> Response:
    xreq = _xreq()
    client_id = _read_scope_client_id()
    headers: dict[str, str] = {}

    statement_id, voided_id = xreq.param("statementId"), xreq.param("voidedStatementId")
    if statement_id is not None or voided_id is not None:
        if statement_id is not None and voided_id is not None:
            raise XapiError("statementId and voidedStatementId cannot be used together")
        others = set(xreq.params) - {"statementId", "voidedStatementId", "format", "attachments"}
        if others:
            names = ", ".join(sorted(others))
            raise XapiError(f"with statementId or voidedStatementId only format and attachments are allowed: {names}")
        fmt, with_attachments = _format_params(xreq.params)
        wanted = statement_id if statement_id is not None else voided_id
        assert wanted is not None
        validate_uuid(wanted, "statementId" if statement_id is not None else "voidedStatementId")
        statement = get_statement(
            uuid.UUID(wanted), voided=voided_id is not None, client_id=client_id, agency_id=_client().agency_id
        )
        [payload] = format_statements([statement.payload], fmt, _languages())
        if _version().is_v2:
            headers["Last-Modified"] = _rfc1123(statement.stored)
        return _statements_response(payload, [statement] if with_attachments else [], headers)

    # Format and attachments come from the query a `more` link continues, not from its URL.
    query, params, languages = _statement_query(client_id)
    fmt, with_attachments = _format_params(params)
    if fmt == "exact" and not with_attachments:
        # The common case, sent as stored: the statements' JSON text is spliced, not decoded and re-encoded.
        texts, more = query_statement_texts(query)
        link = _more_link(params, languages, texts[-1]) if more and texts else ""
        body = '{"statements": [' + ", ".join(row.text for row in texts) + '], "more": ' + json.dumps(link) + "}"
        return Response(body, mimetype="application/json", headers=headers)
    rows, more = query_statements(query)
    payloads = format_statements([row.payload for row in rows], fmt, languages)
    link = _more_link(params, languages, rows[-1]) if more and rows else ""
    result: dict[str, Any] = {"statements": payloads, "more": link}
    return _statements_response(result, rows if with_attachments else [], headers)


def _more_link(params: dict[str, str], languages: list[str], last: StoredStatement | StatementText) -> str:
    """The link to the page after the statement ``last``, for the same query in the same languages."""
    state = {"params": params, "languages": languages, "after": last.pk, "after_stored": last.stored.isoformat()}
    return url_for("lrs.statements", more=_serializer().dumps(state))


def _statement_query(client_id: int | None) -> tuple[StatementQuery, dict[str, str], list[str]]:
    """The query of a GET (or of the page a `more` link continues), its parameters and languages."""
    xreq = _xreq()
    params = dict(xreq.params)
    languages = _languages()
    after_pk = after_stored = None
    if "more" in params:
        try:
            state = _serializer().loads(params.pop("more"))
            after_stored = datetime.fromisoformat(state["after_stored"])
        except (BadSignature, KeyError):  # a link of another server, or of the version before the cursor had stored
            raise XapiError("the more link is not valid") from None
        # A client following the link need not repeat its Accept-Language: the query's languages are kept.
        params, after_pk, languages = state["params"], state["after"], state.get("languages", languages)
    unknown = set(params) - _QUERY_PARAMS
    if unknown:
        raise XapiError(f"unknown parameters: {', '.join(sorted(unknown))}")
    agent = None
    if "agent" in params:
        value = parse_json_param(params["agent"], "agent")
        validate_agent(value, _version(), "agent", allow_group=True)
        agent = agent_key(value)  # type: ignore[arg-type]
    if "verb" in params:
        validate_iri(params["verb"], "verb")
    if "activity" in params:
        validate_iri(params["activity"], "activity")
    if "registration" in params:
        validate_uuid(params["registration"], "registration")
    limit = MAX_LIMIT
    if "limit" in params:
        requested = parse_int(params["limit"])
        if requested is None:
            raise XapiError(f"the limit parameter must be an integer from 0 to {MAX_INT}")
        limit = requested or MAX_LIMIT
    return (
        StatementQuery(
            agent=agent,
            verb=params.get("verb"),
            activity=params.get("activity"),
            registration=uuid.UUID(params["registration"]) if "registration" in params else None,
            related_activities=params.get("related_activities", "false").lower() == "true",
            related_agents=params.get("related_agents", "false").lower() == "true",
            since=parse_timestamp(params["since"]) if "since" in params else None,
            until=parse_timestamp(params["until"]) if "until" in params else None,
            limit=limit,
            ascending=params.get("ascending", "false").lower() == "true",
            client_id=client_id,
            agency_id=_client().agency_id,
            after_pk=after_pk,
            after_stored=after_stored,
        ),
        params,
        languages,
    )


def _statements_response(document: Any, rows: list[Any], headers: dict[str, str]) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode()
    if not rows:
        return Response(body, mimetype="application/json", headers=headers)
    attachments = get_attachments(rows)
    multipart, content_type = build_multipart(
        body, [(sha2, a.content_type, a.content) for sha2, a in attachments.items()]
    )
    return Response(multipart, content_type=content_type, headers=headers)


# --- documents ------------------------------------------------------------------------------------


def _agent_param(required: bool = True) -> str:
    value = _xreq().json_param("agent")
    if value is None:
        if required:
            raise XapiError("the agent parameter is required")
        return ""
    validate_agent(value, _version(), "agent")
    key = agent_key(value)  # type: ignore[arg-type]
    if key is None:
        raise XapiError("the agent parameter must identify an agent")
    return key


def _required_param(name: str) -> str:
    value = _xreq().param(name)
    if value is None:
        raise XapiError(f"the {name} parameter is required")
    return value


def _preconditions(required: bool, required_when_new: bool = False) -> Preconditions:
    xreq = _xreq()
    return Preconditions(xreq.header("if-match"), xreq.header("if-none-match"), required, required_when_new)


def _restrict_document(scope: Scope, id_param: str) -> None:
    """Let restricted credentials refuse (or record) a document request."""
    restriction = _restriction()
    if restriction is None:
        return
    xreq = _xreq()
    restriction.check_document(
        DocumentRequest(
            kind=scope.kind,
            method=xreq.method,
            activity_id=scope.activity_id,
            agent_key=scope.agent_key,
            registration=scope.registration,
            document_id=xreq.param(id_param),
            content_type=xreq.content_type,
            body=xreq.body,
        )
    )
    db.session.commit()  # what the restriction recorded stands, whatever the request's outcome


def _hidden_from_agency(scope: Scope) -> bool:
    """Whether an agency-scoped client asks to read documents it may not see (README, Trust model).

    As with statements, such a client sees only what concerns people of its agency and the
    units beneath it: another agent's state and agent profile read as absent (404 for one
    document, no ids for a list), and changing them answers 403. Activity profiles describe an
    activity that every agency's learners share, not a person: such a client reads them but
    changes none. Clients without an agency are not concerned.
    """
    agency_id = _client().agency_id
    if agency_id is None:
        return False
    reading = _xreq().method in ("GET", "HEAD")
    if scope.kind == ACTIVITY_PROFILE:
        if reading:
            return False
        raise XapiError(
            "credentials scoped to an agency read activity profiles but do not change them: "
            "every agency's learners share an activity",
            403,
        )
    if agent_of_agency(scope.agent_key, agency_id):
        return False
    if reading:
        return True
    raise XapiError("credentials scoped to an agency change only the documents of its people", 403)


def _document_response(scope: Scope, id_param: str, every_registration: bool = False) -> Response:
    """One document, or the ids of the scope's documents (of every registration if asked)."""
    xreq = _xreq()
    document_id = xreq.param(id_param)
    if _hidden_from_agency(scope):
        # Answered as when there is no document: nothing tells whether one exists.
        if document_id is not None:
            raise NotFound(f"no document has the id {document_id!r} here")
        return _head(_json_response([]))
    if document_id is not None:
        document = get_document(scope, document_id)
        response = Response(document.content, content_type=document.content_type)
        response.headers["ETag"] = f'"{document.etag}"'
        response.headers["Last-Modified"] = _rfc1123(document.updated)
        return _head(response)
    since = xreq.param("since")
    ids = list_document_ids(scope, parse_timestamp(since) if since else None, every_registration=every_registration)
    return _head(_json_response(ids))


def _write_document(scope: Scope, id_param: str, required: bool, required_when_new: bool = False) -> Response:
    xreq = _xreq()
    document_id = _required_param(id_param)
    _hidden_from_agency(scope)  # refuses (403) another agency's documents
    content_type = xreq.content_type or "application/octet-stream"
    write = put_document if xreq.method == "PUT" else post_document
    preconditions = _preconditions(required, required_when_new)
    _in_transaction(lambda: write(scope, document_id, xreq.body, content_type, preconditions))
    return Response(status=204)


@bp.route("/activities/state", methods=_ALL_METHODS)
def state() -> ResponseReturnValue:
    xreq = _xreq()
    _require("state")
    activity_id = _required_param("activityId")
    validate_iri(activity_id, "activityId")
    registration = xreq.param("registration") or ""
    if registration:
        validate_uuid(registration, "registration")
    scope = Scope(STATE, activity_id=activity_id, agent_key=_agent_param(), registration=registration.lower())
    _allowed_params({"activityId", "agent", "registration", "stateId", "since"})
    _restrict_document(scope, "stateId")
    # Without registration the id list and the delete cover every registration (Communication 2.3:
    # "Activity + Agent [+ registration if specified]"); one document is the one stored without.
    every_registration = not registration
    if xreq.method in ("GET", "HEAD"):
        return _document_response(scope, "stateId", every_registration)
    if xreq.method in ("PUT", "POST"):
        # 2.0 protects state like profiles: overwriting needs If-Match or If-None-Match.
        return _write_document(scope, "stateId", required=xreq.method == "PUT" and _version().is_v2)
    if xreq.method == "DELETE":
        _hidden_from_agency(scope)  # refuses (403) another agency's documents
        state_id, preconditions = xreq.param("stateId"), _preconditions(False)
        if state_id is None:
            _in_transaction(lambda: delete_documents(scope, every_registration=every_registration))
        else:
            _in_transaction(lambda: delete_document(scope, state_id, preconditions))
        return Response(status=204)
    raise XapiError(f"the State resource does not answer {xreq.method}", 405)


@bp.route("/activities/profile", methods=_ALL_METHODS)
def activity_profile() -> ResponseReturnValue:
    xreq = _xreq()
    _require("profile")
    activity_id = _required_param("activityId")
    validate_iri(activity_id, "activityId")
    _allowed_params({"activityId", "profileId", "since"})
    scope = Scope(ACTIVITY_PROFILE, activity_id=activity_id)
    _restrict_document(scope, "profileId")
    return _profile(scope, xreq)


@bp.route("/agents/profile", methods=_ALL_METHODS)
def agent_profile() -> ResponseReturnValue:
    xreq = _xreq()
    _require("profile")
    _allowed_params({"agent", "profileId", "since"})
    scope = Scope(AGENT_PROFILE, agent_key=_agent_param())
    _restrict_document(scope, "profileId")
    return _profile(scope, xreq)


def _profile(scope: Scope, xreq: XapiRequest) -> Response:
    if xreq.method in ("GET", "HEAD"):
        return _document_response(scope, "profileId")
    if xreq.method == "PUT":
        # 1.0.3 asks for a precondition header on every profile PUT, even of a new document.
        return _write_document(scope, "profileId", required=True, required_when_new=not _version().is_v2)
    if xreq.method == "POST":
        return _write_document(scope, "profileId", required=False)
    if xreq.method == "DELETE":
        profile_id, preconditions = _required_param("profileId"), _preconditions(False)
        _hidden_from_agency(scope)  # refuses (403) another agency's documents
        _in_transaction(lambda: delete_document(scope, profile_id, preconditions))
        return Response(status=204)
    raise XapiError(f"the profile resources do not answer {xreq.method}", 405)


# --- activities and agents -----------------------------------------------------------------------


@bp.route("/activities", methods=_ALL_METHODS)
def activities() -> ResponseReturnValue:
    xreq = _xreq()
    if xreq.method not in ("GET", "HEAD"):
        raise XapiError("the Activities resource answers GET only", 405)
    if not has_scope(_client(), "statements/read", "statements/read/mine", "define", "state", "profile"):
        raise XapiError("these credentials cannot read activities", 403)
    _allowed_params({"activityId"})
    activity_id = _required_param("activityId")
    validate_iri(activity_id, "activityId")
    activity = db.session.scalar(db.select(Activity).where(Activity.activity_id == activity_id))
    # An activity the LRS has no definition of is still an Activity (xAPI 2.0, 4.1.6.4).
    body: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if activity is not None and activity.definition:
        body["definition"] = activity.definition
    return _head(_json_response(body))


@bp.route("/agents", methods=_ALL_METHODS)
def agents() -> ResponseReturnValue:
    xreq = _xreq()
    if xreq.method not in ("GET", "HEAD"):
        raise XapiError("the Agents resource answers GET only", 405)
    _allowed_params({"agent"})
    value = xreq.json_param("agent")
    if value is None:
        raise XapiError("the agent parameter is required")
    validate_agent(value, _version(), "agent")
    assert isinstance(value, dict)
    person: dict[str, Any] = {"objectType": "Person"}
    if "name" in value:
        person["name"] = [value["name"]]
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in value:
            person[key] = [value[key]]
    return _head(_json_response(person))
