"""Standing: the per-person projection that coverage counts.

Kept beside attainment for the people whose attainment changed: whether they meet every
requirement of their profile (and of each area), and in which fiscal years they trained.
Coverage is then a grouped count over people, fast at any scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from academy.dates import fiscal_year_of, today
from academy.db import db
from academy.org.models import Agency, Person
from academy.projections import insert_missing, upsert_rows
from competencies.models import (
    AreaStanding,
    Attainment,
    Competency,
    Evidence,
    EvidenceSource,
    Framework,
    Standing,
    TrainingYear,
)
from competencies.services.frameworks import applicable_requirements, is_active_standard, requirements_for

#: Sources that count as training (a statement about an aligned activity, our courses' included).
TRAINING_SOURCES = (EvidenceSource.STATEMENT,)


def refresh_standing(
    person_ids: Iterable[int],
    chunk: int = 1000,
    *,
    meets: bool = True,
    training_years: bool = True,
    attained: Mapping[int, Mapping[int, int]] | None = None,
) -> None:
    """Recompute the standing (whether they meet their profile) and training years of these people.

    ``attained``: these people's attainment (person -> competency -> level), when the caller has just
    written it; otherwise it is read.
    """
    people = sorted(set(person_ids))
    if not people:
        return
    if training_years:
        for start in range(0, len(people), chunk):
            _refresh_training_years(people[start : start + chunk])
    standard = _standard() if meets else None
    if standard is None:
        return
    framework_id, areas, area_ids = standard
    for start in range(0, len(people), chunk):
        _refresh_chunk(people[start : start + chunk], framework_id, areas, area_ids, attained)


def _standard() -> tuple[int, dict[int, int], list[int]] | None:
    """The active standard's id, its competencies' areas (competency -> area) and its areas, in one query."""
    rows = db.session.execute(
        select(Framework.id, Competency.id, Competency.parent_id)
        .outerjoin(Competency, Competency.framework_id == Framework.id)
        .where(is_active_standard())
        .order_by(Framework.id)
    ).all()
    if not rows:
        return None
    framework_id = rows[0][0]
    mine = [(cid, parent) for fid, cid, parent in rows if fid == framework_id and cid is not None]
    areas = {cid: parent for cid, parent in mine if parent is not None}
    return framework_id, areas, sorted(cid for cid, parent in mine if parent is None)


def _refresh_chunk(
    people: list[int],
    framework_id: int,
    areas: dict[int, int],
    area_ids: list[int],
    known: Mapping[int, Mapping[int, int]] | None,
) -> None:
    session = db.session
    rows = session.execute(
        select(Person.id, Person.personnel_group, Person.role_level, Agency.path)
        .join(Agency, Agency.id == Person.agency_id)
        .where(Person.id.in_(people))
    ).all()
    # Only the profiles of these people's groups and levels, of the agencies above them, matter.
    profiles, agency_paths = requirements_for(
        framework_id, {(group, level) for _id, group, level, _path in rows}, {path for *_rest, path in rows}
    )
    attained = known if known is not None else attainment_of(people)
    now = datetime.now(UTC)
    standings, area_rows = [], []
    for person_id, group, level, path in rows:
        required = applicable_requirements(profiles, group, level, path, agency_paths)
        mine = attained.get(person_id, {})
        unmet_areas = {areas[cid] for cid, need in required.items() if mine.get(cid, 0) < need}
        standings.append({"person_id": person_id, "meets_all": not unmet_areas, "updated_at": now})
        area_rows += [{"person_id": person_id, "area_id": area} for area in area_ids if area not in unmet_areas]
    # Written in place (upserts), not deleted and inserted: a writer that holds no person lock
    # (a bulk refresh, a rebuild) and a pipeline's write of the same person meet no unique violation.
    upsert_rows(Standing, standings, key=("person_id",))
    _replace_rows(AreaStanding, AreaStanding.person_id, people, area_rows, ("person_id", "area_id"))


def attainment_of(people: Iterable[int]) -> dict[int, dict[int, int]]:
    """These people's attained levels: person -> competency -> level (those with none left out)."""
    attained: dict[int, dict[int, int]] = {}
    for person_id, competency_id, level in db.session.execute(
        select(Attainment.person_id, Attainment.competency_id, Attainment.level).where(
            Attainment.person_id.in_(sorted(set(people)))
        )
    ):
        attained.setdefault(person_id, {})[competency_id] = level
    return attained


def clear_standing(person_ids: Iterable[int]) -> None:
    """Remove the standing of these people (they have no attainment left)."""
    people = sorted(set(person_ids))
    if people:
        db.session.execute(delete(Standing).where(Standing.person_id.in_(people)))
        db.session.execute(delete(AreaStanding).where(AreaStanding.person_id.in_(people)))


def _replace_rows(
    model: type[AreaStanding] | type[TrainingYear],
    person_column: InstrumentedAttribute[int],
    people: list[int],
    rows: list[dict[str, int]],
    key: tuple[str, str],
) -> None:
    """Make these people's rows of a two-column projection exactly ``rows``: the others deleted, the new inserted."""
    other = getattr(model, key[1])
    wanted = {(row[key[0]], row[key[1]]) for row in rows}
    present = {(p, o) for p, o in db.session.execute(select(person_column, other).where(person_column.in_(people)))}
    gone = sorted(present - wanted)
    for start in range(0, len(gone), 500):
        db.session.execute(delete(model).where(tuple_(person_column, other).in_(gone[start : start + 500])))
    insert_missing(model, [dict(zip(key, pair, strict=True)) for pair in sorted(wanted - present)])


def refresh_everyone() -> None:
    """Recompute the standing of every person (after the requirement matrix or positions change)."""
    refresh_standing(db.session.scalars(select(Person.id)).all())


def _refresh_training_years(people: list[int]) -> None:
    """The fiscal years in which these people have standing training evidence."""
    session = db.session
    years = {
        (person_id, fiscal_year_of(today(moment)))
        for person_id, moment in session.execute(
            select(Evidence.person_id, Evidence.achieved_at).where(
                Evidence.person_id.in_(people), Evidence.withdrawn_at.is_(None), Evidence.source.in_(TRAINING_SOURCES)
            )
        )
    }
    _replace_rows(
        TrainingYear,
        TrainingYear.person_id,
        people,
        [{"person_id": p, "fiscal_year": y} for p, y in sorted(years)],
        ("person_id", "fiscal_year"),
    )
