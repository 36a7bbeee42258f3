"""cmi5: course packages of blocks and AUs, their launch sessions, and moveOn.

The LMS side of the cmi5 specification (Quartz): a package (``cmi5.xml``, alone or at the
root of a ZIP) is validated and imported into a course; a learner's launch of an AU gets a
session with one-time restricted LRS credentials; the AU's statements are checked against
the cmi5 rules as they arrive, and moveOn is evaluated on them to issue ``satisfied`` for
blocks and the course.
"""

from __future__ import annotations

from functools import partial

from flask import Flask


def init_app(app: Flask) -> None:
    """Register cmi5: its models, pages, commands, the satisfaction projection and the AU sessions' credentials."""
    from academy.cli import academy_cli
    from academy.extensions import csrf
    from courses.cmi5 import models as _models  # noqa: F401
    from courses.cmi5.cli import commands
    from courses.cmi5.services.satisfaction import rebuild_cmi5_satisfaction, record_cmi5_statements
    from courses.cmi5.services.session import authenticate_session
    from courses.cmi5.views import bp, fetch
    from courses.models import CourseKind
    from courses.services.progress import count_enrolments
    from lrs import register_authenticator, register_projection

    # The learner's units and launch, package files, the admins' import; the AU's fetch URL is
    # called by the AU's own page, with no session and so no CSRF token.
    app.register_blueprint(bp)
    csrf.exempt(fetch)
    for command in commands:
        academy_cli.add_command(command)
    # No snapshot: its states are compared through the enrolments' (courses.services.progress).
    register_projection(
        app,
        "cmi5_registrations",
        record_cmi5_statements,
        rebuild_cmi5_satisfaction,
        size=partial(count_enrolments, CourseKind.CMI5),
        unit="registrations",
        label="cmi5 registrations replayed",
    )
    # AU sessions: their one-time tokens are restricted LRS credentials.
    register_authenticator(app, authenticate_session)
