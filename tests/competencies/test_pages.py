"""The competency pages: a learner's gaps and self-assessment; admins' matrix and alignments."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from competencies.models import Alignment, Attainment, Evidence, EvidenceSource, Framework, RoleProfile
from tests.support.app import csrf_token
from tests.support.competencies import competency


def test_a_learner_sees_required_and_attained_levels(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    person = make_person(make_agency(), line="K-COMP", level="K2")
    client = login(make_user(Role.LEARNER, person=person))
    page = client.get("/me/competencies").get_data(as_text=True)
    assert "DL-01" in page and 'id="gap-chart-data"' in page and "chart.umd.min.js" in page


def test_a_self_assessment_is_recorded_but_does_not_count_by_default(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    person = make_person(make_agency())
    client = login(make_user(Role.LEARNER, person=person))
    target = competency(standard, "DL-02")
    response = client.post(
        "/me/competencies",
        data={"competency": target.id, "level": 3, "csrf_token": csrf_token(client, "/me/competencies")},
    )
    assert response.status_code == 302
    evidence = db.session.scalar(select(Evidence).where(Evidence.person_id == person.id))
    assert evidence is not None and evidence.source is EvidenceSource.SELF_ASSESSMENT and evidence.level == 3
    assert db.session.scalar(select(Attainment).where(Attainment.person_id == person.id)) is None
    # The saved assessment is shown: in the list, and chosen again in the form the redirect leads to.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    saved = page[page.index('id="self-assessments"') :].split("</ul>")[0]
    assert "DL-02" in saved and "3" in saved
    assert f'<option value="{target.id}" selected>' in page and '<option value="3" selected>' in page


def test_self_assessment_counts_when_the_framework_says_so(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    from competencies.services.evidence import record_self_assessment

    standard.self_assessment_counts = True
    person = make_person(make_agency())
    record_self_assessment(person.id, competency(standard, "DL-02").id, 2)
    assert db.session.scalar(select(Attainment.level).where(Attainment.person_id == person.id)) == 2


def test_self_assessment_counts_by_each_competencys_own_framework(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    """Recomputed together, a competency of a framework that counts self-assessment and one of a framework
    that does not: only the first counts it (the rule is each framework's, not the recomputed set's)."""
    from competencies.models import Competency
    from competencies.services.evidence import recompute_attainment, record_self_assessment

    standard.self_assessment_counts = True
    other = Framework(code="DIGCOMP", version="2.2", name_th="DigComp", name_en="DigComp")
    area = Competency(framework=other, code="1", name_th="1", name_en="1")
    theirs = Competency(framework=other, parent=area, code="1.1", name_th="1.1", name_en="1.1")
    db.session.add_all([other, area, theirs])
    db.session.flush()
    ours = competency(standard, "DL-02")
    person = make_person(make_agency())
    record_self_assessment(person.id, theirs.id, 3)
    record_self_assessment(person.id, ours.id, 2)
    recompute_attainment({(person.id, theirs.id), (person.id, ours.id)})
    levels = dict(
        db.session.execute(
            select(Attainment.competency_id, Attainment.level).where(Attainment.person_id == person.id)
        ).all()
    )
    assert levels == {ours.id: 2}


def test_a_bad_self_assessment_level_is_refused(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    client = login(make_user(Role.LEARNER, person=make_person(make_agency())))
    response = client.post(
        "/me/competencies",
        data={
            "competency": competency(standard, "DL-02").id,
            "level": 9,
            "csrf_token": csrf_token(client, "/me/competencies"),
        },
    )
    assert response.status_code == 400 and "level" in response.get_data(as_text=True)


def test_an_admin_edits_the_requirement_matrix_and_it_is_audited(
    standard: Framework,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    client = login(make_user(Role.ADMIN))
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.code == "it-operational"))
    assert profile is not None
    target = competency(standard, "CS-01")
    path = f"/admin/frameworks/{standard.id}"
    response = client.post(path, data={f"req-{profile.id}-{target.id}": "4", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    db.session.expire_all()
    assert {r.competency_id: r.required_level for r in profile.requirements}[target.id] == 4
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "framework.requirements"))
    assert entry is not None and entry.details["changes"][0]["to"] == 4


def test_an_admin_aligns_an_activity(
    standard: Framework,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    client = login(make_user(Role.ADMIN))
    target = competency(standard, "DU-01")
    response = client.post(
        "/admin/alignments",
        data={
            "activity_id": "https://provider.example/data-101",
            "competency": target.id,
            "level": 2,
            "csrf_token": csrf_token(client, "/admin/alignments"),
        },
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(select(Alignment.level).where(Alignment.activity_id == "https://provider.example/data-101"))
        == 2
    )
    bad = client.post(
        "/admin/alignments",
        data={
            "activity_id": "not an iri",
            "competency": target.id,
            "level": 2,
            "csrf_token": csrf_token(client, "/admin/alignments"),
        },
    )
    assert bad.status_code == 400


def test_only_admins_edit_frameworks(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    client = login(make_user(Role.HR_OFFICER, agencies=(make_agency(),)))
    assert client.get("/admin/frameworks").status_code == 403
    assert client.get(f"/admin/frameworks/{standard.id}").status_code == 403
    assert client.get("/me/competencies").status_code == 403  # not a learner


def test_an_agency_raises_its_own_bar(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    from competencies.services.frameworks import profile_for, requirements_of

    department = make_agency()
    unit = make_agency(parent=department)
    person = make_person(unit, line="K-COMP", level="K2")
    client = login(make_user(Role.ADMIN))
    path = f"/admin/frameworks/{standard.id}?agency={department.code}"
    created = client.post(path, data={"create_agency_profiles": "1", "csrf_token": csrf_token(client, path)})
    assert created.status_code == 302
    db.session.expire_all()
    own = profile_for(person, standard)
    assert own is not None and own.agency_id == department.id  # the nearest agency profile wins
    target = competency(standard, "CS-02")
    response = client.post(path, data={f"req-{own.id}-{target.id}": "4", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    db.session.expire_all()
    assert requirements_of(profile_for(person, standard))[target.id] == 4
    default = db.session.scalar(
        select(RoleProfile).where(RoleProfile.code == "it-operational", RoleProfile.agency_id.is_(None))
    )
    assert default is not None and requirements_of(default)[target.id] != 4


def test_a_persons_profile_is_their_nearest_agencys_own_else_the_default(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    from competencies.services.frameworks import copy_profiles_for_agency, profile_for

    ministry = make_agency()
    department = make_agency(parent=ministry)
    unit = make_agency(parent=department)
    other = make_agency(parent=make_agency())
    mine = {agency.id: copy_profiles_for_agency(standard, agency) for agency in (ministry, department)}
    in_unit, in_ministry, elsewhere = (make_person(a, line="K-COMP", level="K2") for a in (unit, ministry, other))
    db.session.expire_all()

    found = profile_for(in_unit, standard)
    assert found is not None and found.agency_id == department.id  # the department's, not the ministry's
    assert found.requirements and found in mine[department.id]
    found = profile_for(in_ministry, standard)
    assert found is not None and found.agency_id == ministry.id
    found = profile_for(elsewhere, standard)
    assert found is not None and found.agency_id is None and found.code == "it-operational"
