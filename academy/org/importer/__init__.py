"""HR data import: CSV and XLSX files of people, streamed, validated, upserted in one transaction.

Rows are keyed by agency code + employee number, so a re-import updates instead of
duplicating. Rows are read, checked and written a chunk at a time with bulk
statements, so memory stays bounded however long the file is; the caller commits
only when the report says the import is good.

The package keeps the names the single module had: columns (the file's columns, the report), reading
(CSV and XLSX), validation (one row) and writing (the chunks, and who an agency's file leaves out).
"""

from __future__ import annotations

from academy.org.importer.columns import (
    CHUNK_SIZE,
    COLUMN_BY_NAME,
    COLUMNS,
    MAX_REPORTED_ERRORS,
    Column,
    ImportFileError,
    ImportReport,
    RowError,
)
from academy.org.importer.reading import XLSX_CELL_BYTES, _CappedXml, count_rows, read_rows, template_csv
from academy.org.importer.writing import import_people

__all__ = [
    "CHUNK_SIZE",
    "COLUMNS",
    "COLUMN_BY_NAME",
    "MAX_REPORTED_ERRORS",
    "XLSX_CELL_BYTES",
    "Column",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "_CappedXml",
    "count_rows",
    "import_people",
    "read_rows",
    "template_csv",
]
