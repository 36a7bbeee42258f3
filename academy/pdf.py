"""PDF documents from HTML (WeasyPrint): A4, in the government's Thai typeface.

Any page of the platform that needs a PDF (HR reports, a learner's transcript) renders
its own HTML and hands it here. Sarabun comes from our static files (the same files
the pages use); Debian's fonts-thai-tlwg (Laksaman is a Sarabun-like face) is the
fallback if those are missing. Nothing is fetched from the network: the HTML may only
refer to files under ``academy/static``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

STATIC_DIR = Path(__file__).resolve().parent / "static"
SARABUN_DIR = STATIC_DIR / "vendor" / "sarabun" / "files"
#: The scripts of Sarabun we ship (Thai, and Latin for digits, codes and English).
SUBSETS = ("latin", "thai", "latin-ext")
#: Font families in order: ours, then Debian's Thai fonts, then whatever fontconfig has.
FONT_STACK = '"Sarabun", "Laksaman", "Loma", "Garuda", sans-serif'

_BASE_CSS = """
@page {{ size: {size}; margin: 18mm 15mm 18mm 15mm;
         @bottom-right {{ content: counter(page) " / " counter(pages); font-size: 9pt; color: #4d5560; }} }}
html {{ font-family: {fonts}; font-size: 11pt; line-height: 1.45; color: #1b1f24; }}
h1 {{ font-size: 17pt; margin: 0 0 4mm; }} h2 {{ font-size: 13pt; margin: 6mm 0 2mm; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ text-align: left; padding: 1.2mm 2mm; border-bottom: 0.5pt solid #c9ced6; vertical-align: top; }}
th {{ background: #f3f5f8; }}
thead {{ display: table-header-group; }}
tr {{ page-break-inside: avoid; }}
"""


@cache
def _sarabun_faces() -> str:
    """@font-face rules for Sarabun, one font per weight, inline (nothing written to disk).

    The files we ship are split by script (Thai, Latin, Latin Extended), as the web
    serves them with ``unicode-range``. WeasyPrint embeds fonts by family and weight, so
    several files of one family would mix their glyphs up in the PDF: each weight's
    files are merged into one font first (once a process).
    """
    import base64

    rules = []
    for weight in (400, 700):
        merged = _merged_font([SARABUN_DIR / f"sarabun-{subset}-{weight}-normal.woff2" for subset in SUBSETS])
        if merged is not None:
            data = base64.b64encode(merged).decode("ascii")
            rules.append(
                f'@font-face {{ font-family: "Sarabun"; font-weight: {weight}; font-style: normal; '
                f'src: url("data:font/ttf;base64,{data}") format("truetype"); }}'
            )
    return "\n".join(rules)


def _merged_font(paths: list[Path]) -> bytes | None:
    """One TrueType font from the subsets of a font; None when they are missing (the fallback applies)."""
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    if not all(path.is_file() for path in paths):
        return None
    plain = []
    for path in paths:
        font = TTFont(path)
        font.flavor = None  # woff2 -> TrueType
        buffer = io.BytesIO()
        font.save(buffer)
        buffer.seek(0)
        plain.append(buffer)
    out = io.BytesIO()
    Merger().merge(plain).save(out)
    return out.getvalue()


def _static_fetcher() -> Any:
    """A WeasyPrint URL fetcher for our static files and inline data only (no network)."""
    from weasyprint.urls import URLFetcher

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file" and not Path(unquote(parts.path)).resolve().is_relative_to(STATIC_DIR):
                raise ValueError(f"PDF rendering may not read {url}")
            return super().fetch(url, headers)

    return StaticFilesOnly(allowed_protocols=("file", "data"))


def render_pdf(html: str, *, stylesheets: Sequence[str] = (), page_size: str = "A4", title: str | None = None) -> bytes:
    """Render an HTML document as a PDF: A4 by default, Thai text in Sarabun.

    ``stylesheets`` are CSS texts added after the base style (tables, margins, page
    numbers). Static files are referred to by ``file:`` URLs under ``academy/static``
    (see ``static_url``).
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint logs every glyph a font lacks and each font it subsets; not ours to show.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fonts = FontConfiguration()
    css = [
        CSS(string=_sarabun_faces(), font_config=fonts),
        CSS(string=_BASE_CSS.format(size=page_size, fonts=FONT_STACK), font_config=fonts),
        *(CSS(string=text, font_config=fonts) for text in stylesheets),
    ]
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=_static_fetcher())
    rendered = document.render(stylesheets=css, font_config=fonts)
    if title:
        rendered.metadata.title = title
    return bytes(rendered.write_pdf())


def static_url(relative: str) -> str:
    """The ``file:`` URL of a static file, for HTML rendered into a PDF."""
    return (STATIC_DIR / relative).as_uri()
