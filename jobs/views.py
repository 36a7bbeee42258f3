"""The jobs pages: the list, one job with live progress, its download, re-run; the people import upload."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from academy.auth.permissions import admin_required, can_administer, people_scope
from academy.db import db
from academy.inputs import paginate
from academy.transactions import commit_on_success
from jobs.handlers import PEOPLE_CHECK, PEOPLE_IMPORT, REBUILD_PROJECTIONS
from jobs.models import Job, JobState
from jobs.services import (
    can_see,
    check_download_token,
    create_job,
    download_token,
    job_file,
    job_view,
    new_file,
    rerun_job,
    storage_root,
    visible_jobs,
)

bp = Blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")

UPLOAD_SUFFIXES = (".csv", ".xlsx")
PER_PAGE = 50


def _may_use_jobs() -> None:
    if people_scope(current_user) == []:
        abort(404)


def _visible_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not can_see(current_user, job):
        abort(404)
    return job


def _status(job: Job) -> dict[str, Any]:
    view = job_view(job)
    return {
        "id": job.id,
        "state": job.state.value,
        "done": view.done,
        "total": view.total,
        "percent": view.percent,
        "finished": job.finished,
        "error": job.error,
    }


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    _may_use_jobs()
    page = paginate(visible_jobs(current_user), PER_PAGE)
    views = [job_view(job) for job in page.items]
    return render_template("jobs/index.html", page=page, views=views, is_admin=can_administer(current_user))


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> ResponseReturnValue:
    job = _visible_job(job_id)
    download = None
    if job_file(job) is not None:
        download = url_for("jobs.download", job_id=job.id, token=download_token(job, current_user))
    follow_up = db.session.scalar(db.select(Job).where(Job.parent_id == job.id).order_by(Job.id.desc()).limit(1))
    return render_template("jobs/show.html", view=job_view(job), job=job, download=download, follow_up=follow_up)


@bp.get("/<int:job_id>/status")
@login_required
def status(job_id: int) -> ResponseReturnValue:
    """The small JSON the job's page polls for its progress bar."""
    response = jsonify(_status(_visible_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int) -> ResponseReturnValue:
    job = _visible_job(job_id)
    path = job_file(job)
    if path is None or not check_download_token(request.args.get("token", ""), job, current_user):
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.file_name or path.name, max_age=0)


@bp.post("/<int:job_id>/rerun")
@login_required
@commit_on_success
def rerun(job_id: int) -> ResponseReturnValue:
    job = _visible_job(job_id)
    if job.state is not JobState.FAILED:
        abort(409)
    new = rerun_job(job, current_user)
    return redirect(url_for("jobs.show", job_id=new.id))


@bp.post("/<int:job_id>/confirm")
@login_required
@commit_on_success
def confirm(job_id: int) -> ResponseReturnValue:
    """After a clean dry run: the import itself, with the same file and choices."""
    check = _visible_job(job_id)
    if check.kind != PEOPLE_CHECK or check.state is not JobState.SUCCEEDED or not (check.result or {}).get("ok"):
        abort(409)
    # The file's digest as the dry run read it: the import refuses a file changed since.
    params = {**check.params, "checked_sha256": (check.result or {}).get("sha256")}
    new = create_job(PEOPLE_IMPORT, started_by=current_user, params=params, parent=check)
    new.scope_agency_ids = check.scope_agency_ids
    return redirect(url_for("jobs.show", job_id=new.id))


@bp.post("/rebuild-projections")
@admin_required
@commit_on_success
def rebuild_projections() -> ResponseReturnValue:
    job = create_job(REBUILD_PROJECTIONS, started_by=current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/people-import", methods=["GET", "POST"])
@login_required
@commit_on_success
def people_import() -> ResponseReturnValue:
    """Upload a CSV or XLSX file of people: it is saved, then checked by a dry-run job."""
    _may_use_jobs()
    if request.method == "GET":
        return render_template("jobs/people_import.html")
    upload = request.files.get("file")
    if not isinstance(upload, FileStorage) or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return render_template("jobs/people_import.html"), 400
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        flash(_("Only .csv and .xlsx files can be imported."), "error")
        return render_template("jobs/people_import.html"), 400
    path, relative = new_file("uploads", suffix)
    _keep_upload(upload, path)
    params = {
        "upload": relative,
        "filename": Path(upload.filename).name[:200],
        "skip_invalid": request.form.get("skip_invalid") == "1",
        "full": request.form.get("full") == "1",
    }
    job = create_job(PEOPLE_CHECK, started_by=current_user, scope=people_scope(current_user), params=params)
    return redirect(url_for("jobs.show", job_id=job.id))


def _keep_upload(upload: FileStorage, path: Path) -> None:
    """Keep the uploaded file at path: a hard link to the file the form parser wrote, else a copy."""
    incoming = getattr(upload.stream, "name", None)
    if isinstance(incoming, str) and Path(incoming).parent == path.parent:
        upload.stream.flush()
        os.link(incoming, path)  # the parser's file is deleted when the request ends; this name stays
        return
    upload.save(path)


def _upload_stream(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> IO[bytes]:
    """Where the form parser writes an uploaded file: straight into the uploads folder, read once, copied never."""
    folder = storage_root() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile("wb+", dir=folder, prefix=".incoming-", suffix=".part")


def allow_large_upload() -> None:
    """The upload page takes files up to ACADEMY_JOBS_MAX_UPLOAD_MB (before CSRF protection reads the form).

    The file is streamed to the uploads folder as the form is parsed (not to a temporary file
    elsewhere, then copied), and nothing in it is read before the dry-run job.
    """
    if request.endpoint == "jobs.people_import" and request.method == "POST":
        from flask import current_app

        request.max_content_length = int(float(current_app.config["ACADEMY_JOBS_MAX_UPLOAD_MB"]) * 1024 * 1024)
        request._get_file_stream = _upload_stream  # type: ignore[method-assign]
