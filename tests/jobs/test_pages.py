"""The jobs pages: who sees which job (404 outside), the upload, live status, downloads that expire, re-run."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.extensions import db
from academy.org.models import Agency
from jobs.models import Job, JobState
from jobs.services import create_job, new_file
from tests.support.app import csrf_token
from tests.support.jobs import write_people


@pytest.fixture
def agencies(make_agency: Callable[..., Agency]) -> tuple[Agency, Agency]:
    ministry = make_agency("71")
    return make_agency("71001", parent=ministry), make_agency("71002", parent=ministry)


def _finished_job(owner: User, scope: list[Agency], content: str = "row,column,message\n") -> Job:
    job = create_job("people_import_check", started_by=owner, scope=scope, params={"filename": "people.csv"})
    path, relative = new_file("results", ".csv")
    path.write_text(content, encoding="utf-8")
    job.state, job.file_path, job.file_name = JobState.SUCCEEDED, relative, "import-errors.csv"
    job.result = {"rows": 3, "ok": True}
    job.finished_at = datetime.now(UTC)
    db.session.flush()
    return job


def _download_link(client: FlaskClient, job: Job) -> str:
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    match = re.search(r'href="(/jobs/\d+/download\?token=[^"]+)"', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def test_learner_gets_404(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> None:
    client = login(make_user(Role.LEARNER))
    assert client.get("/jobs/").status_code == 404
    assert client.get("/jobs/people-import").status_code == 404


def test_hr_officer_sees_own_jobs_not_another_agencys(
    agencies: tuple[Agency, Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    mine, theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    other = make_user(Role.HR_OFFICER, agencies=(theirs,))
    my_job = _finished_job(me, [mine])
    their_job = _finished_job(other, [theirs])
    client = login(me)
    listing = client.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{my_job.id}" in listing and f"/jobs/{their_job.id}" not in listing
    assert client.get(f"/jobs/{my_job.id}").status_code == 200
    for path in ("", "/status", "/download?token=x"):
        assert client.get(f"/jobs/{their_job.id}{path}").status_code == 404
    assert (
        client.post(f"/jobs/{their_job.id}/rerun", data={"csrf_token": csrf_token(client, "/jobs/")}).status_code == 404
    )


def test_download_link_is_signed_per_user_and_expires(
    agencies: tuple[Agency, Agency],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine, _theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    job = _finished_job(me, [mine], "row,column,message\n2,email,bad\n")
    client = login(me)
    link = _download_link(client, job)
    response = client.get(link)
    assert response.status_code == 200 and b"2,email,bad" in response.data
    response.close()
    assert client.get(link.split("token=")[0] + "token=forged").status_code == 404
    minutes = float(app.config["ACADEMY_JOBS_DOWNLOAD_MINUTES"])
    later = time.time() + minutes * 60 + 5
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
        assert client.get(link).status_code == 404


def test_scope_change_hides_the_job(
    agencies: tuple[Agency, Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    """An HR officer moved to another agency no longer sees the files of the first."""
    mine, theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    job = _finished_job(me, [mine])
    job.scope_agency_ids = [theirs.id]
    db.session.flush()
    assert login(me).get(f"/jobs/{job.id}").status_code == 404


def test_admin_sees_every_job(
    agencies: tuple[Agency, Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    mine, _theirs = agencies
    job = _finished_job(make_user(Role.HR_OFFICER, agencies=(mine,)), [mine])
    client = login(make_user(Role.ADMIN))
    assert client.get(f"/jobs/{job.id}").status_code == 200
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status == {
        "id": job.id,
        "state": "succeeded",
        "done": 0,
        "total": None,
        "percent": 100,
        "finished": True,
        "error": None,
    }


def test_upload_queues_a_dry_run_within_the_officers_scope(
    agencies: tuple[Agency, Agency],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    tmp_path: Path,
    app: Flask,
) -> None:
    mine, _theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    client = login(me)
    token = csrf_token(client, "/jobs/people-import")
    data = write_people(tmp_path / "people.csv", mine.code, 3).read_bytes()
    response = client.post(
        "/jobs/people-import",
        data={"csrf_token": token, "skip_invalid": "1", "file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job = db.session.scalars(db.select(Job).where(Job.started_by_id == me.id)).one()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.kind == "people_import_check" and job.state is JobState.QUEUED
    assert job.scope_agency_ids == [mine.id]
    assert job.params["skip_invalid"] is True and job.params["full"] is False
    saved = Path(app.config["ACADEMY_JOBS_STORAGE_DIR"]) / job.params["upload"]
    assert saved.read_bytes() == data
    # The parser wrote the file into the uploads folder once; its temporary name is gone.
    assert [path.name for path in saved.parent.iterdir()] == [saved.name]
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-job-status="/jobs/' in page and "job-progress.js" in page


def test_upload_refuses_other_files(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> None:
    client = login(make_user(Role.ADMIN))
    token = csrf_token(client, "/jobs/people-import")
    response = client.post(
        "/jobs/people-import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "people.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0


def test_failed_job_shows_its_error_and_runs_again(
    agencies: tuple[Agency, Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    mine, _theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    job = create_job("people_import", started_by=me, scope=[mine], params={"upload": "uploads/x.csv"})
    job.state, job.error = JobState.FAILED, "OperationalError: the database went away"
    db.session.flush()
    client = login(me)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "the database went away" in page and f"/jobs/{job.id}/rerun" in page
    response = client.post(f"/jobs/{job.id}/rerun", data={"csrf_token": csrf_token(client, f"/jobs/{job.id}")})
    assert response.status_code == 302
    again = db.session.scalars(db.select(Job).where(Job.parent_id == job.id)).one()
    assert again.state is JobState.QUEUED and again.params == job.params and again.scope_agency_ids == [mine.id]


def test_confirm_needs_a_clean_dry_run(
    agencies: tuple[Agency, Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    mine, _theirs = agencies
    me = make_user(Role.HR_OFFICER, agencies=(mine,))
    check = _finished_job(me, [mine])
    client = login(me)
    token = csrf_token(client, f"/jobs/{check.id}")
    check.result = {"rows": 3, "ok": False}
    db.session.flush()
    assert client.post(f"/jobs/{check.id}/confirm", data={"csrf_token": token}).status_code == 409
    check.result = {"rows": 3, "ok": True, "sha256": "ab" * 32}
    db.session.flush()
    assert client.post(f"/jobs/{check.id}/confirm", data={"csrf_token": token}).status_code == 302
    follow = db.session.scalars(db.select(Job).where(Job.parent_id == check.id)).one()
    assert follow.kind == "people_import" and follow.scope_agency_ids == [mine.id]
    # The import carries the digest of the file its dry run read.
    assert follow.params == {**check.params, "checked_sha256": "ab" * 32}
