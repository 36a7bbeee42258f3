"""The notifications job on a real worker when the SMTP server is down: retried with backoff, failed, run again.

Real ``celery worker`` processes on Redis and on the embedded broker (the ``stack`` of
tests/jobs/conftest.py); the SMTP server is aiosmtpd on loopback, absent at first (nothing listens
on its port), then started before *Run again*.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from academy.auth.models import Role, User
from academy.auth.services import create_user
from academy.dates import current_fiscal_year, today
from academy.extensions import db
from academy.notifications.models import EmailState, Notification
from academy.org.importer import import_people, read_rows
from academy.org.models import Person
from courses.models import CompletionRule, Course, CourseFormat, CourseStatus
from courses.services.activities import course_iri_for
from courses.services.enrolment import assign_course
from jobs.models import Job, JobState
from tests.jobs.conftest import AGENCY, Stack
from tests.jobs.conftest import finished_job as _finished
from tests.jobs.conftest import read_value as _read
from tests.jobs.conftest import worker_logs as _logs
from tests.support.app import BASE_URL, PASSWORD, csrf_token
from tests.support.jobs import SmtpSink, wait_for, workers, write_people
from tests.support.second_factor import sign_in

pytestmark = [
    pytest.mark.own_database,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"),
]

PEOPLE = 3
ADMIN = "admin@example.go.th"


def _assigned_people(stack: Stack) -> list[str]:
    """Three people with an account each and a course assigned to them (a notification each is due)."""
    path = write_people(stack.workdir / "people.csv", AGENCY, PEOPLE)
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert report.ok
    admin = create_user(email=ADMIN, password=PASSWORD, roles=[Role.ADMIN])
    people = list(db.session.scalars(select(Person).order_by(Person.id)))
    emails = []
    for number, person in enumerate(people, start=1):
        emails.append(f"p{number}@example.go.th")
        create_user(email=emails[-1], password=None, person=person)
    course = Course(
        code="DG101",
        title_th="ความมั่นคงปลอดภัยไซเบอร์",
        title_en="Cyber security",
        provider="TDGA",
        format=CourseFormat.ONLINE,
        hours=3,
        language="th",
        status=CourseStatus.PUBLISHED,
        activity_iri=course_iri_for("DG101"),
        completion_rule=CompletionRule.LESSONS_AND_QUIZZES,
    )
    db.session.add(course)
    db.session.flush()
    assign_course(course, [person.id for person in people], current_fiscal_year(), today() + timedelta(days=30), admin)
    db.session.commit()
    db.session.remove()
    return sorted(emails)


def _pending() -> int:
    return int(
        _read(select(func.count()).select_from(Notification).where(Notification.email_state == EmailState.PENDING))
    )


def test_a_failed_smtp_send_is_retried_then_failed_and_run_again_sends_each_mail_once(stack: Stack) -> None:
    emails = _assigned_people(stack)
    sink = SmtpSink()  # not started yet: nothing listens on its port
    environ = {
        **stack.environ,
        "ACADEMY_MAIL_SERVER": "127.0.0.1",
        "ACADEMY_MAIL_PORT": str(sink.port),
        "ACADEMY_JOBS_MAX_RETRIES": "2",
        "ACADEMY_JOBS_RETRY_BASE_SECONDS": "1",
    }
    try:
        with workers(environ, stack.workdir) as running:
            stack.app.extensions["celery"].send_task("jobs.notifications_slot")  # what beat sends each hour
            job_id = wait_for(
                lambda: _read(select(Job.id).where(Job.kind == "notifications")),
                60,
                "the slot's job",
                lambda: _logs(*running),
            )
            job = wait_for(lambda: _finished(job_id), 90, "the job to fail", lambda: _logs(*running))
            assert job.state is JobState.FAILED and job.attempts == 3  # the first run and two retries
            assert job.error is not None and job.error.startswith(
                f"MailUnavailable: {PEOPLE} mails could not be sent: the mail server cannot be reached"
            )
            # Retried by Celery after a growing pause (base 1 s: 0.5-1 s, then 1-2 s).
            pauses = [float(pause) for pause in re.findall(r"retrying in ([\d.]+) s", running[0].log.read_text())]
            assert len(pauses) == 2 and 0.5 <= pauses[0] <= 1 and 1 <= pauses[1] <= 2, pauses
            assert _pending() == PEOPLE and sink.recipients() == []

            # An admin sees it failed, with its error and *Run again*.
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            assert admin is not None
            client = stack.app.test_client()
            sign_in(client, admin)
            page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
            assert str(escape(job.error)) in page and f'action="/jobs/{job_id}/rerun"' in page
            listing = client.get("/jobs/").get_data(as_text=True)
            assert f"/jobs/{job_id}" in listing

            sink.start()  # the server is back
            response = client.post(f"/jobs/{job_id}/rerun", data={"csrf_token": csrf_token(client, f"/jobs/{job_id}")})
            assert response.status_code == 302, response.get_data(as_text=True)
            again_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            db.session.commit()
            db.session.remove()
            again = wait_for(lambda: _finished(again_id), 90, "the job run again", lambda: _logs(*running))
        assert again.state is JobState.SUCCEEDED, again.error
        assert again.result is not None and again.result["mailed"] == PEOPLE and again.result["failed"] == 0
        assert sink.recipients() == emails  # once each
        assert _pending() == 0
    finally:
        sink.stop()
