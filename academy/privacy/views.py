"""Pages of the person's own data: *My data* and its ZIP, correction requests, erasure requests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.permissions import admin_required, people_scope
from academy.db import db
from academy.inputs import paginate
from academy.org.models import Agency, Person, PersonStatus
from academy.org.services import get_person
from academy.privacy.corrections import (
    MAX_TEXT,
    answer_correction,
    corrections_of,
    corrections_query,
    create_correction,
    get_correction,
)
from academy.privacy.erasure import (
    ErasureRefused,
    approve_erasure,
    approved,
    pending_erasure,
    reject_erasure,
    request_erasure,
)
from academy.privacy.export import data_subject, export_as_job, export_tables, stream_export
from academy.privacy.models import CorrectionStatus, ErasureRequest, ErasureStatus
from academy.transactions import commit_on_success

bp = Blueprint("privacy", __name__, template_folder="templates")

PER_PAGE = 50


def _own_person() -> Person:
    person: Person | None = current_user.person
    if person is None:
        abort(403)
    return person


def _scope_or_403() -> list[Agency] | None:
    scope = people_scope(current_user)
    if scope == []:
        abort(403)
    return scope


# --- the person's own ------------------------------------------------------------------------------


@bp.get("/me/data")
@no_store
@login_required
def my_data() -> ResponseReturnValue:
    # The jobs package is imported when used: the shell's modules import no package beside them at load.
    from jobs import latest_my_data_job
    from jobs.services import download_token, job_file, job_view

    person = _own_person()
    job = latest_my_data_job(current_user)
    download = None
    if job is not None and job_file(job) is not None:
        download = url_for("jobs.download", job_id=job.id, token=download_token(job, current_user))
    return render_template(
        "privacy/my_data.html",
        person=person,
        tables=export_tables(),
        corrections=corrections_of(person),
        max_text=MAX_TEXT,
        large=export_as_job(data_subject(person)),
        job=job,
        view=job_view(job) if job is not None else None,
        download=download,
    )


@bp.post("/me/data/prepare")
@login_required
@commit_on_success
def prepare_my_data() -> ResponseReturnValue:
    """A large *My data*: queue its ZIP as the person's own background job (the page follows it)."""
    from jobs import queue_my_data

    person = _own_person()
    if not export_as_job(data_subject(person)):
        return redirect(url_for("privacy.my_data_zip"))
    job = queue_my_data(current_user, person)
    record_audit("privacy.export", target_type="person", target_id=person.public_id, details={"job": job.id})
    flash(_("Your data is being prepared; this page shows when it is ready to download."), "success")
    return redirect(url_for("privacy.my_data"))


