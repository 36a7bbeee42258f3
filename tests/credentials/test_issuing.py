"""Completions and attained levels become OpenBadgeCredentials; voiding revokes them; a rebuild reaches the same set."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from sqlalchemy import func, select

from academy.db import db
from academy.org.models import Person
from credentials.models import CredentialRevocation, IssuedCredential, RevocationReason
from credentials.services.holding import document_of, held_credentials
from credentials.services.issuing import reconcile_people
from lrs import rebuild_and_compare
from tests.credentials.conftest import completion, void_as_player
from tests.support.lrs import Xapi


def by_source(person: Person) -> dict[str, IssuedCredential]:
    return {credential.source_key: credential for credential in held_credentials(person.id)}


def test_completing_our_course_issues_a_course_badge_and_the_aligned_level(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    complete_course()
    held = by_source(learner)
    assert set(held) == {"course:DG101", next(key for key in held if key.startswith("competency:"))}
    course = document_of(held["course:DG101"])
    assert course["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert course["validFrom"] == "2026-03-01T09:00:00Z"
    assert course["credentialSubject"]["id"] == f"urn:uuid:{learner.public_id}"
    achievement = course["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Course"
    assert achievement["id"] == "https://academy.test/courses/DG101"
    [alignment] = achievement["alignment"]
    assert alignment["targetCode"] == "DG-01" and alignment["targetType"] == "CFItem"
    assert alignment["targetUrl"].startswith("https://academy.test/case/uri/")
    level = document_of(next(c for k, c in held.items() if k.startswith("competency:")))
    assert level["credentialSubject"]["achievement"]["achievementType"] == "Competency"
    assert level["credentialSubject"]["result"][0]["achievedLevel"].endswith("#level")
    assert level["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] == alignment["targetUrl"]
    # The holder is pseudonymous: no name, email, employee number or citizen-ID hash in any credential.
    for credential in held.values():
        text = credential.document
        for private in (learner.first_name_th, learner.last_name_th, learner.email, learner.employee_no):
            assert private and private not in text


def test_a_new_statement_does_not_reissue_and_voiding_revokes_then_a_new_completion_reissues(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    first = complete_course()
    issued = by_source(learner)
    assert len(issued) == 2
    complete_course_again = complete_course  # another completion of the same course: already held
    second = complete_course_again(timestamp="2026-03-02T09:00:00Z")
    assert db.session.scalar(select(func.count()).select_from(IssuedCredential)) == 2

    void_as_player(first)
    void_as_player(second)
    revoked = db.session.scalars(select(CredentialRevocation)).all()
    assert {r.credential_pk for r in revoked} == {c.id for c in issued.values()}
    assert {r.reason for r in revoked} == {RevocationReason.VOIDED}
    # The credentials themselves never change.
    assert {c.id: c.document for c in held_credentials(learner.id)} == {c.id: c.document for c in issued.values()}

    complete_course(timestamp="2026-04-01T09:00:00Z")
    standing = [c for c in held_credentials(learner.id) if c.revocation is None]
    assert len(standing) == 2 and not {c.id for c in standing} & {c.id for c in issued.values()}
    assert {json.loads(c.document)["validFrom"] for c in standing} == {"2026-04-01T09:00:00Z"}


def test_a_providers_aligned_activity_issues_its_badge_named_as_reported(
    xapi: Xapi, aligned_activity: str, learner: Person
) -> None:
    response = xapi("POST", "/xapi/statements", json_body=completion("somying@example.go.th", aligned_activity))
    assert response.status_code == 200
    db.session.expire_all()
    held = by_source(learner)
    assert f"activity:{aligned_activity}" in held
    activity = held[f"activity:{aligned_activity}"]
    assert (activity.title_th, activity.title_en) == ("พื้นฐาน PDPA", "PDPA basics")
    assert document_of(activity)["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] == "DG-02"
    assert any(key.startswith("competency:") for key in held)


def test_a_higher_level_keeps_the_lower_levels_credential(
    complete_course: Callable[..., uuid.UUID], make_course: Callable[..., object], learner: Person
) -> None:
    complete_course(make_course("DG101", level=1))
    complete_course(make_course("DG201", level=3))
    levels = sorted(key.rsplit(":", 1)[1] for key in by_source(learner) if key.startswith("competency:"))
    assert levels == ["1", "3"]
    assert all(c.revocation is None for c in held_credentials(learner.id))


def test_the_rebuild_reaches_the_same_set_and_issues_nothing_new(
    complete_course: Callable[..., uuid.UUID], xapi: Xapi, aligned_activity: str, learner: Person
) -> None:
    voided = complete_course()
    xapi("POST", "/xapi/statements", json_body=completion("somying@example.go.th", aligned_activity))
    void_as_player(voided)
    complete_course(timestamp="2026-05-01T09:00:00Z")
    before = db.session.scalar(select(func.count()).select_from(IssuedCredential))
    differences = rebuild_and_compare()
    assert differences["issued_credentials"] == (set(), set())
    assert db.session.scalar(select(func.count()).select_from(IssuedCredential)) == before
    assert reconcile_people([learner.id]) == (0, 0)


def test_other_packages_read_and_revoke_a_persons_credentials(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    from credentials import credentials_of, revoke_person_credentials

    complete_course()
    exported = credentials_of(learner.id)
    assert len(exported) == 2 and all(item["revoked_at"] is None for item in exported)
    assert {item["credential"]["id"] for item in exported} == {
        f"urn:uuid:{c.credential_id}" for c in held_credentials(learner.id)
    }
    assert revoke_person_credentials(learner.id, note="erased") == 2
    assert revoke_person_credentials(learner.id) == 0
    db.session.expire_all()
    assert {item["revocation_reason"] for item in credentials_of(learner.id)} == {"erased"}


def test_an_administrators_revocation_is_not_undone_by_the_next_batch_or_the_rebuild_but_a_new_completion_issues(
    complete_course: Callable[..., uuid.UUID], learner: Person, make_user: Callable[..., object]
) -> None:
    from academy.auth.models import Role
    from credentials.services.holding import revoke_by_admin

    complete_course()
    course = by_source(learner)["course:DG101"]
    admin = make_user(Role.ADMIN)
    assert revoke_by_admin(course, "Issued in error", admin.id)  # type: ignore[attr-defined]
    complete_course(timestamp="2026-02-01T09:00:00Z")  # a batch about the same person, an earlier moment
    assert reconcile_people([learner.id]) == (0, 0)
    assert rebuild_and_compare()["issued_credentials"] == (set(), set())
    assert [c.source_key for c in held_credentials(learner.id) if c.revocation is None] == [
        key for key in by_source(learner) if key.startswith("competency:")
    ]
    # Voiding both completions, then completing again later: a new earning, a new credential.
    from sqlalchemy import select as query

    from lrs import Statement

    for statement_id in db.session.scalars(
        query(Statement.id).where(Statement.verb_id == "http://adlnet.gov/expapi/verbs/completed")
    ).all():
        void_as_player(statement_id)
    complete_course(timestamp="2026-06-01T09:00:00Z")
    standing = [c for c in held_credentials(learner.id) if c.revocation is None and c.source_key == "course:DG101"]
    assert len(standing) == 1 and standing[0].id != course.id
