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
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, event, func, select, text, union
from sqlalchemy.orm import Session

from academy.db import bulk_insert, db, insert_ignoring_duplicates, reserve_ids, table_of
from academy.projections import Snapshot, lock_people, rows_of
from competencies.models import Attainment, Evidence
from competencies.services.evidence import EVIDENCE_VERBS
from courses.models import Enrolment, EnrolmentStatus
from credentials.models import (
    CredentialKind,
    CredentialQueue,
    CredentialRevocation,
    IssuedCredential,
    RevocationReason,
)
from credentials.services.awards import Key, earned_awards
from credentials.services.documents import Award, badge_document, status_entry, verification_method_id
from credentials.services.keys import SigningKey, signing_key
from credentials.services.signing import BatchSigner, sign_document
from lrs import StoredBatch, people_of_statements

# --- issuing and revoking -------------------------------------------------------------------------


def allocate_ids(count: int) -> list[int]:
    """Ids for ``count`` new credentials (their rows, and so their status list bits), before they are signed."""
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


def credential_row(
    key: SigningKey,
    row_id: int,
    credential_id: uuid.UUID,
    person_id: int,
    kind: CredentialKind,
    source_key: str,
    title_th: str,
    title_en: str,
    valid_from: datetime,
    signed: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The row that stores a signed credential."""
    number, index, _status = status_entry(row_id)
    return {
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


def signed_row(
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
    """Sign ``document`` and return the row that stores it (and the signed credential)."""
    signed = sign_document(document, key.private, verification_method_id(key.key_id), now)
    row = credential_row(
        key, row_id, credential_id, person_id, kind, source_key, title_th, title_en, valid_from, signed, now
    )
    return Signed(row, signed)


def issue_awards(
    awards: Sequence[Award], progress: Callable[[int], None] | None = None, signer: BatchSigner | None = None
) -> int:
    """Sign and store one OpenBadgeCredential per award (append-only); return how many.

    ``signer`` (the rebuild's) spreads the signing over worker processes; by default it is done here.
    """
    if not awards:
        return 0
    key = signing_key()
    now = datetime.now(UTC).replace(microsecond=0)
    ids = allocate_ids(len(awards))
    credential_ids = [uuid.uuid4() for _award in awards]
    documents = [
        badge_document(award, credential_id, row_id)
        for row_id, award, credential_id in zip(ids, awards, credential_ids, strict=True)
    ]
    method = verification_method_id(key.key_id)
    if signer is not None:
        signed = signer.sign_all(documents, key.private, method, now)
    else:
        signed = [sign_document(document, key.private, method, now) for document in documents]
    rows = [
        credential_row(
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
        )
        for row_id, award, credential_id, document in zip(ids, awards, credential_ids, signed, strict=True)
    ]
    bulk_insert(IssuedCredential, rows)
    if progress:
        progress(len(rows))
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


def reconcile_people(
    person_ids: Iterable[int], progress: Callable[[int], None] | None = None, signer: BatchSigner | None = None
) -> tuple[int, int]:
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
    issue_awards(to_issue, progress, signer)
    revoked = revoke_credentials(to_revoke, RevocationReason.VOIDED)
    return len(to_issue), revoked


# --- the projection -------------------------------------------------------------------------------


def project_credentials(batch: StoredBatch) -> None:
    """The LRS subscriber (after courses and competencies): issue and revoke for the batch's people.

    Only a completing statement (completed, passed, mastered, satisfied: what completes an enrolment
    or gives evidence) or a void can change what anyone has earned; other batches cost nothing here.
    Where the work runs is ``ACADEMY_CREDENTIALS_ISSUE_IN``: in this transaction ("request"), or, as
    signing is CPU that would slow every ingest, by a worker after the commit ("job": the batch only
    queues its people, issue_queued()).
    """
    if not batch.voided_ids and not any(
        (statement.get("verb") or {}).get("id") in EVIDENCE_VERBS for statement in batch.statements
    ):
        return
    people = people_of_statements(batch)
    if issue_in_job():
        queue_people(people)
    else:
        reconcile_people(people)


#: Where the credentials projection runs (ACADEMY_CREDENTIALS_ISSUE_IN).
ISSUE_IN = ("request", "job")
#: The worker's task that empties the queue (jobs/tasks.py); beat also sends it every minute.
ISSUE_TASK = "credentials.issue_queued"
_SENDING = "credentials.issue_task_pending"


def issue_in_job() -> bool:
    return current_app.config.get("ACADEMY_CREDENTIALS_ISSUE_IN") == "job"


def queue_people(person_ids: Iterable[int]) -> None:
    """Queue these people for a worker to bring their credentials in step; the task is sent once committed.

    Only when someone was not queued yet: a person's row in the queue was committed by a transaction that
    sent the task after it, and the task empties the queue before it ends; the callers hold the people's
    projection locks, so no worker is between reading and dequeuing them (issue_queued), and it reads them
    after this commit. A busy ingest then sends no task for a batch of people already waiting.
    """
    people = sorted(set(person_ids))
    if not people:
        return
    queue = table_of(CredentialQueue)
    added = db.session.scalars(
        insert_ignoring_duplicates(queue).returning(queue.c.person_id), [{"person_id": p} for p in people]
    ).all()
    session: Session = db.session()
    if not added or session.info.get(_SENDING):
        return  # everyone was waiting already, or this transaction sends it already
    session.info[_SENDING] = True
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def after_commit(committed: Session) -> None:
        committed.info.pop(_SENDING, None)
        celery = app.extensions.get("celery")
        if celery is None:
            return
        try:
            celery.send_task(ISSUE_TASK)
        except Exception:  # the broker is away: beat sends the task again within a minute
            app.logger.exception("could not send %s; the schedule sends it within a minute", ISSUE_TASK)

    event.listen(session, "after_commit", after_commit, once=True)


def issue_queued(limit: int = 200) -> tuple[int, int, int]:
    """Bring the credentials of up to ``limit`` queued people in step and take them off the queue;
    return (people, issued, revoked). Flushes, never commits (the task commits each round).

    Rows another worker holds are skipped (PostgreSQL), and each person's projection lock is taken
    before anything is read, as a batch takes it: a batch that queues someone meanwhile is either
    seen whole or queues them again after this commit.
    """
    query = select(CredentialQueue.person_id).order_by(CredentialQueue.person_id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    people = list(db.session.scalars(query))
    if not people:
        return 0, 0, 0
    lock_people(people)
    issued, revoked = reconcile_people(people)
    db.session.execute(delete(CredentialQueue).where(CredentialQueue.person_id.in_(people)))
    return len(people), issued, revoked


def count_queued() -> int:
    return db.session.scalar(select(func.count()).select_from(CredentialQueue)) or 0


def _people_with_anything() -> list[int]:
    query = union(
        select(Enrolment.person_id).where(Enrolment.status == EnrolmentStatus.COMPLETED),
        select(Evidence.person_id).where(Evidence.withdrawn_at.is_(None)),
        select(Attainment.person_id),
        select(IssuedCredential.person_id),
    )
    return sorted(db.session.scalars(select(text("person_id")).select_from(query.subquery())))


#: A rebuild for at least this many people signs in worker processes (one a core), when there are several cores.
PARALLEL_FROM = 2_000


def rebuild_credentials(
    progress: Callable[[int], None] | None = None, chunk: int = 500, workers: int | None = None
) -> int:
    """Bring everyone's credentials in step with the rebuilt enrolments and attainment; return how many were issued.

    Credentials are never deleted: one still earned stays as issued, one no longer earned is revoked.
    ``workers``: processes that sign (by default one a core for a large rebuild, none for a small one).
    """
    # Everyone is brought in step here: nobody is left waiting for the worker.
    db.session.execute(delete(CredentialQueue))
    people = _people_with_anything()
    if workers is None:
        workers = (os.cpu_count() or 1) if len(people) >= PARALLEL_FROM else 0
    issued = 0
    with BatchSigner(workers) as signer:
        for start in range(0, len(people), chunk):
            some = people[start : start + chunk]
            issued += reconcile_people(some, signer=signer)[0]
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
