"""GDX fixtures: a small government with projections, consumers, and a receiver on loopback that fails on purpose."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from academy.org.models import Agency, Person
from api.gdx.services.consumers import create_consumer
from competencies.models import Framework
from competencies.services.frameworks import seed_standard
from tests.support.gdx import (
    IT_LINE,
    NON_IT_LINE,
    Action,
    Credentials,
    Government,
    QuietServer,
    Receiver,
    receiver_handler,
    record_standing,
    validate,
)


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


@pytest.fixture
def government(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> Government:
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


# --- consumers and tokens -----------------------------------------------------------------------


@pytest.fixture
def consumer() -> Credentials:
    new = create_consumer("GDX (test)")
    return Credentials(new.consumer.key, new.secret)


@pytest.fixture
def gdx_get(client: FlaskClient, consumer: Credentials) -> Callable[..., Any]:
    """GET a GDX data endpoint with a fresh token; returns the response."""
    token = validate(client, consumer)

    def get(path: str, **query: Any) -> Any:
        return client.get(
            f"/api/v1/gdx{path}", query_string=query, headers={"Consumer-Key": consumer.key, "Token": token}
        )

    return get


# --- the receiver on loopback --------------------------------------------------------------------


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(policy: Callable[[int, str], Action] = lambda n, k: ("ok",), port: int = 0) -> Receiver:
        holder: list[Receiver] = []
        server = QuietServer(("127.0.0.1", port), receiver_handler(holder))
        receiver = Receiver(server, policy)
        holder.append(receiver)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()
