"""Agents, Groups and their IFIs, and a statement's authority."""

from __future__ import annotations

from typing import Any

from academy.ifi import agent_key
from lrs.validation.basics import (
    _array,
    _check_keys,
    _fail,
    _object,
    _object_type_error,
    _require,
    _string,
    _wrong_type,
)
from lrs.validation.constants import (
    _ACCOUNT_KEYS,
    _AGENT_KEYS,
    _GROUP_KEYS,
    _IFI_KEYS,
    _MBOX,
    _SHA1,
    MAX_IFI_KEY_LENGTH,
)
from lrs.validation.scalars import validate_iri
from lrs.versions import XapiVersion


def validate_agent(agent: object, version: XapiVersion, path: str = "agent", *, allow_group: bool = False) -> None:
    """Raise StatementError unless `agent` is an Agent (or, if allowed, an identified Group) with exactly one IFI."""
    agent = _object(agent, path)
    object_type = agent.get("objectType", "Agent")
    if object_type == "Group" and allow_group:
        _group(agent, version, path)
        if _ifi_of(agent) is None:
            _fail(path, "must be identified by an IFI (mbox, mbox_sha1sum, openid or account), not an anonymous Group")
    elif object_type == "Agent":
        _agent(agent, path)
    else:
        _object_type_error(f"{path}.objectType", object_type, '"Agent" or "Group"' if allow_group else '"Agent"')


def validate_group_or_agent(actor: object, version: XapiVersion, path: str) -> None:
    """Raise StatementError unless `actor` is a valid Agent or Group (identified or anonymous)."""
    actor = _object(actor, path)
    object_type = actor.get("objectType", "Agent")
    if object_type == "Agent":
        _agent(actor, path)
    elif object_type == "Group":
        _group(actor, version, path)
    else:
        _object_type_error(f"{path}.objectType", object_type, '"Agent" or "Group"')


def _agent(agent: dict[str, Any], path: str) -> None:
    if not _AGENT_KEYS.issuperset(agent) and "member" in agent:
        _fail(f"{path}.member", 'is only allowed in a Group (objectType "Group")')
    _check_keys(agent, _AGENT_KEYS, path)
    if "name" in agent:
        _string(agent["name"], f"{path}.name")
    if _ifi(agent, path) is None:
        _fail(path, "an Agent must have exactly one IFI: mbox, mbox_sha1sum, openid or account")


def _group(group: dict[str, Any], version: XapiVersion, path: str) -> None:
    _check_keys(group, _GROUP_KEYS, path)
    if "name" in group:
        _string(group["name"], f"{path}.name")
    identified = _ifi(group, path) is not None
    if "member" in group:
        members = _array(group["member"], f"{path}.member")
        for index, member in enumerate(members):
            _member(member, f"{path}.member[{index}]")
        if not members and not identified:
            _fail(f"{path}.member", "an anonymous Group must list at least one member")
    elif not identified:
        _fail(f"{path}.member", "is required in an anonymous Group (one without mbox, mbox_sha1sum, openid or account)")


def _member(member: object, path: str) -> None:
    member = _object(member, path)
    object_type = member.get("objectType", "Agent")
    if object_type == "Group":
        _fail(f"{path}.objectType", "a Group's members must be Agents, not Groups")
    if object_type != "Agent":
        _object_type_error(f"{path}.objectType", object_type, '"Agent"')
    _agent(member, path)


def _ifi_of(actor: dict[str, Any]) -> str | None:
    return next((key for key in _IFI_KEYS if key in actor), None)


def _ifi(actor: dict[str, Any], path: str) -> str | None:
    """Validate the actor's IFI, if any, and return its property name."""
    found = None
    for key in _IFI_KEYS:
        if key in actor:
            if found is not None:
                _fail(path, f'has both "{found}" and "{key}": use exactly one IFI')
            found = key
    if found == "mbox":
        _mbox(actor["mbox"], f"{path}.mbox")
    elif found == "mbox_sha1sum":
        value = actor["mbox_sha1sum"]
        if type(value) is not str:
            _wrong_type(f"{path}.mbox_sha1sum", "a string of 40 hexadecimal digits", value)
        if not _SHA1.fullmatch(value):
            _fail(f"{path}.mbox_sha1sum", "must be the SHA-1 of a mailto IRI as 40 hexadecimal digits")
    elif found == "openid":
        validate_iri(actor["openid"], f"{path}.openid")
    elif found == "account":
        _account(actor["account"], f"{path}.account")
    if found is not None and found != "mbox_sha1sum":
        canonical = agent_key(actor)
        if canonical is not None and len(canonical) > MAX_IFI_KEY_LENGTH:
            _fail(f"{path}.{found}", f"is too long: an identifier may have at most {MAX_IFI_KEY_LENGTH} characters")
    return found


def _mbox(value: object, path: str) -> None:
    if type(value) is not str:
        _wrong_type(path, 'a "mailto:" IRI string', value)
    if not _MBOX.fullmatch(value):
        _fail(path, 'must be a "mailto:" IRI with an email address')


def _account(account: object, path: str) -> None:
    account = _object(account, path)
    _check_keys(account, _ACCOUNT_KEYS, path)
    _require(account, ("homePage", "name"), path)
    validate_iri(account["homePage"], f"{path}.homePage")
    _string(account["name"], f"{path}.name")


def _authority(authority: object, version: XapiVersion, path: str) -> None:
    authority = _object(authority, path)
    if authority.get("objectType") != "Group":
        validate_group_or_agent(authority, version, path)
        return
    _group(authority, version, path)
    if _ifi_of(authority) is not None:
        _fail(path, "an authority Group must be anonymous: the two Agents of 3-legged OAuth")
    if len(authority["member"]) != 2:
        _fail(f"{path}.member", "an authority Group must have exactly two members (3-legged OAuth)")
