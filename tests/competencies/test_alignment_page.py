"""Alignments show our courses by title and ask before they are removed."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.db import db
from competencies.models import Alignment, Framework
from tests.support.app import csrf_token
from tests.support.competencies import competency

Login = Callable[[User], FlaskClient]
COURSE_IRI = "https://academy.test/courses/ALIGN1"


def test_alignments_show_titles_and_confirm_before_removal(
    standard: Framework, make_user: Callable[..., User], login: Login
) -> None:
    from decimal import Decimal

    from courses.models import Course, CourseFormat, CourseStatus

    db.session.add(
        Course(
            code="ALIGN1",
            title_th="หลักสูตรจัดแนว",
            title_en="Aligned course",
            provider="TDGA",
            format=CourseFormat.ONLINE,
            hours=Decimal("1.0"),
            language="th",
            status=CourseStatus.PUBLISHED,
            activity_iri=COURSE_IRI,
        )
    )
    alignment = Alignment(activity_id=COURSE_IRI, competency_id=competency(standard, "DL-01").id, level=2)
    db.session.add(alignment)
    db.session.flush()
    client = login(make_user(Role.ADMIN))
    page = client.get("/admin/alignments").get_data(as_text=True)
    assert "หลักสูตรจัดแนว" in page and f'<code class="details">{COURSE_IRI}</code>' not in page
    token = csrf_token(client, "/admin/alignments")
    first = client.post("/admin/alignments", data={"delete": str(alignment.id), "csrf_token": token})
    assert first.status_code == 302 and f"remove={alignment.id}" in first.headers["Location"]
    assert db.session.get(Alignment, alignment.id) is not None  # not yet
    confirm = client.get(f"/admin/alignments?remove={alignment.id}").get_data(as_text=True)
    assert 'name="confirmed" value="yes"' in confirm
    done = client.post("/admin/alignments", data={"delete": str(alignment.id), "confirmed": "yes", "csrf_token": token})
    assert done.status_code == 302
    assert db.session.scalar(select(Alignment).where(Alignment.id == alignment.id)) is None
