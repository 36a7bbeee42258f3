"""Evidence from learning records, and attainment as its projection.

The LRS hands every stored batch to ``record_statement_evidence`` (registered at start-up).
A completed, passed, mastered or cmi5-satisfied statement (not failed) about an aligned
activity, whose actor is one of a person's identifiers, becomes evidence; the person's
attainment is recomputed for the competencies it touches, and nothing else (with the attained
level kept on the goals of their development plans, competencies.idp.services.levels).

Which statements count (README, Trust model): the platform's own count for every alignment;
a provider's only for the alignments granted to it (``Alignment.owner_client_id``) and, when
the provider is scoped to an agency, only about people of that agency's subtree. Others are
stored by the LRS and noted as ignored, with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, tuple_, update

from academy.dates import fiscal_year_of, today
from academy.db import bulk_insert, db
from academy.ifi import agent_key
from academy.org.models import Person, PersonIdentifier
from academy.projections import Snapshot, insert_missing, lock_people, rows_of, upsert_rows
from competencies.idp.services.levels import follow_attainment, forget_attained_levels, snapshot_goal_levels
from competencies.models import (
    Alignment,
    AreaStanding,
    Attainment,
    Competency,
    Evidence,
    EvidenceSource,
    Framework,
    Standing,
    TrainingYear,
)
from competencies.services.standing import attainment_of, clear_standing, refresh_standing
from lrs import (
    IGNORED_NOT_GRANTED,
    IGNORED_OUTSIDE_AGENCY,
    Statement,
    StoredBatch,
    Writer,
    forget_all_ignored,
    note_ignored,
    parse_timestamp,
    people_by_key,
    people_of_agency,
    writers_by_client,
)

#: Verbs that demonstrate what an aligned activity teaches.
EVIDENCE_VERBS = frozenset(
    {
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/passed",
        "http://adlnet.gov/expapi/verbs/mastered",
        "https://w3id.org/xapi/adl/verbs/satisfied",
    }
)

Pair = tuple[int, int]  # (person id, competency id)


def _demonstrates(statement: Mapping[str, Any]) -> bool:
    if statement["verb"]["id"] not in EVIDENCE_VERBS:
        return False
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") != "Activity":
        return False
    return (statement.get("result") or {}).get("success") is not False


def _evidence_rows(
    statements: Sequence[Mapping[str, Any]], writer: Writer, known: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """The evidence that statements stored by ``writer`` give; notes those the trust rules ignore.

    ``known``: the people of the statements' actors (agent key -> person id) when the caller has them.
    """
    candidates = [s for s in statements if _demonstrates(s)]
    if not candidates:
        return []
    activity_ids = {s["object"]["id"] for s in candidates}
    alignments: dict[str, list[tuple[int, int]]] = {}
    not_granted: set[str] = set()
    for activity_id, competency_id, level, owner in db.session.execute(
        select(Alignment.activity_id, Alignment.competency_id, Alignment.level, Alignment.owner_client_id).where(
            Alignment.activity_id.in_(activity_ids)
        )
    ):
        if writer.platform or (owner is not None and owner == writer.client_id):
            alignments.setdefault(activity_id, []).append((competency_id, level))
        else:
            not_granted.add(activity_id)
    note_ignored(
        (uuid.UUID(s["id"]) for s in candidates if s["object"]["id"] in not_granted - alignments.keys()),
        writer.client_id,
        IGNORED_NOT_GRANTED,
    )
    candidates = [s for s in candidates if s["object"]["id"] in alignments]
    if not candidates:
        return []
    keys = {key for s in candidates if (key := agent_key(s["actor"]))}
    if known is not None:
        people = {key: known[key] for key in keys if key in known}
    else:
        people = dict(
            db.session.execute(
                select(PersonIdentifier.key, PersonIdentifier.person_id).where(PersonIdentifier.key.in_(keys))
            ).all()
        )
    if writer.agency_id is not None and people:
        inside = set(
            db.session.scalars(
                select(Person.id).where(Person.id.in_(set(people.values())), people_of_agency(writer.agency_id))
            )
        )
        outside = [s for s in candidates if people.get(agent_key(s["actor"]) or "") not in inside | {None}]
        note_ignored((uuid.UUID(s["id"]) for s in outside), writer.client_id, IGNORED_OUTSIDE_AGENCY)
        people = {key: person_id for key, person_id in people.items() if person_id in inside}
    rows = []
    for statement in candidates:
        person_id = people.get(agent_key(statement["actor"]) or "")
        if person_id is None:
            continue  # stored by the LRS; linked when the identifier is registered (rebuild)
        achieved = parse_timestamp(statement["timestamp"])
        for competency_id, level in alignments[statement["object"]["id"]]:
            rows.append(
                {
                    "person_id": person_id,
                    "competency_id": competency_id,
                    "level": level,
                    "source": EvidenceSource.STATEMENT,
                    "statement_id": uuid.UUID(statement["id"]),
                    "activity_id": statement["object"]["id"],
                    "achieved_at": achieved,
                    "expires_at": None,
                    "withdrawn_at": None,
                    "recorded_at": datetime.now(UTC),
                }
            )
    return rows


def record_statement_evidence(batch: StoredBatch) -> None:
    """The LRS subscriber: evidence from new statements, withdrawal for voided ones."""
    rows = _evidence_rows(batch.statements, batch.writer, people_by_key(batch))
    # Held already when the pipeline locked the batch's people; the evidence's people, in any case.
    lock_people({row["person_id"] for row in rows})
    bulk_insert(Evidence, rows)
    if rows:
        # New evidence can only add training years: record them here, cheaply.
        years = {(row["person_id"], fiscal_year_of(today(row["achieved_at"]))) for row in rows}
        insert_missing(TrainingYear, [{"person_id": p, "fiscal_year": y} for p, y in sorted(years)])
    affected = {(row["person_id"], row["competency_id"]) for row in rows}
    withdrawn: set[Pair] = set()
    if batch.voided_ids:
        withdrawn = withdraw_evidence(batch.voided_ids)
    if affected | withdrawn:
        recompute_attainment(affected | withdrawn, training_years_of={p for p, _c in withdrawn})


def withdraw_evidence(statement_ids: Iterable[uuid.UUID]) -> set[Pair]:
    """Mark the evidence of voided statements withdrawn; return the pairs it affected."""
    ids = list(statement_ids)
    pairs = set(
        db.session.execute(
            select(Evidence.person_id, Evidence.competency_id).where(
                Evidence.statement_id.in_(ids), Evidence.withdrawn_at.is_(None)
            )
        ).all()
    )
    if pairs:
        db.session.execute(
            update(Evidence)
            .where(Evidence.statement_id.in_(ids), Evidence.withdrawn_at.is_(None))
            .values(withdrawn_at=datetime.now(UTC))
        )
    return {(p, c) for p, c in pairs}


def recompute_attainment(pairs: Iterable[Pair], training_years_of: set[int] | None = None) -> None:
    """Recompute attainment of these (person, competency) pairs from their standing evidence.

    The standing of people whose levels changed is refreshed too; their training years
    only for the people in ``training_years_of`` (None: everyone here), as new evidence
    records its own.
    """
    pairs = set(pairs)
    if not pairs:
        return
    people = {p for p, _c in pairs}
    competencies = {c for _p, c in pairs}
    now = datetime.now(UTC)
    standing = db.session.execute(
        select(Evidence.person_id, Evidence.competency_id, func.max(Evidence.level), func.count())
        .where(
            Evidence.person_id.in_(people),
            Evidence.competency_id.in_(competencies),
            Evidence.withdrawn_at.is_(None),
            (Evidence.source == EvidenceSource.STATEMENT)
            | ((Evidence.source == EvidenceSource.SELF_ASSESSMENT) & Evidence.competency_id.in_(_self_assessed())),
            (Evidence.expires_at.is_(None)) | (Evidence.expires_at > now),
        )
        .group_by(Evidence.person_id, Evidence.competency_id)
    ).all()
    # Every pair of these people and competencies is recomputed (a superset of ``pairs``). The rows
    # are written in place (an upsert), and those with no evidence left deleted: a concurrent writer
    # of the same rows (a rebuild, which takes no person lock) meets no unique violation.
    # Their attainment in every competency is read (the standing below needs it all), once.
    attained = attainment_of(people)
    before: dict[Pair, int] = {
        (p, c): level for p, levels in attained.items() for c, level in levels.items() if c in competencies
    }
    after: dict[Pair, int] = {(p, c): level for p, c, level, _count in standing}
    gone = sorted(set(before) - set(after))
    for start in range(0, len(gone), 500):
        db.session.execute(
            delete(Attainment).where(
                tuple_(Attainment.person_id, Attainment.competency_id).in_(gone[start : start + 500])
            )
        )
    upsert_rows(
        Attainment,
        [
            {"person_id": p, "competency_id": c, "level": level, "as_of": now, "evidence_count": count}
            for p, c, level, count in standing
        ],
        key=("person_id", "competency_id"),
    )
    moved = {pair for pair in before.keys() | after.keys() if before.get(pair) != after.get(pair)}
    # The goals of development plans keep the level they measure (HR's figures count it).
    follow_attainment(moved)
    changed = {p for p, _c in moved}
    # What these people have attained now: what was read, with the pairs just written in its place.
    for p, c in gone:
        del attained[p][c]
    for (p, c), level in after.items():
        attained.setdefault(p, {})[c] = level
    now_attained = {p: levels for p in changed if (levels := attained.get(p))}
    years = people if training_years_of is None else training_years_of
    # A rebuild gives standing to the people with some attainment: someone whose last attainment
    # went (every statement voided) loses theirs, as the rebuild would.
    clear_standing(changed - now_attained.keys())
    refresh_standing(now_attained.keys(), training_years=False, attained=now_attained)
    refresh_standing(years, meets=False)


def _self_assessed() -> Select[int]:
    """The competencies whose framework counts self-assessment as evidence (a subquery: asked in the same query)."""
    return select(Competency.id).join(Framework).where(Framework.self_assessment_counts.is_(True))


def record_self_assessment(person_id: int, competency_id: int, level: int) -> Evidence:
    """A person's own view of their level: recorded and shown; counted only if the framework says so."""
    lock_people([person_id])
    evidence = Evidence(
        person_id=person_id,
        competency_id=competency_id,
        level=level,
        source=EvidenceSource.SELF_ASSESSMENT,
        achieved_at=datetime.now(UTC),
    )
    db.session.add(evidence)
    db.session.flush()
    recompute_attainment({(person_id, competency_id)})
    return evidence


