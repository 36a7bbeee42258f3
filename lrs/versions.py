"""xAPI versions, negotiated per request by the X-Experience-API-Version header."""

from __future__ import annotations

import enum
import re

#: What /xapi/about reports.
SUPPORTED_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
_VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")


class XapiVersion(enum.StrEnum):
    """The two rule sets the LRS applies: 1.0.x and 2.0.x."""

    V1 = "1.0.3"
    V2 = "2.0.0"

    @property
    def is_v2(self) -> bool:
        return self is XapiVersion.V2


class VersionError(ValueError):
    """The header names no version this LRS speaks."""


def negotiate_version(header: str | None) -> XapiVersion:
    """Return the rule set for a request's X-Experience-API-Version header (required)."""
    if not header:
        raise VersionError("the X-Experience-API-Version header is required")
    match = _VERSION.match(header.strip())
    if not match:
        raise VersionError(f"X-Experience-API-Version {header!r} is not supported (1.0.x or 2.0.x)")
    return XapiVersion.V2 if match.group(1) == "2.0" else XapiVersion.V1
