"""cmi5 pages and endpoints: the learner's course structure with Launch buttons, the launch,
the AU's one-time fetch URL, the package files, and the admins' package import."""

from __future__ import annotations

import posixpath
import uuid
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, DecimalField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.permissions import admin_required, can_administer, people_scope
from academy.db import db
from academy.forms import CsrfForm, Form
from academy.i18n import current_locale
from academy.org.models import Person
from academy.org.services import get_person
from academy.transactions import commit_on_success
from courses.cmi5.models import Block, Cmi5Course, LaunchMode
from courses.cmi5.package import PackageError
from courses.cmi5.services.importer import (
    ImportOptions,
    get_au,
    get_file,
    import_package,
    members_by_parent,
    structure_of,
)
from courses.cmi5.services.launch import (
    WAIVE_REASONS,
    LaunchError,
    abandon_session,
    check_launch_mode,
    fetch_auth_token,
    launch_au,
    launch_modes,
    session_of_content_token,
    waive_au,
)
from courses.cmi5.services.registrations import (
    au_status,
    cmi5_enrolments,
    open_session,
    unit_statuses,
)
from courses.cmi5.services.satisfaction import au_states
from courses.cmi5.storage import file_path
from courses.models import Course, CourseKind, CourseStatus, Enrolment

bp = Blueprint("cmi5", __name__, template_folder="templates")

#: The launch service's reasons (English, as the API and logs give them) as the pages say them.
LAUNCH_MESSAGES = {
    "the AU is not part of the enrolment's course": _l("The unit is not part of this course."),
    "the AU is already waived in this registration": _l("The unit is already waived for this learner."),
    "the AU's moveOn criteria are already met: there is nothing to waive": _l(
        "The unit is already done: there is nothing to waive."
    ),
    "Browse mode is not offered here: the course does not allow Browse": _l("This course does not offer Browse mode."),
    "Review mode is not offered here: the unit is not done yet": _l("Review opens once the unit is done."),
}


def launch_message(error: Exception) -> str:
    """A launch or waiver refusal in the page's language (the generic one for a reason not listed)."""
    message = LAUNCH_MESSAGES.get(str(error))
    return str(message) if message is not None else _("The unit cannot be opened or waived: %(reason)s", reason=error)


#: Package content is the package's own, not ours: it runs sandboxed (an opaque origin, so
#: no access to the learner's session), may use inline script and style as authoring tools
#: do, and talks to our LRS by CORS.
_CONTENT_POLICY = (
    "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals allow-downloads; "
    "default-src {self} data: blob:; script-src {self} 'unsafe-inline' 'unsafe-eval'; "
    "style-src {self} 'unsafe-inline'; img-src {self} data: blob: https:; media-src {self} blob: https:; "
    "connect-src {self}; frame-ancestors 'self'; base-uri {self}"
)


MODE_LABELS = {
    LaunchMode.NORMAL: _l("Launch"),
    LaunchMode.REVIEW: _l("Review"),
    LaunchMode.BROWSE: _l("Browse"),
}

STATUS_LABELS = {
    "not_started": _l("Not started"),
    "completed": _l("Completed"),
    "passed": _l("Passed"),
    "failed": _l("Failed, try again"),
    "satisfied": _l("Done"),
    "waived": _l("Waived"),
}


class ImportForm(Form):
    package = FileField(_l("Package (ZIP or cmi5.xml)"), validators=[FileRequired()])
    code = StringField(_l("Course code"), validators=[DataRequired(), Length(max=50)])
    provider = StringField(_l("Provider"), default="E-Workforce Academy", validators=[DataRequired(), Length(max=255)])
    hours = DecimalField(_l("Hours"), default=Decimal("1"), places=1, validators=[NumberRange(min=0.1, max=9999)])
    publish = BooleanField(_l("Publish now"))
    allow_browse = BooleanField(_l("Learners may browse its units (nothing recorded)"))


def _locale() -> str:
    return current_locale()


def _cmi5_course(code: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.code == code, Course.kind == CourseKind.CMI5))
    if course is None:
        abort(404)
    return course


def _own_enrolment(course: Course) -> Enrolment | None:
    person = current_user.person
    if person is None:
        return None
    return db.session.scalar(
        select(Enrolment).where(Enrolment.person_id == person.id, Enrolment.course_id == course.id)
    )


# --- the learner's course page and launch ---------------------------------------------------


