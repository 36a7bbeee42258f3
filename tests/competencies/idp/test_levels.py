"""The attained level kept on each goal, and the goals met each plan counts, follow attainment: a
provider's completion meets a goal, a void un-meets it, and a rebuild gives the same."""

from __future__ import annotations

from sqlalchemy import update

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import IdentifierKind
from academy.org.services import add_identifier
from competencies.idp.models import Idp, IdpGoal, IdpState
from competencies.idp.services.figures import agency_idp_figures
from competencies.idp.services.progress import team_idp_status
from competencies.idp.services.workflow import add_goal, create_idp
from competencies.models import Competency, Framework
from lrs import rebuild_and_compare
from tests.competencies.idp.conftest import Office
from tests.competencies.test_evidence import VOIDED, completed_by
from tests.support.competencies import competency
from tests.support.lrs import Xapi, statement


def differences() -> dict[str, object]:
    return {name: diff for name, diff in rebuild_and_compare().items() if diff != (set(), set())}


def test_the_stored_level_follows_a_completion_and_its_void_and_a_rebuild_gives_the_same(
    office: Office, standard: Framework, aligned: Competency, xapi: Xapi
) -> None:
    fiscal_year = current_fiscal_year()
    idp = create_idp(office.official, fiscal_year, None, None)
    goal = add_goal(idp, aligned, 2, None, None)
    other = add_goal(idp, competency(standard, "DL-01"), 1, None, None)  # no evidence for it
    idp.state = IdpState.AGREED
    # A colleague's goal in the same competency: another person's evidence leaves it alone.
    colleagues = add_goal(create_idp(office.colleague, fiscal_year, None, None), aligned, 1, None, None)
    add_identifier(office.official, IdentifierKind.MBOX, "mailto:official@example.go.th")
    db.session.flush()

    def stored() -> tuple[int, bool, int, int, int]:
        db.session.expire_all()
        kept = db.session.get(IdpGoal, goal.id)
        assert kept is not None
        figures, _units = agency_idp_figures(office.department, fiscal_year)
        return (
            kept.attained_level,
            kept.met,
            kept.idp.goals_met,
            figures.goals_met,
            team_idp_status([office.official], fiscal_year)[office.official.id].met,
        )

    assert stored() == (0, False, 0, 0, 0)

    [statement_id] = xapi("POST", "/xapi/statements", json_body=completed_by("official@example.go.th")).get_json()
    assert stored() == (2, True, 1, 1, 1)
    assert db.session.get(IdpGoal, other.id).attained_level == 0  # type: ignore[union-attr]
    assert db.session.get(IdpGoal, colleagues.id).attained_level == 0  # type: ignore[union-attr]
    assert "idp_goal_levels" in rebuild_and_compare()
    assert differences() == {}
    assert stored() == (2, True, 1, 1, 1)  # the rebuild wrote the same level back

    voiding = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": statement_id})
    assert xapi("POST", "/xapi/statements", json_body=voiding).status_code == 200
    assert stored() == (0, False, 0, 0, 0)
    assert differences() == {}


def test_a_stale_level_is_what_the_rebuild_check_reports_and_the_rebuild_mends(
    office: Office, standard: Framework, aligned: Competency, xapi: Xapi
) -> None:
    add_identifier(office.official, IdentifierKind.MBOX, "mailto:official@example.go.th")
    xapi("POST", "/xapi/statements", json_body=completed_by("official@example.go.th"))
    db.session.expire_all()
    # A goal added after the evidence starts at the level already attained.
    idp = create_idp(office.official, current_fiscal_year(), None, None)
    goal = add_goal(idp, aligned, 3, None, None)
    db.session.flush()
    assert (goal.attained_level, goal.met) == (2, False)

    db.session.execute(update(IdpGoal).where(IdpGoal.id == goal.id).values(attained_level=4))
    db.session.execute(update(Idp).where(Idp.id == idp.id).values(goals_met=1))
    assert differences() == {
        "idp_goal_levels": ({(goal.id, 4)}, {(goal.id, 2)}),
        "idp_goal_counts": ({(idp.id, 1, 1)}, {(idp.id, 1, 0)}),
    }
    db.session.expire_all()
    assert db.session.get(IdpGoal, goal.id).attained_level == 2  # type: ignore[union-attr]
