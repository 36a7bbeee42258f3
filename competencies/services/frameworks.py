"""Frameworks, role profiles and requirements: seeding, reading, editing."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup, RoleLevel
from competencies.models import Competency, Framework, FrameworkStatus, Requirement, RoleProfile, ScaleLevel

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
STANDARD_CODE = "OCSC-DS-2566"


class FrameworkError(ValueError):
    """A framework, profile or requirement that cannot be stored as given; the message says why."""


def load_json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def create_framework_from_definition(data: dict[str, Any], status: FrameworkStatus) -> Framework:
    """Create a framework (scale, areas, competencies, profiles, default requirements) from our JSON shape."""
    framework = Framework(
        code=data["code"],
        version=data["version"],
        name_th=data["name_th"],
        name_en=data["name_en"],
        description_th=data.get("description_th", ""),
        description_en=data.get("description_en", ""),
        status=status,
    )
    framework.levels = [
        ScaleLevel(
            level=level["level"],
            code=level["code"],
            name_th=level["name_th"],
            name_en=level["name_en"],
            description_th=level.get("description_th", ""),
            description_en=level.get("description_en", ""),
            proficient=bool(level.get("proficient")),
        )
        for level in data["scale"]
    ]
    db.session.add(framework)
    by_code: dict[str, Competency] = {}
    order = 0
    for area_data in data["areas"]:
        order += 1
        area = Competency(
            code=area_data["code"],
            name_th=area_data["name_th"],
            name_en=area_data["name_en"],
            description_th=area_data.get("description_th", ""),
            description_en=area_data.get("description_en", ""),
            is_core=bool(area_data.get("core")),
            sort_order=order,
        )
        framework.competencies.append(area)
        for item in area_data.get("competencies", []):
            order += 1
            competency = Competency(
                code=item["code"],
                name_th=item["name_th"],
                name_en=item["name_en"],
                description_th=item.get("description_th", ""),
                description_en=item.get("description_en", ""),
                is_core=area.is_core,
                sort_order=order,
                parent=area,
            )
            framework.competencies.append(competency)
            by_code[item["code"]] = competency
    db.session.flush()
    matrix = data.get("default_requirements", {})
    for profile_data in data.get("profiles", []):
        profile = RoleProfile(
            framework_id=framework.id,
            code=profile_data["code"],
            personnel_group=PersonnelGroup(profile_data["group"]),
            role_level=RoleLevel(profile_data["level"]),
            name_th=profile_data["name_th"],
            name_en=profile_data["name_en"],
        )
        for code, level in matrix.get(profile_data["code"], {}).items():
            if code not in by_code:
                raise FrameworkError(f"requirement of profile {profile_data['code']}: no competency has code {code}")
            if level:
                profile.requirements.append(Requirement(competency_id=by_code[code].id, required_level=int(level)))
        db.session.add(profile)
    db.session.flush()
    return framework


def seed_standard() -> Framework:
    """Create the civil-service digital skill standard, active, unless it exists (idempotent)."""
    existing = db.session.scalar(select(Framework).where(Framework.code == STANDARD_CODE))
    if existing is not None:
        return existing
    return create_framework_from_definition(load_json("ocsc_digital_standard.json"), FrameworkStatus.ACTIVE)


def active_standard(*options: ORMOption) -> Framework | None:
    """The framework the platform measures people against: the active standard.

    ``options``: loader options, e.g. ``joinedload(Framework.competencies)`` for a page that reads them.
    """
    # Every row read: a joined collection is complete only once all its rows are.
    found = db.session.scalars(select(Framework).where(is_active_standard()).options(*options)).unique().all()
    return found[0] if found else None


def is_active_standard() -> ColumnElement[bool]:
    """The condition a framework meets when it is the active standard (active_standard)."""
    return and_(Framework.code == STANDARD_CODE, Framework.status == FrameworkStatus.ACTIVE)


def list_frameworks() -> list[Framework]:
    return list(db.session.scalars(select(Framework).order_by(Framework.code, Framework.version)))


def areas_of(framework: Framework) -> list[Competency]:
    return [c for c in framework.competencies if c.parent_id is None]


_LEVEL_ORDER = {RoleLevel.OPERATIONAL: 0, RoleLevel.SUPERVISOR: 1, RoleLevel.EXECUTIVE: 2}


def default_profiles(framework: Framework) -> list[RoleProfile]:
    """The six academy-wide profiles: IT first, then Non-IT, each from operational to executive."""
    profiles = db.session.scalars(
        select(RoleProfile)
        .where(RoleProfile.framework_id == framework.id, RoleProfile.agency_id.is_(None))
        .options(selectinload(RoleProfile.requirements))
    )
    return sorted(profiles, key=lambda p: (p.personnel_group is not PersonnelGroup.IT, _LEVEL_ORDER[p.role_level]))


def profile_for(person: Person, framework: Framework) -> RoleProfile | None:
    """The person's profile: their agency's own (the nearest up the tree) or the default one.

    One query, requirements with it: the agencies above the person's are those whose path is a
    prefix of its path (``03/``, ``03/03003/``, ...), the nearest the deepest.
    """
    path = person.agency.path
    prefixes = [path[: end + 1] for end, char in enumerate(path) if char == "/"]
    rows = (
        db.session.execute(
            select(RoleProfile, Agency.depth)
            .outerjoin(Agency, Agency.id == RoleProfile.agency_id)
            .where(
                RoleProfile.framework_id == framework.id,
                RoleProfile.personnel_group == person.personnel_group,
                RoleProfile.role_level == person.role_level,
                RoleProfile.agency_id.is_(None) | Agency.path.in_(prefixes),
            )
            .options(joinedload(RoleProfile.requirements))
        )
        .unique()
        .all()
    )
    if not rows:
        return None
    # The deepest agency's own profile; the default (no agency) last.
    profile, _depth = max(rows, key=lambda row: -1 if row[1] is None else row[1])
    return profile


def requirements_of(profile: RoleProfile | None) -> dict[int, int]:
    """competency id -> required level (levels above zero only)."""
    if profile is None:
        return {}
    return {r.competency_id: r.required_level for r in profile.requirements if r.required_level > 0}


def set_requirement(profile: RoleProfile, competency: Competency, level: int) -> None:
    """Set (or with 0, remove) the level a profile requires in a competency."""
    if competency.framework_id != profile.framework_id:
        raise FrameworkError("the competency belongs to another framework")
    levels = {lvl.level for lvl in competency.framework.levels}
    if level and level not in levels:
        raise FrameworkError(f"level {level} is not on the framework's scale ({', '.join(map(str, sorted(levels)))})")
    current = next((r for r in profile.requirements if r.competency_id == competency.id), None)
    if level == 0:
        if current is not None:
            profile.requirements.remove(current)
    elif current is None:
        profile.requirements.append(Requirement(competency_id=competency.id, required_level=level))
    else:
        current.required_level = level
    db.session.flush()


def create_agency_profile(framework: Framework, base: RoleProfile, agency: Agency) -> RoleProfile:
    """An agency's own copy of a default profile, to raise its bar."""
    profile = RoleProfile(
        framework_id=framework.id,
        code=base.code,
        personnel_group=base.personnel_group,
        role_level=base.role_level,
        agency_id=agency.id,
        name_th=f"{base.name_th} ({agency.name_th})",
        name_en=f"{base.name_en} ({agency.name_en})",
    )
    profile.requirements = [
        Requirement(competency_id=r.competency_id, required_level=r.required_level) for r in base.requirements
    ]
    db.session.add(profile)
    db.session.flush()
    return profile


