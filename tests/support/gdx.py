"""GDX helpers: the fiscal year and lines, the seeded government, consumer credentials, a stand-in GDX receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from academy.db import db
from academy.org.models import Agency, Person
from competencies.models import AreaStanding, Framework, Standing, TrainingYear
from competencies.services.frameworks import areas_of

FISCAL_YEAR = 2569


IT_LINE = "K-COMP"


NON_IT_LINE = "K-HR"


def record_standing(
    person: Person, framework: Framework, *, trained: bool = False, meets: bool = False, areas: tuple[str, ...] = ()
) -> None:
    """The projections coverage counts, as the competency pipeline would have left them."""
    db.session.add(Standing(person_id=person.id, meets_all=meets, updated_at=datetime.now(UTC)))
    if trained:
        db.session.add(TrainingYear(person_id=person.id, fiscal_year=FISCAL_YEAR))
    by_code = {area.code: area.id for area in areas_of(framework)}
    for code in areas:
        db.session.add(AreaStanding(person_id=person.id, area_id=by_code[code]))
    db.session.flush()


@dataclass
class Government:
    """A ministry (71) with two departments and their divisions; people with distinct, findable details."""

    ministry: Agency
    big: Agency  # department 71001: 12 IT + 6 Non-IT of its own
    big_division: Agency  # 7100101: 8 IT
    small_division: Agency  # 7100102: 3 IT -> folded into 71001
    other: Agency  # department 71002: 7 IT, 5 Non-IT
    people: list[Person] = field(default_factory=list)


def make_government(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> Government:
    """The government of the GDX tests: 41 people in five units, some trained, some meeting the profile."""
    ministry = make_agency("71", name_th="กระทรวงทดสอบ", name_en="Ministry of Testing")
    big = make_agency("71001", parent=ministry, name_th="กรมใหญ่", name_en="Big Department")
    big_division = make_agency("7100101", parent=big, name_th="กองหนึ่ง", name_en="Division One")
    small_division = make_agency("7100102", parent=big, name_th="กองเล็ก", name_en="Small Division")
    other = make_agency("71002", parent=ministry, name_th="กรมอื่น", name_en="Other Department")
    gov = Government(ministry, big, big_division, small_division, other)
    plan = [
        (big, IT_LINE, 12),
        (big, NON_IT_LINE, 6),
        (big_division, IT_LINE, 8),
        (small_division, IT_LINE, 3),
        (other, IT_LINE, 7),
        (other, NON_IT_LINE, 5),
    ]
    number = 0
    for agency, line, count in plan:
        for _ in range(count):
            number += 1
            person = make_person(
                agency,
                line=line,
                employee_no=f"GDXEMP{number:04d}",
                first_name_th=f"สมชายทดสอบ{number}",
                last_name_th=f"ใจดีทดสอบ{number}",
                first_name_en=f"Somchaitest{number}",
                last_name_en=f"Jaideetest{number}",
                email=f"somchai.test{number}@example.go.th",
            )
            # Every other person trained, every third meets the profile, some meet DL and DG.
            record_standing(
                person,
                standard,
                trained=number % 2 == 0,
                meets=number % 3 == 0,
                areas=("DL", "DG") if number % 2 == 0 else ("DL",),
            )
            gov.people.append(person)
    return gov


@dataclass
class Credentials:
    key: str
    secret: str


def validate(client: FlaskClient, credentials: Credentials) -> str:
    response = client.get(
        "/api/v1/gdx/auth/validate", headers={"Consumer-Key": credentials.key, "Consumer-Secret": credentials.secret}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["Result"])


#: What the receiver does with one request: ("ok",), ("status", code[, retry_after]),
#: ("store_then_hang", seconds) - stores the record, then answers too late.
Action = tuple[Any, ...]


@dataclass
class Receiver:
    """GDX's ingest, played by an HTTP server on 127.0.0.1 that stores each record once per idempotency key."""

    server: ThreadingHTTPServer
    policy: Callable[[int, str], Action]
    consumer_key: str = "our-key"
    token: str = "our-token"
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every request: (idempotency key, status answered or "hung").
    requests: list[tuple[str, Any]] = field(default_factory=list)
    validations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ingest"

    @property
    def validate_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ws/auth/validate"

    def count(self, key: str) -> int:
        return sum(1 for k, _ in self.requests if k == key)


def receiver_handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # the validate call: Consumer-Key + ConsumerSecret -> a new token
            receiver = receiver_ref[0]
            query = parse_qs(urlsplit(self.path).query)
            if self.headers.get("Consumer-Key") != receiver.consumer_key or query.get("ConsumerSecret") != ["s3"]:
                self._answer(401, {"error": "invalid_consumer"})
                return
            with receiver.lock:
                receiver.validations += 1
                receiver.token = f"token-{receiver.validations}"
            self._answer(200, {"Result": receiver.token})

        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            if self.headers.get("Consumer-Key") != receiver.consumer_key or self.headers.get("Token") != receiver.token:
                with receiver.lock:
                    receiver.requests.append((key, 401))
                self._answer(401, {"error": "invalid_token"})
                return
            with receiver.lock:
                number = len(receiver.requests)
                action = receiver.policy(number, key)
                if action[0] in {"ok", "store_then_hang"} and key not in receiver.stored:
                    receiver.stored[key] = json.loads(body)
                receiver.requests.append((key, action[1] if action[0] == "status" else action[0]))
            if action[0] == "status":
                headers = {"Retry-After": str(action[2])} if len(action) > 2 else {}
                self._answer(action[1], {"error": "on purpose"}, headers)
            elif action[0] == "store_then_hang":
                time.sleep(action[1])
                self._answer(200, {"stored": True})
            else:
                self._answer(200, {"stored": True})

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a hanging answer is part of the test
