"""``/api/v1/idps``: individual development plans of an agency and its units, per fiscal year (aggregates only)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from academy.dates import FISCAL_YEAR_MAX, FISCAL_YEAR_MIN, current_fiscal_year
from api.rest.auth import agency_or_404
from api.rest.resources import make_blueprint
from api.rest.schemas import Text, parent_code_of
from competencies.idp.services.figures import idp_figures

blp = make_blueprint(
    "idps",
    "/idps",
    "Individual development plans: people with an agreed plan and goals met, per agency (aggregates, no names).",
)


class IdpArgs(ma.Schema):
    agency = Text(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The agency's code: its figures include every unit beneath it."},
    )
    fiscal_year = fields.Integer(
        load_default=current_fiscal_year,
        validate=validate.Range(min=FISCAL_YEAR_MIN, max=FISCAL_YEAR_MAX),
        metadata={"description": "Fiscal year in the Buddhist Era; default: now."},
    )


class IdpRecordSchema(ma.Schema):
    agency_code = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    parent_code = fields.String(allow_none=True)
    depth = fields.Integer()
    headcount = fields.Integer(metadata={"description": "Active people, units included."})
    with_plan = fields.Integer(metadata={"description": "People with a plan for the year, in any state."})
    agreed = fields.Integer(metadata={"description": "People whose plan is agreed (or closed after agreement)."})
    goals = fields.Integer(metadata={"description": "Goals of agreed plans."})
    goals_met = fields.Integer(metadata={"description": "Of those, goals met (attainment reached the target)."})


class IdpFiguresSchema(ma.Schema):
    fiscal_year = fields.Integer()
    records = fields.List(
        fields.Nested(IdpRecordSchema), metadata={"description": "The agency first, then every unit beneath it."}
    )


@blp.route("")
class Idps(MethodView):
    @blp.arguments(IdpArgs, location="query")
    @blp.response(200, IdpFiguresSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """IDP figures of an agency and of every unit beneath it, for a fiscal year (Buddhist Era)."""
        agency = agency_or_404(args["agency"])
        tree, totals = idp_figures(args["fiscal_year"], [agency])
        return {
            "fiscal_year": args["fiscal_year"],
            "records": [
                {
                    "agency_code": a.code,
                    "name_th": a.name_th,
                    "name_en": a.name_en,
                    "parent_code": parent_code_of(a.path),
                    "depth": a.depth,
                    "headcount": totals[a.id].headcount,
                    "with_plan": totals[a.id].with_plan,
                    "agreed": totals[a.id].agreed,
                    "goals": totals[a.id].goals,
                    "goals_met": totals[a.id].goals_met,
                }
                for a in tree
            ],
        }
