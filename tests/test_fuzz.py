"""A seeded random-mutation fuzzer of the LRS resources and the portal's query parameters.

Valid requests are taken apart and mutated: NUL characters, huge and Unicode-digit numbers, long
strings, deep nesting, bad UTF-8, odd content types and versions. Every answer must be below 500,
and a request the LRS refuses (and every read) must leave the store as it was.

The seed is fixed, so a failure repeats; it is printed, and each failure names the seed and the
request. ``ACADEMY_FUZZ_SEED`` and ``ACADEMY_FUZZ_COUNT`` (requests per resource group) explore
further: ``ACADEMY_FUZZ_SEED=7 ACADEMY_FUZZ_COUNT=5000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from academy.auth.models import Role, User
from academy.extensions import db
from academy.org.models import Agency, Person
from lrs.models import Activity, Attachment, Document, Statement, StatementActivity, StatementAgent
from tests.support.lrs import Xapi

SEED = int(os.environ.get("ACADEMY_FUZZ_SEED", "20261206"))
COUNT = int(os.environ.get("ACADEMY_FUZZ_COUNT", "0"))
#: Requests per group when ACADEMY_FUZZ_COUNT does not say: the module stays well under 30 s on SQLite.
DEFAULT_COUNTS = {"statements": 500, "documents": 400, "resources": 150, "portal": 250}


def count(group: str) -> int:
    return COUNT or DEFAULT_COUNTS[group]


# --- mutants ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as it is: numbers Python would not write, nesting it could not."""

    text: str


def nesting(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


MUTANT_TEXTS = [
    "\x00",
    "a\x00b",
    "\u00b2",
    "\u0e53",
    "\u0663",
    "1" * 25,
    str(2**64),
    str(2**63),
    "-1",
    "9" * 400,
    "x" * 2100,
    "x" * 70_000,
    "ก" * 700,
    "mailto:" + "a" * 700 + "@example.go.th",
    "https://academy.test/" + "i" * 2100,
    "",
    " ",
    "%00",
    "%",
    "null",
    "[]",
    "{}",
    "true",
    "\u202e\u200b",
    "\U0001f600",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\t\r\n",
    "2024-13-45T25:61:61Z",
    "P1Y2M3DT4H5M6.7S8",
    "00000000-0000-0000-0000-000000000000",
    "http://",
    "mailto:",
]
MUTANT_NUMBERS = [
    Raw("1" + "0" * 400),
    Raw("-" + "9" * 330),
    Raw("1e400"),
    Raw("-1e-400"),
    Raw("1" * 5000),
    Raw(str(2**64)),
    Raw("0.1e1"),
    -1,
    0,
    1.5,
]


def mutant_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(MUTANT_TEXTS)
    if roll < 0.65:
        return rng.choice(MUTANT_NUMBERS)
    if roll < 0.75:
        return nesting(rng.choice([20, 120, 1500, 5000]))
    if roll < 0.85:
        return rng.choice([None, True, False, [], {}, [None], {"\x00": 1}, {"a": {"b": ["\x00"]}}])
    length = rng.choice([1, 5, 40, 300])
    return "".join(
        chr(rng.choice([0, 1, 0x1F, 0x7F, 0xA0, 0x0E01, 0xFFFD, 0x10FFFF, rng.randrange(32, 0x3000)]))
        for _ in range(length)
    )


def slots(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value that a mutation may change."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from slots(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from slots(child, (*path, index))


def mutate(rng: random.Random, value: Any) -> Any:
    """Return a copy of a JSON value with one to three of its places changed."""
    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        places = list(slots(value))
        path = rng.choice(places[1:] or places)
        if not path:
            return mutant_value(rng)
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if action < 0.75:
            parent[last] = mutant_value(rng)
        elif action < 0.85 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, dict):
            parent[rng.choice(MUTANT_TEXTS[:8]) + "x"] = mutant_value(rng)
        else:
            parent.append(mutant_value(rng))
    return value


def to_json(value: Any) -> str:
    """JSON text of a value that may hold Raw pieces."""
    raws: list[str] = []

    def placeholder(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(item.text)
            return f"\x01raw{len(raws) - 1}\x01"
        if isinstance(item, dict):
            return {key: placeholder(child) for key, child in item.items()}
        if isinstance(item, list):
            return [placeholder(child) for child in item]
        return item

    text = json.dumps(placeholder(value), ensure_ascii=False)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x01raw{index}\x01"), raw, 1)
    return text


def body_bytes(rng: random.Random, text: str) -> bytes:
    """Encode a body, now and then damaged: bad UTF-8, a byte-order mark, a cut."""
    data = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.06:
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + data[at:]
    elif roll < 0.09:
        data = b"\xef\xbb\xbf" + data
    elif roll < 0.12:
        data = data[: rng.randrange(len(data) + 1)]
    return data


def _param_text(rng: random.Random) -> str:
    value = mutant_value(rng)
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, str):
        return value
    return json.dumps(value)


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "text/plain",
    "application/octet-stream",
    "multipart/mixed",
    "multipart/mixed; boundary=xyz",
    "application/x-www-form-urlencoded",
    "",
    "application/" + "x" * 300,
    "application/json; " + "p=1; " * 100,
    "\u00b2/\u00b2",
]
VERSIONS = ["1.0.3", "2.0.0", "1.0.0", "2.0", "1.0.99", "\u00b2", "x" * 300, ""]


