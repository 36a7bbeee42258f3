"""A CASE 1.0 CFPackage in: its items, associations and rubric, read into a plan and stored."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from competencies.models import Framework, FrameworkStatus, ScaleLevel
from competencies.services.exchange.document import (
    _CODE_LINE,
    CODE_LENGTH,
    CORE_KEYWORD,
    LEVEL_CODE_LENGTH,
    NAME_LENGTH,
    PROFICIENT_FEEDBACK,
    QUALITY_SEPARATOR,
    VERSION_LENGTH,
    ExchangeError,
    _split_thai,
)
from competencies.services.exchange.storing import _check_framework_is_new, _create, _Node, _Plan, _tree


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
