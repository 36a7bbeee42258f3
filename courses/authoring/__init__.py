"""Course authoring for academy admins: one blueprint (course_admin, /admin/courses) with course and structure pages."""

from __future__ import annotations

# Importing the page modules adds their routes to ``bp``; the blueprint itself lives in blueprint.py so that
# neither page module imports the other.
from courses.authoring import courses as _courses  # noqa: F401
from courses.authoring import structure as _structure  # noqa: F401
from courses.authoring.blueprint import bp

__all__ = ["bp"]