def content_type(rng: random.Random, valid: str) -> str:
    return valid if rng.random() < 0.75 else rng.choice(CONTENT_TYPES)


def version(rng: random.Random) -> str:
    return rng.choice(["1.0.3", "2.0.0"]) if rng.random() < 0.9 else rng.choice(VERSIONS)


# --- the store, before and after ------------------------------------------------------------------------------


def store_state() -> tuple[Any, ...]:
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Statement, StatementAgent, StatementActivity, Attachment, Activity)
    )
    documents = tuple(db.session.execute(select(Document.id, Document.etag).order_by(Document.id)).all())
    return (*counts, documents)


@dataclass
class Fuzzer:
    rng: random.Random
    send: Callable[..., TestResponse]
    group: str
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def request(self, index: int, method: str, path: str, *, write: bool, **kwargs: Any) -> TestResponse | None:
        before = store_state()
        where = f"seed {SEED}, {self.group} request {index}: {method} {path} {_describe(kwargs)}"
        try:
            response = self.send(method, path, **kwargs)
        except Exception as error:  # in testing Flask raises what would be a 500
            self.failures.append(f"{where} -> {type(error).__name__}: {str(error)[:200]}")
            return None
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.failures.append(f"{where} -> {response.status_code} {response.get_data(as_text=True)[:200]}")
        elif (not write or response.status_code >= 400) and store_state() != before:
            self.failures.append(f"{where} -> {response.status_code} but the store changed")
        return response

    def check(self) -> None:
        print(f"fuzz seed {SEED}, {self.group}: answers {dict(sorted(self.statuses.items()))}")
        assert not self.failures, f"{len(self.failures)} failed requests, the first:\n" + "\n".join(self.failures[:20])


def _describe(kwargs: dict[str, Any]) -> str:
    text = repr({key: value for key, value in kwargs.items() if key != "auth"})
    return text if len(text) <= 300 else text[:300] + f"... ({len(text)} characters)"


# --- the LRS ---------------------------------------------------------------------------------------------------

ACTIVITY = "https://academy.test/courses/digital-literacy"
AGENT = {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.go.th"}


def valid_statement(rng: random.Random) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": copy.deepcopy(AGENT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "th": "สำเร็จ"}},
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY,
            "definition": {"name": {"en-US": "Digital Literacy"}, "type": "http://adlnet.gov/expapi/activities/course"},
        },
        "result": {
            "score": {"scaled": 0.9, "raw": 90, "min": 0, "max": 100},
            "success": True,
            "duration": "PT1H2M",
            "extensions": {"https://academy.test/ext/attempt": {"n": 1, "notes": ["a"]}},
        },
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "contextActivities": {"parent": [{"id": "https://academy.test/programmes/1"}]},
            "language": "th-TH",
            "extensions": {"https://academy.test/ext/agency": "03003"},
        },
        "timestamp": "2026-05-04T12:00:00.123+07:00",
    }
    if rng.random() < 0.3:
        statement["actor"] = {"account": {"homePage": "https://academy.test", "name": f"p{rng.randrange(1000)}"}}
    return statement


