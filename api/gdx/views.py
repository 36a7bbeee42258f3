"""The GDX provider API under /api/v1/gdx: validate (key + secret -> Token), coverage, metadata.

GDX's way: a consumer sends its ``Consumer-Key`` header and secret to the validate
endpoint and gets a ``Token``; every data call carries ``Consumer-Key`` and ``Token``.
The secret comes in the ``Consumer-Secret`` header or a POSTed body, never in the URL:
a URL is written to access logs and proxies' logs before any handler runs.
Errors are JSON: ``{"error": code, "message": text}`` (and ``field`` for a bad parameter).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from academy.dates import FISCAL_YEAR_MAX, FISCAL_YEAR_MIN, current_fiscal_year
from academy.db import db
from academy.inputs import parse_int
from academy.org.services import get_agency_by_code
from academy.replica import reads_from_replica
from academy.transactions import commit_on_success
from api.gdx.services.builds import agency_records, build_records, current_build, feed_max_age, find_build
from api.gdx.services.consumers import AuthError, AuthFailure, authenticate, issue_token
from api.gdx.services.feed import DATASET_ID, moment
from api.gdx.services.metadata import dataset_metadata
from competencies.services.coverage import Population
from competencies.services.frameworks import active_standard

bp = Blueprint("gdx_api", __name__, url_prefix="/api/v1/gdx")

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000

#: The answer to a secret in the query string; the secret is not even checked.
SECRET_IN_URL = (
    "The consumer secret must not be sent in the URL (ConsumerSecret in the query string): URLs are written to "
    "access logs. Send it in the Consumer-Secret header (or as ConsumerSecret in a POSTed form or JSON body), and "
    "since this one has been logged on the way, ask for a new consumer and have this one revoked."
)

AUTH_MESSAGES = {
    AuthFailure.MISSING_CONSUMER_KEY: "The Consumer-Key header is missing.",
    AuthFailure.MISSING_SECRET: "The consumer secret is missing: send it in the Consumer-Secret header (or as "
    "ConsumerSecret in a POSTed form or JSON body).",
    AuthFailure.INVALID_CONSUMER: "The Consumer-Key and secret do not match an active consumer.",
    AuthFailure.MISSING_TOKEN: "The Token header is missing: get one from /api/v1/gdx/auth/validate.",
    AuthFailure.INVALID_TOKEN: "The Token is not valid for this Consumer-Key (or the consumer was revoked).",
    AuthFailure.EXPIRED_TOKEN: "The Token expired after a spell without use: validate again for a new one.",
}


class BadParameter(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _json(data: Any, status: int = 200) -> Response:
    # UTF-8 as is: Thai names stay readable, and the body is smaller than with \\u escapes.
    return _json_text(json.dumps(data, ensure_ascii=False), status)


def _json_text(text: str, status: int = 200) -> Response:
    response = current_app.response_class(text, status=status)
    response.mimetype = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    body = {"error": code, "message": message}
    if field is not None:
        body["field"] = field
    return _json(body, status)


def _idle() -> timedelta:
    return timedelta(minutes=float(current_app.config["ACADEMY_GDX_TOKEN_IDLE_MINUTES"]))


def _auth_error(error: AuthError) -> Response:
    status = 400 if error.failure is AuthFailure.MISSING_SECRET else 401
    return _error(status, error.failure.value, AUTH_MESSAGES[error.failure])


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    return _error(error.code or 500, (error.name or "error").lower().replace(" ", "_"), error.description or "")


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> ResponseReturnValue:
    return _error(400, "bad_request", error.message, error.field)


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint == "gdx_api.validate":
        return None
    try:
        authenticate(request.headers.get("Consumer-Key", "").strip(), request.headers.get("Token", "").strip(), _idle())
    except AuthError as error:
        db.session.rollback()
        return _auth_error(error)
    # Committed here, not by commit_on_success: the token's last use keeps it alive whatever the request does next.
    db.session.commit()
    return None


@bp.route("/auth/validate", methods=["GET", "POST"])
@commit_on_success
def validate() -> ResponseReturnValue:
    """Exchange the Consumer-Key header and the consumer's secret (a header or a POSTed body) for a Token."""
    if any(name.lower() == "consumersecret" for name in request.args):
        # Refused whether right or wrong: checking it would make the URL an oracle, accepting it a habit.
        return _error(400, "secret_in_url", SECRET_IN_URL, "ConsumerSecret")
    body = request.get_json(silent=True) if request.is_json else None
    secret = (
        request.headers.get("Consumer-Secret")
        or request.form.get("ConsumerSecret")
        or (body.get("ConsumerSecret") if isinstance(body, dict) else None)
    )
    try:
        issued = issue_token(
            request.headers.get("Consumer-Key", "").strip(), str(secret).strip() if secret else None, _idle()
        )
    except AuthError as error:
        return _auth_error(error)
    return _json({"Result": issued.token, "token_type": "Token", "expires_after_idle_seconds": issued.idle_seconds})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = parse_int(raw, low, high)
    if value is None:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}, not {raw[:20]!r}")
    return value


