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
    Action,
    Credentials,
    Government,
    QuietServer,
    Receiver,
    make_government,
    receiver_handler,
    validate,
)


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


@pytest.fixture
def government(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> Government:
    return make_government(standard, make_agency, make_person)


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
