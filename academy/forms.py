"""Forms shared by every package."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations


class _Translations:
    """WTForms' own messages ("Invalid email address.") from our catalogue, else from WTForms' own.

    WTForms ships no Thai: without this, Thai pages would show its validation messages in English.
    """

    # WTForms formats the text itself (%(min)d ...): ours is looked up unformatted.
    def gettext(self, string: str) -> str:
        translated = str(get_translations().ugettext(string))
        return translated if translated != string else str(wtforms_translations.gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = str(get_translations().ungettext(singular, plural, n))
        if translated not in (singular, plural):
            return translated
        return str(wtforms_translations.ngettext(singular, plural, n))


_TRANSLATIONS = _Translations()


class Form(FlaskForm):
    """The base of the platform's forms: Flask-WTF's, with validation messages in the page's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _Translations:
            return _TRANSLATIONS


class CsrfForm(Form):
    """Forms whose fields are written by hand, and forms of buttons: this only checks the CSRF token."""
