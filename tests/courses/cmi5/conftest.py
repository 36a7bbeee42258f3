"""cmi5 fixtures: course structures written by hand, packages, a learner enrolled, launches."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Person
from courses.cmi5.models import AssignableUnit, LaunchMode
from courses.cmi5.services.importer import ImportOptions, import_package
from courses.cmi5.services.launch import launch_au
from courses.models import Course, CourseStatus, Enrolment, EnrolmentSource
from tests.courses.cmi5.au import Au
from tests.support.cmi5 import au, aus_of, block, structure, zipped


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


@pytest.fixture
def launch(client: FlaskClient) -> Callable[..., Au]:
    """Launch an AU of an enrolment (the service, as the Launch button does) and hand back the AU."""

    def make(enrolment: Enrolment, unit: int | AssignableUnit = 0, mode: LaunchMode = LaunchMode.NORMAL) -> Au:
        target = unit if isinstance(unit, AssignableUnit) else aus_of(enrolment.course)[unit]
        launched = launch_au(enrolment, target, mode)
        db.session.flush()
        return Au(client, launched.url)

    return make
