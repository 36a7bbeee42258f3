"""In-app notifications and their emails: the bell, the list, each person's email choices, the run.

Domains register their kinds (``register_kind``) in their ``init_app``; the shell imports no
domain. A schedule (or ``flask academy notifications-send``) calls :func:`send_due_notifications`.
"""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from academy.notifications.registry import Due, Kind, Message, civil_servants, register_kind
from academy.notifications.services import (
    produce_due_notifications,
    send_due_notifications,
    send_pending_notifications,
)

__all__ = [
    "Due",
    "Kind",
    "Message",
    "civil_servants",
    "init_app",
    "produce_due_notifications",
    "register_kind",
    "send_due_notifications",
    "send_pending_notifications",
]


def init_app(app: Flask) -> None:
    from academy.notifications import cli
    from academy.notifications import models as _models  # noqa: F401
    from academy.notifications.services import unread_count
    from academy.notifications.views import bp

    app.register_blueprint(bp)
    cli.register()

    @app.context_processor
    def _bell() -> dict[str, object]:
        def notifications_unread() -> int:
            if not getattr(current_user, "is_authenticated", False):
                return 0
            return unread_count(current_user.id)

        return {"notifications_unread": notifications_unread}
