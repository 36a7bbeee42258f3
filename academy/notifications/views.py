"""The reader's pages: the list (paginated, mark read, mark all read) and the email preferences."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.dates import utcnow
from academy.inputs import paginate
from academy.notifications import services
from academy.transactions import commit_on_success

bp = Blueprint("notifications", __name__, template_folder="templates")

PER_PAGE = 20


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    page = paginate(services.notifications_query(current_user.id), PER_PAGE)
    messages = services.describe(page.items)
    links = {nid: services.link_of(message) for nid, message in messages.items()}
    return render_template("notifications/index.html", page=page, messages=messages, links=links)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
@commit_on_success
def read(notification_id: int) -> ResponseReturnValue:
    notification = services.own_notification(current_user.id, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification, utcnow())
    if request.form.get("open"):
        message = services.describe([notification]).get(notification.id)
        link = services.link_of(message) if message else None
        if link:
            return redirect(link)
    return redirect(url_for("notifications.index", page=request.form.get("page", type=int) or 1))


@bp.post("/notifications/read-all")
@login_required
@commit_on_success
def read_all() -> ResponseReturnValue:
    count = services.mark_all_read(current_user.id, utcnow())
    flash(_("%(count)s notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
@commit_on_success
def preferences() -> ResponseReturnValue:
    if request.method == "POST":
        services.set_email_choices(current_user.id, set(request.form.getlist("email")))
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    kinds = services.receivable_kinds(current_user.id)
    return render_template(
        "notifications/preferences.html", kinds=kinds, choices=services.email_choices(current_user.id, kinds)
    )
