"""Issuing: what a person has earned, as OpenBadgeCredentials, kept in step with the learning records.

A person earns a credential for each course of ours completed (a completed enrolment), each
provider's aligned activity they have standing evidence of, and each competency level they
attain. ``reconcile_people`` compares that with the credentials they hold: a missing one is
issued (signed and stored as issued, never changed after), one no longer earned is revoked
(its status bit flips). So a credential is issued once per earning, again only after a
revocation and a new earning; a rebuild from the LRS reaches the same set. A competency level
is not revoked when a higher one is attained: it was attained all the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, func, select, text, union

from academy.db import bulk_insert, db, reserve_ids
from academy.org.models import Person
from academy.projections import Snapshot, rows_of
from competencies.models import Alignment as AlignmentRow
from competencies.models import Attainment, Competency, Evidence, EvidenceSource, Framework, ScaleLevel
from competencies.services.evidence import EVIDENCE_VERBS
from courses.models import Course, Enrolment, EnrolmentStatus
from credentials.models import CredentialKind, CredentialRevocation, IssuedCredential, RevocationReason
from credentials.services.documents import (
    Alignment,
    Award,
    badge_document,
    base_url,
    status_entry,
    verification_method_id,
)
from credentials.services.keys import SigningKey, signing_key
from credentials.services.signing import sign_document
from lrs import Statement, StoredBatch, people_of_statements

Key = tuple[int, str]  # (person id, source key)


# --- what people have earned ----------------------------------------------------------------------


def _alignments_of(activity_ids: Iterable[str]) -> dict[str, tuple[Alignment, ...]]:
    found: dict[str, list[Alignment]] = {}
    ids = set(activity_ids)
    if not ids:
        return {}
    for activity_id, competency, level, framework in db.session.execute(
        select(AlignmentRow.activity_id, Competency, AlignmentRow.level, Framework.name_en)
        .join(Competency, AlignmentRow.competency_id == Competency.id)
        .join(Framework, Competency.framework_id == Framework.id)
        .where(AlignmentRow.activity_id.in_(ids))
        .order_by(AlignmentRow.activity_id, Competency.code)
    ):
        found.setdefault(activity_id, []).append(
            Alignment(competency.identifier, competency.code, competency.name_en, framework, level)
        )
    return {activity_id: tuple(items) for activity_id, items in found.items()}


def _course_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    rows = db.session.execute(
        select(Enrolment.person_id, Enrolment.completed_at, Course)
        .join(Course, Enrolment.course_id == Course.id)
        .where(
            Enrolment.person_id.in_(people),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.completed_at.is_not(None),
        )
    ).all()
    alignments = _alignments_of(course.activity_iri for _p, _c, course in rows)
    return [
        Award(
            person_id=person_id,
            public_id=people[person_id],
            source_key=f"course:{course.code}",
            title_th=course.title_th,
            title_en=course.title_en,
            achieved_at=completed_at,
            achievement_id=course.activity_iri,
            achievement_type="Course",
            description=course.description_en or course.title_en,
            criteria=f"Completed the course {course.title_en} ({course.code}) of {course.provider}.",
            alignments=alignments.get(course.activity_iri, ()),
            hours=float(course.hours),
        )
        for person_id, completed_at, course in rows
        if completed_at is not None
    ]


def _activity_name(payload: dict[str, Any]) -> tuple[str, str]:
    names = ((payload.get("object") or {}).get("definition") or {}).get("name") or {}
    english = next((value for tag, value in names.items() if tag.lower().startswith("en")), None)
    thai = next((value for tag, value in names.items() if tag.lower().startswith("th")), None)
    fallback = payload["object"]["id"]
    return str(thai or english or fallback), str(english or thai or fallback)


def _activity_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    """Providers' aligned activities (not our courses) that people have standing evidence of."""
    ours = select(Course.activity_iri)
    rows = db.session.execute(
        select(Evidence.person_id, Evidence.activity_id, func.min(Evidence.achieved_at))
        .where(
            Evidence.person_id.in_(people),
            Evidence.source == EvidenceSource.STATEMENT,
            Evidence.withdrawn_at.is_(None),
            Evidence.activity_id.is_not(None),
            Evidence.activity_id.not_in(ours),
        )
        .group_by(Evidence.person_id, Evidence.activity_id)
    ).all()
    if not rows:
        return []
    # The activity's name, from one standing statement about it (the same one each time: the least id).
    first_statement: dict[str | None, str | None] = dict(
        db.session.execute(
            select(Evidence.activity_id, func.min(Evidence.statement_id.cast(String)))
            .where(Evidence.activity_id.in_({a for _p, a, _t in rows}), Evidence.withdrawn_at.is_(None))
            .group_by(Evidence.activity_id)
        ).all()
    )
    payloads = {
        payload["object"]["id"]: payload
        for payload in db.session.scalars(
            select(Statement.payload).where(
                Statement.id.in_([uuid.UUID(str(s)) for s in first_statement.values() if s])
            )
        )
    }
    alignments = _alignments_of(a for _p, a, _t in rows if a is not None)
    awards = []
    for person_id, activity_id, achieved_at in rows:
        if activity_id is None or achieved_at is None:
            continue
        title_th, title_en = _activity_name(payloads.get(activity_id) or {"object": {"id": activity_id}})
        awards.append(
            Award(
                person_id=person_id,
                public_id=people[person_id],
                source_key=f"activity:{activity_id}",
                title_th=title_th,
                title_en=title_en,
                achieved_at=achieved_at,
                achievement_id=activity_id,
                achievement_type="Course",
                description=title_en,
                criteria=f"Completed {title_en}, as reported by its training provider.",
                alignments=alignments.get(activity_id, ()),
            )
        )
    return awards


