"""Frameworks in and out: 1EdTech CASE 1.0 packages and a Moodle-style CSV.

How a framework maps onto a CASE 1.0 CFPackage (``export_case``; ``import_case`` reads the same):

- CFDocument: identifier = ``Framework.identifier``, title = ``name_en``, description = ``description_en``,
  version, language ``en``, adoptionStatus from the status (draft: Draft, active: Adopted, retired:
  Deprecated). On import the status comes from the caller: publishing a framework is an admin's decision.
- CFItems, one per competency: identifier, fullStatement = ``name_en``, humanCodingScheme = ``code``,
  notes = ``description_en`` (where DigComp keeps its descriptors), CFItemType "Competency Area" for items
  without a parent and "Competency" otherwise, listEnumeration = ``sort_order``, language ``en``.
- The core flag: conceptKeywords ``["core"]`` or ``["optional"]`` (core when any keyword is "core").
- Thai text: CASE 1.0 gives a node one language and no extension point, so the Thai name and description
  travel in the node's free text (``notes`` of the CFDocument and CFItems, ``description`` of a rubric
  level) as a tagged block after the English text and a blank line: a line ``[th] <Thai name>``, then the
  Thai description. A node without the block imports with its English text as the Thai name. Export
  refuses (ExchangeError) the two things the block cannot carry: a line break in a Thai name, and an
  English text with a line of its own beginning ``[th] ``.
- The framework code: a first line ``[code] <code>`` of the CFDocument notes; a package without it gets a
  code from its title (``DigComp 2.2``: ``DIGCOMP-2-2``), unless the caller passes one.
- The tree: one isChildOf CFAssociation from each item to its parent item, or to the CFDocument for an
  area; sequenceNumber = the position among siblings. Other association types are ignored on import.
- The scale: one CFRubric with one criterion and a CFRubricCriterionLevel per level: score = position =
  the level, quality = ``"<code> – <name_en>"`` (the DigComp rubric's pattern), description =
  ``description_en`` with the Thai block, and feedback ``Proficient`` on the level flagged proficient.
- Order: when every item's listEnumeration is a distinct whole number (as in our exports) it becomes
  ``sort_order``; otherwise (per-sibling numbering, as in DigComp) items are numbered depth first, siblings
  by listEnumeration, then sequenceNumber, then their place in the package.

``import_case(export_case(f))`` re-creates ``f``: identifiers, code, version, names, descriptions, tree,
core flags, order and scale. Identifiers are unique columns, so a copy beside the original needs
``new_identifiers=True`` (fresh UUIDs) and another code or version.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from typing import Any

from sqlalchemy import select

from academy.db import db
from competencies.models import Competency, Framework, FrameworkStatus, ScaleLevel


class ExchangeError(ValueError):
    """A package or CSV that cannot be imported (or a framework that cannot be exported); the message says where."""


AREA_TYPE = "Competency Area"
COMPETENCY_TYPE = "Competency"
CORE_KEYWORD = "core"
OPTIONAL_KEYWORD = "optional"
PROFICIENT_FEEDBACK = "Proficient"
QUALITY_SEPARATOR = " – "
THAI_TAG = "[th] "
CODE_TAG = "[code] "
CSV_COLUMNS = ("code", "parent_code", "name_th", "name_en", "description_th", "description_en", "is_core")

ADOPTION_STATUS = {
    FrameworkStatus.DRAFT: "Draft",
    FrameworkStatus.ACTIVE: "Adopted",
    FrameworkStatus.RETIRED: "Deprecated",
}

_THAI_LINE = re.compile(r"^\[th\] ", re.MULTILINE)
_CODE_LINE = re.compile(r"^\[code\] (.*)$", re.MULTILINE)
_TRUE = frozenset({"1", "true", "yes", "y", "core", "ใช่"})
_FALSE = frozenset({"0", "false", "no", "n", "optional", "ไม่", "ไม่ใช่"})

CODE_LENGTH = 50
VERSION_LENGTH = 20
NAME_LENGTH = 255
LEVEL_CODE_LENGTH = 20


# --- Thai block -------------------------------------------------------------------------------------------


def _with_thai(english: str, name_th: str, description_th: str, where: str) -> str:
    """Append the tagged Thai block to an English text."""
    if "\n" in name_th or "\r" in name_th:
        raise ExchangeError(f"{where}: name_th has a line break, which the CASE export cannot carry")
    if _THAI_LINE.search(english):
        raise ExchangeError(f"{where}: a line of the English text begins with {THAI_TAG.strip()!r}")
    block = THAI_TAG + name_th + (f"\n{description_th}" if description_th else "")
    return f"{english}\n\n{block}" if english else block


def _split_thai(text: str) -> tuple[str, tuple[str, str] | None]:
    """Split a text into its English part and its Thai (name, description), if it has the block."""
    match = _THAI_LINE.search(text)
    if match is None:
        return text, None
    name, _, description = text[match.end() :].partition("\n")
    return text[: match.start()].removesuffix("\n\n"), (name, description)


# --- Export -----------------------------------------------------------------------------------------------


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


# --- What an import will create ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    """A competency to create, from a CFItem or a CSV row."""

    key: str
    where: str
    code: str
    name_th: str
    name_en: str
    description_th: str
    description_en: str
    is_core: bool | None
    identifier: uuid.UUID | None = None
    parent: str | None = None
    enumeration: int | None = None
    sequence: int | None = None
    position: int = 0
    children: list[_Node] = field(default_factory=list)


@dataclass
class _Plan:
    """A validated framework, ready to be added to the session."""

    code: str
    version: str
    name_th: str
    name_en: str
    description_th: str
    description_en: str
    status: FrameworkStatus
    identifier: uuid.UUID | None
    nodes: list[_Node]
    levels: list[ScaleLevel]
    keep_enumeration: bool = False


def _tree(nodes: list[_Node], parent_column: str) -> list[_Node]:
    """Link the nodes into a tree and give them in depth-first order; raise on a cycle."""
    by_key = {node.key: node for node in nodes}
    for node in nodes:
        node.children = []
    for node in nodes:
        seen = [node]
        cursor = node
        while cursor.parent is not None:
            cursor = by_key[cursor.parent]
            if cursor is node:
                path = " → ".join(n.code for n in [*seen, node])
                raise ExchangeError(f"{node.where}{parent_column}: the parents form a cycle ({path})")
            if cursor in seen:
                break  # a cycle further up, reported from one of its own members
            seen.append(cursor)
        if node.parent is not None:
            by_key[node.parent].children.append(node)

    def sort_key(node: _Node) -> tuple[bool, int, bool, int, int]:
        return (
            node.enumeration is None,
            node.enumeration or 0,
            node.sequence is None,
            node.sequence or 0,
            node.position,
        )

    ordered: list[_Node] = []

    def visit(siblings: list[_Node]) -> None:
        for node in sorted(siblings, key=sort_key):
            ordered.append(node)
            visit(node.children)

    visit([node for node in nodes if node.parent is None])
    return ordered


def _core_flag(node: _Node, by_key: Mapping[str, _Node]) -> bool:
    """The node's own core flag, else its parent's, else not core."""
    cursor: _Node | None = node
    while cursor is not None:
        if cursor.is_core is not None:
            return cursor.is_core
        cursor = by_key[cursor.parent] if cursor.parent is not None else None
    return False


def _check_framework_is_new(plan: _Plan) -> None:
    """Refuse a framework whose identifiers, or code and version, are taken."""
    if plan.identifier is not None:
        existing = db.session.scalar(select(Framework).where(Framework.identifier == plan.identifier))
        if existing is not None:
            raise ExchangeError(
                f"CFDocument: framework {existing.code} {existing.version} already has identifier {plan.identifier}"
                " (import it with new_identifiers=True for a copy)"
            )
    taken = db.session.scalar(select(Framework).where(Framework.code == plan.code, Framework.version == plan.version))
    if taken is not None:
        raise ExchangeError(f"a framework with code {plan.code} and version {plan.version} exists")
    wanted = {node.identifier: node for node in plan.nodes if node.identifier is not None}
    if wanted:
        clash = db.session.scalars(select(Competency).where(Competency.identifier.in_(list(wanted))).limit(1)).first()
        if clash is not None:
            raise ExchangeError(
                f"{wanted[clash.identifier].where}: competency {clash.code} of another framework already has"
                " this identifier (import with new_identifiers=True for a copy)"
            )


def _create(plan: _Plan) -> Framework:
    """Add the validated framework to the session and flush."""
    framework = Framework(
        code=plan.code,
        version=plan.version,
        name_th=plan.name_th,
        name_en=plan.name_en,
        description_th=plan.description_th,
        description_en=plan.description_en,
        status=plan.status,
    )
    if plan.identifier is not None:
        framework.identifier = plan.identifier
    framework.levels = plan.levels
    db.session.add(framework)
    by_key = {node.key: node for node in plan.nodes}
    created: dict[str, Competency] = {}
    for number, node in enumerate(plan.nodes, start=1):
        competency = Competency(
            code=node.code,
            name_th=node.name_th,
            name_en=node.name_en,
            description_th=node.description_th,
            description_en=node.description_en,
            is_core=_core_flag(node, by_key),
            sort_order=node.enumeration if plan.keep_enumeration and node.enumeration is not None else number,
            parent=created[node.parent] if node.parent is not None else None,
        )
        if node.identifier is not None:
            competency.identifier = node.identifier
        framework.competencies.append(competency)
        created[node.key] = competency
    db.session.flush()
    return framework


# --- CASE import ------------------------------------------------------------------------------------------


def _text(value: object, where: str, name: str, *, required: bool = False, limit: int | None = None) -> str:
    """A string property: checked for type, presence and length."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ExchangeError(f"{where}: {name} must be a string")
    if required and not value.strip():
        raise ExchangeError(f"{where}: {name} is required")
    if limit is not None and len(value) > limit:
        raise ExchangeError(f"{where}: {name} is longer than {limit} characters")
    return value


