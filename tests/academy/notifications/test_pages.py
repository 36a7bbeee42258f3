"""The reader's pages: the bell's count, the list (own only, paginated), mark read, mark all read, email choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import User
from academy.dates import current_fiscal_year, today
from academy.db import db
from academy.notifications.models import Notification, NotificationPreference
from academy.notifications.services import send_due_notifications
from courses.models import Course
from courses.services.enrolment import assign_course
from tests.academy.notifications.conftest import StoppableSmtp
from tests.competencies.idp.conftest import Office
from tests.support.app import csrf_token
from tests.support.second_factor import sign_in

BELL = re.compile(r'data-unread="(\d+)"')


def _bell(client: FlaskClient) -> int:
    found = BELL.search(client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def _notify(office: Office, make_course: Callable[..., Course], *people_codes: str) -> None:
    now = datetime.now(UTC)
    for code in people_codes:
        course = make_course(code)
        assign_course(course, [office.official.id], current_fiscal_year(now), today(now) + timedelta(days=3), office.hr)
    send_due_notifications(now)


def _mine(user: User) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.session.scalars(query))


def test_the_bell_counts_my_unread_notifications(
    office: Office, make_course: Callable[..., Course], smtp: StoppableSmtp, login: Callable[[User], FlaskClient]
) -> None:
    client = login(office.official_user)
    assert _bell(client) == 0
    _notify(office, make_course, "DG101")  # assigned + due soon
    assert _bell(client) == 2

    first = _mine(office.official_user)[0]
    token = csrf_token(client, "/notifications")
    assert client.post(f"/notifications/{first.id}/read", data={"csrf_token": token}).status_code == 302
    assert _bell(client) == 1
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302
    assert _bell(client) == 0
    db.session.expire_all()
    assert all(n.read_at is not None for n in _mine(office.official_user))


def test_the_list_shows_only_my_own_and_another_persons_is_404(
    office: Office, make_course: Callable[..., Course], smtp: StoppableSmtp, login: Callable[[User], FlaskClient]
) -> None:
    _notify(office, make_course, "DG101")
    theirs = _mine(office.official_user)[0]

    client = login(office.colleague_user)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Digital law basics" not in page and "กฎหมายดิจิทัลเบื้องต้น" not in page
    token = csrf_token(client, "/notifications")
    assert client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token}).status_code == 404
    assert client.post("/notifications/999999/read", data={"csrf_token": token}).status_code == 404
    client.post("/notifications/read-all", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None  # type: ignore[union-attr]


def test_the_list_is_in_my_language_and_opens_the_course(
    office: Office, make_course: Callable[..., Course], smtp: StoppableSmtp, login: Callable[[User], FlaskClient]
) -> None:
    _notify(office, make_course, "DG101")
    client = login(office.official_user)
    thai = client.get("/notifications").get_data(as_text=True)
    assert "คุณได้รับมอบหมายหลักสูตร กฎหมายดิจิทัลเบื้องต้น" in thai
    assert str(today().year + 543) in thai  # the due date in the Buddhist Era
    client.get("/lang/en")
    english = client.get("/notifications").get_data(as_text=True)
    assert "You are assigned the course Digital law basics" in english

    first = _mine(office.official_user)[0]
    token = csrf_token(client, "/notifications")
    opened = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token, "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/courses/DG101")


def test_the_list_is_paginated(
    office: Office, make_course: Callable[..., Course], smtp: StoppableSmtp, login: Callable[[User], FlaskClient]
) -> None:
    _notify(office, make_course, *(f"DG1{n:02d}" for n in range(11)))  # 22 notifications
    client = login(office.official_user)
    first = client.get("/notifications").get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert first.count('<li class="notification') == 20 and second.count('<li class="notification') == 2
    assert client.get("/notifications?page=99").status_code == 404


LEARNING_KINDS = {
    "course_assigned",
    "course_due_soon",
    "course_overdue",
    "credential_issued",
    "idp_draft_not_submitted",
    "idp_goal_due",
}
OFFERED = re.compile(r'name="email" value="([a-z_]+)"')


def _offered(client: FlaskClient) -> set[str]:
    return set(OFFERED.findall(client.get("/notifications/preferences").get_data(as_text=True)))


def test_email_choices_are_saved_per_person(office: Office, login: Callable[[User], FlaskClient]) -> None:
    client = login(office.official_user)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert page.count('type="checkbox"') == 6 and page.count("checked") == 6  # every email on by default
    token = csrf_token(client, "/notifications/preferences")
    kept = {"course_assigned", "credential_issued"}
    # A kind the official may not receive (the HR digest) is not theirs to choose: it is ignored.
    sent = sorted(kept | {"coverage_digest"})
    response = client.post("/notifications/preferences", data={"csrf_token": token, "email": sent})
    assert response.status_code == 302
    prefs = {
        pref.kind: pref.email
        for pref in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == office.official_user.id)
        )
    }
    assert prefs == {kind: False for kind in LEARNING_KINDS - kept}
    assert client.post("/notifications/preferences", data={"email": "course_due_soon"}).status_code == 400  # CSRF


def test_the_preferences_list_only_the_kinds_each_user_may_receive(app: Flask, office: Office) -> None:
    def as_(user: User) -> FlaskClient:
        return sign_in(app.test_client(), user)

    # A civil servant: their own learning only; a supervisor (a unit head) also their team's plans.
    assert _offered(as_(office.official_user)) == LEARNING_KINDS
    assert _offered(as_(office.head_user)) == LEARNING_KINDS | {"idp_not_agreed"}
    # The HR officer (no person of their own) gets the weekly digest only.
    assert _offered(as_(office.hr)) == {"coverage_digest"}
    # An admin without a person receives no kind: the page says so.
    client = as_(office.admin)
    assert _offered(client) == set()
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "ยังไม่มีการแจ้งเตือนประเภทใดที่ส่งถึงบัญชีของคุณ" in page and 'type="checkbox"' not in page


def test_a_person_with_a_supervisor_of_their_own_is_offered_the_supervisors_kind(
    office: Office, login: Callable[[User], FlaskClient]
) -> None:
    from academy.org.supervision import set_supervisor

    client = login(office.colleague_user)
    assert "idp_not_agreed" not in _offered(client)
    set_supervisor(office.official, office.colleague)
    assert "idp_not_agreed" in _offered(client)


def test_pages_need_a_signed_in_user(client: FlaskClient) -> None:
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/preferences").status_code == 302
