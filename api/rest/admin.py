"""The admins' page of API tokens: list, create (the token is shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from academy.audit.services import record_audit
from academy.auth.permissions import admin_required
from academy.org.services import get_agency_by_code
from academy.transactions import commit_on_success
from api.rest.tokens import NewToken, TokenError, create_token, list_tokens, revoke_token

bp = Blueprint("api_tokens", __name__, template_folder="templates", url_prefix="/admin/api-tokens")


class TokenForm(FlaskForm):
    agency_code = StringField(_l("Agency code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name (the HR system that uses it)"), validators=[DataRequired(), Length(max=255)])


class RevokeForm(FlaskForm):
    pass


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every page here is for academy admins only."""


@bp.route("", methods=["GET", "POST"])
@commit_on_success
def tokens() -> ResponseReturnValue:
    form = TokenForm()
    created: NewToken | None = None
    status = 200
    if form.validate_on_submit():
        agency = get_agency_by_code((form.agency_code.data or "").strip())
        if agency is None:
            form.agency_code.errors = [_("No agency has this code.")]
            status = 400
        else:
            try:
                created = create_token(agency, form.name.data or "", created_by=current_user.email)
            except TokenError as error:
                form.name.errors = [str(error)]
                status = 400
            else:
                record_audit(
                    "api_token.create",
                    target_type="api_token",
                    target_id=created.token.prefix,
                    details={"agency": agency.code, "name": created.token.name},
                )
                form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 400
    return render_template(
        "api_rest/tokens.html", form=form, tokens=list_tokens(), created=created, revoke_form=RevokeForm()
    ), status


@bp.post("/<prefix>/revoke")
@commit_on_success
def revoke(prefix: str) -> ResponseReturnValue:
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        token = revoke_token(prefix)
    except TokenError:
        abort(404)
    record_audit("api_token.revoke", target_type="api_token", target_id=token.prefix, details={"name": token.name})
    flash(_("Token %(prefix)s revoked: it no longer works.", prefix=token.prefix), "success")
    return redirect(url_for("api_tokens.tokens"))
