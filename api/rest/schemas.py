"""What the REST API accepts and answers (marshmallow): the OpenAPI document is built from these."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from academy.dates import FISCAL_YEAR_MAX, FISCAL_YEAR_MIN, current_fiscal_year
from academy.org.importer import COLUMN_BY_NAME
from academy.org.models import AgencyKind, PersonnelGroup, PersonStatus
from competencies.services.coverage import Population
from courses.models import CourseFormat

#: People a bulk upsert may carry: one chunk of the importer, so a request stays quick.
MAX_BULK = 1000


class Text(fields.String):
    """A string the database can store: no NUL bytes, no unpaired surrogates."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ma.ValidationError("must be valid Unicode text") from None
        return text


def _values(enum_type: type[Any]) -> list[str]:
    return [member.value for member in enum_type]


# --- query parameters ---------------------------------------------------------------------------


class SearchArgs(ma.Schema):
    q = Text(
        validate=validate.Length(max=100),
        metadata={"description": "Words that must all appear (in a name or code); case-insensitive."},
    )


class AgencyListArgs(SearchArgs):
    kind = Text(validate=validate.OneOf(_values(AgencyKind)), metadata={"description": "Only agencies of this kind."})


class PeopleListArgs(SearchArgs):
    agency = Text(
        validate=validate.Length(max=20),
        metadata={"description": "Only people of this agency (code) and the units beneath it."},
    )
    status = Text(validate=validate.OneOf(_values(PersonStatus)))
    group = Text(
        validate=validate.OneOf(_values(PersonnelGroup)), metadata={"description": "The personnel group: IT or Non-IT."}
    )


class CourseListArgs(SearchArgs):
    area = Text(
        validate=validate.Length(max=50),
        metadata={"description": "Only courses aligned with this area of the standard (its code, e.g. DL)."},
    )
    level = fields.Integer(
        validate=validate.Range(min=1, max=8), metadata={"description": "Only courses teaching at this level."}
    )
    provider = Text(validate=validate.Length(max=255))
    language = Text(validate=validate.Length(max=10))
    format = Text(validate=validate.OneOf(_values(CourseFormat)))


class FrameworkArgs(ma.Schema):
    version = Text(
        validate=validate.Length(max=20), metadata={"description": "A version; by default the latest published."}
    )


class CoverageArgs(ma.Schema):
    agency = Text(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The agency's code: its figures include every unit beneath it."},
    )
    fiscal_year = fields.Integer(
        load_default=current_fiscal_year,
        validate=validate.Range(min=FISCAL_YEAR_MIN, max=FISCAL_YEAR_MAX),
        metadata={"description": "Fiscal year in the Buddhist Era (FY 2569 = 1 Oct 2025 - 30 Sep 2026); default: now."},
    )
    population = Text(
        load_default=Population.IT.value,
        validate=validate.OneOf(_values(Population)),
        metadata={"description": "Whom to count: the IT group (the plan's target), everyone, or Non-IT."},
    )


# --- agencies and people ----------------------------------------------------------------------------


def parent_code_of(path: str) -> str | None:
    """The code of the agency above, read from a path such as "03/03003/"."""
    codes = path.rstrip("/").split("/")
    return codes[-2] if len(codes) > 1 else None


class AgencySchema(ma.Schema):
    code = fields.String(metadata={"description": "Budget-system code (departments: 5 digits)."})
    name_th = fields.String()
    name_en = fields.String()
    kind = fields.String(metadata={"enum": _values(AgencyKind)})
    parent_code = fields.Function(
        lambda agency: parent_code_of(agency.path), metadata={"type": "string", "nullable": True}
    )
    depth = fields.Integer(metadata={"description": "0 for a ministry."})
    is_active = fields.Boolean()


class PersonSchema(ma.Schema):
    public_id = fields.UUID(metadata={"description": "The pseudonymous id used in learning records."})
    agency_code = fields.String(attribute="agency.code")
    employee_no = fields.String()
    title_th = fields.String()
    first_name_th = fields.String()
    last_name_th = fields.String()
    title_en = fields.String()
    first_name_en = fields.String()
    last_name_en = fields.String()
    email = fields.String(allow_none=True)
    position_line_code = fields.String(attribute="position_line.code")
    position_level_code = fields.String(attribute="position_level.code")
    position_title_th = fields.String()
    is_cio = fields.Boolean()
    status = fields.String(metadata={"enum": _values(PersonStatus)})
    start_date = fields.Date(allow_none=True)
    personnel_group = fields.String(metadata={"enum": _values(PersonnelGroup)})
    role_level = fields.String()
    updated_at = fields.DateTime()


def _column(name: str, **kwargs: Any) -> Text:
    """A field of a bulk record, described as the import's column of the same name."""
    column = COLUMN_BY_NAME[name]
    return Text(
        required=column.required,
        allow_none=not column.required,  # null or absent: the empty cell of a CSV file
        metadata={"description": column.description, "example": column.example},
        **kwargs,
    )


