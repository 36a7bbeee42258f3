"""The IDP pages: drafting and editing, the team, bulk agreement, HR's list; 404 outside scope."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.dates import current_fiscal_year
from academy.db import db
from competencies.idp.models import Idp, IdpState, LearningKind
from competencies.idp.services.workflow import add_goal, create_idp, transition
from competencies.models import Framework
from tests.competencies.idp.conftest import Office
from tests.support.app import csrf_token
from tests.support.competencies import competency

SignIn = Callable[..., FlaskClient]


def submitted_plan(office: Office, standard: Framework, person: object = None) -> Idp:
    owner = person or office.official
    idp = create_idp(owner, current_fiscal_year(), None, None)  # type: ignore[arg-type]
    add_goal(idp, competency(standard, "DL-01"), 2, None, None)
    transition(idp, "submit", None)
    return idp


def test_the_official_drafts_from_gaps_and_edits_the_plan(
    office: Office, standard: Framework, sign_in: SignIn, client: FlaskClient
) -> None:
    sign_in(office.official_user)
    page = client.get("/me/idp")
    assert page.status_code == 200 and "draft-plan" in page.get_data(as_text=True)
    token = csrf_token(client, "/me/idp")
    response = client.post("/me/idp", data={"csrf_token": token})
    assert response.status_code == 302
    idp = db.session.scalar(select(Idp).where(Idp.person_id == office.official.id))
    assert idp is not None and idp.state is IdpState.DRAFT and idp.goals  # one goal per gap
    assert client.get("/me/idp").headers["Location"].endswith(f"/idp/{idp.id}")
    text = client.get(f"/idp/{idp.id}").get_data(as_text=True)
    assert idp.goals[0].competency.code in text and 'id="gap-chart"' in text

    goal = idp.goals[0]
    url = f"/idp/{idp.id}/goals/{goal.id}/learning"
    no_date = {"csrf_token": token, "kind": "on_the_job", "description": "Shadow the DPO"}
    assert client.post(url, data=no_date).status_code == 400
    assert client.post(url, data={**no_date, "planned_on": "2026-03-01"}).status_code == 302
    db.session.expire_all()
    idp = db.session.get(Idp, idp.id)  # type: ignore[assignment]
    assert [i.kind for i in idp.goals[0].learning][-1] is LearningKind.ON_THE_JOB
    count = len(idp.goals)
    assert client.post(f"/idp/{idp.id}/goals/{goal.id}", data={"csrf_token": token, "delete": "1"}).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Idp, idp.id).goals) == count - 1  # type: ignore[union-attr]
    # The supervisor reads it but may not edit it.
    sign_in(office.head_user)
    token = csrf_token(client, f"/idp/{idp.id}")
    competency_id = competency(standard, "DS-02").id
    data = {"csrf_token": token, "competency": str(competency_id), "target_level": "2"}
    assert client.post(f"/idp/{idp.id}/goals", data=data).status_code == 403


def test_the_team_page_and_its_scope(office: Office, standard: Framework, sign_in: SignIn, client: FlaskClient) -> None:
    submitted_plan(office, standard)
    sign_in(office.head_user)
    text = client.get("/team").get_data(as_text=True)
    assert office.official.first_name_th in text and office.colleague.first_name_th in text
    assert office.stranger.first_name_th not in text
    assert client.get(f"/team/{office.official.public_id}").status_code == 200
    assert client.get(f"/team/{office.stranger.public_id}").status_code == 404
    assert client.get(f"/team/{office.director.public_id}").status_code == 404  # their own supervisor

    sign_in(office.director_user)
    assert office.official.first_name_th not in client.get("/team").get_data(as_text=True)
    assert office.official.first_name_th in client.get("/team?whole=1").get_data(as_text=True)
    assert client.get(f"/team/{office.official.public_id}").status_code == 200

    sign_in(office.stranger_user)
    assert client.get(f"/team/{office.official.public_id}").status_code == 404
    sign_in(office.colleague_user)
    assert client.get("/team").status_code == 403  # nobody reports to them


def test_the_supervisor_agrees_in_bulk_only_for_their_team(
    office: Office, standard: Framework, sign_in: SignIn, client: FlaskClient
) -> None:
    mine = [submitted_plan(office, standard), submitted_plan(office, standard, office.colleague)]
    theirs = submitted_plan(office, standard, office.director)  # reports to no one: the head may not agree it
    sign_in(office.head_user)
    token = csrf_token(client, "/team")
    both = {"csrf_token": token, "idp": [str(i.id) for i in [*mine, theirs]]}
    assert client.post("/team/agree", data=both).status_code == 403
    db.session.expire_all()
    assert {db.session.get(Idp, i.id).state for i in mine} == {IdpState.SUBMITTED}  # type: ignore[union-attr]
    response = client.post("/team/agree", data={"csrf_token": token, "idp": [str(i.id) for i in mine]})
    assert response.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Idp, i.id).state for i in mine} == {IdpState.AGREED}  # type: ignore[union-attr]


def test_hr_sees_the_agencys_plans_and_no_other(
    office: Office, standard: Framework, sign_in: SignIn, client: FlaskClient
) -> None:
    idp = submitted_plan(office, standard)
    sign_in(office.hr)
    page = client.get(f"/idp/agency/{office.department.code}")
    assert page.status_code == 200 and office.official.first_name_th in page.get_data(as_text=True)
    assert client.get(f"/idp/{idp.id}").status_code == 200
    assert client.get(f"/idp/agency/{office.other.code}").status_code == 404
    sign_in(office.other_hr)
    assert client.get(f"/idp/agency/{office.department.code}").status_code == 404
    assert client.get(f"/idp/{idp.id}").status_code == 404