def test_fuzz_statements(xapi: Xapi) -> None:
    rng = random.Random(f"{SEED}-statements")
    fuzzer = Fuzzer(rng, xapi, "statements")
    for index in range(count("statements")):
        roll = rng.random()
        if roll < 0.55:
            batch = [valid_statement(rng) for _ in range(rng.choice([1, 1, 2, 3]))]
            payload: Any = mutate(rng, batch if len(batch) > 1 or rng.random() < 0.5 else batch[0])
            fuzzer.request(
                index,
                "POST",
                "/xapi/statements",
                write=True,
                data=body_bytes(rng, to_json(payload)),
                content_type=content_type(rng, "application/json"),
                version=version(rng),
            )
        elif roll < 0.7:
            statement = mutate(rng, valid_statement(rng))
            statement_id = statement.get("id") if isinstance(statement, dict) else None
            param = statement_id if isinstance(statement_id, str) and rng.random() < 0.7 else _param_text(rng)
            fuzzer.request(
                index,
                "PUT",
                "/xapi/statements",
                write=True,
                query_string={"statementId": param},
                data=body_bytes(rng, to_json(statement)),
                content_type=content_type(rng, "application/json"),
                version=version(rng),
            )
        else:
            fuzzer.request(
                index, "GET", "/xapi/statements", write=False, query_string=statement_query(rng), version=version(rng)
            )
    fuzzer.check()


def statement_query(rng: random.Random) -> dict[str, str]:
    valid = {
        "agent": json.dumps(AGENT),
        "verb": "http://adlnet.gov/expapi/verbs/completed",
        "activity": ACTIVITY,
        "registration": str(uuid.uuid4()),
        "related_activities": "true",
        "related_agents": "false",
        "since": "2020-01-01T00:00:00Z",
        "until": "2030-01-01T00:00:00Z",
        "limit": "10",
        "format": rng.choice(["exact", "ids", "canonical"]),
        "attachments": "false",
        "ascending": "true",
        "statementId": str(uuid.uuid4()),
        "voidedStatementId": str(uuid.uuid4()),
        "more": "x",
    }
    names = rng.sample(sorted(valid), rng.randint(1, 4))
    params = {name: valid[name] for name in names}
    target = rng.choice(names)
    if target == "agent" and rng.random() < 0.5:
        params["agent"] = to_json(mutate(rng, AGENT))
    else:
        params[target] = _param_text(rng)
    return params


DOCUMENTS = {
    "/xapi/activities/state": ("stateId", {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}),
    "/xapi/activities/profile": ("profileId", {"activityId": ACTIVITY}),
    "/xapi/agents/profile": ("profileId", {"agent": json.dumps(AGENT)}),
}


def test_fuzz_documents(xapi: Xapi) -> None:
    rng = random.Random(f"{SEED}-documents")
    fuzzer = Fuzzer(rng, xapi, "documents")
    for index in range(count("documents")):
        path = rng.choice(sorted(DOCUMENTS))
        id_name, base = DOCUMENTS[path]
        params = {**base, id_name: rng.choice(["bookmark", "progress", "ก"])}
        if path.endswith("state") and rng.random() < 0.3:
            params["registration"] = str(uuid.uuid4())
        if rng.random() < 0.7:
            target = rng.choice(sorted(params))
            if target == "agent" and rng.random() < 0.5:
                params["agent"] = to_json(mutate(rng, AGENT))
            elif rng.random() < 0.1:
                del params[target]
            else:
                params[target] = _param_text(rng)
        method = rng.choice(["GET", "PUT", "POST", "POST", "DELETE"])
        kwargs: dict[str, Any] = {"query_string": params, "version": version(rng)}
        if method in ("PUT", "POST"):
            document = mutate(rng, {"page": 3, "notes": ["a", "b"], "done": False}) if rng.random() < 0.7 else {}
            kwargs["data"] = body_bytes(rng, to_json(document))
            kwargs["content_type"] = content_type(rng, "application/json")
        headers = {}
        if rng.random() < 0.3:
            headers["If-Match"] = rng.choice(['"*"', "*", '"' + "0" * 40 + '"', "\u00b2", "x" * 3000])
        elif rng.random() < 0.2:
            headers["If-None-Match"] = "*"
        kwargs["headers"] = headers
        fuzzer.request(index, method, path, write=method != "GET", **kwargs)
    fuzzer.check()


