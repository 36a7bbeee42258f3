"""``/api/v1/agencies``: the agency tree within the caller's scope."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import Select, select

from academy.db import db
from academy.org.models import Agency, AgencyKind
from api.rest.auth import agency_or_404, current_caller
from api.rest.resources import SelectPager, make_blueprint
from api.rest.schemas import AgencyListArgs, AgencySchema
from api.rest.services import agencies_query

blp = make_blueprint("agencies", "/agencies", "The agency tree (ministry, department, division): yours and beneath it.")


@blp.route("")
class Agencies(MethodView):
    @blp.arguments(AgencyListArgs, location="query")
    @blp.response(200, AgencySchema(many=True))
    @blp.paginate(SelectPager, page_size=50, max_page_size=500)
    def get(self, args: dict[str, Any]) -> Select[Agency]:
        """List agencies, in tree order, optionally searched by code or name."""
        kind = AgencyKind(args["kind"]) if args.get("kind") else None
        return agencies_query(args.get("q", ""), kind, current_caller().scope)


@blp.route("/<code>")
class AgencyByCode(MethodView):
    @blp.response(200, AgencySchema)
    def get(self, code: str) -> Agency:
        """Get an agency by its code."""
        return agency_or_404(code)


@blp.route("/<code>/children")
class AgencyChildren(MethodView):
    @blp.response(200, AgencySchema(many=True))
    def get(self, code: str) -> list[Agency]:
        """List the agencies directly beneath an agency."""
        agency = agency_or_404(code)
        return list(db.session.scalars(select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.code)))
