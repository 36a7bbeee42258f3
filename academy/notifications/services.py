"""Produce what is due, once, and mail what is pending: the one function a schedule calls.

:func:`send_due_notifications` is the whole run: every registered kind says what is due;
the rows go in with ON CONFLICT DO NOTHING on (kind, user, subject, period) and are
committed *before* any mail is sent; each mail then marks its row sent. A mail the SMTP
server refuses (or a server that is down) leaves its row pending for the next run, and a
row already sent is never picked again: a retry or a second run sends nothing twice.

Work splits across workers by ``partition=(index, count)``: a worker takes the recipients
whose user id modulo ``count`` is ``index``, so two workers never hold the same row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import exists, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from academy.auth.models import User
from academy.db import db, insert_ignoring_duplicates
from academy.mail import MailError, external_url, open_connection, send_mail
from academy.notifications.models import EmailState, Notification, NotificationPreference
from academy.notifications.registry import Due, Kind, Message, kind_named, kinds

Partition = tuple[int, int]
#: Rows inserted per statement, and mails sent per SMTP session and per commit.
INSERT_CHUNK = 5000
SEND_BATCH = 200
#: A run stops after this many failed sends in a row (the server is down): the next run retries.
GIVE_UP_AFTER = 3


@dataclass
class RunCounts:
    produced: dict[str, int] = field(default_factory=dict)
    mailed: int = 0
    email_off: int = 0
    failed: int = 0
    #: The last send's error, when a send failed (what an operator needs to mend it).
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "produced": dict(self.produced),
            "mailed": self.mailed,
            "email_off": self.email_off,
            "failed": self.failed,
        }
        if self.error:
            counts["error"] = self.error
        return counts


def _in_partition(column: Any, partition: Partition | None) -> ColumnElement[bool]:
    if partition is None:
        return column.is_not(None)
    index, count = partition
    return column % count == index


def _chunks(items: Iterable[Due], size: int) -> Iterator[list[Due]]:
    chunk: list[Due] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def produce(now: datetime, partition: Partition | None = None) -> dict[str, int]:
    """Insert every notification due at ``now`` that is not there yet; how many each kind added (flushes)."""
    added: dict[str, int] = {}
    for kind in kinds():
        due: Iterable[Due] = kind.produce(now)
        if partition is not None:
            index, count = partition
            due = (item for item in due if item.user_id % count == index)
        total = 0
        for chunk in _chunks(due, INSERT_CHUNK):
            chunk = _within_audience(kind, chunk)
            if not chunk:
                continue
            rows = [
                {
                    "kind": kind.name,
                    "user_id": item.user_id,
                    "subject": item.subject,
                    "period": item.period,
                    "params": item.params,
                    "created_at": now,
                    "email_state": EmailState.PENDING,
                }
                for item in chunk
            ]
            result = db.session.execute(insert_ignoring_duplicates(Notification).returning(Notification.id), rows)
            total += len(result.all())
        added[kind.name] = total
    return added


def _within_audience(kind: Kind, due: list[Due]) -> list[Due]:
    """The items whose recipient may receive the kind (Kind.audience): nobody else gets it."""
    if kind.audience is None:
        return due
    allowed = set(
        db.session.scalars(select(User.id).where(User.id.in_({item.user_id for item in due}), kind.audience()))
    )
    return [item for item in due if item.user_id in allowed]


def turn_off_unwanted(partition: Partition | None = None) -> int:
    """Pending rows whose recipient turned the kind's email off, or cannot get mail: in-app only (flushes)."""
    unwanted = exists().where(
        NotificationPreference.user_id == Notification.user_id,
        NotificationPreference.kind == Notification.kind,
        NotificationPreference.email.is_(False),
    )
    inactive = exists().where(User.id == Notification.user_id, User.active.is_(False))
    result = db.session.execute(
        update(Notification)
        .where(Notification.email_state == EmailState.PENDING, _in_partition(Notification.user_id, partition))
        .where(unwanted | inactive)
        .values(email_state=EmailState.OFF)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def describe(notifications: Sequence[Notification]) -> dict[int, Message]:
    """Each notification's message in the current locale (those whose kind or subject is gone are left out)."""
    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for notification in notifications:
        by_kind[notification.kind].append(notification)
    messages: dict[int, Message] = {}
    for name, group in by_kind.items():
        kind = kind_named(name)
        if kind is not None:
            messages.update(kind.describe(group))
    return messages


def link_of(message: Message, absolute: bool = False) -> str | None:
    if message.endpoint is None:
        return None
    if absolute:
        return external_url(message.endpoint, **message.values)
    from flask import url_for

    return url_for(message.endpoint, **message.values)


def _pending_batch(after_id: int, partition: Partition | None) -> list[tuple[Notification, User]]:
    query = (
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.email_state == EmailState.PENDING,
            Notification.id > after_id,
            _in_partition(Notification.user_id, partition),
        )
        .order_by(Notification.id)
        .limit(SEND_BATCH)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # A second worker on the same partition skips the rows this one holds.
        query = query.with_for_update(skip_locked=True, of=Notification)
    return [(notification, user) for notification, user in db.session.execute(query)]


def send_pending(now: datetime, partition: Partition | None = None, counts: RunCounts | None = None) -> RunCounts:
    """Mail every pending notification, a batch per SMTP session and per commit. Commits."""
    counts = counts or RunCounts()
    after_id = 0
    failures_in_row = 0
    while failures_in_row < GIVE_UP_AFTER:
        batch = _pending_batch(after_id, partition)
        if not batch:
            break
        after_id = batch[-1][0].id
        try:
            connection = open_connection()
        except MailError as error:
            current_app.logger.error("notifications: %s", error)
            counts.failed += len(batch)
            counts.error = str(error)
            db.session.rollback()
            break
        try:
            failures_in_row = _send_batch(batch, now, connection, counts, failures_in_row)
        finally:
            connection.close()
        db.session.commit()
    return counts


def _send_batch(
    batch: list[tuple[Notification, User]], now: datetime, connection: Any, counts: RunCounts, failures_in_row: int
) -> int:
    by_locale: dict[str, list[tuple[Notification, User]]] = defaultdict(list)
    for notification, user in batch:
        by_locale[user.preferred_locale or str(current_app.config.get("BABEL_DEFAULT_LOCALE", "th"))].append(
            (notification, user)
        )
    for locale, items in by_locale.items():
        with force_locale(locale):
            messages = describe([notification for notification, _user in items])
        for notification, user in items:
            message = messages.get(notification.id)
            if message is None:  # its subject is gone: nothing to say any more
                notification.email_state = EmailState.OFF
                continue
            if failures_in_row >= GIVE_UP_AFTER:
                return failures_in_row
            try:
                send_mail(
                    user.email,
                    "notification",
                    locale,
                    connection=connection,
                    name=user.display_name or user.email,
                    title=message.title,
                    text=message.text,
                    link=link_of(message, absolute=True),
                )
            except MailError as error:
                current_app.logger.error("notifications: %s", error)
                counts.failed += 1
                counts.error = str(error)
                failures_in_row += 1
                continue
            failures_in_row = 0
            notification.email_state = EmailState.SENT
            notification.emailed_at = now
            counts.mailed += 1
    return failures_in_row


def send_due_notifications(now: datetime, partition: Partition | None = None) -> dict[str, Any]:
    """The scheduled run: produce what is due (committed first), then mail what is pending. Commits.

    Returns the counts: notifications added per kind, mails sent, rows whose email is off,
    failed sends (left pending for the next run) and, when some failed, the last ``error``.
    """
    if not has_request_context():
        # Links in mails are built with url_for, which needs a request; a CLI or a task has none.
        base = str(current_app.config.get("ACADEMY_BASE_URL", "http://localhost"))
        with current_app.test_request_context("/", base_url=base):
            return _run(now, partition)
    return _run(now, partition)


def send_pending_notifications(now: datetime, partition: Partition | None = None) -> dict[str, Any]:
    """Mail the pending notifications (of a partition), without producing any: one worker's share. Commits."""
    if not has_request_context():
        base = str(current_app.config.get("ACADEMY_BASE_URL", "http://localhost"))
        with current_app.test_request_context("/", base_url=base):
            return send_pending(now, partition).as_dict()
    return send_pending(now, partition).as_dict()


def produce_due_notifications(now: datetime) -> dict[str, Any]:
    """Produce what is due and turn off the unwanted emails, without mailing (the mailing is shared out). Commits."""
    counts = RunCounts()
    counts.produced = produce(now)
    counts.email_off = turn_off_unwanted()
    db.session.commit()
    return counts.as_dict()


def _run(now: datetime, partition: Partition | None) -> dict[str, Any]:
    counts = RunCounts()
    counts.produced = produce(now, partition)
    counts.email_off = turn_off_unwanted(partition)
    db.session.commit()  # the rows exist before any mail goes: a crash after a send cannot add it again
    send_pending(now, partition, counts)
    return counts.as_dict()


# --- the reader's side: the bell, the list, mark read, preferences --------------------------------


def unread_count(user_id: int) -> int:
    return int(
        db.session.scalar(select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None)))
        or 0
    )


