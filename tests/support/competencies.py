"""Competency helpers: the aligned activity and a framework's competency by code."""

from __future__ import annotations

from competencies.models import Competency, Framework

ACTIVITY = "https://provider.example/courses/pdpa-basics"


def competency(framework: Framework, code: str) -> Competency:
    return next(c for c in framework.competencies if c.code == code)
