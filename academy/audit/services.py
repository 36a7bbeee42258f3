"""Recording and reading the audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select

from academy.audit.models import AuditEntry
from academy.db import db


def record_audit(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    user_id: int | None = None,
) -> AuditEntry:
    """Add an entry; the actor is the logged-in user unless given (e.g. "cli")."""
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
    db.session.flush()
    return entry


def audit_query(action: str = "", actor: str = "") -> Select[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor.contains(actor.strip().lower(), autoescape=True))
    return query
