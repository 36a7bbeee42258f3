"""The import file's columns and accepted values, the import's limits, its errors and its report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from academy.org.models import PersonStatus

CHUNK_SIZE = 1000
#: How many row errors a report keeps in full; the count covers them all.
MAX_REPORTED_ERRORS = 1000


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
    Column(
        "supervisor_employee_no",
        "Supervisor's employee number, in the same agency (or one above it); empty: the unit's head",
        "6400456",
        False,
        30,
        ("supervisor_no", "sup_per_id"),
    ),
    Column(
        "citizen_id",
        "Citizen ID, 13 digits; only its keyed hash is stored / เลขประจำตัวประชาชน",
        "1101700203450",
        False,
        17,
        ("per_cardno", "card_no", "id_card"),
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