@bp.get("/courses/<code>/cmi5")
@login_required
def course(code: str) -> ResponseReturnValue:
    course = _cmi5_course(code)
    if course.status is not CourseStatus.PUBLISHED and not can_administer(current_user):
        abort(404)
    enrolment = _own_enrolment(course)
    blocks, aus = structure_of(course)
    states = au_states(enrolment) if enrolment else {}
    status = {au.id: au_status(au, states.get(au.id)) for au in aus}
    modes = {au.id: launch_modes(au, states.get(au.id)) for au in aus}
    return render_template(
        "cmi5/course.html",
        course=course,
        package=db.session.get(Cmi5Course, course.id),
        enrolment=enrolment,
        children=members_by_parent(blocks, aus),
        status=status,
        modes=modes,
        mode_labels=MODE_LABELS,
        status_labels=STATUS_LABELS,
        form=CsrfForm(),
        locale=_locale(),
        is_block=lambda node: isinstance(node, Block),
    )


@bp.post("/courses/<code>/cmi5/aus/<uuid:key>/launch")
@login_required
@commit_on_success
def launch(code: str, key: uuid.UUID) -> ResponseReturnValue:
    course = _cmi5_course(code)
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    if course.status is not CourseStatus.PUBLISHED:
        abort(404)
    enrolment = _own_enrolment(course)
    if enrolment is None:
        abort(403, description=_("Enrol in the course before launching its units."))
    au = get_au(course, key)
    if au is None:
        abort(404)
    try:
        mode = LaunchMode(request.form.get("mode", LaunchMode.NORMAL.value))
    except ValueError:
        abort(400, description=_("Unknown launch mode."))
    try:
        check_launch_mode(enrolment, au, mode)
        launched = launch_au(enrolment, au, mode, language=_locale())
    except LaunchError as error:
        abort(400, description=launch_message(error))
    # A redirect of this window suits both launch methods (cmi5 8.1: OwnWindow may redirect).
    return redirect(launched.url, code=303)


# --- what the AU calls ------------------------------------------------------------------------


@bp.route("/cmi5/fetch/<token>", methods=["POST", "OPTIONS"])
def fetch(token: str) -> ResponseReturnValue:
    """The one-time fetch URL (cmi5 8.2): the session's auth token, then an error each later time."""
    if request.method == "OPTIONS":
        response = Response(status=204)
    else:
        answer = fetch_auth_token(token)
        # Not commit_on_success: the token is spent whatever the answer says, an error included.
        db.session.commit()
        response = jsonify(answer.body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/courses/<code>/cmi5/content/<path:path>")
@login_required
def content(code: str, path: str) -> ResponseReturnValue:
    """A file of the course's package, for a signed-in user who may see the course."""
    course = _cmi5_course(code)
    if course.status is not CourseStatus.PUBLISHED and not can_administer(current_user):
        abort(404)
    return _package_file(course, path)


@bp.get("/cmi5/content/<token>/<path:path>")
def session_content(token: str, path: str) -> ResponseReturnValue:
    """A file of a launched AU's package: the AU's page runs sandboxed, without the learner's
    cookie, so it and its own requests carry the session's content token in the path."""
    session = session_of_content_token(token)
    if session is None:
        abort(404)
    response = _package_file(session.au.course, path)
    # The sandboxed page's origin is opaque: its fonts (and fetches) are cross-origin requests.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _package_file(course: Course, path: str) -> Response:
    normal = posixpath.normpath(path)
    if normal.startswith("../") or normal == "..":
        abort(404)
    stored = get_file(course, normal)
    if stored is None or not file_path(stored).is_file():
        abort(404)
    response = send_file(file_path(stored), mimetype=stored.content_type, conditional=True, max_age=300)
    origin = request.host_url.rstrip("/")
    response.headers["Content-Security-Policy"] = _CONTENT_POLICY.format(self=f"'self' {origin}")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- a learner's registrations, for admins and HR officers -----------------------------------------

WAIVE_REASON_LABELS = {
    "Tested Out": _l("Tested out"),
    "Equivalent AU": _l("Equivalent unit"),
    "Equivalent Outside Activity": _l("Equivalent outside activity"),
    "Administrative": _l("Administrative"),
}


def _person_in_scope(public_id: uuid.UUID) -> Person:
    scope = people_scope(current_user)
    if scope == []:
        abort(403)
    person = get_person(public_id, scope)
    if person is None:
        # 404, not 403: another agency's people must not even be confirmed to exist.
        abort(404)
    return person


def _registration_in_scope(public_id: uuid.UUID, code: str) -> Enrolment:
    person = _person_in_scope(public_id)
    course = _cmi5_course(code)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.person_id == person.id, Enrolment.course_id == course.id)
    )
    if enrolment is None:
        abort(404)
    return enrolment


