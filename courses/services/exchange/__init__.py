"""A course in and out as one JSON or YAML document.

The document is the course's whole truth: its fields, its alignments, and its modules of lessons
and quizzes of questions and choices::

    document: e-workforce-academy/course
    version: 1
    code, activity_iri, title_th, title_en, description_th, description_en, provider,
    format, hours, language, status, completion_rule
    alignments: [{framework, competency, level}]          # framework: a code (default: the standard)
    modules:
      - title_th, title_en
        lessons: [{key, position, title_th, title_en, minutes, video_url, body_th, body_en,
                   file: {name, type, data (base64)}}]
        quizzes: [{key, position, title_th, title_en, pass_mark, attempt_limit, shuffle,
                   questions: [{key, kind, text_th, text_en,
                                choices: [{code, text_th, text_en, correct}]}]}]

Import creates the course, or updates the one with the same code. Lessons, quizzes and questions
are matched by ``key`` (a UUID; a new item may leave it out), so their activity IRIs stay the same
across export and import; what the document no longer lists is deleted. A course keeps its activity
IRI once it has one. ``position`` orders a module's lessons and quizzes together (they share one
sequence); without it, lessons come first, then quizzes, in the order listed.

Every item is checked before anything is stored; errors name the item's path and field, e.g.
``modules[1].quizzes[0].questions[2].choices: at least one correct choice is required``.
"""

from __future__ import annotations

from courses.services.exchange.document import (
    COURSE_FIELDS,
    DOCUMENT_TYPE,
    DOCUMENT_VERSION,
    FORMATS,
    MAX_ERRORS,
    MAX_ITEMS,
    ExchangeError,
    Format,
    dump_document,
    export_course,
    export_course_text,
    format_for,
    load_document,
)
from courses.services.exchange.storing import ImportResult, import_course, import_course_text

__all__ = [
    "COURSE_FIELDS",
    "DOCUMENT_TYPE",
    "DOCUMENT_VERSION",
    "FORMATS",
    "MAX_ERRORS",
    "MAX_ITEMS",
    "ExchangeError",
    "Format",
    "ImportResult",
    "dump_document",
    "export_course",
    "export_course_text",
    "format_for",
    "import_course",
    "import_course_text",
    "load_document",
]
