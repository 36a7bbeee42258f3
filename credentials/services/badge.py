"""The badge image: an SVG we draw for each credential (Thai or English), and its Open Badges "baked" form.

A baked SVG carries the credential itself: an ``openbadges:credential`` element, in the Open
Badges namespace, holding the signed JSON in CDATA (OB 3.0, "Baking").
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from typing import Any
from xml.sax.saxutils import escape

OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"

_COLOURS = ("#1d4e89", "#00798c", "#6a4c93", "#2b9348", "#b5179e", "#d1495b", "#3d405b")


#: Thai marks that never begin a line (following vowels, tone marks) and vowels that never end one.
_FOLLOWING = {chr(c) for c in (*range(0x0E30, 0x0E3B), 0x0E45, *range(0x0E47, 0x0E4F))}
_LEADING = {chr(c) for c in range(0x0E40, 0x0E45)}


def _clusters(word: str) -> list[str]:
    """A word cut where a line may break: Thai is written without spaces, but not between a
    consonant and its vowels and tone marks."""
    clusters: list[str] = []
    for char in word:
        if clusters and (char in _FOLLOWING or clusters[-1][-1] in _LEADING or not "\u0e00" <= char <= "\u0e7f"):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _wrap(title: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in textwrap.wrap(title, width=width, break_long_words=False) or [""]:
        line = ""
        for cluster in _clusters(word) if len(word) > width else [word]:
            if line and len(line) + len(cluster) > width:
                lines.append(line)
                line = ""
            line += cluster
        lines.append(line)
    return lines


def _lines(title: str, width: int, count: int) -> list[str]:
    lines = _wrap(title, width) or [""]
    if len(lines) > count:
        lines = lines[:count]
        lines[-1] = lines[-1][: max(width - 1, 1)] + "…"
    return lines


def badge_svg(
    title: str, subtitle: str, date_text: str, issuer: str, *, seed: str, revoked_text: str | None = None
) -> str:
    """A 300x300 round badge with the achievement's title, what it is, when, and the issuer."""
    colour = _COLOURS[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(_COLOURS)]
    rows = _lines(title, 22, 3)
    start = 150 - (len(rows) - 1) * 13
    text_rows = "".join(
        f'<text x="150" y="{start + 26 * n}" font-size="19" font-weight="700" text-anchor="middle" '
        f'fill="#ffffff">{escape(row)}</text>'
        for n, row in enumerate(rows)
    )
    ribbon = (
        f'<rect x="40" y="262" width="220" height="28" rx="6" fill="#9d0208"/>'
        f'<text x="150" y="282" font-size="15" text-anchor="middle" fill="#ffffff">{escape(revoked_text)}</text>'
        if revoked_text
        else ""
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f"<title>{escape(title)}</title>"
        f'<circle cx="150" cy="150" r="146" fill="{colour}"/>'
        '<circle cx="150" cy="150" r="132" fill="none" stroke="#ffffff" stroke-width="3" stroke-dasharray="6 5"/>'
        f'<text x="150" y="72" font-size="14" text-anchor="middle" fill="#ffffff" '
        f'font-family="Sarabun, sans-serif">{escape(subtitle)}</text>'
        f'<g font-family="Sarabun, sans-serif">{text_rows}</g>'
        f'<text x="150" y="226" font-size="14" text-anchor="middle" fill="#ffffff" '
        f'font-family="Sarabun, sans-serif">{escape(date_text)}</text>'
        f'<text x="150" y="246" font-size="11" text-anchor="middle" fill="#ffffff" '
        f'font-family="Sarabun, sans-serif">{escape(issuer)}</text>'
        f"{ribbon}</svg>"
    )


def bake_svg(svg: str, credential: dict[str, Any], verify_url: str) -> str:
    """The badge SVG with the signed credential inside it (Open Badges 3.0 baking)."""
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).replace("]]>", "]]]]><![CDATA[>")
    head, _, tail = svg.partition(">")
    return (
        f'{head} xmlns:openbadges="{OB_NAMESPACE}">'
        f'<openbadges:credential verify="{escape(verify_url)}"><![CDATA[{payload}]]></openbadges:credential>'
        f"{tail}"
    )


def unbake_svg(svg: str) -> dict[str, Any] | None:
    """The credential baked into an SVG, if there is one."""
    start = svg.find("<![CDATA[", svg.find("<openbadges:credential"))
    end = svg.find("]]></openbadges:credential>")
    if start < 0 or end < 0:
        return None
    try:
        value = json.loads(svg[start + len("<![CDATA[") : end].replace("]]]]><![CDATA[>", "]]>"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
