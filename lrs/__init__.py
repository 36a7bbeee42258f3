"""The xAPI Learning Record Store (xAPI 1.0.3 and 2.0), mounted at /xapi.

Its public face: other packages use these names, never ``lrs.models`` or ``lrs.validation``
directly (DESIGN.md, Layout). Nothing here imports the LRS's views: importing ``lrs`` is cheap.
"""

from __future__ import annotations

from flask import Flask

from lrs.clients import (
    IGNORED_NOT_GRANTED,
    IGNORED_OUTSIDE_AGENCY,
    IGNORED_PLATFORM_COURSE,
    Writer,
    authority_of,
    create_client,
    forget_all_ignored,
    ignored_reasons,
    is_platform_statement,
    note_ignored,
    people_of_agency,
    writers_by_client,
)
from lrs.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, Preconditions, Scope, get_document, put_document
from lrs.errors import NotFound, StatementError, XapiError
from lrs.labels import IGNORED_LABELS
from lrs.models import LrsClient, Statement, ref_of_activity, ref_of_verb, refs_of_agents
from lrs.pipeline import (
    Projection,
    StoredBatch,
    people_by_key,
    people_of_statements,
    rebuild_and_compare,
    register_projection,
    register_subscriber,
    snapshot_projections,
)
from lrs.restrictions import DocumentRequest, Restricted, register_authenticator
from lrs.statements import StatementQuery, query_statements, store_statements
from lrs.validation import parse_timestamp, validate_iri
from lrs.versions import XapiVersion

__all__ = [
    "ACTIVITY_PROFILE",
    "AGENT_PROFILE",
    "IGNORED_LABELS",
    "IGNORED_NOT_GRANTED",
    "IGNORED_OUTSIDE_AGENCY",
    "IGNORED_PLATFORM_COURSE",
    "STATE",
    "DocumentRequest",
    "LrsClient",
    "NotFound",
    "Preconditions",
    "Projection",
    "Restricted",
    "Scope",
    "Statement",
    "StatementError",
    "StatementQuery",
    "StoredBatch",
    "Writer",
    "XapiError",
    "XapiVersion",
    "authority_of",
    "create_client",
    "forget_all_ignored",
    "get_document",
    "ignored_reasons",
    "init_app",
    "is_platform_statement",
    "note_ignored",
    "parse_timestamp",
    "people_by_key",
    "people_of_agency",
    "people_of_statements",
    "put_document",
    "query_statements",
    "rebuild_and_compare",
    "ref_of_activity",
    "ref_of_verb",
    "refs_of_agents",
    "register_authenticator",
    "register_projection",
    "register_subscriber",
    "snapshot_projections",
    "store_statements",
    "validate_iri",
    "writers_by_client",
]


def init_app(app: Flask) -> None:
    """Register the LRS: /xapi, its models and admin pages, ``lrs-client``, ``rebuild-projections``, the batch lock."""
    from academy import inputs
    from academy.cli import academy_cli
    from academy.extensions import csrf
    from academy.org.events import person_erased
    from academy.privacy import ExportTable, register_export_table
    from lrs.admin import bp as admin_bp
    from lrs.cli import lrs_client_cli, lrs_partitions_command, rebuild_projections_command
    from lrs.pipeline import lock_batch_people, register_subscriber
    from lrs.privacy import on_person_erased, statement_count, statement_rows
    from lrs.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    # The LRS authenticates every request with client credentials, not a session cookie.
    csrf.exempt(bp)
    inputs.leave_body(app, bp.name)  # it reads the alternate syntax's form as the raw body
    academy_cli.add_command(lrs_partitions_command)
    academy_cli.add_command(lrs_client_cli)
    academy_cli.add_command(rebuild_projections_command)
    # The first statement subscriber: no two batches project one person at once (academy.projections).
    register_subscriber(app, lock_batch_people)
    # The person's own data (academy.privacy): their statements in *My data*; erasure rewrites their agents.
    register_export_table(
        app,
        ExportTable(
            "xapi_statements",
            statement_rows,
            "Your xAPI learning records (statements whose actor is one of your identifiers), as stored.",
            "บันทึกการเรียนรู้ xAPI ของท่าน (statement ที่ผู้กระทำเป็นตัวระบุของท่าน) ตามที่จัดเก็บ",
            count=statement_count,
        ),
    )
    person_erased.connect(on_person_erased, sender=app)
