"""*My data* of a person with many statements: a background job of their own, the same ZIP, a link that expires."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from academy.privacy.export import data_subject, export_size, stream_export
from jobs import latest_my_data_job
from jobs.models import Job, JobState
from tests.academy.privacy.test_export import completed
from tests.support.app import csrf_token
from tests.support.lrs import Xapi

STATEMENTS = 6


@pytest.fixture
def learner(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person], make_user: Callable[..., User]
) -> User:
    person = make_person(make_agency(), first_name_en="Wichai", email="wichai@example.go.th")
    add_identifier(person, IdentifierKind.MBOX, "mailto:wichai@example.go.th")
    return make_user(Role.LEARNER, person=person, email="wichai.user@example.go.th")


def members(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def run(app: Flask, job_id: int) -> None:
    """The task as a worker runs it."""
    app.extensions["celery"].tasks["jobs.run"].apply(args=[job_id])


def download_link(page: str) -> str:
    match = re.search(r'href="([^"]+)" data-my-data-download', page)
    assert match, "no download link on the page"
    return match.group(1).replace("&amp;", "&")


def test_a_large_export_is_a_job_with_the_same_zip_for_its_owner_alone(
    app: Flask,
    xapi: Xapi,
    learner: User,
    make_user: Callable[..., User],
    sign_in: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_MY_DATA_JOB_THRESHOLD", STATEMENTS - 1)
    xapi("POST", "/xapi/statements", json_body=[completed("wichai@example.go.th") for _ in range(STATEMENTS)])
    assert learner.person is not None
    assert export_size(data_subject(learner.person)) == STATEMENTS

    client = sign_in(learner)
    page = client.get("/me/data").get_data(as_text=True)
    assert "/me/data/prepare" in page and 'href="/me/data.zip"' not in page
    # Too large for a request: the ZIP's address sends the person to prepare it.
    response = client.get("/me/data.zip")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/data")

    token = csrf_token(client, "/me/data")
    assert client.post("/me/data/prepare", data={"csrf_token": token}).status_code == 302
    job = latest_my_data_job(learner)
    assert job is not None and job.state is JobState.QUEUED and job.started_by_id == learner.id
    # Asking again while it waits queues nothing more.
    client.post("/me/data/prepare", data={"csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert "data-job-status" in client.get("/me/data").get_data(as_text=True)
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "privacy.export")
    assert db.session.scalar(audited) == 2  # each request of the person

    run(app, job.id)
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.file_name is not None and job.file_name.startswith("my-data-") and job.done == job.total
    # The same content as the ZIP the request streams (same moment of generation, same rows).
    generated = datetime.fromisoformat(job.params["generated"])
    with app.test_request_context():
        immediate = b"".join(stream_export(data_subject(learner.person), generated))

    link = download_link(client.get("/me/data").get_data(as_text=True))
    response = client.get(link)
    assert response.status_code == 200
    from_job = members(response.get_data())
    response.close()
    assert from_job == members(immediate)
    assert from_job["counts.json"].count(b'"xapi_statements": 6') == 1

    # Nobody else sees the job or its file: another learner, an HR officer of the agency, an admin.
    others = [
        make_user(Role.LEARNER),
        make_user(Role.HR_OFFICER, agencies=(learner.person.agency,)),
        make_user(Role.ADMIN),
    ]
    for other in others:
        stranger = sign_in(other)
        for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/status", f"/jobs/{job.id}/download", link):
            response = stranger.get(path)
            response.close()
            assert response.status_code == 404, (other.roles, path)
        listing = stranger.get("/jobs/")
        assert listing.status_code == 404 or f"/jobs/{job.id}" not in listing.get_data(as_text=True)
    # The owner's own job page works; the link is theirs and expires.
    assert client.get(f"/jobs/{job.id}/status").get_json()["state"] == "succeeded"
    monkeypatch.setitem(app.config, "ACADEMY_JOBS_DOWNLOAD_MINUTES", 1 / 60)
    time.sleep(2.1)
    assert client.get(link).status_code == 404
    fresh = client.get(download_link(client.get("/me/data").get_data(as_text=True)))
    assert fresh.status_code == 200
    fresh.close()


def test_a_small_export_stays_immediate(
    xapi: Xapi, learner: User, sign_in: Callable[[User], FlaskClient], app: Flask
) -> None:
    xapi("POST", "/xapi/statements", json_body=[completed("wichai@example.go.th") for _ in range(STATEMENTS)])
    assert app.config["ACADEMY_MY_DATA_JOB_THRESHOLD"] == 2000
    client = sign_in(learner)
    page = client.get("/me/data").get_data(as_text=True)
    assert 'href="/me/data.zip"' in page and "/me/data/prepare" not in page
    response = client.get("/me/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    # Nothing is queued for a small one, even when asked.
    token = csrf_token(client, "/me/data")
    assert client.post("/me/data/prepare", data={"csrf_token": token}).headers["Location"].endswith("/me/data.zip")
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_failed_preparation_says_so_and_can_be_asked_again(
    app: Flask,
    xapi: Xapi,
    learner: User,
    sign_in: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_MY_DATA_JOB_THRESHOLD", 1)
    xapi("POST", "/xapi/statements", json_body=[completed("wichai@example.go.th") for _ in range(2)])
    client = sign_in(learner)
    token = csrf_token(client, "/me/data")
    client.post("/me/data/prepare", data={"csrf_token": token})
    job = latest_my_data_job(learner)
    assert job is not None
    job.params = {**job.params, "person_id": -1}  # the person is gone by the time it runs
    db.session.commit()
    run(app, job.id)
    db.session.expire_all()
    assert job.state is JobState.FAILED
    page = client.get("/me/data").get_data(as_text=True)
    assert "data-my-data-download" not in page and "/me/data/prepare" in page
    client.post("/me/data/prepare", data={"csrf_token": token})
    again = latest_my_data_job(learner)
    assert again is not None and again.id != job.id and again.state is JobState.QUEUED


def test_the_threshold_comes_from_the_environment() -> None:
    from academy.config import Settings

    assert Settings.from_environ({}).flask_config()["ACADEMY_MY_DATA_JOB_THRESHOLD"] == 2000
    chosen = Settings.from_environ({"ACADEMY_MY_DATA_JOB_THRESHOLD": "50"})
    assert chosen.flask_config()["ACADEMY_MY_DATA_JOB_THRESHOLD"] == 50
