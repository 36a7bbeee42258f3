"""``/api/v1/cmi5/registrations``: the cmi5 registrations of your agency's people, each AU's
status, and waiving an AU (cmi5 9.3.7) with one of the spec's reasons, as the portal does."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from academy.audit.services import record_audit
from academy.db import db
from academy.org.services import get_person
from academy.transactions import commit_on_success
from api.rest.auth import current_caller, in_scope
from api.rest.errors import fail
from api.rest.resources import make_blueprint
from api.rest.schemas import Text
from courses.cmi5.services.launch import WAIVE_REASONS, LaunchError, waive_au
from courses.cmi5.services.registrations import cmi5_enrolments, find_unit, get_registration, unit_statuses
from courses.models import Enrolment, EnrolmentStatus

blp = make_blueprint("cmi5", "/cmi5", "cmi5 registrations of your agency's people: each unit's status; waiving a unit.")

UNIT_STATUSES = ["not_started", "completed", "passed", "failed", "satisfied", "waived"]


class RegistrationArgs(ma.Schema):
    person = fields.UUID(required=True, metadata={"description": "The person's public id."})


class UnitSchema(ma.Schema):
    key = fields.UUID(attribute="au.key", metadata={"description": "Our id of the AU (use it to waive it)."})
    publisher_id = fields.String(attribute="au.publisher_id", metadata={"description": "The AU's id in cmi5.xml."})
    activity_id = fields.String(attribute="au.activity_iri")
    title = fields.Dict(keys=fields.String(), values=fields.String(), attribute="au.title")
    move_on = fields.String(attribute="au.move_on")
    status = fields.String(metadata={"enum": UNIT_STATUSES})
    waived_at = fields.DateTime(attribute="state.waived_at", allow_none=True)
    waive_reason = fields.String(attribute="state.waive_reason", allow_none=True)


class RegistrationSchema(ma.Schema):
    registration = fields.UUID(metadata={"description": "The cmi5 (and xAPI) registration id."})
    person = fields.UUID(attribute="person.public_id")
    course = fields.String(attribute="course.code")
    status = fields.String(metadata={"enum": [s.value for s in EnrolmentStatus]})
    progress = fields.Integer(metadata={"description": "Percent of the units done."})
    units = fields.Function(lambda enrolment: UnitSchema(many=True).dump(unit_statuses(enrolment)))


class WaiverSchema(ma.Schema):
    unit = Text(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "The AU: our key (a UUID) or its publisher id in cmi5.xml."},
    )
    reason = Text(required=True, validate=validate.OneOf(WAIVE_REASONS), metadata={"description": "cmi5 9.5.5.2."})


def _registration_or_404(registration: uuid.UUID) -> Enrolment:
    enrolment = get_registration(registration)
    if enrolment is None or not in_scope(enrolment.person.agency):
        # 404, not 403: another agency's registrations must not even be confirmed to exist.
        fail(404, "no cmi5 registration with that id within your scope")
    return enrolment


@blp.route("/registrations")
class Registrations(MethodView):
    @blp.arguments(RegistrationArgs, location="query")
    @blp.response(200, RegistrationSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Enrolment]:
        """List a person's cmi5 registrations, with each unit's status."""
        person = get_person(args["person"], current_caller().scope)
        if person is None:
            fail(404, "no such person within your scope")
        return cmi5_enrolments(person)


@blp.route("/registrations/<uuid:registration>")
class RegistrationById(MethodView):
    @blp.response(200, RegistrationSchema)
    def get(self, registration: uuid.UUID) -> Enrolment:
        """Get a cmi5 registration with each unit's status."""
        return _registration_or_404(registration)


@blp.route("/registrations/<uuid:registration>/waivers")
class Waivers(MethodView):
    @commit_on_success
    @blp.arguments(WaiverSchema)
    @blp.response(201, RegistrationSchema)
    @blp.alt_response(409, description="The unit is already waived, or its moveOn criteria are already met.")
    def post(self, waiver: dict[str, Any], registration: uuid.UUID) -> Enrolment:
        """Waive a unit of the registration: the LMS records ``waived`` and satisfies what follows."""
        enrolment = _registration_or_404(registration)
        au = find_unit(enrolment, waiver["unit"])
        if au is None:
            fail(422, "no such unit in the registration's course", errors={"json": {"unit": ["unknown unit"]}})
        try:
            waive_au(enrolment, au, waiver["reason"])
        except LaunchError as error:
            db.session.rollback()
            fail(409, str(error))
        record_audit(
            "cmi5.waive",
            actor=current_caller().actor,
            target_type="cmi5_registration",
            target_id=enrolment.registration,
            details={
                "person": str(enrolment.person.public_id),
                "course": enrolment.course.code,
                "au": au.publisher_id,
                "reason": waiver["reason"],
                "source": "api",
            },
        )
        return enrolment
