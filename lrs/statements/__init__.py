"""Storing and retrieving statements: the one write path, ``store_statements()``, and the queries."""

from __future__ import annotations

from lrs.statements.formats import format_statements
from lrs.statements.retrieving import (
    MAX_LIMIT,
    StatementQuery,
    StatementText,
    StoredStatement,
    get_attachments,
    get_statement,
    query_statement_texts,
    query_statements,
)
from lrs.statements.storing import VOIDED_VERB, AttachmentPart, VoidRefused, load_statements, store_statements

__all__ = [
    "MAX_LIMIT",
    "VOIDED_VERB",
    "AttachmentPart",
    "StatementQuery",
    "StatementText",
    "StoredStatement",
    "VoidRefused",
    "format_statements",
    "get_attachments",
    "get_statement",
    "load_statements",
    "query_statement_texts",
    "query_statements",
    "store_statements",
]
