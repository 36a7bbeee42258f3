"""Courses: catalogue, content, enrolment, the player, quizzes, completion, cmi5 packages."""

from __future__ import annotations

from functools import partial

from flask import Flask


def init_app(app: Flask) -> None:
    """Register courses: its models, the learner's and authors' pages, filters, commands, and projections.

    Enrolment progress is projected before cmi5 satisfaction (courses.cmi5.init_app), as DESIGN.md orders them.
    """
    from academy.cli import academy_cli
    from courses import cmi5
    from courses import models as _models  # noqa: F401
    from courses.authoring import bp as authoring_bp
    from courses.cli import commands
    from courses.content import sanitised_filter, video_embed_url
    from courses.models import CourseKind
    from courses.services.progress import (
        count_enrolments,
        rebuild_course_progress,
        record_course_progress,
        snapshot_course_progress,
    )
    from courses.views import bp
    from lrs import register_projection

    app.register_blueprint(bp)
    register_projection(
        app,
        "enrolments",
        record_course_progress,
        rebuild_course_progress,
        snapshot_course_progress,
        size=partial(count_enrolments, CourseKind.NATIVE),
        unit="enrolments",
        label="enrolments replayed",
    )
    from courses.services.privacy import register_export_tables

    register_export_tables(app)  # My data (academy.privacy)
    cmi5.init_app(app)
    app.register_blueprint(authoring_bp)  # course authoring, /admin/courses
    app.add_template_filter(sanitised_filter, "sanitised")
    app.add_template_filter(video_embed_url, "video_embed")
    for command in commands:
        academy_cli.add_command(command)
    from courses import notifications

    notifications.register()  # assigned, due in 7 days, overdue (academy.notifications)
