"""The learner's pages (dashboard, catalogue, course page, player, transcript) and HR's course assignment."""

from __future__ import annotations

# Importing the page modules adds their routes to ``bp``, the one ``courses`` blueprint, so endpoint names
# (courses.catalogue, courses.assign, ...) stay as they were.
from courses.views import assign as _assign  # noqa: F401
from courses.views import learner as _learner  # noqa: F401
from courses.views import person as _person  # noqa: F401
from courses.views import player as _player  # noqa: F401
from courses.views import transcript as _transcript  # noqa: F401
from courses.views.blueprint import bp

__all__ = ["bp"]