class PersonRecordSchema(ma.Schema):
    """One person as an HR system sends them: the columns of the CSV import, with the same rules."""

    agency_code = _column("agency_code")
    employee_no = _column("employee_no")
    title_th = _column("title_th")
    first_name_th = _column("first_name_th")
    last_name_th = _column("last_name_th")
    title_en = _column("title_en")
    first_name_en = _column("first_name_en")
    last_name_en = _column("last_name_en")
    email = _column("email")
    citizen_id = _column("citizen_id")
    position_line_code = _column("position_line_code")
    position_level_code = _column("position_level_code")
    position_type_code = _column("position_type_code")
    is_cio = fields.Boolean(load_default=False, metadata={"description": COLUMN_BY_NAME["is_cio"].description})
    status = _column("status")
    start_date = _column("start_date")


class BulkPeopleSchema(ma.Schema):
    people = fields.List(
        fields.Nested(PersonRecordSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK),
        metadata={"description": f"1 to {MAX_BULK} people, keyed by agency_code + employee_no."},
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check and count, store nothing."})


class BulkReportSchema(ma.Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    dry_run = fields.Boolean()


# --- frameworks ------------------------------------------------------------------------------------


class FrameworkSummarySchema(ma.Schema):
    code = fields.String()
    version = fields.String()
    identifier = fields.UUID(metadata={"description": "The CASE CFDocument identifier."})
    name_th = fields.String()
    name_en = fields.String()
    status = fields.String()


class ScaleLevelSchema(ma.Schema):
    level = fields.Integer()
    code = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    description_th = fields.String()
    description_en = fields.String()
    proficient = fields.Boolean(metadata={"description": "The first level that counts as proficient."})


class CompetencySchema(ma.Schema):
    code = fields.String()
    identifier = fields.UUID(metadata={"description": "The CASE CFItem identifier."})
    name_th = fields.String()
    name_en = fields.String()
    description_th = fields.String()
    description_en = fields.String()
    is_core = fields.Boolean()


class AreaSchema(CompetencySchema):
    competencies = fields.List(fields.Nested(CompetencySchema), attribute="children")


class RoleProfileSchema(ma.Schema):
    code = fields.String()
    personnel_group = fields.String()
    role_level = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    requirements = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Competency code -> the level this profile requires."},
    )


class FrameworkSchema(FrameworkSummarySchema):
    description_th = fields.String()
    description_en = fields.String()
    scale = fields.List(fields.Nested(ScaleLevelSchema), attribute="levels")
    areas = fields.List(fields.Nested(AreaSchema))
    profiles = fields.List(
        fields.Nested(RoleProfileSchema),
        metadata={"description": "The academy-wide role profiles and their required levels (a default matrix)."},
    )


# --- coverage -----------------------------------------------------------------------------------


class AreaFiguresSchema(ma.Schema):
    code = fields.String()
    name_en = fields.String()
    meeting = fields.Integer(metadata={"description": "People who meet their profile's levels in this area."})
    percent = fields.Float()


class CoverageRecordSchema(ma.Schema):
    agency_code = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    parent_code = fields.String(allow_none=True)
    depth = fields.Integer()
    headcount = fields.Integer(metadata={"description": "Active people in the population, units included."})
    trained = fields.Integer(metadata={"description": "Who completed a standard-aligned course in the year."})
    coverage_percent = fields.Float()
    attained = fields.Integer(metadata={"description": "Who meets every level their role profile requires."})
    attainment_percent = fields.Float()
    meets_target = fields.Boolean()
    areas = fields.List(fields.Nested(AreaFiguresSchema))


class CoverageSchema(ma.Schema):
    fiscal_year = fields.Integer()
    population = fields.String()
    target_percent = fields.Float()
    as_of = fields.DateTime()
    records = fields.List(
        fields.Nested(CoverageRecordSchema),
        metadata={"description": "The agency first, then every unit beneath it, in tree order."},
    )


# --- courses --------------------------------------------------------------------------------------


class CourseAlignmentSchema(ma.Schema):
    framework_code = fields.String(attribute="competency.framework.code")
    competency_code = fields.String(attribute="competency.code")
    competency_name_en = fields.String(attribute="competency.name_en")
    level = fields.Integer(metadata={"description": "The level that completing the course demonstrates."})


class ModuleSummarySchema(ma.Schema):
    position = fields.Integer()
    title_th = fields.String()
    title_en = fields.String()
    lessons = fields.Function(lambda module: len(module.lessons), metadata={"type": "integer"})
    quizzes = fields.Function(lambda module: len(module.quizzes), metadata={"type": "integer"})


class CourseSchema(ma.Schema):
    code = fields.String()
    title_th = fields.String()
    title_en = fields.String()
    description_th = fields.String()
    description_en = fields.String()
    provider = fields.String()
    format = fields.String(metadata={"enum": _values(CourseFormat)})
    kind = fields.String()
    hours = fields.Float()
    language = fields.String()
    activity_iri = fields.String(metadata={"description": "The course's xAPI activity id."})
    updated_at = fields.DateTime()
    alignments = fields.List(
        fields.Nested(CourseAlignmentSchema), metadata={"description": "The competencies the course teaches."}
    )


class CourseDetailSchema(CourseSchema):
    modules = fields.List(fields.Nested(ModuleSummarySchema))
