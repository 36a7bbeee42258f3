"""``/api/v1/coverage``: training coverage and attainment of an agency and its units, per fiscal year."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.rest.auth import agency_or_404
from api.rest.errors import fail
from api.rest.resources import make_blueprint
from api.rest.schemas import CoverageArgs, CoverageSchema, parent_code_of
from competencies.services.coverage import CoverageRecord, Population, PopulationFilter, coverage
from competencies.services.frameworks import active_standard, areas_of

blp = make_blueprint(
    "coverage", "/coverage", "Training coverage and competency attainment against the target (aggregates)."
)


@blp.route("")
class Coverage(MethodView):
    @blp.arguments(CoverageArgs, location="query")
    @blp.response(200, CoverageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Coverage of an agency and of every unit beneath it, for a fiscal year (Buddhist Era)."""
        agency = agency_or_404(args["agency"])
        framework = active_standard()
        if framework is None:
            fail(404, "no skill standard is active yet")
        population = PopulationFilter(Population(args["population"]))
        records = coverage(args["fiscal_year"], framework, population, [agency])
        areas = [(area.code, area.name_en) for area in areas_of(framework)]
        first = records[0]
        return {
            "fiscal_year": first.fiscal_year,
            "population": first.population,
            "target_percent": first.target_percent,
            "as_of": first.as_of,
            "records": [_record(record, areas) for record in records],
        }


def _record(record: CoverageRecord, areas: list[tuple[str, str]]) -> dict[str, Any]:
    agency, figures = record.agency, record.figures
    return {
        "agency_code": agency.code,
        "name_th": agency.name_th,
        "name_en": agency.name_en,
        "parent_code": parent_code_of(agency.path),
        "depth": agency.depth,
        "headcount": figures.headcount,
        "trained": figures.trained,
        "coverage_percent": record.coverage_percent,
        "attained": figures.attained,
        "attainment_percent": record.attainment_percent,
        "meets_target": record.meets_target,
        "areas": [
            {"code": code, "name_en": name, "meeting": figures.areas.get(code, 0), "percent": record.area_percent(code)}
            for code, name in areas
        ],
    }