def competencies_by_id(framework: Framework) -> dict[int, Competency]:
    """Every area and competency of a framework, by id."""
    return {c.id: c for c in framework.competencies}


def leaf_competencies(framework: Framework) -> list[Competency]:
    """The competencies of a framework, without its areas."""
    return [c for c in framework.competencies if c.parent_id is not None]


def agency_profiles(framework: Framework, agency: Agency) -> list[RoleProfile]:
    """The profiles an agency has raised for itself (and the units beneath it)."""
    profiles = db.session.scalars(
        select(RoleProfile)
        .where(RoleProfile.framework_id == framework.id, RoleProfile.agency_id == agency.id)
        .options(selectinload(RoleProfile.requirements))
    )
    return sorted(profiles, key=lambda p: (p.personnel_group is not PersonnelGroup.IT, _LEVEL_ORDER[p.role_level]))


def copy_profiles_for_agency(framework: Framework, agency: Agency) -> list[RoleProfile]:
    """Give an agency its own copy of each default profile it lacks, to raise its bar."""
    have = {p.code for p in agency_profiles(framework, agency)}
    return [
        create_agency_profile(framework, base, agency) for base in default_profiles(framework) if base.code not in have
    ]


# --- every profile at once (for many people) --------------------------------------------------------

ProfileKey = tuple[PersonnelGroup, RoleLevel, int | None]  # group, role level, owning agency (None: default)


