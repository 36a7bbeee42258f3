"""The holder's pages: My credentials (badges, downloads, share links, QR codes) and the CLR download;
an administrator's revocation."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.caching import no_store
from academy.auth.permissions import admin_required
from academy.dates import current_fiscal_year, parse_fiscal_year
from academy.i18n import current_locale
from academy.transactions import commit_on_success
from credentials.models import IssuedCredential
from credentials.services.badge import bake_svg
from credentials.services.documents import verify_url
from credentials.services.holding import (
    credential_by_id,
    document_of,
    held_credentials,
    issue_clr,
    revoke_by_admin,
    set_share_name,
)
from credentials.views.common import credential_badge, qr_svg

bp = Blueprint("my_credentials", __name__, template_folder="../templates")


def _own(credential_id: uuid.UUID) -> IssuedCredential:
    """The signed-in person's credential, or 404 (whoever else's it is)."""
    if current_user.person is None:
        abort(404)
    credential = credential_by_id(credential_id)
    if credential is None or credential.person_id != current_user.person.id:
        abort(404)
    return credential


def _locale_argument() -> str:
    locale = request.args.get("lang", "")
    return locale if locale in ("th", "en") else current_locale()


@bp.get("/me/credentials")
@no_store
@login_required
def mine() -> ResponseReturnValue:
    person = current_user.person
    if person is None:
        abort(403)
    credentials = held_credentials(person.id)
    return render_template(
        "credentials/mine.html",
        credentials=credentials,
        badges={c.id: credential_badge(c, current_locale()) for c in credentials},
        verify_url=verify_url,
        fiscal_year=current_fiscal_year(),
    )


@bp.get("/me/credentials/<uuid:credential_id>.json")
@no_store
@login_required
def download(credential_id: uuid.UUID) -> ResponseReturnValue:
    credential = _own(credential_id)
    response = Response(credential.document, mimetype="application/ld+json")
    response.headers["Content-Disposition"] = f"attachment; filename=credential-{credential_id}.json"
    return response


@bp.get("/me/credentials/<uuid:credential_id>/badge.svg")
@no_store
@login_required
def badge(credential_id: uuid.UUID) -> ResponseReturnValue:
    credential = _own(credential_id)
    return Response(credential_badge(credential, _locale_argument()), mimetype="image/svg+xml")


@bp.get("/me/credentials/<uuid:credential_id>/baked.svg")
@no_store
@login_required
def baked(credential_id: uuid.UUID) -> ResponseReturnValue:
    """The badge image carrying the signed credential (Open Badges baking)."""
    credential = _own(credential_id)
    svg = bake_svg(
        credential_badge(credential, _locale_argument()),
        document_of(credential),
        verify_url(credential.credential_id),
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f"attachment; filename=badge-{credential_id}.svg"
    return response


@bp.get("/me/credentials/<uuid:credential_id>/qr.svg")
@no_store
@login_required
def qr(credential_id: uuid.UUID) -> ResponseReturnValue:
    credential = _own(credential_id)
    return Response(qr_svg(verify_url(credential.credential_id)), mimetype="image/svg+xml")


@bp.post("/me/credentials/<uuid:credential_id>/share")
@login_required
@commit_on_success
def share(credential_id: uuid.UUID) -> ResponseReturnValue:
    """Whether the share link shows the holder's name."""
    credential = _own(credential_id)
    set_share_name(credential, request.form.get("share_name") == "1")
    flash(_("Your sharing choice is saved."), "success")
    return redirect(url_for("my_credentials.mine"))


@bp.get("/me/credentials/clr.json")
@no_store
@login_required
@commit_on_success
def clr() -> ResponseReturnValue:
    """The CLR of the transcript, or of one fiscal year (``?year=2569``)."""
    person = current_user.person
    if person is None:
        abort(404)
    year_text = request.args.get("year")
    year = parse_fiscal_year(year_text) if year_text else None
    if year_text and year is None:
        abort(400)
    credential = issue_clr(person, year)
    if credential is None:
        abort(404)
    response = Response(credential.document, mimetype="application/ld+json")
    name = f"clr-{year}.json" if year else "clr.json"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/credentials/<uuid:credential_id>/revoke")
@admin_required
@commit_on_success
def revoke(credential_id: uuid.UUID) -> ResponseReturnValue:
    """An administrator revokes a credential, giving the reason (audited)."""
    credential = credential_by_id(credential_id)
    if credential is None:
        abort(404)
    note = request.form.get("reason", "").strip()
    if not note or len(note) > 500:
        flash(_("Give the reason for revoking (at most 500 characters)."), "error")
        return redirect(url_for("credentials.verify_shared", credential_id=credential_id)), 303
    if revoke_by_admin(credential, note, current_user.id):
        flash(_("The credential is revoked."), "success")
    return redirect(url_for("credentials.verify_shared", credential_id=credential_id), 303)
