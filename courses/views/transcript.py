"""The learner's transcript, as a page and as a PDF."""

from __future__ import annotations

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.db import db
from courses.models import EnrolmentStatus
from courses.services.enrolment import enrolments_of
from courses.services.transcript import transcript_of
from courses.views.blueprint import bp, learner_required

# --- transcript -----------------------------------------------------------------------------------


@bp.get("/learn/transcript")
@no_store
@learner_required
def transcript() -> ResponseReturnValue:
    person = current_user.person
    current = [e for e in enrolments_of(person) if e.status is not EnrolmentStatus.COMPLETED]
    return render_template("courses/transcript.html", transcript=transcript_of(person), current=current)


@bp.get("/learn/transcript.pdf")
@no_store
@learner_required
def transcript_pdf() -> ResponseReturnValue:
    from academy.pdf import render_pdf

    person = current_user.person
    html = render_template("courses/transcript_pdf.html", transcript=transcript_of(person), person=person)
    record_audit("transcript.export", target_type="person", target_id=str(person.public_id))
    # Not commit_on_success: committing before the slow PDF rendering keeps the transaction
    # (on SQLite, the database's write lock) from lasting through it.
    db.session.commit()
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=transcript.pdf"},
    )
