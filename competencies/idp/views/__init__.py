"""The IDP pages: the blueprint and its handlers (plan, team, HR)."""

from __future__ import annotations

from competencies.idp.views import hr, plan, team  # noqa: F401  (their routes register on bp)
from competencies.idp.views.blueprint import bp

__all__ = ["bp"]
