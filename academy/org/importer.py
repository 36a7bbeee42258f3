"""HR data import: CSV and XLSX files of people, streamed, validated, upserted in one transaction.

Rows are keyed by agency code + employee number, so a re-import updates instead of
duplicating. Rows are read, checked and written a chunk at a time with bulk
statements, so memory stays bounded however long the file is; the caller commits
only when the report says the import is good.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, select, text, tuple_, update

from academy.dates import parse_date
from academy.db import bulk_insert, db
from academy.org.models import (
    Agency,
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonStatus,
    PositionLevel,
    PositionLine,
    PositionType,
    RoleLevel,
)
from academy.org.services import derive_role_profile, identifier_key, platform_account_key, subtree_condition

CHUNK_SIZE = 1000
#: How many row errors a report keeps in full; the count covers them all.
MAX_REPORTED_ERRORS = 1000
#: The most of a cell's text an XLSX file is read for, in bytes of UTF-8: past every column's
#: max_length, so that a cell cut here is still reported as too long, and memory stays bounded.
XLSX_CELL_BYTES = 4096
#: The longest XML tag read from an XLSX part (a cell's tag with its attributes is far shorter).
_XLSX_TAG_BYTES = 65536
#: The longest CSV line read at once, in characters; a longer one is reported, not held.
_CSV_LINE_CHARS = 1 << 20


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    example: str
    required: bool = False
    max_length: int = 255
    #: Other spellings accepted in a header (DPIS field names among them).
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "agency_code",
        "Agency code (department: 5-digit budget code) / รหัสหน่วยงาน",
        "03003",
        True,
        20,
        ("org_code", "department_code"),
    ),
    Column(
        "employee_no",
        "Employee number, unique within the agency / เลขประจำตัวข้าราชการ",
        "6500123",
        True,
        30,
        ("per_id", "per_no"),
    ),
    Column("title_th", "Title in Thai / คำนำหน้าชื่อ", "นาย", False, 50, ("pn_name",)),
    Column("first_name_th", "Given name in Thai / ชื่อ", "สมชาย", True, 100, ("per_name",)),
    Column("last_name_th", "Family name in Thai / นามสกุล", "ใจดี", True, 100, ("per_surname",)),
    Column("title_en", "Title in English", "Mr.", False, 50, ("pn_eng_name",)),
    Column("first_name_en", "Given name in English", "Somchai", False, 100, ("per_eng_name",)),
    Column("last_name_en", "Family name in English", "Jaidee", False, 100, ("per_eng_surname",)),
    Column("email", "Work email / อีเมล", "somchai.j@example.go.th", False, 255, ("per_email",)),
    Column("position_line_code", "Position line code / รหัสสายงาน", "CS-K", True, 20, ("pl_code",)),
    Column(
        "position_level_code",
        "Position level code (M1 M2 D1 D2 K1–K5 O1–O4) / ระดับตำแหน่ง",
        "K2",
        True,
        10,
        ("level_no",),
    ),
    Column(
        "position_type_code", "Position type code (M D K O), checked against the level", "K", False, 10, ("pt_code",)
    ),
    Column("is_cio", "CIO of the ministry or department: yes/no", "no", False, 10),
    Column("status", "active or inactive", "active", False, 10, ("per_status",)),
    Column(
        "start_date",
        "Start date, YYYY-MM-DD (CE or BE year) or DD/MM/YYYY",
        "2560-10-01",
        False,
        10,
        ("per_startdate",),
    ),
)
COLUMN_BY_NAME = {column.name: column for column in COLUMNS}
_HEADER_LOOKUP = {alias: column.name for column in COLUMNS for alias in (column.name, *column.aliases)}

_TRUE = {"1", "y", "yes", "true", "t", "ใช่"}
_FALSE = {"", "0", "n", "no", "false", "f", "ไม่ใช่"}
_STATUS = {
    "": PersonStatus.ACTIVE,
    "active": PersonStatus.ACTIVE,
    "1": PersonStatus.ACTIVE,
    "ปกติ": PersonStatus.ACTIVE,
    "inactive": PersonStatus.INACTIVE,
    "0": PersonStatus.INACTIVE,
    "พ้นสภาพ": PersonStatus.INACTIVE,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The fields an import sets on a person; anything else (overrides, public id) it leaves alone.
_DATA_FIELDS = (
    "title_th",
    "first_name_th",
    "last_name_th",
    "title_en",
    "first_name_en",
    "last_name_en",
    "email",
    "position_line_id",
    "position_level_id",
    "is_cio",
    "status",
    "start_date",
    "personnel_group",
    "role_level",
)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    invalid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: People whose record changed (updated or deactivated): projections about them may need refreshing.
    changed_ids: list[int] = field(default_factory=list)
    skip_invalid: bool = False

    @property
    def ok(self) -> bool:
        """Whether the import may be committed."""
        return self.invalid_rows == 0 or self.skip_invalid

    def add_error(self, error: RowError) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "invalid_rows": self.invalid_rows,
        }


# --- reading files ---------------------------------------------------------------


def template_csv() -> str:
    """The downloadable template: a header row, an example row, and a row describing each column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.name for column in COLUMNS])
    writer.writerow([column.example for column in COLUMNS])
    return out.getvalue()


