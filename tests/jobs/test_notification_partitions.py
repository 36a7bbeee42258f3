"""The hourly notifications job sharing the mailing out: it produces the rows, partition jobs mail them, once each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from academy.dates import current_fiscal_year, today
from academy.db import db
from competencies.models import Framework
from courses.models import Course
from courses.services.enrolment import assign_course
from jobs.models import Job, JobState
from jobs.runner import run_job
from jobs.services import create_job
from tests.academy.notifications.conftest import StoppableSmtp, smtp, standard  # noqa: F401  (fixtures)
from tests.competencies.idp.conftest import Office, office  # noqa: F401  (the fixture)
from tests.courses.conftest import make_course  # noqa: F401  (the fixture)


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    assert job is not None
    db.session.refresh(job)
    return job


def test_partition_jobs_mail_what_the_hourly_job_produced_once_each(
    app: Flask,
    office: Office,  # noqa: F811
    standard: Framework,  # noqa: F811
    make_course: Callable[..., Course],  # noqa: F811
    smtp: StoppableSmtp,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_JOBS_NOTIFICATION_PARTITIONS", 2)
    now = datetime.now(UTC)
    people = [office.official.id, office.colleague.id]
    assign_course(make_course("DG101"), people, current_fiscal_year(now), today(now) + timedelta(days=30), office.hr)

    hourly = create_job("notifications", task_key="notifications:test-hour")
    run_job(hourly.id)
    job = _job(hourly.id)
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.result is not None and job.result["produced"]["course_assigned"] == 2
    children = [_job(child) for child in job.result["partition_jobs"]]
    assert [(c.kind, c.params["index"], c.params["count"], c.parent_id) for c in children] == [
        ("notifications_partition", 0, 2, job.id),
        ("notifications_partition", 1, 2, job.id),
    ]
    assert smtp.box.messages == []  # the hourly job mails nothing itself

    for child in children:
        run_job(child.id)
        run_job(child.id)  # a second delivery does nothing
    mailed = [_job(child.id).result["mailed"] for child in children]  # type: ignore[index]
    # Everything produced (the assignments and what else the office's world had due), each mailed once.
    produced = sum(job.result["produced"].values()) - job.result["email_off"]
    assert sum(mailed) == produced == len(smtp.box.messages) >= 2
    recipients = [str(message["To"]) for message in smtp.box.messages]
    assert len(set(recipients)) == len(recipients)
    for user in (office.official_user, office.colleague_user):
        assert len(smtp.box.to(user.email)) == 1
