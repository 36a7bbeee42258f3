"""``/api/v1/courses``: the published catalogue, with what each course teaches."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from api.rest.errors import fail
from api.rest.resources import make_blueprint, page_of
from api.rest.schemas import CourseDetailSchema, CourseListArgs, CourseSchema
from courses.models import Course, CourseFormat
from courses.services.catalogue import CatalogueFilter, catalogue_query, course_alignments, get_course

blp = make_blueprint("courses", "/courses", "The published course catalogue and what each course teaches.")


_FIELDS = [name for name in CourseSchema().fields if name != "alignments"]


def _with_alignments(courses: list[Course]) -> list[dict[str, Any]]:
    alignments = course_alignments(courses)
    return [
        {**{name: getattr(course, name) for name in _FIELDS}, "alignments": alignments[course.id]} for course in courses
    ]


@blp.route("")
class Courses(MethodView):
    @blp.arguments(CourseListArgs, location="query")
    @blp.response(200, CourseSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """List the published courses, by title, optionally searched and filtered."""
        filters = CatalogueFilter(
            text=args.get("q", ""),
            area=args.get("area", ""),
            level=args.get("level"),
            provider=args.get("provider", ""),
            language=args.get("language", ""),
            format=CourseFormat(args["format"]) if args.get("format") else None,
        )
        return _with_alignments(page_of(catalogue_query(filters), pagination_parameters))


@blp.route("/<code>")
class CourseByCode(MethodView):
    @blp.response(200, CourseDetailSchema)
    def get(self, code: str) -> dict[str, Any]:
        """Get a published course by its code, with its modules."""
        course = get_course(code) if code.isprintable() and len(code) <= 50 else None
        if course is None:
            fail(404, f"no published course has the code {code!r}")
        return {**_with_alignments([course])[0], "modules": course.modules}
