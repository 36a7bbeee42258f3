"""Recording and reading the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select

from academy.audit.models import AuditEntry
from academy.dates import BANGKOK
from academy.db import db


def record_audit(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    user_id: int | None = None,
    flush: bool = True,
) -> AuditEntry:
    """Add an entry; the actor is the logged-in user unless given (e.g. "cli").

    With ``flush=False`` the entry is inserted by the next flush or commit (entries added together
    are inserted by one statement); until then it has no id.
    """
    ip_address = None
    if has_request_context():
        ip_address = request.remote_addr
        if actor is None and current_user.is_authenticated:
            actor, user_id = current_user.email, current_user.id
    entry = AuditEntry(
        actor=actor or "anonymous",
        user_id=user_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
        ip_address=ip_address,
    )
    db.session.add(entry)
    if flush:
        db.session.flush()
    return entry


def audit_query(
    action: str = "", actor: str = "", since: date | None = None, until: date | None = None
) -> Select[AuditEntry]:
    """Entries, newest first; ``since`` and ``until`` are platform days (Asia/Bangkok), both included."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.created_at >= _start_of(since))
    if until is not None:
        query = query.where(AuditEntry.created_at < _start_of(until + timedelta(days=1)))
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor.contains(actor.strip().lower(), autoescape=True))
    return query


def _start_of(day: date) -> datetime:
    """The moment the platform's day begins (midnight in Bangkok), in UTC."""
    return datetime.combine(day, time(0), BANGKOK).astimezone(UTC)


def detail_lines(details: Any, prefix: str = "") -> list[tuple[str, str]]:
    """An entry's details as "key: value" lines (nested keys joined with dots), for people to read."""
    if isinstance(details, dict):
        lines: list[tuple[str, str]] = []
        for key, value in details.items():
            lines += detail_lines(value, f"{prefix}.{key}" if prefix else str(key))
        return lines
    if isinstance(details, list):
        if all(not isinstance(item, dict | list) for item in details):
            return [(prefix, ", ".join("—" if item is None else str(item) for item in details) or "—")]
        return [line for n, item in enumerate(details, 1) for line in detail_lines(item, f"{prefix}[{n}]")]
    if details is None or details == "":
        return [(prefix, "—")]
    if isinstance(details, bool):
        return [(prefix, "yes" if details else "no")]
    return [(prefix, str(details))]