def _canonical_header(header: Iterable[object]) -> list[str]:
    names = []
    for position, raw in enumerate(header, start=1):
        text = str(raw or "").strip().lstrip("\ufeff").lower()
        if text not in _HEADER_LOOKUP:
            raise ImportFileError(f"column {position} has an unknown header {text!r}")
        names.append(_HEADER_LOOKUP[text])
    missing = [column.name for column in COLUMNS if column.required and column.name not in names]
    if missing:
        raise ImportFileError(f"required columns are missing: {', '.join(missing)}")
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ImportFileError(f"columns appear twice: {', '.join(sorted(duplicated))}")
    return names


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (spreadsheet row number, {column: text}) for each data row of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path)
    elif suffix == ".xlsx":
        yield from _read_xlsx(path)
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")


class _CellTooLong(Exception):
    """A CSV line longer than the reader holds at once."""


class _CsvLines:
    """The lines of a CSV file for csv.reader, each at most _CSV_LINE_CHARS long, and those of the current record."""

    def __init__(self, handle: io.TextIOBase) -> None:
        self._handle = handle
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._handle.readline(_CSV_LINE_CHARS)
        if not line:
            raise StopIteration
        self.record.append(line)
        if len(line) == _CSV_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _CellTooLong
        return line


def _longest_cell(text: str, header: list[str]) -> tuple[str, int]:
    """Return the column and length of the longest cell in the raw text of a CSV record."""
    lengths = [0]
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            lengths.append(0)
        else:
            lengths[-1] += 1
    index = max(range(len(lengths)), key=lengths.__getitem__)
    return (header[index] if index < len(header) else f"{index + 1}"), lengths[index]


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = _CsvLines(handle)
        reader = csv.reader(lines)
        try:
            header = _canonical_header(next(reader))
        except StopIteration:
            raise ImportFileError(f"{path.name} is empty") from None
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} is not UTF-8 text") from None
        except (csv.Error, _CellTooLong):
            raise ImportFileError(f"{path.name}: the header row is too long to be a header") from None
        number = 1
        try:
            while True:
                number += 1
                lines.record.clear()
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                if not any(cell.strip() for cell in cells):
                    continue
                yield number, _row_dict(header, cells, number)
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} is not UTF-8 text (near row {number})") from None
        except (csv.Error, _CellTooLong) as error:
            # csv gives up on a cell over its field limit (131,072 characters); past that, where the
            # record ends is not known, so the file is refused here rather than misread.
            column, length = _longest_cell("".join(lines.record), header)
            if isinstance(error, csv.Error) and "field limit" not in str(error):
                raise ImportFileError(f"row {number}: {error}") from None
            raise ImportFileError(
                f"row {number}, column {column}: the cell is too long to read ({length:,} characters or more)"
            ) from None


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl.reader.excel import ExcelReader

    try:
        # load_workbook(read_only=True), with an archive whose cell texts are cut while unpacked.
        reader = ExcelReader(path, read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = _CappedXlsxArchive(path)
        reader.read()
        workbook = reader.wb
    except _XmlTagTooLong:
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook: an XML tag is too long") from None
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook: {error}") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        number = 1
        while True:
            try:
                values = next(rows)
            except StopIteration:
                if number == 1:
                    raise ImportFileError(f"{path.name} is empty") from None
                return
            except ImportFileError:
                raise
            except Exception as error:  # a damaged sheet shows only as its rows are read
                raise ImportFileError(f"{path.name}: row {number + 1} cannot be read: {error}") from None
            number += 1
            if number == 2:
                header = _canonical_header(cell for cell in values if cell is not None)
                continue
            cells = [_cell_text(value) for value in values]
            if not any(cells):
                continue
            yield number - 1, _row_dict(header, cells, number - 1)
    finally:
        workbook.close()


class _XmlTagTooLong(Exception):
    """An XLSX part has a tag longer than _XLSX_TAG_BYTES."""


def _missing_continuation_bytes(tail: bytes) -> int:
    """Return how many bytes the last UTF-8 character of `tail` still lacks."""
    trailing = 0
    while trailing < min(len(tail), 3) and 0x80 <= tail[-1 - trailing] < 0xC0:
        trailing += 1
    if trailing == len(tail):
        return 0
    lead = tail[-1 - trailing]
    size = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF8 else 1
    return max(size - 1 - trailing, 0)


class _CappedXml(io.RawIOBase):
    """An XML part of an XLSX file, read as a stream that keeps at most XLSX_CELL_BYTES of text per cell.

    The text of a cell (``<c>``) or of a shared string (``<si>``) past the cap is dropped as it is
    unpacked, ending on whole characters and entities, so a 300 MB cell costs no more memory
    than a short one and still reads as longer than any column allows.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._pending = b""
        self._in_tag = False
        self._tag = bytearray()
        self._used = 0  # bytes of text kept in the current cell
        self._tail = b""  # the last bytes of text kept, to finish a character that is cut
        self._need = 0  # continuation bytes still owed to a character that is cut
        self._entity_open = False  # the kept text ends inside an entity (&amp;)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            data = self._raw.read(65536)
            if not data:
                if self._in_tag:
                    self._pending, self._in_tag = bytes(self._tag), False
                    continue
                return 0
            self._pending = self._filter(data)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _filter(self, data: bytes) -> bytes:
        out = bytearray()
        position, length = 0, len(data)
        while position < length:
            if self._in_tag:
                end = data.find(b">", position)
                self._tag += data[position:] if end < 0 else data[position : end + 1]
                if len(self._tag) > _XLSX_TAG_BYTES:
                    raise _XmlTagTooLong
                if end < 0:
                    break
                out += self._tag
                self._start_tag(bytes(self._tag))
                self._tag.clear()
                self._in_tag = False
                position = end + 1
            else:
                end = data.find(b"<", position)
                stop = length if end < 0 else end
                out += self._text(data[position:stop])
                if end < 0:
                    break
                self._in_tag = True
                position = end
        return bytes(out)

    def _start_tag(self, tag: bytes) -> None:
        parts = tag[1:].lstrip(b"/").split(b">")[0].split()
        name = parts[0].rstrip(b"/") if parts else b""
        if name.rsplit(b":", 1)[-1] in (b"c", b"si"):
            self._used, self._tail, self._need, self._entity_open = 0, b"", 0, False

    def _keep(self, text: bytes) -> bytes:
        self._tail = (self._tail + text)[-4:]
        amp, semi = text.rfind(b"&"), text.rfind(b";")
        if amp > semi:
            self._entity_open = True
        elif semi > amp:
            self._entity_open = False
        return text

    def _text(self, text: bytes) -> bytes:
        room = XLSX_CELL_BYTES - self._used
        if len(text) <= room:
            self._used += len(text)
            return self._keep(text)
        kept = b""
        if room > 0:
            kept = self._keep(text[:room])
            self._used = XLSX_CELL_BYTES
            self._need = _missing_continuation_bytes(self._tail)
            text = text[room:]
        # Past the cap: only what completes the last character and entity kept.
        if self._need:
            kept += text[: self._need]
            taken = min(self._need, len(text))
            self._need -= taken
            text = text[taken:]
        if self._entity_open and not self._need:
            semi = text.find(b";")
            kept += text if semi < 0 else text[: semi + 1]
            self._entity_open = semi < 0
        return kept


class _CappedXlsxArchive(zipfile.ZipFile):
    """The XLSX archive, whose shared strings and worksheets are read through _CappedXml."""

    def open(self, name: Any, mode: Any = "r", pwd: bytes | None = None, **kwargs: Any) -> Any:
        member = super().open(name, mode, pwd, **kwargs)
        filename = (name.filename if isinstance(name, zipfile.ZipInfo) else str(name)).lower()
        if mode == "r" and filename.endswith(".xml") and ("sharedstrings" in filename or "/worksheets/" in filename):
            return io.BufferedReader(_CappedXml(member))
        return member


def _row_dict(header: list[str], cells: list[str], number: int) -> dict[str, str]:
    extra = [cell for cell in cells[len(header) :] if cell.strip()]
    if extra:
        raise ImportFileError(f"row {number} has more cells than the header has columns")
    return {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}


def count_rows(path: Path) -> int | None:
    """A quick estimate of the number of data rows, for a progress bar."""
    if path.suffix.lower() == ".csv":
        # Counted a block at a time: a line of any length costs no more memory than a short one.
        lines = 0
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
        return max(lines - 1, 0)
    return None


# --- validating ------------------------------------------------------------------------


@dataclass
class _Reference:
    agencies: dict[str, int]
    lines: dict[str, tuple[int, bool]]
    levels: dict[str, tuple[int, str, RoleLevel]]

    @classmethod
    def load(cls, within: Sequence[Agency] | None = None) -> _Reference:
        session = db.session
        agencies = select(Agency.code, Agency.id)
        if within is not None:
            agencies = agencies.where(subtree_condition(within))
        return cls(
            agencies=dict(session.execute(agencies).all()),
            lines={
                code: (id_, is_it)
                for code, id_, is_it in session.execute(select(PositionLine.code, PositionLine.id, PositionLine.is_it))
            },
            levels={
                code: (id_, type_code, role_level)
                for code, id_, type_code, role_level in session.execute(
                    select(PositionLevel.code, PositionLevel.id, PositionType.code, PositionLevel.role_level).join(
                        PositionLevel.position_type
                    )
                )
            },
        )


def _validate(number: int, raw: dict[str, str], ref: _Reference) -> tuple[dict[str, Any] | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    for name, value in raw.items():
        column = COLUMN_BY_NAME[name]
        if "\x00" in value:
            # PostgreSQL's text cannot hold NUL; in an HR export it is a damaged cell.
            fail(name, "contains a NUL character")
        elif column.required and not value:
            fail(name, "is required")
        elif len(value) > column.max_length:
            fail(name, f"is longer than {column.max_length} characters")
    values: dict[str, Any] = {
        name: raw.get(name, "")
        for name in (
            "employee_no",
            "title_th",
            "first_name_th",
            "last_name_th",
            "title_en",
            "first_name_en",
            "last_name_en",
        )
    }
    agency_code = raw.get("agency_code", "")
    if agency_code and agency_code not in ref.agencies:
        fail("agency_code", f"no agency has the code {agency_code!r}")
    values["agency_id"] = ref.agencies.get(agency_code)

    line = ref.lines.get(raw.get("position_line_code", ""))
    if raw.get("position_line_code") and line is None:
        fail("position_line_code", f"unknown position line {raw['position_line_code']!r}")
    level = ref.levels.get(raw.get("position_level_code", "").upper())
    if raw.get("position_level_code") and level is None:
        fail("position_level_code", f"unknown position level {raw['position_level_code']!r} (M1 M2 D1 D2 K1-K5 O1-O4)")
    type_code = raw.get("position_type_code", "").upper()
    if type_code and level is not None and level[1] != type_code:
        fail("position_type_code", f"level {raw['position_level_code']} belongs to type {level[1]}, not {type_code}")

    email = raw.get("email", "").lower()
    if email and not _EMAIL.match(email):
        fail("email", f"{raw['email']!r} is not an email address")
    values["email"] = email or None

    cio_text = raw.get("is_cio", "").lower()
    if cio_text not in _TRUE | _FALSE:
        fail("is_cio", f"{raw['is_cio']!r} is not yes or no")
    values["is_cio"] = cio_text in _TRUE

    status_text = raw.get("status", "").lower()
    if status_text not in _STATUS:
        fail("status", f"{raw['status']!r} is not active or inactive")
    values["status"] = _STATUS.get(status_text, PersonStatus.ACTIVE)

    values["start_date"] = None
    if raw.get("start_date"):
        try:
            values["start_date"] = parse_date(raw["start_date"])
        except ValueError:
            fail("start_date", f"{raw['start_date']!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")

    if errors or line is None or level is None:
        return None, errors
    values["position_line_id"], values["_line_is_it"] = line
    values["position_level_id"], values["_level_role_level"] = level[0], level[2]
    return values, []


# --- writing ---------------------------------------------------------------------------------


@dataclass
class _State:
    base_url: str
    new_public_id: Callable[[], uuid.UUID]
    #: (agency id, employee number) -> the row that first named it, to catch repeats.
    seen: dict[tuple[int, str], int] = field(default_factory=dict)
    seen_ids: set[int] = field(default_factory=set)
    agency_ids: set[int] = field(default_factory=set)
    writing: bool = True


def import_people(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    base_url: str,
    full: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    new_public_id: Callable[[], uuid.UUID] = uuid.uuid4,
    within: Sequence[Agency] | None = None,
) -> ImportReport:
    """Upsert people from rows; flushes, never commits: the caller commits if ``report.ok``.

    With ``full``, people of the agencies in the file who are not in it become inactive.
    With ``within``, only those agencies and the units beneath them are known (an API
    token's scope): a row naming any other agency is invalid.
    Once a row is invalid (and ``skip_invalid`` is off) nothing more is written, but
    every row is still checked so that the report names all the errors.
    """
    report = ImportReport(skip_invalid=skip_invalid)
    ref = _Reference.load(within)
    state = _State(base_url=base_url, new_public_id=new_public_id)
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        valid: list[tuple[int, dict[str, Any]]] = []
        for number, raw in chunk:
            report.rows += 1
            values, errors = _validate(number, raw, ref)
            if errors:
                report.invalid_rows += 1
                for error in errors:
                    report.add_error(error)
            else:
                assert values is not None
                valid.append((number, values))
        if report.invalid_rows and not skip_invalid:
            state.writing = False
        if state.writing:
            _write_chunk(valid, state, report)
            _refresh_statistics(report.rows)
        else:
            _check_repeats(valid, state, report)
        if progress:
            progress(len(chunk))
    if full and state.writing:
        deactivated = _deactivate_absent(state)
        report.deactivated = len(deactivated)
        report.changed_ids += deactivated
    return report


def _check_repeats(
    valid: list[tuple[int, dict[str, Any]]], state: _State, report: ImportReport
) -> list[tuple[int, dict[str, Any]]]:
    """Drop (and report) rows whose person an earlier row already named."""
    kept = []
    for number, values in valid:
        key = (values["agency_id"], values["employee_no"])
        first = state.seen.setdefault(key, number)
        if first != number:
            report.invalid_rows += 1
            report.add_error(RowError(number, "employee_no", f"repeats the person of row {first}"))
            continue
        kept.append((number, values))
    return kept


def _write_chunk(valid: list[tuple[int, dict[str, Any]]], state: _State, report: ImportReport) -> None:
    session = db.session
    valid = _check_repeats(valid, state, report)
    if not valid:
        return
    keys = [(values["agency_id"], values["employee_no"]) for _number, values in valid]
    existing = {
        (row.agency_id, row.employee_no): row
        for row in session.execute(
            select(
                Person.id,
                Person.agency_id,
                Person.employee_no,
                Person.personnel_group_override,
                Person.role_level_override,
                *(getattr(Person, name) for name in _DATA_FIELDS),
            ).where(tuple_(Person.agency_id, Person.employee_no).in_(keys))
        )
    }
    mbox_keys = {identifier_key(IdentifierKind.MBOX, v["email"]) for _n, v in valid if v["email"]}
    owners: dict[str, object] = (
        dict(
            session.execute(
                select(PersonIdentifier.key, PersonIdentifier.person_id).where(PersonIdentifier.key.in_(mbox_keys))
            ).all()
        )
        if mbox_keys
        else {}
    )

    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    new_emails: list[str | None] = []
    updates: list[dict[str, Any]] = []
    dropped_keys: list[str] = []
    added_ids: list[dict[str, Any]] = []
    for number, values in valid:
        current = existing.get((values["agency_id"], values["employee_no"]))
        profile = derive_role_profile(
            line_is_it=values.pop("_line_is_it"),
            level_role_level=values.pop("_level_role_level"),
            is_cio=values["is_cio"],
            group_override=current.personnel_group_override if current else None,
            level_override=current.role_level_override if current else None,
        )
        values["personnel_group"], values["role_level"] = profile.group, profile.level
        owner_marker: object = current.id if current else ("row", number)
        if values["email"]:
            mbox = identifier_key(IdentifierKind.MBOX, values["email"])
            owner = owners.setdefault(mbox, owner_marker)
            if owner != owner_marker:
                report.invalid_rows += 1
                report.add_error(RowError(number, "email", f"{values['email']} already belongs to another person"))
                if not report.skip_invalid:
                    state.writing = False
                continue
        state.agency_ids.add(values["agency_id"])
        if current is None:
            inserts.append({**values, "public_id": state.new_public_id(), "created_at": now, "updated_at": now})
            new_emails.append(values["email"])
            continue
        state.seen_ids.add(current.id)
        changed = {name: values[name] for name in _DATA_FIELDS if getattr(current, name) != values[name]}
        if not changed:
            report.unchanged += 1
            continue
        updates.append({"id": current.id, **changed, "updated_at": now})
        report.changed_ids.append(current.id)
        if "email" in changed:
            if current.email:
                dropped_keys.append(identifier_key(IdentifierKind.MBOX, current.email))
            if values["email"]:
                added_ids.append(
                    {
                        "person_id": current.id,
                        "kind": IdentifierKind.MBOX,
                        "key": identifier_key(IdentifierKind.MBOX, values["email"]),
                    }
                )

    if not state.writing:
        return
    if inserts:
        # A plain executemany, then one query for the new ids: RETURNING in parameter
        # order makes SQLite insert row by row, several times slower.
        bulk_insert(Person, inserts)
        public_ids = [values["public_id"] for values in inserts]
        new_ids = dict(
            session.execute(select(Person.public_id, Person.id).where(Person.public_id.in_(public_ids))).all()
        )
        for public_id, email in zip(public_ids, new_emails, strict=True):
            person_id = new_ids[public_id]
            state.seen_ids.add(person_id)
            added_ids.append(
                {
                    "person_id": person_id,
                    "kind": IdentifierKind.ACCOUNT,
                    "key": platform_account_key(state.base_url, public_id),
                }
            )
            if email:
                added_ids.append(
                    {
                        "person_id": person_id,
                        "kind": IdentifierKind.MBOX,
                        "key": identifier_key(IdentifierKind.MBOX, email),
                    }
                )
        report.created += len(inserts)
    if updates:
        session.execute(update(Person), updates)
        report.updated += len(updates)
    if dropped_keys:
        session.execute(delete(PersonIdentifier).where(PersonIdentifier.key.in_(dropped_keys)))
    bulk_insert(PersonIdentifier, added_ids)


def _refresh_statistics(rows_so_far: int) -> None:
    """Let PostgreSQL's planner see the rows this transaction has added so far.

    A long import runs in one transaction, invisible to autovacuum: without this the
    planner keeps the estimates of an empty table and its cached plans scan every row.
    """
    if db.session.get_bind().dialect.name == "postgresql" and rows_so_far % (50 * CHUNK_SIZE) == CHUNK_SIZE:
        db.session.execute(text("ANALYZE people, person_identifiers"))


def _deactivate_absent(state: _State) -> list[int]:
    """Mark inactive the active people of the file's agencies whom the file did not name."""
    session = db.session
    absent = [
        person_id
        for person_id in session.scalars(
            select(Person.id).where(Person.agency_id.in_(state.agency_ids), Person.status == PersonStatus.ACTIVE)
        )
        if person_id not in state.seen_ids
    ]
    now = datetime.now(UTC)
    for start in range(0, len(absent), CHUNK_SIZE):
        session.execute(
            update(Person),
            [
                {"id": person_id, "status": PersonStatus.INACTIVE, "updated_at": now}
                for person_id in absent[start : start + CHUNK_SIZE]
            ],
        )
    return absent
