"""Display names of the organisation model's codes, in the page's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from academy.org.models import AgencyKind, PersonnelGroup, PersonStatus, RoleLevel

GROUP_LABELS = {PersonnelGroup.IT: _l("IT"), PersonnelGroup.NON_IT: _l("Non-IT")}
LEVEL_LABELS = {
    RoleLevel.OPERATIONAL: _l("Operational"),
    RoleLevel.SUPERVISOR: _l("Supervisor / Director"),
    RoleLevel.EXECUTIVE: _l("Executive"),
}
STATUS_LABELS = {PersonStatus.ACTIVE: _l("Active"), PersonStatus.INACTIVE: _l("Inactive")}
KIND_LABELS = {
    AgencyKind.MINISTRY: _l("Ministry"),
    AgencyKind.DEPARTMENT: _l("Department"),
    AgencyKind.DIVISION: _l("Division"),
}


def label(mapping: Mapping[Any, object], value: object) -> str:
    return str(mapping.get(value, value)) if value is not None else ""


def profile_label(group: PersonnelGroup, level: RoleLevel) -> str:
    """A role profile's name in the page's language: the one home for it (pages, reports, exports)."""
    return f"{GROUP_LABELS[group]} · {LEVEL_LABELS[level]}"
