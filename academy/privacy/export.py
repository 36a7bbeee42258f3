"""*My data*: everything the platform holds about a person, as a ZIP of JSON and CSV files (PDPA s.30-31).

Each part of the platform contributes its own tables through :func:`register_export_table`
(the shell its profile, account and audit entries; each domain, from its ``init_app``, what it
keeps), so that the shell never imports a domain. The ZIP is written as it is sent: rows are
read in batches and each compressed chunk leaves as soon as it is ready, so memory stays
bounded however many statements a person has.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from academy.db import db
from academy.org.models import Person

#: Columns never exported, whatever table they are in: secrets and the keyed hash of the citizen ID.
WITHHELD_PARTS = ("hash", "secret", "citizen", "token", "password", "otp")

_KEY = "academy.privacy.export_tables"
#: Rows to compress before a chunk of the ZIP is handed to the response.
_FLUSH_BYTES = 256 * 1024


@dataclass(frozen=True)
class DataSubject:
    """The person whose data is exported or erased, and everything they are known by."""

    person_id: int
    public_id: uuid.UUID
    #: The canonical keys (academy.ifi) of their identifiers.
    identifier_keys: tuple[str, ...]
    user_id: int | None


Rows = Iterable[Mapping[str, Any]]


class RawJson(str):
    """A value that is JSON text already (a stored statement as the database gives it): written as it is."""


@dataclass(frozen=True)
class ExportTable:
    """One file pair in the ZIP: ``<name>.json`` and ``<name>.csv``, and what the README says of it."""

    name: str
    rows: Callable[[DataSubject], Rows]
    about_en: str
    about_th: str
    #: How many rows the table holds for a subject, cheaply (a COUNT): what makes *My data* large.
    count: Callable[[DataSubject], int] | None = None


def register_export_table(app: Flask, table: ExportTable) -> None:
    """Have *My data* of this app include ``table`` (in the order registered)."""
    tables: list[ExportTable] = app.extensions.setdefault(_KEY, [])
    if any(t.name == table.name for t in tables):
        raise ValueError(f"an export table named {table.name!r} is already registered")
    tables.append(table)


def export_tables() -> list[ExportTable]:
    return list(current_app.extensions.get(_KEY, []))


def export_size(subject: DataSubject) -> int:
    """The rows of the tables that can count theirs (the xAPI statements): what decides a background job."""
    return sum(table.count(subject) for table in export_tables() if table.count is not None)


def export_as_job(subject: DataSubject) -> bool:
    """Whether *My data* is too large to build inside a request (ACADEMY_MY_DATA_JOB_THRESHOLD)."""
    return export_size(subject) > int(current_app.config["ACADEMY_MY_DATA_JOB_THRESHOLD"])


def data_subject(person: Person) -> DataSubject:
    """The subject for a person: their identifiers and, if they have one, their user account."""
    from academy.auth.models import User

    user_id = db.session.scalar(select(User.id).where(User.person_id == person.id))
    return DataSubject(
        person_id=person.id,
        public_id=person.public_id,
        identifier_keys=tuple(identifier.key for identifier in person.identifiers),
        user_id=user_id,
    )


def exportable_columns(row: object) -> dict[str, Any]:
    """A mapped object's columns as a dict, without the withheld ones (hashes, secrets, the citizen ID)."""
    mapper = type(row).__mapper__  # type: ignore[attr-defined]
    return {
        column.key: getattr(row, column.key)
        for column in mapper.column_attrs
        if not any(part in column.key.lower() for part in WITHHELD_PARTS)
    }


# --- the ZIP ----------------------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """An unseekable file that keeps what is written until it is taken (zipfile then streams)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._size += len(chunk)
        self._written += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._written

    @property
    def pending(self) -> int:
        return self._size

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks, self._size = [], 0
        return data


