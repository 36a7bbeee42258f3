"""Demo courses: twenty courses across the seven areas of the standard, imported from course documents."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from academy.db import db
from competencies.services.frameworks import seed_standard
from courses.models import Course
from courses.services.exchange import import_course

DATA = Path(__file__).resolve().parent / "data" / "demo_courses.yaml"
#: Keys of the demo's lessons, quizzes and questions are uuid5 names in this namespace, so that
#: their activity IRIs are the same on every installation.
KEY_NAMESPACE = uuid.UUID("6f1c2b1e-8a1d-5d0e-9c57-2f4b8e0a2569")


def demo_documents() -> list[dict[str, Any]]:
    """The course documents of the demo (courses/data/demo_courses.yaml), with their keys filled in."""
    with DATA.open(encoding="utf-8") as stream:
        return [_with_keys(document) for document in yaml.safe_load_all(stream)]


def _key(*parts: object) -> str:
    return str(uuid.uuid5(KEY_NAMESPACE, "/".join(map(str, parts))))


def _with_keys(document: dict[str, Any]) -> dict[str, Any]:
    code = document["code"]
    for m, module in enumerate(document.get("modules") or []):
        for n, lesson in enumerate(module.get("lessons") or []):
            lesson.setdefault("key", _key(code, m, "lesson", n))
        for n, quiz in enumerate(module.get("quizzes") or []):
            quiz.setdefault("key", _key(code, m, "quiz", n))
            for q, question in enumerate(quiz.get("questions") or []):
                question.setdefault("key", _key(code, m, "quiz", n, "question", q))
    return document


def build_courses() -> int:
    """Create the demo courses that do not exist yet (by code), published and aligned; return how many."""
    seed_standard()
    existing = set(db.session.scalars(select(Course.code)))
    created = 0
    for document in demo_documents():
        if document["code"] in existing:
            continue
        import_course(document)
        created += 1
    return created