@bp.get("/people/<uuid:public_id>/cmi5")
@no_store
@login_required
def registrations(public_id: uuid.UUID) -> ResponseReturnValue:
    person = _person_in_scope(public_id)
    return render_template("cmi5/registrations.html", person=person, enrolments=cmi5_enrolments(person))


@bp.get("/people/<uuid:public_id>/cmi5/<code>")
@no_store
@login_required
def registration(public_id: uuid.UUID, code: str) -> ResponseReturnValue:
    enrolment = _registration_in_scope(public_id, code)
    return render_template(
        "cmi5/registration.html",
        enrolment=enrolment,
        person=enrolment.person,
        course=enrolment.course,
        units=unit_statuses(enrolment),
        session=open_session(enrolment),
        status_labels=STATUS_LABELS,
        reasons=WAIVE_REASON_LABELS,
        form=CsrfForm(),
        locale=_locale(),
    )


@bp.post("/people/<uuid:public_id>/cmi5/<code>/aus/<uuid:key>/waive")
@login_required
@commit_on_success
def waive(public_id: uuid.UUID, code: str, key: uuid.UUID) -> ResponseReturnValue:
    enrolment = _registration_in_scope(public_id, code)
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    au = get_au(enrolment.course, key) or abort(404)
    reason = request.form.get("reason", "")
    if reason not in WAIVE_REASONS:
        abort(400, description=_("Choose the reason for the waiver."))
    try:
        waive_au(enrolment, au, reason)
    except LaunchError as error:
        db.session.rollback()
        abort(409, description=launch_message(error))
    record_audit(
        "cmi5.waive",
        target_type="cmi5_registration",
        target_id=enrolment.registration,
        details={"person": str(enrolment.person.public_id), "course": code, "au": au.publisher_id, "reason": reason},
    )
    flash(_("Waived: %(title)s.", title=au.title_in(_locale())), "success")
    return redirect(url_for("cmi5.registration", public_id=public_id, code=code), code=303)


@bp.post("/people/<uuid:public_id>/cmi5/<code>/sessions/<uuid:key>/abandon")
@login_required
@commit_on_success
def abandon(public_id: uuid.UUID, code: str, key: uuid.UUID) -> ResponseReturnValue:
    enrolment = _registration_in_scope(public_id, code)
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    session = open_session(enrolment)
    if session is None or session.key != key:
        abort(409, description=_("That session has already ended."))
    abandon_session(session)
    record_audit(
        "cmi5.abandon",
        target_type="cmi5_registration",
        target_id=enrolment.registration,
        details={"person": str(enrolment.person.public_id), "course": code, "session": str(key)},
    )
    flash(_("The session was abandoned."), "success")
    return redirect(url_for("cmi5.registration", public_id=public_id, code=code), code=303)


# --- the admins' import ---------------------------------------------------------------------


@bp.route("/admin/cmi5/import", methods=["GET", "POST"])
@admin_required
@commit_on_success
def import_course() -> ResponseReturnValue:
    form = ImportForm()
    problems: list[str] = []
    imported: Course | None = None
    status = 200
    if form.validate_on_submit():
        upload = form.package.data
        data = upload.read()
        options = ImportOptions(
            code=(form.code.data or "").strip(),
            provider=form.provider.data or "",
            hours=form.hours.data or Decimal("1"),
            status=CourseStatus.PUBLISHED if form.publish.data else CourseStatus.DRAFT,
            allow_browse=bool(form.allow_browse.data),
        )
        try:
            imported = import_package(data, upload.filename or "package", options)
        except PackageError as error:
            db.session.rollback()
            problems, status = error.problems, 400
        else:
            record_audit(
                "cmi5.import",
                target_type="course",
                target_id=imported.code,
                details={"package": upload.filename, "bytes": len(data)},
            )
            flash(_("Imported %(code)s: %(title)s.", code=imported.code, title=imported.title(_locale())), "success")
    elif form.is_submitted():
        status = 400
    units = len(structure_of(imported)[1]) if imported else 0
    return render_template("cmi5/import.html", form=form, problems=problems, imported=imported, units=units), status