def _uuid(value: object, where: str, name: str) -> uuid.UUID:
    """A required UUID property."""
    if value is None or value == "":
        raise ExchangeError(f"{where}: {name} is required")
    if not isinstance(value, str):
        raise ExchangeError(f"{where}: {name} must be a string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ExchangeError(f"{where}: {name} {value!r} is not a UUID") from None


def _whole(value: object) -> int | None:
    """A whole number from a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _list(package: Mapping[str, Any], name: str) -> list[Any]:
    """A top-level array of the package (missing: empty)."""
    value = package.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExchangeError(f"{name} must be an array")
    return value


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExchangeError(f"{where} must be an object")
    return value


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").upper()[:CODE_LENGTH].rstrip("-")


def _keywords(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [word.strip() for word in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise ExchangeError(f"{where}: conceptKeywords must be an array of strings")
    return [word.strip() for word in value]


def _case_nodes(items: list[Any], document_id: uuid.UUID) -> tuple[list[_Node], dict[uuid.UUID, _Node]]:
    """Validate CFItems into nodes (no tree yet)."""
    nodes: list[_Node] = []
    by_id: dict[uuid.UUID, _Node] = {}
    by_code: dict[str, _Node] = {}
    for index, raw in enumerate(items):
        item = _object(raw, f"CFItems[{index}]")
        identifier = _uuid(item.get("identifier"), f"CFItems[{index}]", "identifier")
        where = f"CFItems[{index}] (identifier {identifier})"
        if identifier == document_id:
            raise ExchangeError(f"{where}: duplicate identifier (the CFDocument has it)")
        if identifier in by_id:
            raise ExchangeError(f"{where}: duplicate identifier (also {by_id[identifier].where.split(' ')[0]})")
        name_en = _text(item.get("fullStatement"), where, "fullStatement", required=True)
        code = _text(item.get("humanCodingScheme"), where, "humanCodingScheme", limit=CODE_LENGTH).strip()
        code = code or str(identifier)
        if code in by_code:
            raise ExchangeError(f"{where}: humanCodingScheme {code} is used twice (also {by_code[code].where})")
        description_en, thai = _split_thai(_text(item.get("notes"), where, "notes"))
        name_th, description_th = thai or (name_en, "")
        keywords = {word.lower() for word in _keywords(item.get("conceptKeywords"), where)}
        node = _Node(
            key=str(identifier),
            where=where,
            code=code,
            name_th=name_th,
            name_en=name_en,
            description_th=description_th,
            description_en=description_en,
            is_core=CORE_KEYWORD in keywords,
            identifier=identifier,
            enumeration=_whole(item.get("listEnumeration")),
            position=index,
        )
        nodes.append(node)
        by_id[identifier] = node
        by_code[code] = node
    return nodes, by_id


def _node_id(value: object, where: str) -> uuid.UUID | str:
    """The identifier of an association's node (as given when it is no UUID)."""
    node = _object(value, where)
    raw = node.get("identifier")
    if not isinstance(raw, str) or not raw:
        raise ExchangeError(f"{where}: identifier is required")
    try:
        return uuid.UUID(raw)
    except ValueError:
        return raw


def _case_parents(associations: list[Any], document_id: uuid.UUID, by_id: Mapping[uuid.UUID, _Node]) -> None:
    """Set each node's parent from the isChildOf associations."""
    parent_from: dict[str, int] = {}
    for index, raw in enumerate(associations):
        where = f"CFAssociations[{index}]"
        association = _object(raw, where)
        if association.get("associationType") != "isChildOf":
            continue
        origin = _node_id(association.get("originNodeURI"), f"{where}.originNodeURI")
        destination = _node_id(association.get("destinationNodeURI"), f"{where}.destinationNodeURI")
        if not isinstance(origin, uuid.UUID) or origin not in by_id:
            raise ExchangeError(f"{where}: origin {origin} is not an item")
        if destination != document_id and (not isinstance(destination, uuid.UUID) or destination not in by_id):
            raise ExchangeError(f"{where}: destination {destination} is not an item or the document")
        node = by_id[origin]
        parent = None if destination == document_id else str(destination)
        if node.key in parent_from:
            if node.parent == parent:
                continue  # the same association again
            raise ExchangeError(
                f"{node.where}: more than one parent (CFAssociations[{parent_from[node.key]}] and {where})"
            )
        parent_from[node.key] = index
        node.parent = parent
        node.sequence = _whole(association.get("sequenceNumber"))


def _case_levels(rubrics: list[Any]) -> list[ScaleLevel]:
    """The scale from the first CFRubric's first criterion (by position)."""
    if not rubrics:
        return []
    rubric = _object(rubrics[0], "CFRubrics[0]")
    criteria = rubric.get("CFRubricCriteria") or []
    if not isinstance(criteria, list):
        raise ExchangeError("CFRubrics[0].CFRubricCriteria must be an array")
    if not criteria:
        return []
    checked = [_object(c, f"CFRubrics[0].CFRubricCriteria[{i}]") for i, c in enumerate(criteria)]
    number = min(range(len(checked)), key=lambda i: (_whole(checked[i].get("position")) or 0, i))
    path = f"CFRubrics[0].CFRubricCriteria[{number}].CFRubricCriterionLevels"
    raw_levels = checked[number].get("CFRubricCriterionLevels") or []
    if not isinstance(raw_levels, list):
        raise ExchangeError(f"{path} must be an array")
    levels: dict[int, ScaleLevel] = {}
    for index, raw in enumerate(raw_levels):
        where = f"{path}[{index}]"
        entry = _object(raw, where)
        score = _whole(entry.get("score"))
        if score is None:
            score = _whole(entry.get("position"))
        if score is None:
            raise ExchangeError(f"{where}: score must be a whole number")
        if score in levels:
            raise ExchangeError(f"{where}: level {score} is given twice")
        quality = _text(entry.get("quality"), where, "quality")
        code, separator, name_en = quality.partition(QUALITY_SEPARATOR)
        if not separator:
            code, name_en = str(score), quality or f"Level {score}"
        if len(code) > LEVEL_CODE_LENGTH:
            raise ExchangeError(f"{where}: the level code {code!r} is longer than {LEVEL_CODE_LENGTH} characters")
        description_en, thai = _split_thai(_text(entry.get("description"), where, "description"))
        name_th, description_th = thai or (name_en, "")
        if max(len(name_en), len(name_th)) > NAME_LENGTH:
            raise ExchangeError(f"{where}: a level name is longer than {NAME_LENGTH} characters")
        feedback = _text(entry.get("feedback"), where, "feedback")
        levels[score] = ScaleLevel(
            level=score,
            code=code,
            name_th=name_th,
            name_en=name_en,
            description_th=description_th,
            description_en=description_en,
            proficient=feedback.strip().lower() == PROFICIENT_FEEDBACK.lower(),
        )
    return [levels[score] for score in sorted(levels)]


def import_case(
    package: object,
    *,
    status: FrameworkStatus = FrameworkStatus.DRAFT,
    code: str | None = None,
    new_identifiers: bool = False,
) -> Framework:
    """Create a framework from a CASE 1.0 CFPackage (a parsed dict or JSON text), all or nothing."""
    if isinstance(package, str | bytes):
        try:
            package = json.loads(package)
        except ValueError as exc:
            raise ExchangeError(f"the package is not JSON: {exc}") from None
    if not isinstance(package, Mapping):
        raise ExchangeError("the package must be a JSON object (a CFPackage)")
    if package.get("CFDocument") is None:
        raise ExchangeError("CFDocument is missing")
    document = _object(package["CFDocument"], "CFDocument")
    document_id = _uuid(document.get("identifier"), "CFDocument", "identifier")
    where = f"CFDocument (identifier {document_id})"
    name_en = _text(document.get("title"), where, "title", required=True, limit=NAME_LENGTH)
    version = _text(document.get("version"), where, "version", limit=VERSION_LENGTH).strip() or "1"
    description_en = _text(document.get("description"), where, "description")
    notes, thai = _split_thai(_text(document.get("notes"), where, "notes"))
    name_th, description_th = thai or (name_en, "")
    if len(name_th) > NAME_LENGTH:
        raise ExchangeError(f"{where}: the Thai name in notes is longer than {NAME_LENGTH} characters")
    if code is None:
        tagged = _CODE_LINE.search(notes)
        code = tagged.group(1).strip() if tagged else _slug(name_en) or f"CASE-{document_id.hex[:8].upper()}"
        if len(code) > CODE_LENGTH:
            raise ExchangeError(f"{where}: the code {code!r} in notes is longer than {CODE_LENGTH} characters")
    elif not code.strip() or len(code) > CODE_LENGTH:
        raise ExchangeError(f"code {code!r} must be 1 to {CODE_LENGTH} characters")

    nodes, by_id = _case_nodes(_list(package, "CFItems"), document_id)
    _case_parents(_list(package, "CFAssociations"), document_id, by_id)
    ordered = _tree(nodes, "")
    levels = _case_levels(_list(package, "CFRubrics"))
    enumerations = [node.enumeration for node in nodes]
    keep = None not in enumerations and len(set(enumerations)) == len(enumerations)

    plan = _Plan(
        code=code,
        version=version,
        name_th=name_th,
        name_en=name_en,
        description_th=description_th,
        description_en=description_en,
        status=status,
        identifier=None if new_identifiers else document_id,
        nodes=ordered,
        levels=levels,
        keep_enumeration=keep,
    )
    if new_identifiers:
        for node in nodes:
            node.identifier = None
    _check_framework_is_new(plan)
    return _create(plan)


# --- CSV --------------------------------------------------------------------------------------------------


def read_framework_csv(path: str | PathLike[str]) -> Iterator[dict[str, str]]:
    """Read a framework CSV (UTF-8, a BOM allowed): one dict per row, keyed by the trimmed header."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield {
                    key.strip(): (value if isinstance(value, str) else "")
                    for key, value in row.items()
                    if isinstance(key, str)
                }
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except csv.Error as exc:
        raise ExchangeError(f"{path}: {exc}") from None


def _flag(value: str, where: str) -> bool | None:
    word = value.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ExchangeError(f"{where}: {value!r} is not a yes/no value (1/0, true/false, yes/no, core/optional)")


def import_framework_csv(
    rows: Iterable[Mapping[str, str | None]], *, code: str, version: str, name_th: str, name_en: str
) -> Framework:
    """Create a framework from CSV rows (one per area or competency, any order), all or nothing.

    Columns: code, parent_code (empty for an area), name_th, name_en, description_th, description_en,
    is_core (empty: the parent's, or not core for an area). Row numbers count the header as row 1.
    """
    for name, value, limit in (
        ("code", code, CODE_LENGTH),
        ("version", version, VERSION_LENGTH),
        ("name_th", name_th, NAME_LENGTH),
        ("name_en", name_en, NAME_LENGTH),
    ):
        if not value.strip() or len(value) > limit:
            raise ExchangeError(f"the framework's {name} must be 1 to {limit} characters")
    nodes: list[_Node] = []
    by_code: dict[str, _Node] = {}
    for index, row in enumerate(rows):
        number = index + 2

        def cell(column: str, row: Mapping[str, str | None] = row, number: int = number) -> str:
            if column not in row and column in ("code", "name_th", "name_en"):
                raise ExchangeError(f"row {number}: there is no {column} column")
            return (row.get(column) or "").strip()

        if not any((value or "").strip() for value in row.values()):
            continue  # a blank line
        item_code = cell("code")
        if not item_code:
            raise ExchangeError(f"row {number}, column code: a code is required")
        if len(item_code) > CODE_LENGTH:
            raise ExchangeError(f"row {number}, column code: {item_code} is longer than {CODE_LENGTH} characters")
        if item_code in by_code:
            raise ExchangeError(
                f"row {number}, column code: duplicate code {item_code} (also {by_code[item_code].where})"
            )
        names = {}
        for column in ("name_th", "name_en"):
            names[column] = cell(column)
            if not names[column]:
                raise ExchangeError(f"row {number}, column {column}: a name is required")
        node = _Node(
            key=item_code,
            where=f"row {number}",
            code=item_code,
            name_th=names["name_th"],
            name_en=names["name_en"],
            description_th=cell("description_th"),
            description_en=cell("description_en"),
            is_core=_flag(cell("is_core"), f"row {number}, column is_core"),
            parent=cell("parent_code") or None,
            position=index,
        )
        nodes.append(node)
        by_code[item_code] = node
    if not nodes:
        raise ExchangeError("the CSV has no rows")
    for node in nodes:
        if node.parent is not None and node.parent not in by_code:
            raise ExchangeError(f"{node.where}, column parent_code: no row has code {node.parent}")
    ordered = _tree(nodes, ", column parent_code")
    plan = _Plan(
        code=code.strip(),
        version=version.strip(),
        name_th=name_th.strip(),
        name_en=name_en.strip(),
        description_th="",
        description_en="",
        status=FrameworkStatus.DRAFT,
        identifier=None,
        nodes=ordered,
        levels=[],
    )
    _check_framework_is_new(plan)
    return _create(plan)