def self_assessments_of(person_id: int) -> dict[int, Evidence]:
    """The person's latest self-assessment of each competency they assessed (competency id -> evidence)."""
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.person_id == person_id, Evidence.source == EvidenceSource.SELF_ASSESSMENT)
        .order_by(Evidence.achieved_at, Evidence.id)
    )
    return {row.competency_id: row for row in rows}


def rebuild_projections(progress: Callable[[int], None] | None = None, chunk: int = 2000) -> int:
    """Rebuild statement evidence and all attainment from the stored statements; return the evidence count."""
    db.session.execute(delete(Evidence).where(Evidence.source == EvidenceSource.STATEMENT))
    db.session.execute(delete(Attainment))
    forget_attained_levels()  # the goals' levels follow the attainment rebuilt below
    for projection in (Standing, AreaStanding, TrainingYear):
        db.session.execute(delete(projection))
    forget_all_ignored([IGNORED_NOT_GRANTED, IGNORED_OUTSIDE_AGENCY])
    writers = writers_by_client()
    last_pk, created = 0, 0
    while True:
        rows = db.session.execute(
            select(Statement.pk, Statement.payload, Statement.client_id)
            .where(Statement.pk > last_pk, Statement.voided.is_(False))
            .order_by(Statement.pk)
            .limit(chunk)
        ).all()
        if not rows:
            break
        # The same rules as when they were stored: each statement as its writer's.
        by_client: dict[int | None, list[dict[str, Any]]] = {}
        for _pk, payload, client_id in rows:
            by_client.setdefault(client_id, []).append(payload)
        evidence = [
            row
            for client_id, payloads in by_client.items()
            for row in _evidence_rows(payloads, writers.get(client_id) or Writer(client_id, False, False, None))
        ]
        bulk_insert(Evidence, evidence)
        created += len(evidence)
        last_pk = rows[-1][0]
        if progress:
            progress(len(rows))
    people = list(db.session.scalars(select(Evidence.person_id).distinct().order_by(Evidence.person_id)))
    for start in range(0, len(people), 1000):
        some = people[start : start + 1000]
        recompute_attainment(
            set(
                db.session.execute(
                    select(Evidence.person_id, Evidence.competency_id).where(Evidence.person_id.in_(some)).distinct()
                ).all()
            )
        )
    return created


def count_statements() -> int:
    """How many statements a rebuild reads (its progress bar's total)."""
    return db.session.scalar(select(func.count()).select_from(Statement)) or 0


def snapshot_evidence() -> Snapshot:
    """Statement evidence that stands, attainment, standing and the goals' attained levels as comparable tuples
    (without computed moments)."""
    return {
        "evidence": rows_of(
            select(
                Evidence.person_id,
                Evidence.competency_id,
                Evidence.level,
                Evidence.source,
                Evidence.statement_id,
                Evidence.activity_id,
                Evidence.achieved_at,
            ).where(Evidence.withdrawn_at.is_(None))
        ),
        "attainments": rows_of(
            select(Attainment.person_id, Attainment.competency_id, Attainment.level, Attainment.evidence_count)
        ),
        "standings": rows_of(select(Standing.person_id, Standing.meets_all)),
        "area_standings": rows_of(select(AreaStanding.person_id, AreaStanding.area_id)),
        "training_years": rows_of(select(TrainingYear.person_id, TrainingYear.fiscal_year)),
        **snapshot_goal_levels(),
    }
