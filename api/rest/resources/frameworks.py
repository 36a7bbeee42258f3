"""``/api/v1/frameworks``: the published skill frameworks, with their scale, areas and competencies."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import Select, select

from academy.db import db
from api.rest.errors import fail
from api.rest.resources import make_blueprint
from api.rest.schemas import FrameworkArgs, FrameworkSchema, FrameworkSummarySchema
from competencies.models import Framework, FrameworkStatus
from competencies.services.frameworks import areas_of, default_profiles

blp = make_blueprint("frameworks", "/frameworks", "Skill frameworks: the civil-service standard and others.")


_FRAMEWORK_FIELDS = (
    "code",
    "version",
    "identifier",
    "name_th",
    "name_en",
    "status",
    "description_th",
    "description_en",
)


def _published() -> Select[Framework]:
    # Drafts are the admins' work in progress; active and retired frameworks are published.
    return select(Framework).where(Framework.status != FrameworkStatus.DRAFT)


@blp.route("")
class Frameworks(MethodView):
    @blp.response(200, FrameworkSummarySchema(many=True))
    def get(self) -> list[Framework]:
        """List the published frameworks."""
        return list(db.session.scalars(_published().order_by(Framework.code, Framework.version)))


@blp.route("/<code>")
class FrameworkByCode(MethodView):
    @blp.arguments(FrameworkArgs, location="query")
    @blp.response(200, FrameworkSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Get a framework (the latest published version by default) with its scale, areas and profiles."""
        query = _published().where(Framework.code == code).order_by(Framework.version.desc())
        if args.get("version"):
            query = query.where(Framework.version == args["version"])
        framework = db.session.scalars(query).first() if code.isprintable() and len(code) <= 50 else None
        if framework is None:
            fail(404, f"no published framework has the code {code!r}")
        codes = {competency.id: competency.code for competency in framework.competencies}
        return {
            **{name: getattr(framework, name) for name in _FRAMEWORK_FIELDS},
            "levels": framework.levels,
            "areas": areas_of(framework),
            "profiles": [
                {
                    "code": profile.code,
                    "personnel_group": profile.personnel_group,
                    "role_level": profile.role_level,
                    "name_th": profile.name_th,
                    "name_en": profile.name_en,
                    "requirements": {
                        codes[r.competency_id]: r.required_level for r in profile.requirements if r.required_level
                    },
                }
                for profile in default_profiles(framework)
            ],
        }
