"""Notification fixtures: the IDP office (its people and HR), a course, and a loopback SMTP server we can stop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from competencies.models import Framework
from competencies.services.frameworks import seed_standard
from tests.competencies.idp.conftest import office  # noqa: F401  (the fixture)
from tests.courses.conftest import make_course  # noqa: F401  (the fixture)
from tests.support.mail import Mailbox, _free_port


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


class StoppableSmtp:
    """A loopback SMTP server of this test's own, which the test can stop and start again on the same port."""

    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = _free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[StoppableSmtp]:
    server = StoppableSmtp()
    settings: dict[str, Any] = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    server.start()
    try:
        yield server
    finally:
        server.stop()