def _competency_awards(people: dict[int, uuid.UUID]) -> list[Award]:
    rows = db.session.execute(
        select(Attainment.person_id, Attainment.level, Attainment.as_of, Competency, Framework.name_en)
        .join(Competency, Attainment.competency_id == Competency.id)
        .join(Framework, Competency.framework_id == Framework.id)
        .where(Attainment.person_id.in_(people))
    ).all()
    if not rows:
        return []
    # When the level was first reached: the earliest standing evidence at that level or above.
    reached = {
        (p, c, level): moment
        for p, c, level, moment in db.session.execute(
            select(Evidence.person_id, Evidence.competency_id, Evidence.level, func.min(Evidence.achieved_at))
            .where(Evidence.person_id.in_(people), Evidence.withdrawn_at.is_(None))
            .group_by(Evidence.person_id, Evidence.competency_id, Evidence.level)
        )
    }
    level_names = {
        (framework_id, level): (code, name_th, name_en)
        for framework_id, level, code, name_th, name_en in db.session.execute(
            select(ScaleLevel.framework_id, ScaleLevel.level, ScaleLevel.code, ScaleLevel.name_th, ScaleLevel.name_en)
        )
    }
    awards = []
    for person_id, level, as_of, competency, framework in rows:
        moments = [m for (p, c, lv), m in reached.items() if p == person_id and c == competency.id and lv >= level]
        code, name_th, name_en = level_names.get((competency.framework_id, level), (str(level), str(level), str(level)))
        awards.append(
            Award(
                person_id=person_id,
                public_id=people[person_id],
                source_key=f"competency:{competency.identifier}:{level}",
                title_th=f"{competency.name_th} – {name_th}",
                title_en=f"{competency.name_en} – {name_en}",
                achieved_at=min(moments) if moments else as_of,
                achievement_id=f"{competency_achievement_base()}/{competency.identifier}/{level}",
                achievement_type="Competency",
                description=competency.description_en or competency.name_en,
                criteria=f"Attained level {name_en} of {competency.name_en} ({framework}), shown by learning records.",
                alignments=(Alignment(competency.identifier, competency.code, competency.name_en, framework, level),),
                level_name=name_en,
                level_code=code,
            )
        )
    return awards


def competency_achievement_base() -> str:
    """Where a competency level's achievement is named: ``<base>/credentials/achievements/competency/<id>/<level>``."""
    return f"{base_url()}/credentials/achievements/competency"


