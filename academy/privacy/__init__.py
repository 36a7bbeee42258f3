"""The person's own data (PDPA): *My data*, correction requests, erasure of people who have left.

Its public face for the domains: each registers the tables it keeps about a person with
:func:`register_export_table` from its ``init_app``, and forgets a person when it hears
``academy.org.events.person_erased``.
"""

from __future__ import annotations

from flask import Flask

from academy.privacy.export import DataSubject, ExportTable, RawJson, Rows, exportable_columns, register_export_table

__all__ = ["DataSubject", "ExportTable", "RawJson", "Rows", "exportable_columns", "init_app", "register_export_table"]


def init_app(app: Flask) -> None:
    """Register the pages and the shell's own tables (before any domain's)."""
    from academy.privacy import models as _models  # noqa: F401
    from academy.privacy.sections import register_shell_tables
    from academy.privacy.views import bp

    app.register_blueprint(bp)
    register_shell_tables(app)
