"""Public: the issuer's key document, the status lists, and the verification page (no sign-in)."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from academy.db import db
from academy.extensions import limiter
from academy.org.models import Person
from credentials.models import IssuedCredential, RevocationReason
from credentials.services.badge import unbake_svg
from credentials.services.documents import issuer_document, short_code_id, short_url
from credentials.services.holding import credential_by_id, document_of, issue_clr, signed_status_list
from credentials.services.keys import public_keys
from credentials.services.verify import verify_credential
from credentials.views.common import finding_label, qr_svg

bp = Blueprint("credentials", __name__, template_folder="../templates")

#: The most a pasted or uploaded credential may weigh (a CLR of a long career included).
MAX_UPLOAD = 2 * 1024 * 1024


def _json(document: object, mimetype: str = "application/ld+json") -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers elsewhere fetch these
    return response


@bp.get("/credentials/issuer")
def issuer() -> ResponseReturnValue:
    """The issuer's controller document: every key it has signed with (Multikey)."""
    document = issuer_document(public_keys())
    db.session.commit()  # the first request records the configured key
    return _json(document)


@bp.get("/credentials/status/<int:number>")
def status_list(number: int) -> ResponseReturnValue:
    """A signed Bitstring Status List credential: bit n set = the credential at index n revoked."""
    document = signed_status_list(number)
    if document is None:
        abort(404)
    db.session.commit()
    response = _json(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def verify() -> ResponseReturnValue:
    """Paste or upload a credential (JSON, or a baked SVG badge) and see whether it holds."""
    if request.method == "GET":
        return render_template("credentials/verify.html", result=None, pasted="")
    pasted = request.form.get("credential", "")
    upload = request.files.get("file")
    text = pasted
    if upload is not None and upload.filename:
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            abort(413)
        text = data.decode("utf-8", errors="replace")
    if len(text) > MAX_UPLOAD:
        abort(413)
    if text.lstrip().startswith("<"):
        text = json.dumps(unbake_svg(text))  # a baked badge: its credential, or null
    result = verify_credential(text)
    return render_template(
        "credentials/verify.html", result=result, pasted=pasted, finding_label=finding_label, holder_name=None
    )


def _shared_or_404(credential_id: uuid.UUID) -> IssuedCredential:
    """The credential a share link names; not found once its holder's data was erased (nothing left to show)."""
    credential = credential_by_id(credential_id)
    if credential is None or (credential.revocation and credential.revocation.reason is RevocationReason.ERASED):
        abort(404)
    return credential


@bp.get("/verify/<uuid:credential_id>")
def verify_shared(credential_id: uuid.UUID) -> ResponseReturnValue:
    """The share link (and the QR code): the stored credential, checked as anyone would check it."""
    credential = _shared_or_404(credential_id)
    result = verify_credential(document_of(credential))
    holder_name = None
    if credential.share_name:
        person = credential.person
        holder_name = (
            f"{person.first_name_th} {person.last_name_th}",
            f"{person.first_name_en} {person.last_name_en}".strip(),
        )
    return render_template(
        "credentials/verify.html",
        result=result,
        pasted="",
        finding_label=finding_label,
        shared=credential,
        holder_name=holder_name,
        qr=qr_svg(request.url),
    )


@bp.get("/verify/<uuid:credential_id>/credential.json")
def shared_json(credential_id: uuid.UUID) -> ResponseReturnValue:
    """The credential behind a share link, exactly as issued."""
    credential = _shared_or_404(credential_id)
    response = Response(credential.document, mimetype="application/ld+json")
    response.headers["Content-Disposition"] = f"attachment; filename=credential-{credential_id}.json"
    return response


@bp.get("/v/<code>")
def short_link(code: str) -> ResponseReturnValue:
    """The short verification URL printed on the transcript PDF: on to the credential's page."""
    credential_id = short_code_id(code)
    if credential_id is None or credential_by_id(credential_id) is None:
        abort(404)
    return redirect(url_for("credentials.verify_shared", credential_id=credential_id))


def transcript_verification(person: Person | None) -> dict[str, str] | None:
    """For the transcript PDF (a template helper, so that courses need not know credentials): the CLR of the
    person's transcript, its short verification URL and that URL's QR code; None when they hold no credential."""
    if person is None:
        return None
    clr = issue_clr(person)
    if clr is None:
        return None
    url = short_url(clr.credential_id)
    return {"url": url, "qr": qr_svg(url), "credential_id": str(clr.credential_id)}


@bp.app_context_processor
def verifier_helpers() -> dict[str, object]:
    return {"transcript_verification": transcript_verification}
