"""The shell's own tables in *My data*: profile and HR record, identifiers, account, audit entries, corrections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import and_, or_, select

from academy.audit.models import AuditEntry
from academy.auth.models import User
from academy.db import db
from academy.org.models import Person, PersonIdentifier
from academy.privacy.export import DataSubject, ExportTable, exportable_columns, register_export_table
from academy.privacy.models import CorrectionRequest

#: What an audit entry shows as its actor when someone else acted (their address is theirs, not the subject's).
STAFF = "academy staff"


def profile_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    person = db.session.get(Person, subject.person_id)
    if person is None:
        return
    row = exportable_columns(person)
    row.update(
        agency_code=person.agency.code,
        agency_name_th=person.agency.name_th,
        agency_name_en=person.agency.name_en,
        position_line_th=person.position_line.name_th,
        position_line_en=person.position_line.name_en,
        position_level_th=person.position_level.name_th,
        position_level_en=person.position_level.name_en,
    )
    yield row


def identifier_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = (
        select(PersonIdentifier).where(PersonIdentifier.person_id == subject.person_id).order_by(PersonIdentifier.id)
    )
    for identifier in db.session.scalars(query):
        yield {"kind": identifier.kind, "key": identifier.key}


def account_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    user = db.session.get(User, subject.user_id) if subject.user_id is not None else None
    if user is not None:
        yield {**exportable_columns(user), "roles": sorted(role.value for role in user.roles)}


def audit_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    about = [and_(AuditEntry.target_type == "person", AuditEntry.target_id == str(subject.public_id))]
    if subject.user_id is not None:
        about += [
            AuditEntry.user_id == subject.user_id,
            and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(subject.user_id)),
        ]
    query = select(AuditEntry).where(or_(*about)).order_by(AuditEntry.id).execution_options(yield_per=500)
    for entry in db.session.scalars(query):
        row = exportable_columns(entry)
        if entry.user_id != subject.user_id and entry.actor != "cli":
            row["actor"], row["user_id"] = STAFF, None
        yield row


def correction_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = select(CorrectionRequest).where(CorrectionRequest.person_id == subject.person_id)
    for request in db.session.scalars(query.order_by(CorrectionRequest.id)):
        row = exportable_columns(request)
        row.pop("replied_by_id", None)
        yield row


def register_shell_tables(app: Flask) -> None:
    """The shell's part of *My data*, first in the ZIP."""
    for table in (
        ExportTable(
            "profile",
            profile_rows,
            "Your HR record: name, agency, position, role profile, status (as imported from your agency).",
            "ประวัติบุคคลของท่าน: ชื่อ หน่วยงาน ตำแหน่ง กลุ่มบทบาท สถานะ (ตามที่นำเข้าจากหน่วยงาน)",
        ),
        ExportTable(
            "identifiers",
            identifier_rows,
            "The identifiers (xAPI IFIs) through which learning records reach you.",
            "ตัวระบุ (xAPI IFI) ที่ใช้เชื่อมบันทึกการเรียนรู้กับท่าน",
        ),
        ExportTable(
            "account",
            account_rows,
            "Your sign-in account: email, roles, language, last sign-in (no password).",
            "บัญชีผู้ใช้ของท่าน: อีเมล บทบาท ภาษา การเข้าสู่ระบบล่าสุด (ไม่รวมรหัสผ่าน)",
        ),
        ExportTable(
            "audit_entries",
            audit_rows,
            "Audit log entries about you or by you (others who acted are shown as 'academy staff').",
            "บันทึกการตรวจสอบที่เกี่ยวกับท่านหรือที่ท่านกระทำ (ผู้อื่นแสดงเป็น 'academy staff')",
        ),
        ExportTable(
            "correction_requests",
            correction_rows,
            "Your requests to correct your data, and the answers.",
            "คำขอแก้ไขข้อมูลของท่าน และคำตอบ",
        ),
    ):
        register_export_table(app, table)
