"""What a statement is found by: the agents and activities it is indexed under, and the definitions it carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from academy.ifi import agent_key


def _agents_of(actor: Mapping[str, Any] | None) -> Iterator[str]:
    """The keys of an agent or group and of a group's identified members."""
    if not isinstance(actor, Mapping):
        return
    key = agent_key(actor)
    if key:
        yield key
    for member in actor.get("member") or ():
        member_key = agent_key(member)
        if member_key:
            yield member_key


def _index_rows(statement: Mapping[str, Any]) -> tuple[set[tuple[str, bool]], set[tuple[str, bool]]]:
    """The (agent key, direct) and (activity id, direct) pairs a statement is found by."""
    agents: set[tuple[str, bool]] = set()
    activities: set[tuple[str, bool]] = set()

    def context_of(part: Mapping[str, Any]) -> None:
        context = part.get("context") or {}
        for key in ("instructor", "team"):
            agents.update((k, False) for k in _agents_of(context.get(key)))
        for entry in context.get("contextAgents") or ():
            agents.update((k, False) for k in _agents_of(entry.get("agent")))
        for entry in context.get("contextGroups") or ():
            agents.update((k, False) for k in _agents_of(entry.get("group")))
        for kind_list in (context.get("contextActivities") or {}).values():
            for activity in kind_list if isinstance(kind_list, list) else [kind_list]:
                activities.add((activity["id"], False))

    agents.update((k, True) for k in _agents_of(statement.get("actor")))
    target = statement.get("object") or {}
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        activities.add((target["id"], True))
    elif kind in ("Agent", "Group"):
        agents.update((k, True) for k in _agents_of(target))
    elif kind == "SubStatement":
        agents.update((k, False) for k in _agents_of(target.get("actor")))
        sub_object = target.get("object") or {}
        if sub_object.get("objectType", "Activity") == "Activity":
            activities.add((sub_object["id"], False))
        else:
            agents.update((k, False) for k in _agents_of(sub_object))
        context_of(target)
    agents.update((k, False) for k in _agents_of(statement.get("authority")))
    context_of(statement)
    # A direct match also counts as related: the related_* filters are supersets.
    agents |= {(k, False) for k, direct in agents if direct}
    activities |= {(a, False) for a, direct in activities if direct}
    return agents, activities


def _activity_definitions(statement: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    def from_activity(activity: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        if activity.get("objectType", "Activity") == "Activity" and "id" in activity:
            yield activity["id"], dict(activity.get("definition") or {})

    for part in (statement, statement.get("object") or {}):
        target = part.get("object") or {}
        if part is statement or part.get("objectType") == "SubStatement":
            yield from from_activity(target)
            for kind_list in ((part.get("context") or {}).get("contextActivities") or {}).values():
                for activity in kind_list if isinstance(kind_list, list) else [kind_list]:
                    yield from from_activity(activity)


def _merge_definition(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Language maps merge (new wins per language); other properties are replaced."""
    merged = dict(old or {})
    for key, value in new.items():
        if key in ("name", "description") and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
