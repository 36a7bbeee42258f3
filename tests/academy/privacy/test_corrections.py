"""Correction requests: the person writes, their agency's HR officers answer; others see nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from academy.privacy.models import CorrectionRequest, CorrectionStatus
from tests.support.app import csrf_token


@pytest.fixture
def world(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person], make_user: Callable[..., User]
) -> dict[str, User]:
    ministry = make_agency()
    mine, theirs = make_agency(parent=ministry), make_agency()
    learner = make_user(Role.LEARNER, person=make_person(make_agency(parent=mine), first_name_en="Wichai"))
    return {
        "learner": learner,
        "officer": make_user(Role.HR_OFFICER, agencies=(mine,)),
        "stranger": make_user(Role.HR_OFFICER, agencies=(theirs,)),
        "colleague": make_user(Role.LEARNER, person=make_person(mine)),
    }


def send(client: FlaskClient, text: str) -> None:
    token = csrf_token(client, "/me/data")
    response = client.post("/me/data/corrections", data={"text": text, "csrf_token": token})
    assert response.status_code == 302


def test_a_request_reaches_the_agencys_hr_officer_who_answers_it(
    world: dict[str, User], sign_in: Callable[[User], FlaskClient]
) -> None:
    learner = sign_in(world["learner"])
    send(learner, "My surname is spelled วิชัย, not วิชย")
    request = db.session.scalars(select(CorrectionRequest)).one()
    assert request.status is CorrectionStatus.OPEN and request.person_id == world["learner"].person_id

    officer = sign_in(world["officer"])
    listing = officer.get("/corrections").get_data(as_text=True)
    assert f"/corrections/{request.id}" in listing
    page = officer.get(f"/corrections/{request.id}")
    assert page.status_code == 200 and "วิชัย" in page.get_data(as_text=True)
    token = csrf_token(officer, f"/corrections/{request.id}")
    answered = officer.post(
        f"/corrections/{request.id}", data={"reply": "Fixed in DPIS", "status": "done", "csrf_token": token}
    )
    assert answered.status_code == 302
    db.session.expire_all()
    assert request.status is CorrectionStatus.DONE and request.reply == "Fixed in DPIS"
    assert request.replied_by_id == world["officer"].id
    assert "Fixed in DPIS" in learner.get("/me/data").get_data(as_text=True)
    # Done requests leave the default (open) list, and show under "done".
    assert f"/corrections/{request.id}" not in officer.get("/corrections").get_data(as_text=True)
    assert f"/corrections/{request.id}" in officer.get("/corrections?status=done").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("correction."))).all()
    assert sorted(actions) == ["correction.answer", "correction.request"]


def test_another_agencys_officer_and_learners_see_nothing(
    world: dict[str, User], sign_in: Callable[[User], FlaskClient]
) -> None:
    send(sign_in(world["learner"]), "Wrong position")
    request = db.session.scalars(select(CorrectionRequest)).one()

    stranger = sign_in(world["stranger"])
    assert f"/corrections/{request.id}" not in stranger.get("/corrections?status=all").get_data(as_text=True)
    assert stranger.get(f"/corrections/{request.id}").status_code == 404
    token = csrf_token(stranger, "/corrections")
    refused = stranger.post(f"/corrections/{request.id}", data={"reply": "x", "csrf_token": token})
    assert refused.status_code == 404
    db.session.expire_all()
    assert request.status is CorrectionStatus.OPEN and request.reply == ""

    colleague = sign_in(world["colleague"])
    assert colleague.get("/corrections").status_code == 403
    assert colleague.get(f"/corrections/{request.id}").status_code == 403
    assert "Wrong position" not in colleague.get("/me/data").get_data(as_text=True)


def test_an_empty_request_is_not_sent(world: dict[str, User], sign_in: Callable[[User], FlaskClient]) -> None:
    send(sign_in(world["learner"]), "   ")
    assert db.session.scalars(select(CorrectionRequest)).all() == []


def test_a_request_without_a_token_is_refused(world: dict[str, User], sign_in: Callable[[User], FlaskClient]) -> None:
    assert sign_in(world["learner"]).post("/me/data/corrections", data={"text": "x"}).status_code == 400
    assert db.session.scalars(select(CorrectionRequest)).all() == []