def notifications_query(user_id: int) -> Any:
    return select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())


def own_notification(user_id: int, notification_id: int) -> Notification | None:
    """The notification, if it is this user's (None otherwise: the caller answers 404)."""
    notification = db.session.get(Notification, notification_id)
    return notification if notification is not None and notification.user_id == user_id else None


def mark_read(notification: Notification, now: datetime) -> None:
    if notification.read_at is None:
        notification.read_at = now
        db.session.flush()


def mark_all_read(user_id: int, now: datetime) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def receivable_kinds(user_id: int) -> list[Kind]:
    """The kinds this user may receive (each kind's audience), in the preferences page's order."""
    every = kinds()
    limited = [(kind, kind.audience) for kind in every if kind.audience is not None]
    if not limited:
        return every
    # One round trip: a column per kind with an audience.
    answers = db.session.execute(
        select(*(exists().where(User.id == user_id, audience()).label(kind.name) for kind, audience in limited))
    ).one()
    refused = {kind.name for (kind, _audience), allowed in zip(limited, answers, strict=True) if not allowed}
    return [kind for kind in every if kind.name not in refused]


def email_choices(user_id: int, offered: Sequence[Kind] | None = None) -> dict[str, bool]:
    """Each kind the user may receive (or of ``offered``) -> whether its email is on for them."""
    off = set(
        db.session.scalars(
            select(NotificationPreference.kind).where(
                NotificationPreference.user_id == user_id, NotificationPreference.email.is_(False)
            )
        )
    )
    return {kind.name: kind.name not in off for kind in (receivable_kinds(user_id) if offered is None else offered)}


def set_email_choices(user_id: int, wanted: set[str]) -> None:
    """Turn on the kinds in ``wanted`` and off every other kind the user may receive (flushes).

    The choices of kinds the user may not receive are left as they are: a user who becomes
    an HR officer later gets the digest's email, as everyone does by default.
    """
    existing = {
        pref.kind: pref
        for pref in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    }
    for kind in receivable_kinds(user_id):
        on = kind.name in wanted
        pref = existing.get(kind.name)
        if pref is None:
            if not on:
                db.session.add(NotificationPreference(user_id=user_id, kind=kind.name, email=False))
        else:
            pref.email = on
    db.session.flush()