def earned_awards(person_ids: Iterable[int]) -> dict[Key, Award]:
    """Everything these people have earned now, by (person, source key)."""
    people = dict(db.session.execute(select(Person.id, Person.public_id).where(Person.id.in_(set(person_ids)))).all())
    if not people:
        return {}
    awards = _course_awards(people) + _activity_awards(people) + _competency_awards(people)
    return {(award.person_id, award.source_key): award for award in awards}


# --- issuing and revoking -------------------------------------------------------------------------


def _new_ids(count: int) -> list[int]:
    if count == 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return reserve_ids(IssuedCredential, "id", count)
    # SQLite: one writer at a time (the transaction began IMMEDIATE), so the next ids are free.
    last = db.session.scalar(select(func.max(IssuedCredential.id))) or 0
    return list(range(last + 1, last + 1 + count))


@dataclass(frozen=True)
class Signed:
    row: dict[str, Any]
    document: dict[str, Any]


def _signed_row(
    key: SigningKey,
    row_id: int,
    credential_id: uuid.UUID,
    person_id: int,
    kind: CredentialKind,
    source_key: str,
    title_th: str,
    title_en: str,
    valid_from: datetime,
    document: dict[str, Any],
    now: datetime,
) -> Signed:
    signed = sign_document(document, key.private, verification_method_id(key.key_id), now)
    number, index, _status = status_entry(row_id)
    row = {
        "id": row_id,
        "credential_id": credential_id,
        "person_id": person_id,
        "kind": kind,
        "source_key": source_key,
        "title_th": title_th,
        "title_en": title_en,
        "status_list": number,
        "status_index": index,
        "key_id": key.key_id,
        "document": json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
        "valid_from": valid_from,
        "issued_at": now,
        "share_name": False,
    }
    return Signed(row, signed)


def issue_awards(awards: Sequence[Award], progress: Callable[[int], None] | None = None) -> int:
    """Sign and store one OpenBadgeCredential per award (append-only); return how many."""
    if not awards:
        return 0
    key = signing_key()
    now = datetime.now(UTC).replace(microsecond=0)
    ids = _new_ids(len(awards))
    rows = []
    for row_id, award in zip(ids, awards, strict=True):
        credential_id = uuid.uuid4()
        document = badge_document(award, credential_id, row_id)
        rows.append(
            _signed_row(
                key,
                row_id,
                credential_id,
                award.person_id,
                CredentialKind.BADGE,
                award.source_key,
                award.title_th,
                award.title_en,
                award.achieved_at,
                document,
                now,
            ).row
        )
        if progress and len(rows) % 100 == 0:
            progress(100)
    bulk_insert(IssuedCredential, rows)
    return len(rows)


def revoke_credentials(
    credential_pks: Iterable[int], reason: RevocationReason, note: str = "", revoked_by_id: int | None = None
) -> int:
    """Revoke these credentials (those not revoked yet): their status bits flip; return how many."""
    pks = sorted(set(credential_pks))
    if not pks:
        return 0
    already = set(
        db.session.scalars(
            select(CredentialRevocation.credential_pk).where(CredentialRevocation.credential_pk.in_(pks))
        )
    )
    now = datetime.now(UTC)
    rows = [
        {"credential_pk": pk, "reason": reason, "note": note, "revoked_by_id": revoked_by_id, "revoked_at": now}
        for pk in pks
        if pk not in already
    ]
    bulk_insert(CredentialRevocation, rows)
    return len(rows)


def _competency_level(source_key: str) -> tuple[str, int] | None:
    if not source_key.startswith("competency:"):
        return None
    _prefix, identifier, level = source_key.rsplit(":", 2)
    return identifier, int(level)


