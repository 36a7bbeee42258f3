"""Which statements are evidence (README, Trust model): a provider's count only for the alignments granted
to it and, when it is scoped to an agency, only about that agency's people; a void by another client is
refused and the evidence stays."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Alignment, Competency, Evidence, Framework
from competencies.services.evidence import rebuild_projections
from lrs.clients import NewClient, create_client
from tests.competencies.test_evidence import attainment_of, completed_by
from tests.support.app import csrf_token
from tests.support.competencies import ACTIVITY, competency
from tests.support.lrs import Xapi, basic, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def auth_of(new: NewClient) -> str:
    return basic(new.client.key, new.secret)


def learner(make_agency: Callable[..., Agency], make_person: Callable[..., Person], mbox: str, **agency: str) -> Person:
    person = make_person(make_agency(**agency))
    add_identifier(person, IdentifierKind.MBOX, f"mailto:{mbox}")
    return person


def test_another_clients_void_is_refused_and_the_evidence_stays(
    xapi: Xapi, aligned: Competency, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    person = learner(make_agency, make_person, "kept@example.go.th")
    [statement_id] = xapi("POST", "/xapi/statements", json_body=completed_by("kept@example.go.th")).get_json()
    other = create_client("Another provider", ["statements/write"])
    voiding = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": statement_id})
    assert xapi("POST", "/xapi/statements", json_body=voiding, auth=auth_of(other)).status_code == 403
    db.session.expire_all()
    assert attainment_of(person, aligned) == 2
    [evidence] = db.session.scalars(select(Evidence).where(Evidence.person_id == person.id)).all()
    assert evidence.withdrawn_at is None


def test_a_completion_counts_only_for_the_provider_granted_the_alignment(
    xapi: Xapi, aligned: Competency, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    person = learner(make_agency, make_person, "granted@example.go.th")
    stranger = create_client("Provider with no grant", ["statements/write"])
    response = xapi("POST", "/xapi/statements", json_body=completed_by("granted@example.go.th"), auth=auth_of(stranger))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(Evidence).where(Evidence.person_id == person.id)).all() == []
    assert attainment_of(person, aligned) is None

    # An admin grants the alignment to that provider: the rebuild believes its statement now.
    alignment = db.session.scalar(select(Alignment).where(Alignment.activity_id == ACTIVITY))
    assert alignment is not None
    alignment.owner_client_id = stranger.client.id
    rebuild_projections()
    assert attainment_of(person, aligned) == 2


def test_an_agency_scoped_provider_gives_evidence_only_for_its_agencys_people(
    xapi: Xapi, standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    inside = learner(make_agency, make_person, "inside@example.go.th", code="61")
    outside = learner(make_agency, make_person, "outside@example.go.th", code="62")
    scoped = create_client("Ministry 61 academy", ["statements/write"], agency_code="61")
    target = competency(standard, "DG-01")
    db.session.add(Alignment(activity_id=ACTIVITY, competency_id=target.id, level=2, owner_client_id=scoped.client.id))
    db.session.flush()
    for mbox in ("inside@example.go.th", "outside@example.go.th"):
        response = xapi("POST", "/xapi/statements", json_body=completed_by(mbox), auth=auth_of(scoped))
        assert response.status_code == 200
    db.session.expire_all()
    assert attainment_of(inside, target) == 2
    assert attainment_of(outside, target) is None
    rebuild_projections()
    assert (attainment_of(inside, target), attainment_of(outside, target)) == (2, None)


def test_an_admin_grants_an_alignment_but_not_one_of_our_courses(
    standard: Framework,
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    from decimal import Decimal

    from courses.models import Course, CourseFormat

    provider = create_client("Thai MOOC", ["statements/write"])
    db.session.add(
        Course(
            code="OUR1",
            title_th="หลักสูตรของเรา",
            title_en="Our course",
            provider="TDGA",
            format=CourseFormat.ONLINE,
            hours=Decimal("1.0"),
            language="th",
            activity_iri="https://academy.test/courses/our-1",
        )
    )
    db.session.flush()
    login(make_user(Role.ADMIN))
    target = competency(standard, "DU-01")

    def save(activity_id: str) -> int:
        data = {"activity_id": activity_id, "competency": target.id, "level": 2, "owner": provider.client.id}
        return client.post(
            "/admin/alignments", data={**data, "csrf_token": csrf_token(client, "/admin/alignments")}
        ).status_code

    assert save("https://thaimooc.example/data-101") == 302
    owner = db.session.scalar(
        select(Alignment.owner_client_id).where(Alignment.activity_id == "https://thaimooc.example/data-101")
    )
    assert owner == provider.client.id
    assert save("https://academy.test/courses/our-1") == 400
    ours = select(Alignment).where(Alignment.activity_id == "https://academy.test/courses/our-1")
    assert db.session.scalar(ours) is None
    assert "Thai MOOC" in client.get("/admin/alignments").get_data(as_text=True)
