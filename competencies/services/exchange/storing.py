"""What an import will create: the plan of nodes, their tree and core flags, and the framework it stores."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from academy.db import db
from competencies.models import Competency, Framework, FrameworkStatus, ScaleLevel
from competencies.services.exchange.document import ExchangeError


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
