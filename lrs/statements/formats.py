"""The formats a GET returns statements in: exact, ids, or canonical."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from academy.db import db
from academy.ifi import agent_key
from lrs.models import Activity
from lrs.statements.indexing import _activity_definitions


def format_statements(payloads: list[dict[str, Any]], fmt: str, languages: list[str]) -> list[dict[str, Any]]:
    """Stored statements in the requested format: exact, ids, or canonical (the LRS's activity
    definitions, and one language of each language map, chosen by Accept-Language)."""
    if fmt == "exact":
        return payloads
    statements = copy.deepcopy(payloads)
    for statement in statements:
        if fmt == "ids":
            _to_ids(statement)
            if isinstance(statement.get("object"), dict) and statement["object"].get("objectType") == "SubStatement":
                _to_ids(statement["object"])
    if fmt == "canonical":
        _canonical_definitions(statements)
        _to_canonical(statements, languages)
    return statements


def _ids_of_actor(actor: dict[str, Any]) -> dict[str, Any]:
    reduced: dict[str, Any] = {
        key: actor[key] for key in ("objectType", "mbox", "mbox_sha1sum", "openid", "account") if key in actor
    }
    if actor.get("objectType") == "Group" and not agent_key(actor):
        reduced["member"] = [_ids_of_actor(m) for m in actor.get("member") or ()]
    return reduced


def _to_ids(statement: dict[str, Any]) -> None:
    statement["actor"] = _ids_of_actor(statement["actor"])
    statement["verb"] = {"id": statement["verb"]["id"]}
    target = statement.get("object") or {}
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        statement["object"] = {"id": target["id"]}
    elif kind in ("Agent", "Group"):
        statement["object"] = _ids_of_actor(target)
    if "authority" in statement:
        statement["authority"] = _ids_of_actor(statement["authority"])
    context = statement.get("context")
    if context:
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _ids_of_actor(context[key])
        for kind_list in (context.get("contextActivities") or {}).values():
            for activity in kind_list:
                activity.pop("definition", None)


def _pick_language(language_map: dict[str, str], languages: list[str]) -> dict[str, str]:
    for language in languages:
        if language in language_map:
            return {language: language_map[language]}
        prefix = [key for key in language_map if key.split("-")[0] == language.split("-")[0]]
        if prefix:
            return {prefix[0]: language_map[prefix[0]]}
    first = next(iter(language_map), None)
    return {first: language_map[first]} if first is not None else {}


def _to_canonical(node: Any, languages: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if (
                key in ("display", "name", "description")
                and isinstance(value, dict)
                and all(isinstance(v, str) for v in value.values())
            ):
                node[key] = _pick_language(value, languages)
            else:
                _to_canonical(value, languages)
    elif isinstance(node, list):
        for item in node:
            _to_canonical(item, languages)


def _canonical_definitions(statements: list[dict[str, Any]]) -> None:
    """Replace activity definitions by the LRS's canonical ones (format=canonical)."""
    ids = {a for s in statements for a, _d in _activity_definitions(s)}
    if not ids:
        return
    known: dict[str, Any] = dict(
        db.session.execute(select(Activity.activity_id, Activity.definition).where(Activity.activity_id.in_(ids))).all()
    )

    def visit(activity: dict[str, Any]) -> None:
        definition = known.get(str(activity.get("id")))
        if definition:
            activity["definition"] = copy.deepcopy(definition)

    for statement in statements:
        for part in (statement, statement.get("object") or {}):
            target = part.get("object") or {}
            if part is statement or part.get("objectType") == "SubStatement":
                if target.get("objectType", "Activity") == "Activity":
                    visit(target)
                for kind_list in ((part.get("context") or {}).get("contextActivities") or {}).values():
                    for activity in kind_list:
                        visit(activity)
