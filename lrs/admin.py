"""The admins' page of LRS clients: list (with what the trust rules refused or ignored), create (the secret
is shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from academy.audit.services import record_audit
from academy.auth.permissions import admin_required
from academy.db import db
from academy.org.models import Agency
from academy.transactions import commit_on_success
from lrs.clients import (
    SCOPES,
    ClientError,
    create_client,
    get_client,
    ignored_counts,
    list_clients,
    recent_ignored,
    revoke_client,
)
from lrs.labels import IGNORED_LABELS

bp = Blueprint("lrs_admin", __name__, template_folder="templates", url_prefix="/admin/lrs-clients")


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(scope, scope) for scope in sorted(SCOPES)],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    agency = StringField(
        _l("Agency code (only its people's statements: evidence and reading)"),
        validators=[Optional(), Length(max=20)],
    )
    admin = BooleanField(_l("LRS administrator: may void any statement"))


class RevokeForm(FlaskForm):
    pass


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every page here is for academy admins only."""


@bp.route("", methods=["GET", "POST"])
@commit_on_success
def clients() -> ResponseReturnValue:
    form = ClientForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            created = create_client(
                form.name.data or "",
                list(form.scopes.data or []),
                admin=bool(form.admin.data),
                agency_code=form.agency.data or None,
            )
        except ClientError as error:
            flash(str(error), "error")
            status = 400
        else:
            record_audit(
                "lrs_client.create",
                target_type="lrs_client",
                target_id=created.client.key,
                details={
                    "name": created.client.name,
                    "scopes": created.client.scopes,
                    "admin": created.client.admin,
                    "agency_id": created.client.agency_id,
                },
            )
    elif form.is_submitted():
        status = 400
    clients = list_clients()
    agency_ids = {c.agency_id for c in clients if c.agency_id is not None}
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    return render_template(
        "lrs/clients.html",
        form=form,
        clients=clients,
        agencies=agencies,
        ignored=ignored_counts(),
        created=created,
        revoke_form=RevokeForm(),
    ), status


@bp.post("/<key>/revoke")
@commit_on_success
def revoke(key: str) -> ResponseReturnValue:
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        revoke_client(key)
    except ClientError:
        abort(404)
    record_audit("lrs_client.revoke", target_type="lrs_client", target_id=key)
    return redirect(url_for("lrs_admin.clients"))


@bp.get("/<key>/ignored")
def ignored(key: str) -> ResponseReturnValue:
    client = get_client(key)
    if client is None:
        abort(404)
    return render_template("lrs/ignored.html", client=client, rows=recent_ignored(client.id), labels=IGNORED_LABELS)
