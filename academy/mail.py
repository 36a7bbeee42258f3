"""Email: one place that renders and sends every mail the platform writes.

Use :func:`send_mail` with a template name under ``academy/templates/mail/`` and the
recipient's locale; each mail is three templates rendered in that locale (their texts are
``_()`` strings, translated like any page):

- ``mail/<name>.subject.txt`` — the subject line,
- ``mail/<name>.txt`` — the plain-text body,
- ``mail/<name>.html`` — the HTML body (extends ``mail/base.html``).

Links in a mail must be absolute: build them with :func:`external_url`. The SMTP server
comes from ``ACADEMY_MAIL_*`` (academy.config.MailSettings); in development without a
server the mails are written to the log, so nothing needs a mail server to run.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Sequence
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend

mail = Mail()

#: The locales mails are written in; anything else falls back to the platform's default.
MAIL_LOCALES = ("th", "en")


class MailError(RuntimeError):
    """The mail could not be handed to the SMTP server (down, refused, misconfigured)."""


class LogEmailBackend(BaseEmailBackend):
    """Development without a mail server: each mail goes to the application log (subject, to, text body)."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        for message in email_messages:
            current_app.logger.warning(
                "mail (not sent, development): to %s\nSubject: %s\n\n%s",
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def init_app(app: Any) -> None:
    mail.init_app(app)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the platform's public address (ACADEMY_BASE_URL), for a link in a mail."""
    path = url_for(endpoint, _external=False, **values)
    return str(current_app.config["ACADEMY_BASE_URL"]).rstrip("/") + path


def _locale(locale: str | None) -> str:
    return locale if locale in MAIL_LOCALES else str(current_app.config.get("BABEL_DEFAULT_LOCALE", "th"))


def render_mail(template_name: str, locale: str | None, **context: Any) -> tuple[str, str, str]:
    """Render a mail's subject, text and HTML in a locale (without sending it)."""
    locale = _locale(locale)
    context["mail_locale"] = locale
    with force_locale(locale):
        subject = " ".join(render_template(f"mail/{template_name}.subject.txt", **context).split())
        text = render_template(f"mail/{template_name}.txt", **context)
        html = render_template(f"mail/{template_name}.html", **context)
    return subject, text, html


def send_mail(
    to: str | Sequence[str], template_name: str, locale: str | None = None, connection: Any = None, **context: Any
) -> None:
    """Send one mail, plain text with an HTML alternative, rendered in ``locale`` (th or en).

    Needs an app context (a request, a CLI command, a Celery task). Raises :class:`MailError`
    when the server cannot be reached or refuses the mail; the caller decides whether a user
    may be told. ``connection`` (from :func:`open_connection`) sends many mails over one SMTP session.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    _deliver(recipients, template_name, *render_mail(template_name, locale, **context), connection=connection)


def open_connection() -> Any:
    """One SMTP connection for many mails (a batch of notifications); close it when done.

    Raises :class:`MailError` when the server cannot be reached.
    """
    connection = _connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"the mail server cannot be reached: {error}") from error
    return connection


def _connection() -> Any:
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    # Read at each send (not at start-up), so a test can point the app at its own SMTP server.
    options: dict[str, Any] = {}
    if backend == "smtp":
        options = {"host": config["MAIL_SERVER"], "port": int(config["MAIL_PORT"])}
    return mail.get_connection(backend=backend, **options)


def send_mail_in_background(
    to: str | Sequence[str], template_name: str, locale: str | None = None, **context: Any
) -> threading.Thread:
    """Render the mail now and hand it to the SMTP server on another thread; failures are logged.

    For answers that must not take longer when a mail is sent (a password reset must not tell,
    by its timing, whether the email has an account). Returns the started thread.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    rendered = render_mail(template_name, locale, **context)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        with app.app_context():
            try:
                _deliver(recipients, template_name, *rendered)
            except MailError as error:
                app.logger.error("%s", error)

    thread = threading.Thread(target=deliver, name=f"mail-{template_name}", daemon=True)
    thread.start()
    return thread


def _deliver(
    recipients: list[str], template_name: str, subject: str, text: str, html: str, connection: Any = None
) -> None:
    config = current_app.config
    connection = connection or _connection()
    message = EmailMultiAlternatives(subject, text, config["MAIL_DEFAULT_SENDER"], recipients, connection=connection)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"the mail {template_name!r} to {', '.join(recipients)} was not sent: {error}") from error