def requirements_by_profile(framework: Framework) -> dict[ProfileKey, dict[int, int]]:
    """Every role profile of the framework, the defaults and agencies' own, with the levels it requires."""
    profiles: dict[ProfileKey, dict[int, int]] = {
        (p.personnel_group, p.role_level, p.agency_id): {}
        for p in db.session.scalars(select(RoleProfile).where(RoleProfile.framework_id == framework.id))
    }
    for group, level, agency_id, competency_id, required in db.session.execute(
        select(
            RoleProfile.personnel_group,
            RoleProfile.role_level,
            RoleProfile.agency_id,
            Requirement.competency_id,
            Requirement.required_level,
        )
        .join(Requirement, Requirement.profile_id == RoleProfile.id)
        .where(RoleProfile.framework_id == framework.id, Requirement.required_level > 0)
    ):
        profiles[(group, level, agency_id)][competency_id] = required
    return profiles


def requirements_for(
    framework_id: int, profiles: Collection[tuple[PersonnelGroup, RoleLevel]], agency_paths: Collection[str]
) -> tuple[dict[ProfileKey, dict[int, int]], dict[str, int]]:
    """What applicable_requirements needs for people of these (group, role level) pairs in the agencies at
    ``agency_paths``, in one query: the framework's role profiles that may apply to them (the defaults and
    those of the agencies up their trees) with the levels they require, as requirements_by_profile gives
    them; and the owning agencies' ids by path."""
    groups, levels = {group for group, _level in profiles}, {level for _group, level in profiles}
    above = {prefix for path in agency_paths for prefix in _paths_up(path)}
    if not groups or not levels:
        return {}, {}
    found: dict[ProfileKey, dict[int, int]] = {}
    owners: dict[str, int] = {}
    for group, level, agency_id, path, competency_id, required in db.session.execute(
        select(
            RoleProfile.personnel_group,
            RoleProfile.role_level,
            RoleProfile.agency_id,
            Agency.path,
            Requirement.competency_id,
            Requirement.required_level,
        )
        .outerjoin(Agency, Agency.id == RoleProfile.agency_id)
        .outerjoin(Requirement, and_(Requirement.profile_id == RoleProfile.id, Requirement.required_level > 0))
        .where(
            RoleProfile.framework_id == framework_id,
            RoleProfile.personnel_group.in_(groups),
            RoleProfile.role_level.in_(levels),
            or_(RoleProfile.agency_id.is_(None), Agency.path.in_(above)),
        )
    ):
        required_levels = found.setdefault((group, level, agency_id), {})
        if competency_id is not None:
            required_levels[competency_id] = required
        if agency_id is not None:
            owners[path] = agency_id
    return found, owners


def _paths_up(path: str) -> list[str]:
    """The paths of the agency at ``path`` and of every agency above it, nearest first."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:depth]) + "/" for depth in range(len(parts), 0, -1)]


def applicable_requirements(
    profiles: dict[ProfileKey, dict[int, int]],
    group: PersonnelGroup,
    level: RoleLevel,
    path: str,
    agency_paths: dict[str, int],
) -> dict[int, int]:
    """The required levels for someone of this group and level in the agency at ``path``: the profile of
    the nearest agency up the tree that has its own (``agency_paths``: path -> id), else the default."""
    above = (agency_paths.get(prefix) for prefix in _paths_up(path))
    for owner in [*(agency for agency in above if agency is not None), None]:
        if (group, level, owner) in profiles:
            return profiles[(group, level, owner)]
    return {}
