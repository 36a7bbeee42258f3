"""What the API's handlers call beyond the domain services: agency search and the bulk upsert of people."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, not_, or_, select

from academy.db import db
from academy.org.importer import ImportReport, RowError, import_people
from academy.org.models import Agency, AgencyKind, IdentifierKind, Person, PersonIdentifier
from academy.org.services import identifier_key, subtree_condition

#: The importer's own rule for an email (length and shape), so that only emails it accepts are stood in for.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMAIL_MAX = 255
Rows = Sequence[tuple[int, dict[str, str]]]

#: The importer's message when an email is taken; the API never passes it on (see upsert_people).
_TAKEN = " already belongs to another person"


def agencies_query(q: str, kind: AgencyKind | None, within: Sequence[Agency] | None) -> Select[Agency]:
    """Agencies whose code or name has every word of ``q``, within the given agencies (None = all)."""
    query = select(Agency).order_by(Agency.path)
    if within is not None:
        query = query.where(subtree_condition(within))
    if kind is not None:
        query = query.where(Agency.kind == kind)
    for word in q.split():
        pattern = f"%{word}%"
        query = query.where(
            or_(Agency.code.ilike(pattern), Agency.name_th.ilike(pattern), Agency.name_en.ilike(pattern))
        )
    return query


def record_rows(records: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, dict[str, str]]]:
    """The records of a bulk request as the importer's rows: (index, {column: text})."""
    for index, record in enumerate(records):
        row = {name: "" if value is None else str(value).strip() for name, value in record.items() if name != "is_cio"}
        row["is_cio"] = "yes" if record.get("is_cio") else "no"
        yield index, row


def upsert_people(
    records: Sequence[Mapping[str, Any]], *, within: Sequence[Agency] | None, base_url: str, dry_run: bool = False
) -> ImportReport:
    """Create or update people as the CSV import does, naming rows by their index; flushes, never commits.

    Agencies outside ``within`` are unknown to the import, so a row naming one is invalid.

    Nothing in the answer may tell whether an email belongs to someone outside ``within``.
    A dry run checks such an email as if it were free (a unique stand-in takes its place,
    so every count comes out as for a free email). A real run cannot store it and says only
    that the email cannot be used, as it says of any email another person has.
    """
    rows = list(record_rows(records))
    stand_ins: dict[str, str] = {}
    if dry_run and within is not None:
        stand_ins = _stand_ins(rows, within)
        for _index, row in rows:
            email = row.get("email", "").lower()
            if email in stand_ins:
                row["email"] = stand_ins[email]
    report = import_people(rows, base_url=base_url, within=within)
    originals = {stand_in: email for email, stand_in in stand_ins.items()}
    report.errors = [_without_owner(error, rows, originals) for error in report.errors]
    return report


def _email_key(email: str) -> str | None:
    email = email.lower()
    if len(email) > _EMAIL_MAX or not _EMAIL.match(email):
        return None
    return identifier_key(IdentifierKind.MBOX, email)


def _stand_ins(rows: Rows, within: Sequence[Agency]) -> dict[str, str]:
    """Emails of the rows (lower case) that identify someone outside ``within``, each with a unique stand-in."""
    keys = {key: row["email"].lower() for _index, row in rows if (key := _email_key(row.get("email", "")))}
    if not keys:
        return {}
    foreign = select(PersonIdentifier.key).join(Person, Person.id == PersonIdentifier.person_id)
    foreign = foreign.join(Agency, Agency.id == Person.agency_id)
    foreign = foreign.where(PersonIdentifier.key.in_(list(keys)), not_(subtree_condition(within)))
    # Valid by the importer's rule and never anyone's: a dry run rolls back whatever it wrote.
    return {keys[key]: f"dry-run-{uuid.uuid4().hex}@stand-in.invalid" for key in sorted(db.session.scalars(foreign))}


def _without_owner(error: RowError, rows: Rows, originals: Mapping[str, str]) -> RowError:
    """The importer's "already belongs to another person", said without telling that someone has the email."""
    if error.column != "email" or not error.message.endswith(_TAKEN):
        return error
    row = next(row for index, row in rows if index == error.row)
    email = originals.get(row["email"], row["email"].lower())
    key = _email_key(row["email"])
    others = [index for index, other in rows if index != error.row and _email_key(other.get("email", "")) == key]
    if others:
        return RowError(error.row, "email", f"{email} is given to more than one record of this request")
    return RowError(error.row, "email", f"{email} cannot be used for this record")


def row_errors(errors: Sequence[RowError]) -> dict[int, dict[str, list[str]]]:
    """Row errors shaped as marshmallow shapes a list's: {index: {field: [messages]}}."""
    shaped: dict[int, dict[str, list[str]]] = {}
    for error in errors:
        shaped.setdefault(error.row, {}).setdefault(error.column, []).append(error.message)
    return shaped