@bp.get("/me/data.zip")
@no_store
@login_required
def my_data_zip() -> ResponseReturnValue:
    person = _own_person()
    subject = data_subject(person)
    if export_as_job(subject):
        # Too large to build inside a request: it is prepared as a background job.
        flash(_("Your data is large: prepare it, and download it when it is ready."), "error")
        return redirect(url_for("privacy.my_data"))
    record_audit("privacy.export", target_type="person", target_id=person.public_id)
    # Committed before the ZIP is written: the export reads, and must not hold a write lock while it streams.
    db.session.commit()
    generated = datetime.now(UTC)
    filename = f"my-data-{generated:%Y%m%d}.zip"
    return Response(
        stream_with_context(stream_export(subject, generated)),
        mimetype="application/zip",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.post("/me/data/corrections")
@login_required
@commit_on_success
def request_correction() -> ResponseReturnValue:
    person = _own_person()
    text = request.form.get("text", "")
    if not text.strip():
        flash(_("Say what is wrong in your data."), "error")
        return redirect(url_for("privacy.my_data"))
    correction = create_correction(person, text)
    record_audit(
        "correction.request", target_type="person", target_id=person.public_id, details={"request": correction.id}
    )
    flash(_("Your request has been sent to your agency's HR officers."), "success")
    return redirect(url_for("privacy.my_data"))


# --- HR officers: correction requests ----------------------------------------------------------------


@bp.get("/corrections")
@no_store
@login_required
def corrections() -> ResponseReturnValue:
    scope = _scope_or_403()
    wanted = request.args.get("status", "open")
    status = CorrectionStatus(wanted) if wanted in {s.value for s in CorrectionStatus} else None
    page = paginate(corrections_query(scope, status), PER_PAGE)
    return render_template("privacy/corrections.html", page=page, status=status, statuses=list(CorrectionStatus))


@bp.route("/corrections/<int:request_id>", methods=["GET", "POST"])
@no_store
@login_required
@commit_on_success
def correction(request_id: int) -> ResponseReturnValue:
    scope = _scope_or_403()
    found = get_correction(request_id, scope)
    if found is None:
        abort(404)  # another agency's requests are not even confirmed to exist
    if request.method == "POST":
        reply = request.form.get("reply", "")
        done = request.form.get("status", CorrectionStatus.DONE.value) == CorrectionStatus.DONE.value
        answer_correction(found, reply, current_user, done=done)
        record_audit(
            "correction.answer",
            target_type="person",
            target_id=found.person.public_id,
            details={"request": found.id, "status": found.status.value},
        )
        flash(_("Reply saved."), "success")
        return redirect(url_for("privacy.correction", request_id=found.id))
    return render_template("privacy/correction.html", correction=found, max_text=MAX_TEXT)


# --- erasure: an HR officer requests, an admin approves ------------------------------------------------


@bp.route("/people/<uuid:public_id>/erasure", methods=["GET", "POST"])
@no_store
@login_required
@commit_on_success
def erasure(public_id: uuid.UUID) -> ResponseReturnValue:
    scope = _scope_or_403()
    person = get_person(public_id, scope)
    if person is None:
        abort(404)
    if request.method == "POST":
        try:
            made = request_erasure(person, request.form.get("reason", "")[:MAX_TEXT], current_user)
        except ErasureRefused:
            flash(_("Only people who have left (inactive) can be erased, one request at a time."), "error")
            return redirect(url_for("privacy.erasure", public_id=public_id))
        record_audit("erasure.request", target_type="person", target_id=person.public_id, details={"request": made.id})
        flash(_("Erasure requested: an administrator must approve it."), "success")
        return redirect(url_for("privacy.erasure", public_id=public_id))
    from jobs import erasure_job
    from jobs.services import job_view

    pending = pending_erasure(person)
    job = erasure_job(pending.id) if pending is not None and approved(pending) else None
    return render_template(
        "privacy/erasure.html",
        person=person,
        pending=pending,
        job=job,
        view=job_view(job) if job is not None else None,
        may_request=person.status is PersonStatus.INACTIVE,
    )


@bp.get("/admin/erasures")
@no_store
@admin_required
def erasures() -> ResponseReturnValue:
    from jobs import erasure_job
    from jobs.services import job_view

    query = select(ErasureRequest).order_by(ErasureRequest.status.desc(), ErasureRequest.requested_at.desc())
    page = paginate(query, PER_PAGE)
    jobs = {erasure.id: erasure_job(erasure.id) for erasure in page.items if erasure.decided_at is not None}
    views = {request_id: job_view(job) for request_id, job in jobs.items() if job is not None}
    return render_template(
        "privacy/erasures.html", page=page, requested=ErasureStatus.REQUESTED, views=views, approved=approved
    )


@bp.post("/admin/erasures/<int:request_id>")
@admin_required
@commit_on_success
def decide_erasure(request_id: int) -> ResponseReturnValue:
    found = db.session.get(ErasureRequest, request_id) or abort(404)
    decision = request.form.get("decision")
    try:
        if decision == "approve":
            from jobs import queue_erasure

            approve_erasure(found, current_user)
            # A person with many statements is not erased inside a request: a job does it, in one transaction.
            job = queue_erasure(current_user, found.id)
            record_audit(
                "erasure.approve",
                target_type="person",
                target_id=found.person.public_id,
                details={"request": found.id, "job": job.id},
            )
            flash(_("Approved: the person is being erased in the background."), "success")
        elif decision == "reject":
            reject_erasure(found, current_user)
            record_audit(
                "erasure.reject", target_type="person", target_id=found.person.public_id, details={"request": found.id}
            )
            flash(_("The request has been rejected."), "success")
        else:
            abort(400)
    except ErasureRefused:
        flash(_("This request can no longer be carried out."), "error")
    return redirect(url_for("privacy.erasures"))
