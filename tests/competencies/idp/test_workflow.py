"""The IDP's state machine: every transition from every state, by everyone who might try it; versions and audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import academy.dates
from academy.audit.models import AuditEntry
from academy.auth.models import User
from academy.dates import current_fiscal_year
from academy.db import db
from competencies.idp.models import GoalResult, Idp, IdpState, IdpVersion
from competencies.idp.permissions import TRANSITIONS, Capacity, can_edit, can_transition, can_view, capacities
from competencies.idp.services.workflow import IdpError, add_goal, create_idp, transition
from competencies.models import Framework
from tests.competencies.idp.conftest import Office
from tests.support.app import csrf_token
from tests.support.competencies import competency

ACTORS = ("official", "head", "director", "colleague", "stranger", "hr", "other_hr", "admin")
#: Written out by hand (not read from TRANSITIONS): who may take each step, from which state.
ALLOWED = {
    "submit": {("draft", "official"), ("returned", "official")},
    "withdraw": {("submitted", "official")},
    "return": {("submitted", "head"), ("submitted", "admin")},
    "agree": {("submitted", "head"), ("submitted", "admin")},
    "close": {("agreed", "head"), ("agreed", "hr"), ("agreed", "admin")},
}
TARGET = {"submit": "submitted", "withdraw": "draft", "return": "returned", "agree": "agreed", "close": "closed"}


def actor(office: Office, name: str) -> User:
    return {
        "official": office.official_user,
        "head": office.head_user,
        "director": office.director_user,
        "colleague": office.colleague_user,
        "stranger": office.stranger_user,
        "hr": office.hr,
        "other_hr": office.other_hr,
        "admin": office.admin,
    }[name]


@pytest.fixture
def september(monkeypatch: pytest.MonkeyPatch) -> int:
    """Freeze the platform's clock in the last month of the current fiscal year (plans may close)."""
    fiscal_year = current_fiscal_year()
    moment = datetime(fiscal_year - 543, 9, 15, 5, tzinfo=UTC)
    monkeypatch.setattr(academy.dates, "_clock", lambda: moment)
    return fiscal_year


def plan_in(office: Office, standard: Framework, state: IdpState, fiscal_year: int) -> Idp:
    idp = create_idp(office.official, fiscal_year, standard, office.official_user.id)
    if not idp.goals:
        add_goal(idp, competency(standard, "DL-01"), 2, None, office.official_user.id)
    idp.state = state
    db.session.flush()
    return idp


def test_capacities_of_each_actor(office: Office, standard: Framework) -> None:
    person = office.official
    assert capacities(office.official_user, person) == {Capacity.OWNER}
    assert capacities(office.head_user, person) == {Capacity.SUPERVISOR, Capacity.TEAM_LEAD}
    assert capacities(office.director_user, person) == {Capacity.TEAM_LEAD}
    assert capacities(office.colleague_user, person) == set()
    assert capacities(office.stranger_user, person) == set()
    assert capacities(office.hr, person) == {Capacity.HR}
    assert capacities(office.other_hr, person) == set()
    assert capacities(office.admin, person) == {Capacity.ADMIN}


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_transition_from_every_state_by_everyone(
    office: Office, standard: Framework, september: int, action: str
) -> None:
    idp = plan_in(office, standard, IdpState.DRAFT, september)
    for state in [s.value for s in IdpState]:
        idp.state = IdpState(state)
        _check_transition(office, idp, action, state)


def _check_transition(office: Office, idp: Idp, action: str, state: str) -> None:
    for name in ACTORS:
        user = actor(office, name)
        expected = (state, name) in ALLOWED[action]
        assert can_transition(user, idp, action) is expected, (action, state, name)
    sources = {s for s, _n in ALLOWED[action]}
    if state in sources:
        transition(idp, action, office.head_user.id, comment="needs a date for DL-01")
        assert idp.state.value == TARGET[action]
    else:
        with pytest.raises(IdpError):
            transition(idp, action, office.head_user.id, comment="x")
        assert idp.state.value == state


