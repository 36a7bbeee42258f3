"""``/api/v1/people``: people of the caller's agencies; bulk upsert with the CSV import's rules."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy import Select

from academy.audit.services import record_audit
from academy.db import db
from academy.org.events import announce_people_changed
from academy.org.models import Person, PersonnelGroup, PersonStatus
from academy.org.services import PeopleFilter, get_person, people_query
from academy.transactions import commit_on_success
from api.rest.auth import agency_or_404, current_caller
from api.rest.errors import fail
from api.rest.resources import SelectPager, make_blueprint
from api.rest.schemas import BulkPeopleSchema, BulkReportSchema, PeopleListArgs, PersonSchema
from api.rest.services import row_errors, upsert_people

blp = make_blueprint("people", "/people", "People of your agency and the units beneath it.")


@blp.route("")
class People(MethodView):
    @blp.arguments(PeopleListArgs, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate(SelectPager, page_size=50, max_page_size=500)
    def get(self, args: dict[str, Any]) -> Select[Person]:
        """List people, by family name, optionally searched and filtered."""
        filters = PeopleFilter(
            q=args.get("q", ""),
            agency_id=agency_or_404(args["agency"]).id if args.get("agency") else None,
            personnel_group=PersonnelGroup(args["group"]) if args.get("group") else None,
            status=PersonStatus(args["status"]) if args.get("status") else None,
        )
        return people_query(filters, current_caller().scope)


@blp.route("/<uuid:public_id>")
class PersonById(MethodView):
    @blp.response(200, PersonSchema)
    def get(self, public_id: uuid.UUID) -> Person:
        """Get a person by their public id."""
        person = get_person(public_id, current_caller().scope)
        if person is None:
            # 404, not 403: another agency's people must not even be confirmed to exist.
            fail(404, "no such person within your scope")
        return person


@blp.route("/bulk")
class PeopleBulk(MethodView):
    @commit_on_success
    @blp.arguments(BulkPeopleSchema)
    @blp.response(200, BulkReportSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create or update people, keyed by agency code and employee number.

        The rules are those of the CSV import. If any record is invalid, nothing is stored
        and the answer is 422 naming each record (by its index) and field.
        """
        caller = current_caller()
        report = upsert_people(
            payload["people"],
            within=caller.scope,
            base_url=current_app.config["ACADEMY_BASE_URL"],
            dry_run=payload["dry_run"],
        )
        if not report.ok:
            db.session.rollback()
            fail(
                422,
                f"nothing was stored: {report.invalid_rows} invalid records",
                errors={"json": {"people": row_errors(report.errors)}},
            )
        summary = {"rows": report.rows, "created": report.created, "updated": report.updated}
        summary |= {"unchanged": report.unchanged, "dry_run": payload["dry_run"]}
        if payload["dry_run"]:
            db.session.rollback()  # a dry run answers 200 but stores nothing: commit_on_success finds nothing to commit
            return summary
        announce_people_changed(report.changed_ids)  # changed positions change role profiles (standing)
        record_audit("people.import", actor=caller.actor, details={"source": "api", **report.as_dict()})
        return summary
