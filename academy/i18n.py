"""The page's language, and text in it: Thai is the platform's language, English the second."""

from __future__ import annotations

from flask_babel import get_locale

#: The language every text has; another is shown only where a text has it.
DEFAULT_LOCALE = "th"


def current_locale() -> str:
    """Return the locale of this request ("th" or "en"); Thai outside a request."""
    return str(get_locale() or DEFAULT_LOCALE)


def localized(th: str, en: str | None, locale: str | None = None) -> str:
    """Return the text in the current language (or the one given) when there is one, else the Thai."""
    if (locale or current_locale()) == "en" and en:
        return en
    return th
