"""The credentials' notification: a credential issued to me."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from academy.auth.models import User
from academy.db import db
from academy.i18n import localized
from academy.notifications import Due, Kind, Message, civil_servants, register_kind
from academy.notifications.models import Notification
from credentials.models import CredentialRevocation, IssuedCredential

#: A credential is announced if it was issued within this window (older ones predate the notifications).
ISSUED_WITHIN = timedelta(days=14)


def issued(now: datetime) -> Iterator[Due]:
    query = (
        select(User.id, IssuedCredential.id)
        .join(User, User.person_id == IssuedCredential.person_id)
        .outerjoin(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
        .where(
            User.active.is_(True),
            IssuedCredential.issued_at >= now - ISSUED_WITHIN,
            CredentialRevocation.credential_pk.is_(None),
        )
    )
    for user_id, credential_pk in db.session.execute(query):
        yield Due(user_id, str(credential_pk))


def describe(notifications: Sequence[Notification]) -> dict[int, Message]:
    ids = {int(n.subject) for n in notifications if n.subject.isdigit()}
    found = {str(c.id): c for c in db.session.scalars(select(IssuedCredential).where(IssuedCredential.id.in_(ids)))}
    messages = {}
    for notification in notifications:
        credential = found.get(notification.subject)
        if credential is None:
            continue
        title = localized(credential.title_th, credential.title_en)
        messages[notification.id] = Message(
            _("A credential is issued to you"),
            _("You received the credential %(title)s. You can share it or download it.", title=title),
            "my_credentials.mine",
        )
    return messages


def register() -> None:
    """Register the kind (called by credentials.init_app)."""
    register_kind(
        Kind(
            "credential_issued",
            _l("A credential is issued to me"),
            issued,
            describe,
            order=40,
            audience=civil_servants,
        )
    )
