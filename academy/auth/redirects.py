"""One rule for every ``next`` parameter: a path on this site, else the home page."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import url_for


def _is_local_path(target: str) -> bool:
    # Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    # "/\t/evil.example" and "/\\evil.example" both lead off-site: refuse them outright.
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def is_safe_redirect(target: str | None) -> bool:
    """Whether ``target`` is a path on this site, as sent and once percent-decoded."""
    if not target:
        return False
    return _is_local_path(target) and _is_local_path(unquote(target))


def safe_redirect_target(target: str | None, fallback_endpoint: str = "portal.home") -> str:
    """``target`` if it is a path on this site, else the URL of ``fallback_endpoint``."""
    return target if target is not None and is_safe_redirect(target) else url_for(fallback_endpoint)