def reconcile_people(person_ids: Iterable[int], progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Issue what these people have earned and do not hold; revoke what they hold and no longer earn.

    A credential revoked by an administrator (or with its holder's data) stays revoked: the same
    earning does not bring it back. Returns (issued, revoked).
    """
    people = set(person_ids)
    if not people:
        return 0, 0
    earned = earned_awards(people)
    held: dict[Key, int] = {
        (person_id, source_key): pk
        for pk, person_id, source_key in db.session.execute(
            select(IssuedCredential.id, IssuedCredential.person_id, IssuedCredential.source_key)
            .outerjoin(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
            .where(
                IssuedCredential.person_id.in_(people),
                IssuedCredential.kind == CredentialKind.BADGE,
                CredentialRevocation.credential_pk.is_(None),
            )
        )
    }
    # A credential an administrator revoked (or revoked with its holder's data) is not issued again
    # for the same earning: only an earning after it (a new completion) brings a new credential.
    withdrawn_until: dict[Key, datetime] = {}
    for person_id, source_key, valid_from in db.session.execute(
        select(IssuedCredential.person_id, IssuedCredential.source_key, IssuedCredential.valid_from)
        .join(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
        .where(
            IssuedCredential.person_id.in_(people),
            IssuedCredential.kind == CredentialKind.BADGE,
            CredentialRevocation.reason.in_([RevocationReason.ADMIN, RevocationReason.ERASED]),
        )
    ):
        key = (person_id, source_key)
        withdrawn_until[key] = max(valid_from, withdrawn_until.get(key, valid_from))
    current_levels = {
        (person_id, parsed[0]): parsed[1]
        for (person_id, source_key) in earned
        if (parsed := _competency_level(source_key)) is not None
    }
    to_issue = [
        earned[key]
        for key in sorted(earned.keys() - held.keys())
        if key not in withdrawn_until or earned[key].achieved_at > withdrawn_until[key]
    ]
    to_revoke = []
    for (person_id, source_key), pk in held.items():
        if (person_id, source_key) in earned:
            continue
        parsed = _competency_level(source_key)
        if parsed is not None and current_levels.get((person_id, parsed[0]), 0) >= parsed[1]:
            continue  # a lower level than the one attained now: it stays true
        to_revoke.append(pk)
    issue_awards(to_issue, progress)
    revoked = revoke_credentials(to_revoke, RevocationReason.VOIDED)
    return len(to_issue), revoked


# --- the projection -------------------------------------------------------------------------------


def project_credentials(batch: StoredBatch) -> None:
    """The LRS subscriber (after courses and competencies): issue and revoke for the batch's people.

    Only a completing statement (completed, passed, mastered, satisfied: what completes an enrolment
    or gives evidence) or a void can change what anyone has earned; other batches cost nothing here.
    """
    if not batch.voided_ids and not any(
        (statement.get("verb") or {}).get("id") in EVIDENCE_VERBS for statement in batch.statements
    ):
        return
    reconcile_people(people_of_statements(batch))


def _people_with_anything() -> list[int]:
    query = union(
        select(Enrolment.person_id).where(Enrolment.status == EnrolmentStatus.COMPLETED),
        select(Evidence.person_id).where(Evidence.withdrawn_at.is_(None)),
        select(Attainment.person_id),
        select(IssuedCredential.person_id),
    )
    return sorted(db.session.scalars(select(text("person_id")).select_from(query.subquery())))


def rebuild_credentials(progress: Callable[[int], None] | None = None, chunk: int = 500) -> int:
    """Bring everyone's credentials in step with the rebuilt enrolments and attainment; return how many were issued.

    Credentials are never deleted: one still earned stays as issued, one no longer earned is revoked.
    """
    people = _people_with_anything()
    issued = 0
    for start in range(0, len(people), chunk):
        some = people[start : start + chunk]
        issued += reconcile_people(some)[0]
        if progress:
            progress(len(some))
    return issued


def count_people() -> int:
    return len(_people_with_anything())


def snapshot_credentials() -> Snapshot:
    """The badges people hold (not revoked) and those revoked, as comparable tuples."""
    return {
        "issued_credentials": rows_of(
            select(
                IssuedCredential.person_id,
                IssuedCredential.source_key,
                IssuedCredential.valid_from,
                CredentialRevocation.reason,
            )
            .outerjoin(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
            .where(IssuedCredential.kind == CredentialKind.BADGE)
        )
    }