def _population_arg() -> Population:
    raw = request.args.get("population", "").strip() or Population.IT.value
    try:
        return Population(raw)
    except ValueError:
        choices = ", ".join(p.value for p in Population)
        raise BadParameter("population", f"population must be one of {choices}, not {raw[:20]!r}") from None


@bp.get("/coverage")
@reads_from_replica
@commit_on_success
def coverage_feed() -> ResponseReturnValue:
    """Coverage of every agency, or of one (``agency``), for a fiscal year (BE): paginated JSON.

    Served from a kept build of the feed of every agency (api.gdx.services.builds) that the
    pages' links name (``snapshot``), so that every page of one read comes from one build.
    """
    fiscal_year = _int_arg("fiscal_year", current_fiscal_year(), FISCAL_YEAR_MIN, FISCAL_YEAR_MAX)
    population = _population_arg()
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    code = request.args.get("agency", "").strip()
    build_id = _int_arg("snapshot", 0, 1, 2**31 - 1)
    framework = active_standard()
    if framework is None:
        return _error(503, "no_standard", "No skill standard is active yet: coverage cannot be computed.")
    agency = get_agency_by_code(code[:20]) if code else None
    if code and agency is None:
        return _error(404, "unknown_agency", f"No agency has the code {code[:20]!r}.", "agency")
    if build_id:
        build = find_build(build_id)
        if build is None:
            return _error(
                410,
                "snapshot_gone",
                f"The feed build {build_id} is not kept (any more): builds are deleted an hour after they stop "
                "serving new reads. Read the feed again from page 1 without snapshot.",
                "snapshot",
            )
        if (build.fiscal_year, build.population) != (fiscal_year, population.value):
            raise BadParameter(
                "snapshot",
                f"The feed build {build_id} is of fiscal_year {build.fiscal_year} and population "
                f"{build.population}: follow the links as given, or leave snapshot out.",
            )
    else:
        build = current_build(fiscal_year, framework, population, feed_max_age())
    extra: dict[str, Any] = {"as_of": moment(build.built_at), "snapshot": build.id}
    start = (page - 1) * per_page
    if agency is None:
        chosen = build_records(build, start, per_page)
        return _feed_page(fiscal_year, population, None, extra, build.total, page, per_page, chosen, build.id)
    # The agency's record of the whole feed's build: the same figures and the same time as the whole feed's.
    records, into = agency_records(build, agency.code)
    if not records:
        # Too few people to publish on its own: say which record counts them instead.
        extra["folded_into"] = into
    chosen = records[start : start + per_page]
    return _feed_page(fiscal_year, population, code, extra, len(records), page, per_page, chosen, build.id)


def _feed_page(
    fiscal_year: int,
    population: Population,
    code: str | None,
    extra: dict[str, Any],
    total: int,
    page: int,
    per_page: int,
    records: list[str],
    build_id: int,
) -> Response:
    """The page: its envelope, then ``data``, the records as the build stored them (JSON, not parsed again)."""
    pages = max(math.ceil(total / per_page), 1)
    envelope = json.dumps(
        {
            "dataset": DATASET_ID,
            "fiscal_year": fiscal_year,
            "population": population.value,
            "agency": code or None,
            **extra,
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages,
            "links": _links(page, pages, build_id),
        },
        ensure_ascii=False,
    )
    return _json_text(f'{envelope[:-1]}, "data": [{", ".join(records)}]}}')


def _links(page: int, pages: int, build_id: int) -> dict[str, str | None]:
    """Links to the pages of this read: they name its build, so that every page comes from it."""
    args: dict[str, Any] = {**request.args.to_dict(), "snapshot": build_id}

    def link(number: int) -> str:
        return url_for("gdx_api.coverage_feed", **{**args, "page": number}, _external=True)

    return {
        "self": link(page),
        "first": link(1),
        "prev": link(page - 1) if 1 < page <= pages + 1 else None,
        "next": link(page + 1) if page < pages else None,
        "last": link(pages),
    }


@bp.get("/metadata")
@reads_from_replica
def metadata() -> ResponseReturnValue:
    """The dataset's description in the Thai open-data catalogue's fields."""
    framework = active_standard()
    if framework is None:
        return _error(503, "no_standard", "No skill standard is active yet.")
    return _json(
        dataset_metadata(
            base_url=current_app.config["ACADEMY_BASE_URL"],
            framework=framework,
            last_updated=datetime.now(UTC),
            maintainer_email=current_app.config.get("ACADEMY_GDX_MAINTAINER_EMAIL") or None,
        )
    )
