"""Lesson content: rich text sanitised to a safe subset, video links, and downloadable files."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import nh3
from markupsafe import Markup


class ContentError(ValueError):
    """A video link or file that a lesson cannot take; the message says why."""


#: What an author may write: structure, emphasis, links, images, tables, code.
ALLOWED_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark", "abbr"),
        *("a", "img", "figure", "figcaption"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("code", "pre", "kbd", "samp", "blockquote", "q", "cite"),
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
#: Tags dropped together with their content (the rest of a disallowed tag keeps its text).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # nh3 has already applied the allowed schemes to every URL attribute; images are
    # further held to https, so that a lesson never loads mixed content.
    if tag == "img" and attribute == "src" and not value.lower().startswith("https://"):
        return None
    if attribute in {"width", "height", "colspan", "rowspan", "start"} and not value.isdigit():
        return None
    return value


def render_markdown(text: str) -> str:
    """An author's Markdown as sanitised HTML (CommonMark with tables and strikethrough; inline HTML sanitised)."""
    if not text:
        return ""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return sanitise_html(parser.render(text))


def sanitise_html(html: str) -> str:
    """Reduce an author's HTML to the allowed rich-text subset (no script, handlers or unsafe URLs)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(LINK_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def sanitised_filter(html: str) -> Markup:
    """Lesson HTML is sanitised when saved; again when shown, in case it was stored another way."""
    return Markup(sanitise_html(html))


# --- video links -------------------------------------------------------------------------------------------

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"})
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
URL_LENGTH = 2048


def validate_video_url(url: str | None) -> str | None:
    """Check a lesson's video link: an https URL (YouTube, Vimeo or any other host); None when empty."""
    url = (url or "").strip()
    if not url:
        return None
    if len(url) > URL_LENGTH:
        raise ContentError(f"the video link is longer than {URL_LENGTH} characters")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        raise ContentError("the video link has spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ContentError("the video link must be an https:// address")
    if parts.username or parts.password:
        raise ContentError("the video link must not carry a user name or password")
    host = parts.hostname.lower()
    if (host in _YOUTUBE_HOSTS or host == "youtu.be") and _youtube_id(url) is None:
        raise ContentError("the YouTube link names no video (expected e.g. https://www.youtube.com/watch?v=…)")
    if host in _VIMEO_HOSTS and _vimeo_id(url) is None:
        raise ContentError("the Vimeo link names no video (expected e.g. https://vimeo.com/123456789)")
    return url


def _youtube_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    candidate = None
    if host == "youtu.be" and segments:
        candidate = segments[0]
    elif host in _YOUTUBE_HOSTS:
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in {"embed", "shorts", "live", "v"}:
            candidate = segments[1]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def _vimeo_id(url: str) -> str | None:
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() == "player.vimeo.com":
        segments = segments[1:] if segments[:1] == ["video"] else []
    return segments[0] if segments and segments[0].isdigit() else None


def video_embed_url(url: str | None) -> str | None:
    """The embeddable player address of a YouTube or Vimeo link; None for other links (shown as a link)."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        video = _youtube_id(url)
        return f"https://www.youtube-nocookie.com/embed/{video}" if video else None
    if host in _VIMEO_HOSTS:
        video = _vimeo_id(url)
        return f"https://player.vimeo.com/video/{video}" if video else None
    return None


# --- downloadable files ------------------------------------------------------------------------------------

MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_NAME_LENGTH = 255
#: Documents and media a lesson may offer for download; never HTML, SVG or scripts.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
}


@dataclass(frozen=True)
class LessonFile:
    name: str
    content_type: str
    data: bytes


def clean_file_name(name: str) -> str:
    """The last path segment of an uploaded name, without control characters (Thai letters are kept)."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name


def validate_lesson_file(name: str, data: bytes) -> LessonFile:
    """Check a file for a lesson; its type comes from the extension, not from what the browser claimed."""
    cleaned = clean_file_name(name)
    if not cleaned:
        raise ContentError("the file has no name")
    if len(cleaned) > FILE_NAME_LENGTH:
        raise ContentError(f"the file name is longer than {FILE_NAME_LENGTH} characters")
    extension = ("." + cleaned.rsplit(".", 1)[-1].lower()) if "." in cleaned else ""
    content_type = FILE_TYPES.get(extension)
    if content_type is None:
        allowed = ", ".join(sorted(FILE_TYPES))
        raise ContentError(f"files of type {extension or '(none)'} are not accepted; allowed: {allowed}")
    if not data:
        raise ContentError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ContentError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return LessonFile(cleaned, content_type, data)
