"""The one rule for the page's language: text in the current language, else Thai."""

from __future__ import annotations

from flask import Flask, session
from flask_babel import refresh

from academy.i18n import current_locale, localized


def test_the_current_locale_is_the_requests_and_thai_by_default(app: Flask) -> None:
    with app.test_request_context("/"):
        refresh()
        assert current_locale() == "th"
    with app.test_request_context("/"):
        session["locale"] = "en"
        refresh()  # Flask-Babel keeps the locale it chose for the app context the tests share
        assert current_locale() == "en"


def test_text_is_in_the_current_language_else_thai(app: Flask) -> None:
    assert localized("หลักสูตร", "Course", "en") == "Course"
    assert localized("หลักสูตร", "Course", "th") == "หลักสูตร"
    assert localized("หลักสูตร", "", "en") == "หลักสูตร"  # no English text: the Thai
    assert localized("หลักสูตร", None, "en") == "หลักสูตร"
    with app.test_request_context("/"):
        session["locale"] = "en"
        refresh()  # Flask-Babel keeps the locale it chose for the app context the tests share
        assert localized("หลักสูตร", "Course") == "Course"
    with app.test_request_context("/"):
        refresh()
        assert localized("หลักสูตร", "Course") == "หลักสูตร"
