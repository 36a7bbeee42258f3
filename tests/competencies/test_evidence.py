"""Statements become evidence, attainment and coverage; voiding takes them back."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person, PersonnelGroup, RoleLevel
from academy.org.services import add_identifier
from competencies.models import Attainment, Competency, Evidence, Framework, Standing
from competencies.services.coverage import Population, PopulationFilter, agency_coverage, person_gaps
from competencies.services.evidence import rebuild_projections
from lrs import rebuild_and_compare
from tests.support.competencies import ACTIVITY
from tests.support.lrs import Xapi, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def completed_by(mbox: str, **overrides: object) -> dict[str, object]:
    return statement(
        actor={"objectType": "Agent", "mbox": f"mailto:{mbox}"},
        object={"objectType": "Activity", "id": ACTIVITY},
        **overrides,
    )


def attainment_of(person: Person, target: Competency) -> int | None:
    return db.session.scalar(
        select(Attainment.level).where(Attainment.person_id == person.id, Attainment.competency_id == target.id)
    )


def test_a_providers_completion_raises_attainment_and_coverage_and_voiding_lowers_them(
    xapi: Xapi,
    standard: Framework,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    department = make_agency("20001", parent=make_agency("20"))
    person = make_person(department, line="K-COMP", level="K2")
    make_person(department, line="K-COMP", level="K1")  # an untrained colleague
    add_identifier(person, IdentifierKind.MBOX, "mailto:somchai.provider@example.com")
    fiscal_year = current_fiscal_year()

    def coverage() -> tuple[int, int]:
        record = agency_coverage(department.parent, fiscal_year, standard)
        return record.figures.headcount, record.figures.trained

    assert coverage() == (2, 0)
    response = xapi("POST", "/xapi/statements", json_body=completed_by("somchai.provider@example.com"))
    assert response.status_code == 200
    [statement_id] = response.get_json()
    db.session.expire_all()
    assert attainment_of(person, aligned) == 2
    assert coverage() == (2, 1)

    voiding = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": statement_id})
    assert xapi("POST", "/xapi/statements", json_body=voiding).status_code == 200
    db.session.expire_all()
    assert attainment_of(person, aligned) is None
    assert coverage() == (2, 0)
    evidence = db.session.scalars(select(Evidence).where(Evidence.person_id == person.id)).all()
    assert len(evidence) == 1 and evidence[0].withdrawn_at is not None  # append-only: withdrawn, not deleted


def test_failed_and_unaligned_and_unknown_actors_give_no_evidence(
    xapi: Xapi,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    person = make_person(make_agency())
    add_identifier(person, IdentifierKind.MBOX, "mailto:learner@example.com")
    xapi(
        "POST",
        "/xapi/statements",
        json_body=[
            completed_by(
                "learner@example.com", verb={"id": "http://adlnet.gov/expapi/verbs/passed"}, result={"success": False}
            ),
            completed_by("learner@example.com", verb={"id": "http://adlnet.gov/expapi/verbs/experienced"}),
            statement(actor={"mbox": "mailto:learner@example.com"}),  # an activity with no alignment
            completed_by("stranger@example.com"),
        ],
    )
    assert db.session.scalars(select(Evidence)).all() == []


def test_rebuild_gives_the_same_attainment(
    xapi: Xapi,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    person = make_person(make_agency())
    add_identifier(person, IdentifierKind.MBOX, "mailto:learner@example.com")
    xapi("POST", "/xapi/statements", json_body=completed_by("learner@example.com"))
    db.session.expire_all()
    before = attainment_of(person, aligned)
    assert rebuild_projections() == 1
    assert attainment_of(person, aligned) == before == 2


def test_voiding_a_persons_only_completion_leaves_the_projections_a_rebuild_gives(
    xapi: Xapi,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    person = make_person(make_agency(), line="K-COMP", level="K2")
    add_identifier(person, IdentifierKind.MBOX, "mailto:only-once@example.com")
    [statement_id] = xapi("POST", "/xapi/statements", json_body=completed_by("only-once@example.com")).get_json()
    voiding = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": statement_id})
    assert xapi("POST", "/xapi/statements", json_body=voiding).status_code == 200
    db.session.expire_all()
    # No attainment left: no standing either, as a rebuild (which finds no evidence of them) leaves it.
    assert db.session.get(Standing, person.id) is None
    assert {name: diff for name, diff in rebuild_and_compare().items() if diff != (set(), set())} == {}


def test_an_identifier_registered_later_is_linked_by_a_rebuild(
    xapi: Xapi,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    xapi("POST", "/xapi/statements", json_body=completed_by("later@example.com"))
    person = make_person(make_agency())
    add_identifier(person, IdentifierKind.MBOX, "mailto:later@example.com")
    rebuild_projections()
    assert attainment_of(person, aligned) == 2


def test_gaps_list_each_required_competency(
    standard: Framework,
    aligned: Competency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    person = make_person(make_agency(), line="K-COMP", level="K2")
    gaps = person_gaps(person, standard)
    assert gaps and all(g.attained == 0 and g.gap == g.required for g in gaps)
    assert {g.competency.code for g in gaps} >= {"DL-01", "DG-01"}


def test_coverage_counts_only_the_chosen_population(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    department = make_agency()
    make_person(department, line="K-COMP")
    make_person(department, line="K-HR")
    year = current_fiscal_year()
    assert agency_coverage(department, year, standard).figures.headcount == 1
    everyone = agency_coverage(department, year, standard, PopulationFilter(Population.ALL))
    assert everyone.figures.headcount == 2 and everyone.target_percent == 60


def test_changing_the_matrix_refreshes_standing(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    from competencies.models import RoleProfile, Standing
    from tests.support.app import csrf_token
    from tests.support.competencies import competency

    person = make_person(make_agency(), line="K-COMP", level="K2")
    assert db.session.get(Standing, person.id) is None
    client = login(make_user(Role.ADMIN))
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.code == "it-operational"))
    assert profile is not None
    path = f"/admin/frameworks/{standard.id}"
    field = f"req-{profile.id}-{competency(standard, 'CS-01').id}"
    assert client.post(path, data={field: "4", "csrf_token": csrf_token(client, path)}).status_code == 302
    db.session.expire_all()
    standing = db.session.get(Standing, person.id)
    assert standing is not None and standing.meets_all is False


def test_changing_the_matrix_sends_requirements_changed_with_the_changed_profiles(
    app: Flask,
    standard: Framework,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    from competencies.events import requirements_changed
    from competencies.models import RoleProfile
    from tests.support.app import csrf_token
    from tests.support.competencies import competency

    heard: list[list[tuple[PersonnelGroup, RoleLevel]]] = []

    def receiver(_sender: Flask, *, profiles: list[tuple[PersonnelGroup, RoleLevel]]) -> None:
        heard.append(profiles)

    client = login(make_user(Role.ADMIN))
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.code == "it-operational"))
    assert profile is not None
    path = f"/admin/frameworks/{standard.id}"
    field = f"req-{profile.id}-{competency(standard, 'CS-01').id}"
    with requirements_changed.connected_to(receiver, app):
        assert client.post(path, data={field: "4", "csrf_token": csrf_token(client, path)}).status_code == 302
        assert client.post(path, data={field: "4", "csrf_token": csrf_token(client, path)}).status_code == 302
    assert heard == [[(PersonnelGroup.IT, RoleLevel.OPERATIONAL)]]  # the second post changed nothing


def test_standing_follows_the_nearest_agencys_own_profile_and_reads_only_the_profiles_above(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    from datetime import UTC, datetime

    from competencies.models import AreaStanding, RoleProfile
    from competencies.services.frameworks import copy_profiles_for_agency, requirements_for, requirements_of
    from competencies.services.standing import refresh_standing
    from tests.support.competencies import competency

    ministry = make_agency()
    raised, other, elsewhere = (make_agency(parent=ministry) for _ in range(3))
    for agency in (raised, elsewhere):
        copy_profiles_for_agency(standard, agency)
    target = competency(standard, "CS-02")
    own = db.session.scalar(
        select(RoleProfile).where(RoleProfile.code == "it-operational", RoleProfile.agency_id == raised.id)
    )
    assert own is not None
    for requirement in own.requirements:
        if requirement.competency_id == target.id:
            requirement.required_level = 5
    default = db.session.scalar(
        select(RoleProfile).where(RoleProfile.code == "it-operational", RoleProfile.agency_id.is_(None))
    )
    assert default is not None and requirements_of(default).get(target.id, 0) < 5
    inside = make_person(make_agency(parent=raised), line="K-COMP", level="K2")  # under the raised department
    outside = make_person(other, line="K-COMP", level="K2")
    db.session.add_all(
        Attainment(person_id=p.id, competency_id=c, level=level, as_of=datetime.now(UTC), evidence_count=1)
        for p in (inside, outside)
        for c, level in requirements_of(default).items()
    )
    db.session.flush()

    refresh_standing([inside.id, outside.id])

    standings = dict(db.session.execute(select(Standing.person_id, Standing.meets_all)).all())
    assert standings == {inside.id: False, outside.id: True}
    areas = set(db.session.scalars(select(AreaStanding.area_id).where(AreaStanding.person_id == inside.id)))
    assert (
        target.parent_id not in areas and len(areas) == len([c for c in standard.competencies if not c.parent_id]) - 1
    )
    profiles, owners = requirements_for(
        standard.id, {(PersonnelGroup.IT, RoleLevel.OPERATIONAL)}, {inside.agency.path, outside.agency.path}
    )
    assert owners == {raised.path: raised.id}  # the other department's own profiles are not read
    assert {owner for _group, _level, owner in profiles} == {None, raised.id}
    assert profiles[(PersonnelGroup.IT, RoleLevel.OPERATIONAL, raised.id)][target.id] == 5