def plain(value: Any) -> Any:
    """A value as JSON has it: dates as ISO 8601, UUIDs and decimals as text, enums as their value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not exportable: {type(value).__name__}")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, RawJson):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=plain)
    return plain(value)


def readme_text(generated: dt.datetime) -> str:
    """The README of the ZIP, in Thai and in English: what each file holds."""
    tables = export_tables()
    lines = [
        "ข้อมูลของฉัน — E-Workforce Academy",
        "",
        "ไฟล์นี้รวบรวมข้อมูลส่วนบุคคลทั้งหมดที่แพลตฟอร์มเก็บเกี่ยวกับท่าน ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล"
        " พ.ศ. 2562 มาตรา 30-31 แต่ละตารางมีสองไฟล์: .json (ข้อมูลตามที่เก็บ) และ .csv (เปิดด้วยโปรแกรมตารางคำนวณได้)"
        ' ไม่รวมค่าแฮชของเลขประจำตัวประชาชนและรหัสผ่าน หากพบข้อมูลไม่ถูกต้อง ท่านขอแก้ไขได้ที่หน้า "ข้อมูลของฉัน"',
        "",
    ]
    lines += [f"- {t.name}.json / {t.name}.csv: {t.about_th}" for t in tables]
    lines += [
        "",
        "My data — E-Workforce Academy",
        "",
        "This archive holds all the personal data the platform keeps about you (Personal Data Protection Act"
        " 2019, sections 30-31). Each table comes as two files: .json (the data as stored) and .csv (for a"
        " spreadsheet). The keyed hash of your citizen ID and your password hash are not included. If something"
        ' is wrong, ask for a correction on the "My data" page.',
        "",
    ]
    lines += [f"- {t.name}.json / {t.name}.csv: {t.about_en}" for t in tables]
    lines += [
        "",
        "counts.json: จำนวนแถวของแต่ละตาราง / the number of rows in each table.",
        "",
        f"{generated.isoformat()}",
        "",
    ]
    return "\n".join(lines)


def write_export(
    subject: DataSubject, generated: dt.datetime, path: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Write the same ZIP as :func:`stream_export` to a file (a background job's); return its size in bytes."""
    size = 0
    with path.open("wb") as handle:
        for chunk in stream_export(subject, generated, progress):
            handle.write(chunk)
            size += len(chunk)
    return size


def stream_export(
    subject: DataSubject, generated: dt.datetime, progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """Yield the ZIP of everything registered about ``subject``, chunk by chunk (``progress``: one call per table)."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    archive.writestr("README.txt", readme_text(generated))
    counts: dict[str, int] = {}
    for table in export_tables():
        # The CSV waits in a spooled file (memory, then disk) while the JSON is written: one pass over the rows.
        with tempfile.SpooledTemporaryFile(max_size=_FLUSH_BYTES * 4) as spool:
            csv_text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            csv_text.write("\ufeff")  # so that Excel reads the Thai as UTF-8
            writer: csv.DictWriter[str] | None = None
            count = 0
            with archive.open(f"{table.name}.json", "w", force_zip64=True) as raw:
                raw.write(b"[")
                for row in table.rows(subject):
                    raw.write((b",\n" if count else b"\n") + _json_bytes(row))
                    if writer is None:
                        writer = csv.DictWriter(csv_text, fieldnames=list(row), extrasaction="ignore")
                        writer.writeheader()
                    writer.writerow({key: _csv_cell(value) for key, value in row.items()})
                    count += 1
                    if sink.pending >= _FLUSH_BYTES:
                        yield sink.take()
                raw.write(b"\n]\n")
            counts[table.name] = count
            csv_text.flush()
            spool.seek(0)
            with archive.open(f"{table.name}.csv", "w", force_zip64=True) as raw:
                while block := spool.read(_FLUSH_BYTES):
                    raw.write(block)
                    if sink.pending >= _FLUSH_BYTES:
                        yield sink.take()
            csv_text.detach()
        if progress is not None:
            progress(1)
        if sink.pending:
            yield sink.take()
    archive.writestr("counts.json", json.dumps(counts, indent=2))
    archive.close()
    yield sink.take()


def _json_bytes(row: Mapping[str, Any]) -> bytes:
    if not any(isinstance(value, RawJson) for value in row.values()):
        return json.dumps(row, ensure_ascii=False, default=plain, separators=(",", ":")).encode()
    parts = (
        f"{json.dumps(key, ensure_ascii=False)}:"
        + (value if isinstance(value, RawJson) else json.dumps(value, ensure_ascii=False, default=plain))
        for key, value in row.items()
    )
    return ("{" + ",".join(parts) + "}").encode()
