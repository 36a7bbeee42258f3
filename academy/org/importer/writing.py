"""Writing the valid rows a chunk at a time, and deactivating the people an agency's full file leaves out."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import delete, select, text, update

from academy.db import bulk_insert, db
from academy.org.importer.columns import _DATA_FIELDS, CHUNK_SIZE, ImportReport, RowError
from academy.org.importer.lookups import one_of, people_by_keys
from academy.org.importer.staging import Staged, StagedRows, staged_rows
from academy.org.importer.supervisors import resolve_supervisors
from academy.org.importer.validation import _Reference, _validate
from academy.org.models import Agency, IdentifierKind, Person, PersonIdentifier, PersonStatus
from academy.org.services import derive_role_profile, identifier_key, platform_account_key


@dataclass
class _State:
    base_url: str
    new_public_id: Callable[[], uuid.UUID]
    #: The rows so far (who each names, its supervisor, its person once written), in the database.
    staged: StagedRows
    agency_ids: set[int] = field(default_factory=set)
    #: The agencies the import may write to (an API token's scope); None: all of them.
    allowed_agency_ids: set[int] | None = None
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
    with staged_rows() as staged:
        state = _State(
            base_url=base_url,
            new_public_id=new_public_id,
            staged=staged,
            allowed_agency_ids=None if within is None else set(ref.agencies.values()),
        )
        _import_rows(rows, ref, state, report, full=full, progress=progress)
    return report


def _import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    ref: _Reference,
    state: _State,
    report: ImportReport,
    *,
    full: bool,
    progress: Callable[[int], None] | None,
) -> None:
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
        if report.invalid_rows and not report.skip_invalid:
            state.writing = False
        valid, staged = state.staged.check(valid, report)
        if state.writing:
            _write_chunk(valid, staged, state, report)
            _refresh_statistics(report.rows, state)
        state.staged.add(staged.values())
        if progress:
            progress(len(chunk))
    if state.writing:
        resolve_supervisors(state.staged.supervisor_chunks(), report)
    if full and state.writing:
        deactivated = _deactivate_absent(state)
        report.deactivated = len(deactivated)
        report.changed_ids += deactivated


def _write_chunk(
    valid: list[tuple[int, dict[str, Any]]], staged: dict[int, Staged], state: _State, report: ImportReport
) -> None:
    """Write the chunk's rows that passed the repeat checks, setting each staged row's person id."""
    session = db.session
    if not valid:
        return
    keys = [(values["agency_id"], values["employee_no"]) for _number, values in valid]
    person_columns = (
        Person.id,
        Person.agency_id,
        Person.employee_no,
        Person.citizen_id_hash,
        Person.personnel_group_override,
        Person.role_level_override,
        *(getattr(Person, name) for name in _DATA_FIELDS),
    )
    existing = {(row.agency_id, row.employee_no): row for row in people_by_keys(person_columns, keys)}
    hashes = [values["citizen_id_hash"] for _number, values in valid if values["citizen_id_hash"]]
    hash_owners = (
        {
            row.citizen_id_hash: row
            for row in session.execute(select(*person_columns).where(one_of(Person.citizen_id_hash, hashes)))
        }
        if hashes
        else {}
    )
    # Each email's identifier key, worked out once per chunk.
    mbox_of = {v["email"]: identifier_key(IdentifierKind.MBOX, v["email"]) for _n, v in valid if v["email"]}
    mbox_keys = set(mbox_of.values())
    owners: dict[str, object] = (
        dict(
            session.execute(
                select(PersonIdentifier.key, PersonIdentifier.person_id).where(
                    one_of(PersonIdentifier.key, list(mbox_keys))
                )
            ).all()
        )
        if mbox_keys
        else {}
    )

    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    new_emails: list[str | None] = []
    new_rows: list[int] = []
    updates: list[dict[str, Any]] = []
    dropped_keys: list[str] = []
    added_ids: list[dict[str, Any]] = []
    for number, values in valid:
        current = existing.get((values["agency_id"], values["employee_no"]))
        citizen_hash = values.pop("citizen_id_hash")
        holder = hash_owners.get(citizen_hash) if citizen_hash else None
        moved = False
        if holder is not None and (current is None or holder.id != current.id):
            if current is None and _may_move(holder, state):
                # The same citizen under a new agency and employee number: the person moves, and keeps
                # their account, learning history and xAPI identity.
                current, moved = holder, True
            else:
                # Says no more than that (as for an email): whose it is may be outside the caller's scope.
                report.invalid_rows += 1
                report.add_error(RowError(number, "citizen_id", "already belongs to another person"))
                if not report.skip_invalid:
                    state.writing = False
                continue
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
            mbox = mbox_of[values["email"]]
            owner = owners.setdefault(mbox, owner_marker)
            if owner != owner_marker:
                report.invalid_rows += 1
                report.add_error(RowError(number, "email", f"{values['email']} already belongs to another person"))
                if not report.skip_invalid:
                    state.writing = False
                continue
        state.agency_ids.add(values["agency_id"])
        if current is None:
            inserts.append(
                {
                    **values,
                    "citizen_id_hash": citizen_hash,
                    "public_id": state.new_public_id(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            new_emails.append(values["email"])
            new_rows.append(number)
            continue
        staged[number]["person_id"] = current.id
        changed = {name: values[name] for name in _DATA_FIELDS if getattr(current, name) != values[name]}
        if citizen_hash and current.citizen_id_hash != citizen_hash:
            changed["citizen_id_hash"] = citizen_hash  # a blank cell leaves a stored hash alone
        if moved:
            changed["agency_id"], changed["employee_no"] = values["agency_id"], values["employee_no"]
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
                        "key": mbox_of[values["email"]],
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
            session.execute(select(Person.public_id, Person.id).where(one_of(Person.public_id, public_ids))).all()
        )
        for public_id, email, number in zip(public_ids, new_emails, new_rows, strict=True):
            person_id = new_ids[public_id]
            staged[number]["person_id"] = person_id
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
                        "key": mbox_of[email],
                    }
                )
        report.created += len(inserts)
    if updates:
        session.execute(update(Person), updates)
        report.updated += len(updates)
    if dropped_keys:
        session.execute(delete(PersonIdentifier).where(one_of(PersonIdentifier.key, dropped_keys)))
    bulk_insert(PersonIdentifier, added_ids)


def _may_move(owner: Any, state: _State) -> bool:
    """Whether a row may move the person who has its citizen ID to its own agency and employee number.

    An admin's import may; a scoped one (an agency's API token) only moves a person out of an
    agency it may write to, or one whom their old agency has already marked inactive.
    """
    allowed = state.allowed_agency_ids
    return allowed is None or owner.agency_id in allowed or owner.status == PersonStatus.INACTIVE


def _refresh_statistics(rows_so_far: int, state: _State) -> None:
    """Let PostgreSQL's planner see the rows this transaction has added so far.

    A long import runs in one transaction, invisible to autovacuum (which never sees the
    staged rows' temporary table at all): without this the planner keeps the estimates of
    an empty table and its cached plans scan every row.
    """
    if db.session.get_bind().dialect.name == "postgresql" and rows_so_far % (50 * CHUNK_SIZE) == CHUNK_SIZE:
        db.session.execute(text(f'ANALYZE people, person_identifiers, "{state.staged.table.name}"'))


def _deactivate_absent(state: _State) -> list[int]:
    """Mark inactive the active people of the file's agencies whom the file did not name."""
    session = db.session
    state.staged.index_people()
    absent = list(
        session.scalars(
            select(Person.id).where(
                Person.agency_id.in_(state.agency_ids),
                Person.status == PersonStatus.ACTIVE,
                ~state.staged.names(Person.id),
            )
        )
    )
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