def test_the_official_edits_only_a_draft_or_a_returned_plan(office: Office, standard: Framework) -> None:
    idp = plan_in(office, standard, IdpState.DRAFT, current_fiscal_year())
    for state, editable in (
        ("draft", True),
        ("returned", True),
        ("submitted", False),
        ("agreed", False),
        ("closed", False),
    ):
        idp.state = IdpState(state)
        assert can_edit(office.official_user, idp) is editable
        assert can_edit(office.head_user, idp) is False
        assert can_edit(office.hr, idp) is False
    assert can_view(office.director_user, office.official)
    assert not can_view(office.colleague_user, office.official)


def test_a_return_needs_a_comment_and_a_submit_needs_a_goal(office: Office, standard: Framework) -> None:
    idp = create_idp(office.colleague, current_fiscal_year(), None, None)
    with pytest.raises(IdpError):
        transition(idp, "submit", None)
    add_goal(idp, competency(standard, "DL-01"), 2, None, None)
    transition(idp, "submit", None)
    with pytest.raises(IdpError):
        transition(idp, "return", None, comment="  ")


def test_a_plan_closes_only_in_its_last_month(
    office: Office, standard: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:
    fiscal_year = current_fiscal_year()
    idp = plan_in(office, standard, IdpState.AGREED, fiscal_year)
    monkeypatch.setattr(academy.dates, "_clock", lambda: datetime(fiscal_year - 544, 10, 20, tzinfo=UTC))
    with pytest.raises(IdpError):
        transition(idp, "close", None)
    monkeypatch.setattr(academy.dates, "_clock", lambda: datetime(fiscal_year - 543, 10, 2, tzinfo=UTC))
    goal = idp.goals[0]
    transition(idp, "close", None, results={goal.id: (GoalResult.PARTLY_MET, "half way")})
    assert (idp.state, goal.result, goal.result_note) == (IdpState.CLOSED, GoalResult.PARTLY_MET, "half way")


def test_every_change_is_a_version_and_an_audit_entry(office: Office, standard: Framework) -> None:
    idp = create_idp(office.official, current_fiscal_year(), None, office.official_user.id)
    add_goal(idp, competency(standard, "DS-01"), 1, None, office.official_user.id)
    transition(idp, "submit", office.official_user.id)
    transition(idp, "return", office.head_user.id, comment="add a course")
    versions = db.session.scalars(
        select(IdpVersion).where(IdpVersion.idp_id == idp.id).order_by(IdpVersion.version)
    ).all()
    assert [(v.version, v.action, v.state.value) for v in versions] == [
        (1, "create", "draft"),
        (2, "add_goal", "draft"),
        (3, "submit", "submitted"),
        (4, "return", "returned"),
    ]
    assert versions[-1].comment == "add a course"
    assert "DS-01" in [g["competency"] for g in versions[1].snapshot["goals"]]
    assert idp.version == 4
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "idp", AuditEntry.target_id == str(idp.id))
    ).all()
    assert sorted(actions) == sorted(["idp.create", "idp.add_goal", "idp.submit", "idp.return"])


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("official", 403),
        ("director", 403),
        ("hr", 403),
        ("colleague", 404),
        ("stranger", 404),
        ("other_hr", 404),
        ("head", 302),
    ],
)
def test_agreeing_over_http(
    office: Office,
    standard: Framework,
    sign_in: Callable[..., FlaskClient],
    client: FlaskClient,
    name: str,
    status: int,
) -> None:
    idp = plan_in(office, standard, IdpState.SUBMITTED, current_fiscal_year())
    sign_in(actor(office, name))
    page = client.get(f"/idp/{idp.id}")
    assert page.status_code == (404 if status == 404 else 200)
    token = csrf_token(client, "/")
    response = client.post(f"/idp/{idp.id}/agree", data={"csrf_token": token})
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Idp, idp.id).state is (IdpState.AGREED if status == 302 else IdpState.SUBMITTED)  # type: ignore[union-attr]
