"""Canonical keys of xAPI inverse functional identifiers (IFIs).

One form everywhere: the LRS indexes statements by it and the organisation model
registers people's identifiers by it, so that a statement finds its person.
"""

from __future__ import annotations

from collections.abc import Mapping

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_key(kind: str, value: str, home_page: str | None = None) -> str:
    """Return the canonical key of one IFI: mailto addresses and sha1 sums compare case-insensitively."""
    value = value.strip()
    if kind == "account":
        if not home_page:
            raise ValueError("an account identifier needs a homePage")
        return f"account:{home_page.strip()} {value}"
    if kind == "mbox":
        address = value[len("mailto:") :] if value.lower().startswith("mailto:") else value
        if "@" not in address:
            raise ValueError(f"not an email address: {value!r}")
        return f"mbox:mailto:{address.lower()}"
    if kind == "mbox_sha1sum":
        return f"mbox_sha1sum:{value.lower()}"
    if kind == "openid":
        return f"openid:{value}"
    raise ValueError(f"unknown identifier kind {kind!r}")


def agent_key(agent: Mapping[str, object]) -> str | None:
    """The key of an Agent's or identified Group's IFI, or None for an anonymous Group."""
    for kind in IFI_PROPERTIES:
        value = agent.get(kind)
        if value is None:
            continue
        if kind == "account":
            if not isinstance(value, Mapping):
                return None
            return ifi_key("account", str(value.get("name", "")), str(value.get("homePage", "")))
        return ifi_key(kind, str(value))
    return None
