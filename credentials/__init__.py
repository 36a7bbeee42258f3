"""Verifiable credentials: Open Badges 3.0 and CLR 2.0, signed (eddsa-rdfc-2022), revocable, verifiable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from academy.org.events import ErasedPerson
    from academy.privacy import DataSubject

#: The names other packages use (DESIGN.md: through __init__, never the internals).
__all__ = ["credentials_of", "init_app", "revoke_person_credentials"]


def credentials_of(person_id: int) -> list[dict[str, Any]]:
    """Every credential issued to a person (badges and CLRs), as issued, with its revocation if any
    (for the person's own data export)."""
    from credentials.services.holding import document_of, held_credentials

    return [
        {
            "id": str(credential.credential_id),
            "kind": credential.kind.value,
            "issued_at": credential.issued_at.isoformat(),
            "revoked_at": credential.revocation.revoked_at.isoformat() if credential.revocation else None,
            "revocation_reason": credential.revocation.reason.value if credential.revocation else None,
            "credential": document_of(credential),
        }
        for credential in held_credentials(person_id, kind=None)
    ]


def revoke_person_credentials(person_id: int, note: str = "", revoked_by_id: int | None = None) -> int:
    """Revoke every credential a person holds because their personal data is erased; return how many."""
    from credentials.models import RevocationReason
    from credentials.services.holding import revoke_person_credentials as revoke

    return revoke(person_id, RevocationReason.ERASED, note=note, revoked_by_id=revoked_by_id)


def _revoke_on_erasure(sender: object, erased: ErasedPerson) -> dict[str, int]:
    """The receiver of academy.org.events.person_erased: the person's credentials are revoked, then forgotten.

    Revoked first, so that every copy a holder handed out reads as revoked (the status list);
    then each stored document, which names its subject, is replaced by its id alone: the
    erasure's exception to append-only storage, as to statement immutability (README).
    """
    from credentials.services.holding import forget_person_credentials

    revoked = revoke_person_credentials(erased.person_id, note="personal data erased")
    return {"credentials_revoked": revoked, "credentials_forgotten": forget_person_credentials(erased.person_id)}


def _credential_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    yield from credentials_of(subject.person_id)


def init_app(app: Flask) -> None:
    """Register credentials: models, pages, commands, and the projection that issues and revokes.

    Registered after competencies, so that a batch's enrolments and attainment are projected first.
    """
    from academy.cli import academy_cli
    from academy.config import ConfigError
    from academy.org.events import person_erased
    from academy.privacy import ExportTable, register_export_table
    from credentials import models as _models  # noqa: F401
    from credentials.cli import commands
    from credentials.services.issuing import (
        ISSUE_IN,
        count_people,
        project_credentials,
        rebuild_credentials,
        snapshot_credentials,
    )
    from credentials.views import holder_bp, public_bp
    from lrs import register_projection

    # The signing keys (README, Credentials): from the environment, or instance/credential_key in development.
    app.config.setdefault("ACADEMY_CREDENTIAL_KEY", os.environ.get("ACADEMY_CREDENTIAL_KEY", ""))
    # Where credentials are issued and revoked (README, Credentials): by default by a worker in production
    # (signing is CPU; the ingest only queues people), in the storing transaction elsewhere.
    default = "job" if app.config.get("ACADEMY_ENV") == "production" else "request"
    issue_in = app.config.setdefault(
        "ACADEMY_CREDENTIALS_ISSUE_IN", os.environ.get("ACADEMY_CREDENTIALS_ISSUE_IN", "").strip().lower() or default
    )
    if issue_in not in ISSUE_IN:
        raise ConfigError(f"ACADEMY_CREDENTIALS_ISSUE_IN must be request or job, not {issue_in!r}")
    app.register_blueprint(public_bp)
    app.register_blueprint(holder_bp)
    for command in commands:
        academy_cli.add_command(command)
    from credentials import notifications

    notifications.register()  # a credential issued (academy.notifications)
    # PDPA (academy.privacy): a person's credentials are in *My data*, and revoked when they are erased.
    person_erased.connect(_revoke_on_erasure, sender=app)
    register_export_table(
        app,
        ExportTable(
            "credentials",
            _credential_rows,
            "Your verifiable credentials (Open Badges 3.0, CLR 2.0), as issued, and any revocation.",
            "เอกสารรับรองที่ตรวจสอบได้ของท่าน (Open Badges 3.0, CLR 2.0) ตามที่ออก และการเพิกถอน (ถ้ามี)",
        ),
    )
    register_projection(
        app,
        "credentials",
        project_credentials,
        rebuild_credentials,
        snapshot_credentials,
        size=count_people,
        unit="people",
        label="credentials issued",
    )
