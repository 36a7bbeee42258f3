"""A real SMTP server on loopback (aiosmtpd) that the app sends to, and the mails it received.

Use the ``mailbox`` fixture (registered in tests/conftest.py): the app's mail goes to the
server for the test, and ``mailbox.messages`` holds what arrived, parsed::

    def test_x(client, mailbox):
        ...
        mail = mailbox.only(to="a@example.go.th")
        link = mailbox.link(mail)
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from flask import Flask

_LINK = re.compile(r"https?://\S+")


class Mailbox:
    """What the loopback SMTP server received: one parsed message per delivery."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append(parsed)
            self.envelopes.append((str(envelope.mail_from), [str(rcpt) for rcpt in envelope.rcpt_tos]))
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to ``address``."""
        return [
            message
            for message, (_sender, recipients) in zip(self.messages, self.envelopes, strict=True)
            if address.lower() in (recipient.lower() for recipient in recipients)
        ]

    def wait(self, to: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to ``to`` once ``count`` of them have arrived (a mail sent in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.to(to)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(to)

    def only(self, to: str) -> EmailMessage:
        """The one message delivered to ``to`` (fails if there are none or several)."""
        found = self.to(to)
        assert len(found) == 1, f"{len(found)} mails to {to}; all: {[m['To'] for m in self.messages]}"
        return found[0]

    @staticmethod
    def subject(message: EmailMessage) -> str:
        """The decoded subject (encoded words of a Thai subject may leave folding spaces)."""
        return " ".join(str(message["Subject"]).split())

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None, "no plain-text part"
        return str(part.get_content())  # type: ignore[attr-defined]

    @staticmethod
    def html(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        assert part is not None, "no HTML part"
        return str(part.get_content())  # type: ignore[attr-defined]

    def link(self, message: EmailMessage) -> str:
        """The first link of the plain-text body."""
        match = _LINK.search(self.text(message))
        assert match, "no link in the mail"
        return match.group(0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 for the whole run: its mailbox and port."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app: Flask, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """The app sends its mail by SMTP to the loopback server during this test; an empty mailbox to read."""
    box, port = smtp_server
    box.clear()
    settings: dict[str, Any] = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    yield box
    box.clear()