def test_fuzz_activities_agents_and_about(xapi: Xapi) -> None:
    rng = random.Random(f"{SEED}-resources")
    fuzzer = Fuzzer(rng, xapi, "resources")
    for index in range(count("resources")):
        path = rng.choice(["/xapi/activities", "/xapi/agents", "/xapi/about"])
        if path == "/xapi/agents":
            value = to_json(mutate(rng, AGENT)) if rng.random() < 0.7 else _param_text(rng)
            params = {"agent": value}
        elif path == "/xapi/activities":
            params = {"activityId": _param_text(rng) if rng.random() < 0.7 else ACTIVITY}
        else:
            params = {_param_text(rng)[:50]: _param_text(rng)} if rng.random() < 0.5 else {}
        method = "GET" if rng.random() < 0.85 else rng.choice(["HEAD", "POST", "PUT", "DELETE"])
        write = method not in ("GET", "HEAD")
        extra: dict[str, Any] = {}
        if rng.random() < 0.2:
            credentials = f"{_param_text(rng)[:100]}:{_param_text(rng)[:100]}".encode("utf-8", "surrogatepass")
            extra["auth"] = rng.choice(["Basic ", "basic ", "Bearer "]) + base64.b64encode(credentials).decode()
        fuzzer.request(index, method, path, write=write, query_string=params, version=version(rng), **extra)
    fuzzer.check()


# --- the portal --------------------------------------------------------------------------------------------------

#: The portal's lists and reports, and the query parameters each reads.
PORTAL = {
    "/courses": ["q", "area", "level", "provider", "language", "format", "page"],
    "/people": ["q", "agency", "line", "group", "status", "page"],
    "/agencies": [],
    "/reports/ranking": ["fy", "population", "kind", "q"],
    "/reports/agencies/10": ["fy", "population", "q", "trained"],
    "/reports/agencies/10/people": ["fy", "population", "q", "trained", "page"],
    "/courses/assign": ["agency", "profile", "fiscal_year", "course"],
    "/admin/courses/": ["q", "status", "format", "provider", "page"],
    "/admin/users": ["q", "page"],
    "/admin/audit": ["action", "actor", "page"],
    "/admin/gdx/deliveries": ["status", "agency", "page"],
    "/learn": [],
    "/learn/transcript": [],
    "/me/competencies": [],
    "/login": ["next"],
    "/": ["q"],
}
VALID = {
    "q": "สมชาย",
    "area": "DL",
    "level": "2",
    "provider": "E-Workforce Academy",
    "language": "th",
    "format": "online",
    "page": "1",
    "agency": "10",
    "line": "1",
    "group": "it",
    "status": "active",
    "fy": "2569",
    "population": "it",
    "kind": "ministry",
    "trained": "yes",
    "profile": "it-operational",
    "fiscal_year": "2569",
    "course": "CS-701",
    "action": "auth.login",
    "actor": "admin@example.go.th",
    "next": "/courses",
}


@pytest.fixture
def admin(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> FlaskClient:
    agency = make_agency("10")
    person = make_person(agency)
    return login(make_user(Role.ADMIN, Role.HR_OFFICER, agencies=(agency,), person=person))


def test_fuzz_portal_query_parameters(admin: FlaskClient) -> None:
    rng = random.Random(f"{SEED}-portal")

    def send(method: str, path: str, **kwargs: Any) -> TestResponse:
        return admin.open(path, method=method, **kwargs)

    fuzzer = Fuzzer(rng, send, "portal")
    for index in range(count("portal")):
        path = rng.choice(sorted(PORTAL))
        names = PORTAL[path]
        params = {name: VALID[name] for name in names if rng.random() < 0.5}
        for name in rng.sample(names, min(len(names), rng.randint(1, 2))):
            params[name] = _param_text(rng)[:3000]
        if rng.random() < 0.1:
            params[_param_text(rng)[:40] or "x"] = _param_text(rng)[:200]
        fuzzer.request(index, "GET", path, write=False, query_string=params)
    fuzzer.check()
