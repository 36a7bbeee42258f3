"""Courses: the published catalogue, with the competencies each course teaches."""

from __future__ import annotations

import json
from decimal import Decimal

from academy.db import db
from competencies.models import Alignment
from competencies.services.frameworks import seed_standard
from courses.models import Course, CourseFormat, CourseStatus, Module
from tests.support.rest import Api, Tree


def course(code: str, title_en: str, status: CourseStatus = CourseStatus.PUBLISHED, **fields: object) -> Course:
    values: dict[str, object] = {
        "title_th": f"หลักสูตร {code}",
        "provider": "TDGA",
        "format": CourseFormat.ONLINE,
        "hours": Decimal("3.0"),
        "language": "th",
        "activity_iri": f"https://academy.test/courses/{code}",
        **fields,
    }
    made = Course(code=code, title_en=title_en, status=status, **values)
    db.session.add(made)
    db.session.flush()
    return made


def test_published_courses_are_listed_with_what_they_teach(api: Api, tree: Tree) -> None:
    standard = seed_standard()
    law = course("DG101", "Digital law for public officers")
    law.modules.append(Module(position=1, title_th="บทนำ", title_en="Introduction"))
    course("DL201", "Spreadsheets", format=CourseFormat.CLASSROOM, provider="OCSC")
    course("DRAFT1", "Not yet", status=CourseStatus.DRAFT)
    governance = next(c for c in standard.competencies if c.code == "DG-01")
    db.session.add(Alignment(activity_id=law.activity_iri, competency_id=governance.id, level=2))
    db.session.flush()

    response = api("GET", "/api/v1/courses")
    assert response.status_code == 200
    listed = {item["code"]: item for item in response.get_json()}
    assert set(listed) == {"DG101", "DL201"}
    assert json.loads(response.headers["X-Pagination"])["total"] == 2
    assert listed["DG101"]["alignments"] == [
        {
            "framework_code": standard.code,
            "competency_code": "DG-01",
            "competency_name_en": governance.name_en,
            "level": 2,
        }
    ]
    assert listed["DG101"]["hours"] == 3.0 and listed["DL201"]["alignments"] == []

    def codes(**query: str) -> list[str]:
        return [item["code"] for item in api("GET", "/api/v1/courses", query_string=query).get_json()]

    assert codes(q="law") == ["DG101"]
    assert codes(area="DG") == ["DG101"]
    assert codes(format="classroom") == ["DL201"]
    assert codes(provider="OCSC") == ["DL201"]

    detail = api("GET", "/api/v1/courses/DG101").get_json()
    assert detail["title_en"] == "Digital law for public officers"
    assert detail["modules"] == [
        {"position": 1, "title_th": "บทนำ", "title_en": "Introduction", "lessons": 0, "quizzes": 0}
    ]
    assert api("GET", "/api/v1/courses/DRAFT1").status_code == 404
    assert api("GET", "/api/v1/courses/NOPE").status_code == 404
    assert api("GET", "/api/v1/courses", query_string={"format": "telepathy"}).status_code == 422
