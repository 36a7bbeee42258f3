"""Mail: rendered in the recipient's language, plain text and HTML, delivered to a real SMTP server."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from academy.config import ConfigError, MailSettings
from academy.mail import LogEmailBackend, MailError, send_mail
from tests.support.mail import Mailbox

CONTEXT = {"name": "Somchai", "inviter": "admin@example.go.th", "link": "https://academy.test/x?y=1", "expires": "9"}


@pytest.mark.parametrize(
    ("locale", "subject"),
    [("en", "You are invited to the E-Workforce Academy"), ("th", "ขอเชิญเข้าใช้ E-Workforce Academy")],
)
def test_a_mail_reaches_the_smtp_server_in_the_recipients_language(
    app: Flask, mailbox: Mailbox, locale: str, subject: str
) -> None:
    with app.test_request_context():
        send_mail("someone@example.go.th", "invitation", locale, **CONTEXT)
    message = mailbox.only(to="someone@example.go.th")
    assert mailbox.subject(message) == subject
    assert "https://academy.test/x?y=1" in mailbox.text(message)
    html = mailbox.html(message)
    assert 'href="https://academy.test/x?y=1"' in html and f'lang="{locale}"' in html
    assert mailbox.link(message) == "https://academy.test/x?y=1"


def test_an_unreachable_server_is_a_mail_error(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}.items():
        monkeypatch.setitem(app.config, key, value)
    with app.test_request_context(), pytest.raises(MailError):
        send_mail("someone@example.go.th", "invitation", "en", **CONTEXT)


def test_development_without_a_server_writes_mails_to_the_log(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert MailSettings().flask_config("development")["MAIL_BACKEND"] == "academy.mail.LogEmailBackend"
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "academy.mail.LogEmailBackend")
    with app.test_request_context(), caplog.at_level(logging.WARNING):
        send_mail("someone@example.go.th", "invitation", "en", **CONTEXT)
    assert "someone@example.go.th" in caplog.text and "https://academy.test/x?y=1" in caplog.text
    assert LogEmailBackend  # the class the dotted name names


def test_mail_settings_come_from_the_environment() -> None:
    settings = MailSettings.from_environ(
        {
            "ACADEMY_MAIL_SERVER": "smtp.example.go.th",
            "ACADEMY_MAIL_USE_TLS": "1",
            "ACADEMY_MAIL_USERNAME": "academy",
            "ACADEMY_MAIL_PASSWORD": "s3cret",
            "ACADEMY_MAIL_SENDER": "Academy <no-reply@example.go.th>",
        }
    )
    config = settings.flask_config("production")
    assert config["MAIL_BACKEND"] == "smtp" and config["MAIL_PORT"] == 587 and config["MAIL_USE_TLS"] is True
    assert config["MAIL_USERNAME"] == "academy" and config["MAIL_DEFAULT_SENDER"] == "Academy <no-reply@example.go.th>"
    assert MailSettings.from_environ({"ACADEMY_MAIL_USE_SSL": "1"}).port == 465
    with pytest.raises(ConfigError):
        MailSettings.from_environ({"ACADEMY_MAIL_USE_SSL": "1", "ACADEMY_MAIL_USE_TLS": "1"})


def test_a_mail_sent_in_the_background_arrives(app: Flask, mailbox: Mailbox) -> None:
    from academy.mail import send_mail_in_background

    with app.test_request_context():
        thread = send_mail_in_background("later@example.go.th", "invitation", "en", **CONTEXT)
    thread.join(timeout=10)
    (message,) = mailbox.wait("later@example.go.th")
    assert mailbox.subject(message) == "You are invited to the E-Workforce Academy"
