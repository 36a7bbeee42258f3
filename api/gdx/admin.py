"""Admins' pages: GDX consumers (the secret shown once), and the push's outbox, runs and delivery log."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from academy.audit.services import record_audit
from academy.auth.permissions import admin_required
from academy.db import db
from academy.forms import CsrfForm, Form
from academy.inputs import paginate
from academy.transactions import commit_on_success
from api.gdx.models import DeliveryOutcome, GdxDelivery, GdxOutboxEntry, GdxPushRun, OutboxStatus
from api.gdx.services.consumers import ConsumerError, create_consumer, list_consumers, revoke_consumer
from api.gdx.services.outbox import retry_failed

bp = Blueprint("gdx_admin", __name__, template_folder="templates", url_prefix="/admin/gdx")

#: Statuses and outcomes in the page's language (the stored values are English codes).
STATUS_LABELS = {
    OutboxStatus.PENDING: _l("pending"),
    OutboxStatus.DELIVERED: _l("delivered"),
    OutboxStatus.FAILED: _l("failed"),
    DeliveryOutcome.RETRY: _l("to retry"),
    DeliveryOutcome.UNAUTHORISED: _l("unauthorised"),
}


@bp.context_processor
def _status_labels() -> dict[str, object]:
    return {"gdx_status": lambda value: str(STATUS_LABELS.get(value, value))}


class ConsumerForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every page here is for academy admins only."""


@bp.route("/consumers", methods=["GET", "POST"])
@commit_on_success
def consumers() -> ResponseReturnValue:
    form = ConsumerForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            created = create_consumer(form.name.data or "")
        except ConsumerError as error:
            flash(str(error), "error")
            status = 400
        else:
            record_audit(
                "gdx_consumer.create",
                target_type="gdx_consumer",
                target_id=created.consumer.key,
                details={"name": created.consumer.name},
            )
    elif form.is_submitted():
        status = 400
    return render_template(
        "gdx/consumers.html", form=form, consumers=list_consumers(), created=created, revoke_form=CsrfForm()
    ), status


@bp.post("/consumers/<key>/revoke")
@commit_on_success
def revoke(key: str) -> ResponseReturnValue:
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        consumer = revoke_consumer(key)
    except ConsumerError:
        abort(404)
    record_audit("gdx_consumer.revoke", target_type="gdx_consumer", target_id=key, details={"name": consumer.name})
    flash(_("Consumer %(name)s is revoked: its tokens no longer work.", name=consumer.name), "success")
    return redirect(url_for("gdx_admin.consumers"))


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    status_arg = request.args.get("status", "").strip()
    status = OutboxStatus(status_arg) if status_arg in {s.value for s in OutboxStatus} else None
    agency = request.args.get("agency", "").strip()[:20]
    query = select(GdxOutboxEntry).order_by(GdxOutboxEntry.id.desc())
    if status is not None:
        query = query.where(GdxOutboxEntry.status == status)
    if agency:
        query = query.where(GdxOutboxEntry.agency_code == agency)
    page = paginate(query, 50)
    runs = db.session.scalars(select(GdxPushRun).order_by(GdxPushRun.id.desc()).limit(10)).all()
    attempts = db.session.scalars(select(GdxDelivery).order_by(GdxDelivery.id.desc()).limit(20)).all()
    return render_template(
        "gdx/deliveries.html",
        page=page,
        runs=runs,
        attempts=attempts,
        statuses=list(OutboxStatus),
        status=status.value if status else "",
        agency=agency,
        form=CsrfForm(),
    )


@bp.get("/deliveries/<int:entry_id>")
def entry(entry_id: int) -> ResponseReturnValue:
    found = db.session.get(GdxOutboxEntry, entry_id)
    if found is None:
        abort(404)
    attempts = db.session.scalars(
        select(GdxDelivery).where(GdxDelivery.outbox_id == found.id).order_by(GdxDelivery.attempt)
    ).all()
    return render_template("gdx/entry.html", entry=found, attempts=attempts)


@bp.post("/deliveries/retry-failed")
@commit_on_success
def retry() -> ResponseReturnValue:
    if not CsrfForm().validate_on_submit():
        abort(400)
    count = retry_failed(datetime.now(UTC))
    record_audit("gdx_outbox.retry_failed", target_type="gdx_outbox", details={"entries": count})
    flash(_("%(count)s failed records will be sent again by the next push.", count=count), "success")
    return redirect(url_for("gdx_admin.deliveries"))
