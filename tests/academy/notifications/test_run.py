"""The run: each kind once across two runs, email choices, a failed SMTP send retried once, partitions."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year, today
from academy.db import db
from academy.notifications import Due, registry, send_due_notifications
from academy.notifications.models import EmailState, Notification
from academy.notifications.services import set_email_choices
from academy.org.models import Agency, Person
from competencies.idp.models import IdpState
from competencies.idp.services.workflow import add_goal, create_idp, transition
from competencies.models import Framework
from courses.models import Course
from courses.services.enrolment import assign_course
from credentials.services.documents import Award
from credentials.services.issuing import issue_awards
from tests.academy.notifications.conftest import StoppableSmtp
from tests.competencies.idp.conftest import Office
from tests.support.competencies import competency

ALL_KINDS = {
    "course_assigned",
    "course_due_soon",
    "course_overdue",
    "credential_issued",
    "idp_draft_not_submitted",
    "idp_not_agreed",
    "idp_goal_due",
    "coverage_digest",
}


def _world(office: Office, standard: Framework, make_course: Callable[..., Course]) -> datetime:
    """One of each kind due now: returns the moment of the run."""
    now = datetime.now(UTC)
    day, year = today(now), current_fiscal_year(now)
    soon, late = make_course("DG101"), make_course("DG102")
    assign_course(soon, [office.official.id], year, day + timedelta(days=5), office.hr)  # assigned + due soon
    assign_course(late, [office.colleague.id], year, day - timedelta(days=1), office.hr)  # assigned + overdue
    issue_awards(
        [
            Award(
                person_id=office.official.id,
                public_id=office.official.public_id,
                source_key="course:DG101",
                title_th="กฎหมายดิจิทัลเบื้องต้น",
                title_en="Digital law basics",
                achieved_at=now,
                achievement_id=f"urn:uuid:{uuid.uuid4()}",
                achievement_type="Course",
                description="Digital law basics",
                criteria="Completed the course",
            )
        ]
    )
    create_idp(office.colleague, year, None, None)  # a draft, past the submission date below
    submitted = create_idp(office.official, year, None, None)
    add_goal(submitted, competency(standard, "DL-01"), 2, None, None)
    transition(submitted, "submit", None)
    submitted.submitted_at = now - timedelta(days=15)  # to the head, the official's supervisor
    agreed = create_idp(office.head, year, None, None)
    add_goal(agreed, competency(standard, "DL-02"), 2, day + timedelta(days=3), None)
    agreed.state = IdpState.AGREED
    db.session.flush()
    return now


def _kinds(user: User | None = None) -> Counter[str]:
    query = select(Notification.kind)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return Counter(db.session.scalars(query))


def test_each_kind_is_produced_and_mailed_once_across_two_runs(
    app, office: Office, standard: Framework, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    app.config["ACADEMY_IDP_SUBMIT_BY"] = (today() - timedelta(days=1)).isoformat()
    now = _world(office, standard, make_course)

    first = send_due_notifications(now)
    second = send_due_notifications(now + timedelta(seconds=1))

    assert set(first["produced"]) == ALL_KINDS
    assert all(count >= 1 for count in first["produced"].values()), first
    assert sum(second["produced"].values()) == 0 and second["mailed"] == 0
    assert _kinds(office.official_user)["course_assigned"] == 1
    assert _kinds(office.official_user)["course_due_soon"] == 1
    assert _kinds(office.official_user)["credential_issued"] == 1
    assert _kinds(office.colleague_user)["course_overdue"] == 1
    assert _kinds(office.colleague_user)["idp_draft_not_submitted"] == 1
    assert _kinds(office.head_user)["idp_not_agreed"] == 1  # the supervisor, not the official
    assert _kinds(office.official_user)["idp_not_agreed"] == 0
    assert _kinds(office.head_user)["idp_goal_due"] == 1
    assert _kinds(office.hr)["coverage_digest"] == 1
    assert sum(_kinds().values()) == sum(first["produced"].values())
    # One mail per notification, every row marked sent, none twice.
    assert first["mailed"] == sum(first["produced"].values()) == len(smtp.box.messages)
    assert set(db.session.scalars(select(Notification.email_state))) == {EmailState.SENT}
    sent = zip(smtp.box.messages, smtp.box.envelopes, strict=True)
    subjects = Counter((recipients[0], smtp.box.subject(m)) for m, (_sender, recipients) in sent)
    assert max(subjects.values()) == 1


def test_a_mail_is_written_in_the_recipients_language(
    app, office: Office, standard: Framework, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    office.official_user.preferred_locale = "en"
    office.colleague_user.preferred_locale = "th"
    now = datetime.now(UTC)
    course = make_course("DG101")
    assign_course(course, [office.official.id, office.colleague.id], current_fiscal_year(now), today(now), office.hr)

    send_due_notifications(now)

    english = [smtp.box.subject(m) for m in smtp.box.to(office.official_user.email)]
    thai = [smtp.box.subject(m) for m in smtp.box.to(office.colleague_user.email)]
    assert "A course is assigned to you" in english
    assert "คุณได้รับมอบหมายหลักสูตร" in thai
    mail = next(m for m in smtp.box.to(office.official_user.email) if "assigned" in smtp.box.subject(m))
    assert "Digital law basics" in smtp.box.text(mail) and "Digital law basics" in smtp.box.html(mail)
    assert f"/courses/{course.code}" in smtp.box.link(mail)


def test_an_email_kind_turned_off_sends_no_mail_but_still_notifies_in_app(
    office: Office, standard: Framework, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    set_email_choices(office.official_user.id, {"course_due_soon"})  # everything else off
    now = datetime.now(UTC)
    course = make_course("DG101")
    assign_course(course, [office.official.id], current_fiscal_year(now), today(now) + timedelta(days=2), office.hr)

    counts = send_due_notifications(now)

    mine = select(Notification).where(Notification.user_id == office.official_user.id)
    rows = {n.kind: n.email_state for n in db.session.scalars(mine)}
    assert rows == {"course_assigned": EmailState.OFF, "course_due_soon": EmailState.SENT}
    assert counts["email_off"] == 1
    assert len(smtp.box.to(office.official_user.email)) == 1


def test_a_failed_send_stays_pending_and_the_next_run_sends_it_once(
    office: Office, standard: Framework, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    now = datetime.now(UTC)
    course = make_course("DG101")
    assign_course(course, [office.official.id], current_fiscal_year(now), today(now) + timedelta(days=30), office.hr)
    smtp.stop()

    failed = send_due_notifications(now)

    assert failed["produced"]["course_assigned"] == 1 and failed["mailed"] == 0 and failed["failed"] >= 1
    mine = select(Notification.email_state).where(Notification.user_id == office.official_user.id)
    assert db.session.scalars(mine).all() == [EmailState.PENDING]

    smtp.start()
    retried = send_due_notifications(now + timedelta(seconds=1))
    again = send_due_notifications(now + timedelta(seconds=2))

    assert retried["produced"]["course_assigned"] == 0 and retried["mailed"] == failed["failed"]
    assert again["mailed"] == 0, (failed, retried, again)
    assert len(smtp.box.to(office.official_user.email)) == 1
    assert db.session.scalars(mine).all() == [EmailState.SENT]
    assert set(db.session.scalars(select(Notification.email_state))) == {EmailState.SENT}


def test_two_partitions_together_send_everything_once(
    office: Office, standard: Framework, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    now = datetime.now(UTC)
    course = make_course("DG101")
    people = [office.official, office.colleague, office.head, office.director, office.stranger]
    assign_course(course, [p.id for p in people], current_fiscal_year(now), today(now) + timedelta(days=3), office.hr)

    halves = [send_due_notifications(now, (index, 2)) for index in (0, 1)]
    again = [send_due_notifications(now, (index, 2)) for index in (0, 1)]

    learners = {u.email for u in (office.official_user, office.colleague_user, office.head_user)}
    learners |= {office.director_user.email, office.stranger_user.email}
    to_learners = [m for m in smtp.box.messages if m["To"] in learners]
    assert len(to_learners) == 2 * len(people)  # assigned + due soon, each person, once
    assert sum(h["mailed"] for h in halves) == len(smtp.box.messages)
    assert all(h["mailed"] > 0 for h in halves)
    assert sum(a["mailed"] for a in again) == 0


def test_the_digest_goes_to_hr_officers_with_their_agencys_coverage(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    standard: Framework,
    smtp: StoppableSmtp,
) -> None:
    agency = make_agency()
    for _ in range(4):
        make_person(agency, line="K-COMP", level="K2", personnel_group="it")
    hr = make_user(Role.HR_OFFICER, agencies=(agency,))
    learner = make_user(person=make_person(agency))
    now = datetime.now(UTC)

    send_due_notifications(now)
    next_week = send_due_notifications(now + timedelta(days=7))

    digest = db.session.scalars(select(Notification).where(Notification.kind == "coverage_digest")).all()
    assert [(n.user_id, n.subject) for n in digest if n.period == digest[0].period] == [(hr.id, str(agency.id))]
    assert digest[0].params is not None and digest[0].params["coverage"] == "0.00"
    assert next_week["produced"]["coverage_digest"] == 1  # weekly: one more the next week
    assert not smtp.box.to(learner.email)


def test_the_command_runs_once_and_prints_the_counts(
    app, office: Office, make_course: Callable[..., Course], smtp: StoppableSmtp
) -> None:
    now = datetime.now(UTC)
    course = make_course("DG101")
    assign_course(course, [office.official.id], current_fiscal_year(now), today(now) + timedelta(days=3), office.hr)

    first = app.test_cli_runner().invoke(args=["academy", "notifications-send", "--partition", "0/1"])
    second = app.test_cli_runner().invoke(args=["academy", "notifications-send"])
    wrong = app.test_cli_runner().invoke(args=["academy", "notifications-send", "--partition", "2/2"])

    assert first.exit_code == 0, first.output
    counts = json.loads(first.output)
    assert counts["produced"]["course_assigned"] == 1 and counts["produced"]["course_due_soon"] == 1
    assert json.loads(second.output)["mailed"] == 0
    assert len(smtp.box.to(office.official_user.email)) == 2
    assert wrong.exit_code != 0 and "INDEX/COUNT" in wrong.output


def test_the_run_gives_a_kind_to_no_one_outside_its_audience(
    office: Office, monkeypatch: pytest.MonkeyPatch, smtp: StoppableSmtp
) -> None:
    # The digest's producer, made to name a civil servant and an admin beside an HR officer: the
    # run believes the kind's audience (HR officers with a scope), not the producer.
    digest = registry.kind_named("coverage_digest")
    assert digest is not None
    named = [office.official_user, office.admin, office.hr, office.other_hr]
    noisy = dataclasses.replace(
        digest, produce=lambda now: [Due(user.id, str(office.department.id), "W1") for user in named]
    )
    monkeypatch.setitem(registry._kinds, "coverage_digest", noisy)

    counts = send_due_notifications(datetime.now(UTC))

    assert counts["produced"]["coverage_digest"] == 2
    rows = db.session.scalars(select(Notification.user_id).where(Notification.kind == "coverage_digest"))
    assert set(rows) == {office.hr.id, office.other_hr.id}
    assert not smtp.box.to(office.official_user.email) and not smtp.box.to(office.admin.email)
