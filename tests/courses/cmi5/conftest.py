"""cmi5 fixtures: course structures written by hand, packages, a learner enrolled, launches."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Person
from courses.cmi5.models import AssignableUnit, LaunchMode
from courses.cmi5.package import NS
from courses.cmi5.services.importer import ImportOptions, import_package, structure_of
from courses.cmi5.services.launch import launch_au
from courses.models import Course, CourseStatus, Enrolment, EnrolmentSource
from tests.courses.cmi5.au import Au

EXAMPLE = "https://publisher.example/cmi5"


def texts(name: str, thai: str | None = None) -> str:
    th = f'<langstring lang="th">{thai}</langstring>' if thai else ""
    return (
        f'<title><langstring lang="en">{name}</langstring>{th}</title>'
        f'<description><langstring lang="en">About {name}</langstring></description>'
    )


def au(ident: str = "au/1", url: str = "index.html", attrs: str = "", before_url: str = "", after_url: str = "") -> str:
    """An <au>; ids without a scheme are put under the example publisher's IRI."""
    ident = ident if ":" in ident else f"{EXAMPLE}/{ident}"
    name = "Unit " + ident.rsplit("/", 1)[-1]
    return f'<au id="{ident}" {attrs}>{texts(name)}{before_url}<url>{url}</url>{after_url}</au>'


def block(ident: str, *members: str, objectives: str = "") -> str:
    ident = ident if ":" in ident else f"{EXAMPLE}/{ident}"
    return f'<block id="{ident}">{texts("Block " + ident.rsplit("/", 1)[-1])}{objectives}{"".join(members)}</block>'


def structure(*members: str, course_id: str = f"{EXAMPLE}/course", objectives: str = "", namespaces: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<courseStructure xmlns="{NS}"{namespaces}>'
        f'<course id="{course_id}">{texts("Course", "หลักสูตร")}</course>{objectives}{"".join(members)}'
        "</courseStructure>"
    )


def zipped(xml: str | None, files: dict[str, bytes] | None = None, *, zip64: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = dict(files if files is not None else {"index.html": b"<!doctype html><title>AU</title>"})
        if xml is not None:
            entries = {"cmi5.xml": xml.encode(), **entries}
        for name, content in entries.items():
            with archive.open(name, "w", force_zip64=zip64) as entry:
                entry.write(content)
    return buffer.getvalue()


@pytest.fixture
def make_cmi5() -> Callable[..., Course]:
    def make(
        xml: str | None = None,
        *,
        code: str = "C5-TEST",
        files: dict[str, bytes] | None = None,
        bare: bool = False,
        status: CourseStatus = CourseStatus.PUBLISHED,
        allow_browse: bool = False,
    ) -> Course:
        xml = xml or structure(block("block/1", au("au/1", attrs='moveOn="Completed"')))
        data = xml.encode() if bare else zipped(xml, files)
        options = ImportOptions(code=code, hours=Decimal("2"), status=status, allow_browse=allow_browse)
        return import_package(data, "cmi5.xml" if bare else "package.zip", options)

    return make


@pytest.fixture
def learner(
    make_agency: Callable[..., Any], make_person: Callable[..., Person], make_user: Callable[..., User]
) -> User:
    agency = make_agency()
    person = make_person(agency)
    return make_user(Role.LEARNER, person=person)


@pytest.fixture
def enrol(learner: User) -> Callable[[Course], Enrolment]:
    def make(course: Course, person: Person | None = None) -> Enrolment:
        enrolment = Enrolment(person=person or learner.person, course=course, source=EnrolmentSource.SELF)
        db.session.add(enrolment)
        db.session.flush()
        return enrolment

    return make


def aus_of(course: Course) -> list[AssignableUnit]:
    return structure_of(course)[1]


@pytest.fixture
def launch(client: FlaskClient) -> Callable[..., Au]:
    """Launch an AU of an enrolment (the service, as the Launch button does) and hand back the AU."""

    def make(enrolment: Enrolment, unit: int | AssignableUnit = 0, mode: LaunchMode = LaunchMode.NORMAL) -> Au:
        target = unit if isinstance(unit, AssignableUnit) else aus_of(enrolment.course)[unit]
        launched = launch_au(enrolment, target, mode)
        db.session.flush()
        return Au(client, launched.url)

    return make


def statements_of(enrolment: Enrolment) -> list[dict[str, Any]]:
    """The registration's statements in the order stored."""
    from sqlalchemy import select

    from lrs.models import Statement

    rows = db.session.scalars(
        select(Statement).where(Statement.registration == enrolment.registration).order_by(Statement.pk)
    )
    return [row.payload for row in rows]


def verbs_of(enrolment: Enrolment) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements_of(enrolment)]
