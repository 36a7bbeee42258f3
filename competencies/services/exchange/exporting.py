"""A framework out as a CASE 1.0 CFPackage."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from competencies.models import Framework
from competencies.services.exchange.document import (
    ADOPTION_STATUS,
    AREA_TYPE,
    CODE_TAG,
    COMPETENCY_TYPE,
    CORE_KEYWORD,
    OPTIONAL_KEYWORD,
    PROFICIENT_FEEDBACK,
    QUALITY_SEPARATOR,
    ExchangeError,
    _with_thai,
)


def export_case(framework: Framework, base_uri: str, *, creator: str | None = None) -> dict[str, Any]:
    """Describe the framework as a CASE 1.0 CFPackage, ready for ``json.dumps``.

    Every node's uri is ``<base_uri>/uri/<identifier>``; the CFDocument's creator is ``creator`` (we keep
    none), else the framework's English name.
    """
    base = base_uri.rstrip("/")
    changed = datetime.now(UTC).isoformat(timespec="seconds")

    def uri(identifier: uuid.UUID) -> str:
        return f"{base}/uri/{identifier}"

    def link(title: str, identifier: uuid.UUID) -> dict[str, str]:
        return {"title": title, "identifier": str(identifier), "uri": uri(identifier)}

    document_id = framework.identifier
    if "\n" in framework.code:
        raise ExchangeError(f"framework {framework.code!r}: the code has a line break")
    document_link = link(framework.name_en, document_id)
    document: dict[str, Any] = {
        "identifier": str(document_id),
        "uri": uri(document_id),
        "creator": creator or framework.name_en,
        "title": framework.name_en,
        "lastChangeDateTime": changed,
        "description": framework.description_en,
        "language": "en",
        "version": framework.version,
        "adoptionStatus": ADOPTION_STATUS[framework.status],
        "notes": _with_thai(
            CODE_TAG + framework.code, framework.name_th, framework.description_th, f"framework {framework.code}"
        ),
    }
    item_types = {name: uuid.uuid5(document_id, f"CFItemType/{name}") for name in (AREA_TYPE, COMPETENCY_TYPE)}
    competencies = sorted(framework.competencies, key=lambda c: (c.sort_order, c.id or 0))
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    sibling_count: dict[uuid.UUID | None, int] = {}
    for competency in competencies:
        parent = competency.parent
        item_type = AREA_TYPE if parent is None else COMPETENCY_TYPE
        where = f"competency {competency.code}"
        items.append(
            {
                "identifier": str(competency.identifier),
                "uri": uri(competency.identifier),
                "fullStatement": competency.name_en,
                "humanCodingScheme": competency.code,
                "listEnumeration": str(competency.sort_order),
                "conceptKeywords": [CORE_KEYWORD if competency.is_core else OPTIONAL_KEYWORD],
                "notes": _with_thai(competency.description_en, competency.name_th, competency.description_th, where),
                "CFItemType": item_type,
                "CFItemTypeURI": link(item_type, item_types[item_type]),
                "language": "en",
                "lastChangeDateTime": changed,
            }
        )
        parent_key = None if parent is None else parent.identifier
        sibling_count[parent_key] = sibling_count.get(parent_key, 0) + 1
        association_id = uuid.uuid5(competency.identifier, "isChildOf")
        associations.append(
            {
                "identifier": str(association_id),
                "uri": uri(association_id),
                "associationType": "isChildOf",
                "sequenceNumber": sibling_count[parent_key],
                "originNodeURI": link(competency.name_en, competency.identifier),
                "destinationNodeURI": document_link if parent is None else link(parent.name_en, parent.identifier),
                "lastChangeDateTime": changed,
            }
        )
    package: dict[str, Any] = {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {
            "CFItemTypes": [
                {
                    "identifier": str(identifier),
                    "uri": uri(identifier),
                    "title": name,
                    "description": "A skill area (no parent)." if name == AREA_TYPE else "A competency in an area.",
                    "hierarchyCode": "1" if name == AREA_TYPE else "2",
                    "typeCode": "competency-area" if name == AREA_TYPE else "competency",
                    "lastChangeDateTime": changed,
                }
                for name, identifier in item_types.items()
            ]
        },
    }
    if framework.levels:
        package["CFRubrics"] = [_export_scale(framework, uri, changed)]
    return package


def _export_scale(framework: Framework, uri: Callable[[uuid.UUID], str], changed: str) -> dict[str, Any]:
    """The proficiency scale as one CFRubric with one criterion."""
    rubric_id = uuid.uuid5(framework.identifier, "CFRubric/scale")
    criterion_id = uuid.uuid5(framework.identifier, "CFRubricCriterion/scale")
    levels = sorted(framework.levels, key=lambda lvl: lvl.level)
    proficient = [lvl for lvl in levels if lvl.proficient]
    threshold = f" Proficient from level {proficient[0].level} ({proficient[0].code})." if proficient else ""
    criterion_levels = []
    for level in levels:
        where = f"scale level {level.level}"
        if QUALITY_SEPARATOR in level.code:
            raise ExchangeError(f"{where}: the code contains {QUALITY_SEPARATOR.strip()!r}")
        level_id = uuid.uuid5(framework.identifier, f"CFRubricCriterionLevel/{level.level}")
        entry: dict[str, Any] = {
            "identifier": str(level_id),
            "uri": uri(level_id),
            "description": _with_thai(level.description_en, level.name_th, level.description_th, where),
            "quality": f"{level.code}{QUALITY_SEPARATOR}{level.name_en}",
            "score": level.level,
            "position": level.level,
            "rubricCriterionId": str(criterion_id),
            "lastChangeDateTime": changed,
        }
        if level.proficient:
            entry["feedback"] = PROFICIENT_FEEDBACK
        criterion_levels.append(entry)
    return {
        "identifier": str(rubric_id),
        "uri": uri(rubric_id),
        "title": f"{framework.name_en}: proficiency levels",
        "description": f"The {len(levels)} proficiency levels of {framework.name_en}.{threshold}",
        "lastChangeDateTime": changed,
        "CFRubricCriteria": [
            {
                "identifier": str(criterion_id),
                "uri": uri(criterion_id),
                "category": "Proficiency level",
                "description": f"Proficiency in any competency of the framework.{threshold}",
                "weight": 1,
                "position": 1,
                "rubricId": str(rubric_id),
                "lastChangeDateTime": changed,
                "CFRubricCriterionLevels": criterion_levels,
            }
        ],
    }
