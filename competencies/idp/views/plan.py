"""The official's plan: draft it from the gaps, plan goals and learning, and take the cycle's steps."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import parse_int
from academy.org.supervision import effective_supervisor
from academy.transactions import commit_on_success
from competencies.idp.models import GoalResult, Idp, IdpGoal, IdpLearning, LearningKind
from competencies.idp.permissions import allowed_actions, can_create, can_edit, can_transition, can_view
from competencies.idp.services.progress import idp_progress
from competencies.idp.services.workflow import (
    IdpError,
    add_goal,
    add_learning,
    create_idp,
    get_idp,
    remove_goal,
    remove_learning,
    transition,
    update_goal,
    versions_of,
)
from competencies.idp.views.blueprint import bp, date_field, fiscal_year_arg
from competencies.models import Competency, Framework
from competencies.services.coverage import person_gaps
from competencies.services.frameworks import active_standard, leaf_competencies


def _standard() -> Framework:
    framework = active_standard()
    if framework is None:
        abort(404, description=_("No skill standard is active yet."))
    return framework


def _idp_or_404(idp_id: int) -> Idp:
    """The plan, if the user may see it; 404 otherwise (others' plans are not confirmed to exist)."""
    idp = db.session.get(Idp, idp_id)
    if idp is None or not can_view(current_user, idp.person):
        abort(404)
    return idp


def _editable_or_403(idp: Idp) -> None:
    if not can_edit(current_user, idp):
        abort(403)


def _check_form() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))


def _back(idp: Idp) -> ResponseReturnValue:
    return redirect(url_for("idp.plan", idp_id=idp.id))


@bp.route("/me/idp", methods=["GET", "POST"])
@login_required
@commit_on_success
def mine() -> ResponseReturnValue:
    person = current_user.person
    if person is None:
        abort(403)
    fiscal_year = fiscal_year_arg()
    framework = _standard()
    existing = get_idp(person, fiscal_year)
    if request.method == "POST":
        _check_form()
        if not can_create(current_user, person):
            abort(403)
        if existing is not None:
            return _back(existing)
        idp = create_idp(person, fiscal_year, framework, current_user.id)
        flash(_("Your plan is drafted from your gaps. Check it, then submit it to your supervisor."), "success")
        return _back(idp)
    if existing is not None:
        return _back(existing)
    return render_template(
        "idp/start.html",
        person=person,
        fiscal_year=fiscal_year,
        gaps=[gap for gap in person_gaps(person, framework) if gap.gap],
        supervisor=effective_supervisor(person),
        form=CsrfForm(),
    )


@bp.get("/idp/<int:idp_id>")
@login_required
def plan(idp_id: int) -> ResponseReturnValue:
    from courses.services.catalogue import catalogue_query

    idp = _idp_or_404(idp_id)
    framework = _standard()
    progress = idp_progress(idp)
    chart = {
        "labels": [p.goal.competency.code for p in progress],
        "required": [p.goal.target_level for p in progress],
        "attained": [p.attained for p in progress],
        "max": max((lvl.level for lvl in framework.levels), default=4),
    }
    editable = can_edit(current_user, idp)
    return render_template(
        "idp/plan.html",
        idp=idp,
        person=idp.person,
        supervisor=effective_supervisor(idp.person),
        progress=progress,
        chart=chart,
        editable=editable,
        actions=allowed_actions(current_user, idp),
        versions=versions_of(idp),
        competencies=leaf_competencies(framework) if editable else [],
        levels=framework.levels,
        courses=db.session.scalars(catalogue_query()).all() if editable else [],
        kinds=list(LearningKind),
        results=list(GoalResult),
        form=CsrfForm(),
    )


@bp.post("/idp/<int:idp_id>/goals")
@login_required
@commit_on_success
def new_goal(idp_id: int) -> ResponseReturnValue:
    idp = _idp_or_404(idp_id)
    _check_form()
    _editable_or_403(idp)
    framework = _standard()
    competency = db.session.get(Competency, parse_int(request.form.get("competency"), 1) or 0)
    if competency is None or competency.framework_id != framework.id or competency.is_area:
        abort(400, description=_("Choose a competency of the standard."))
    level = _level(framework)
    try:
        add_goal(idp, competency, level, date_field("due_date"), current_user.id)
    except IdpError as error:
        abort(400, description=str(error))
    return _back(idp)


def _level(framework: Framework) -> int:
    top = max((lvl.level for lvl in framework.levels), default=1)
    level = parse_int(request.form.get("target_level"), 1, top)
    if level is None:
        abort(400, description=_("The target level must be a level of the standard's scale."))
    return level


def _goal_or_404(idp: Idp, goal_id: int) -> IdpGoal:
    goal = db.session.get(IdpGoal, goal_id)
    if goal is None or goal.idp_id != idp.id:
        abort(404)
    return goal


@bp.post("/idp/<int:idp_id>/goals/<int:goal_id>")
@login_required
@commit_on_success
def change_goal(idp_id: int, goal_id: int) -> ResponseReturnValue:
    idp = _idp_or_404(idp_id)
    _check_form()
    _editable_or_403(idp)
    goal = _goal_or_404(idp, goal_id)
    try:
        if request.form.get("delete"):
            remove_goal(goal, current_user.id)
        else:
            update_goal(goal, _level(_standard()), date_field("due_date"), current_user.id)
    except IdpError as error:
        abort(400, description=str(error))
    return _back(idp)


@bp.post("/idp/<int:idp_id>/goals/<int:goal_id>/learning")
@login_required
@commit_on_success
def new_learning(idp_id: int, goal_id: int) -> ResponseReturnValue:
    from courses.models import Course, CourseStatus

    idp = _idp_or_404(idp_id)
    _check_form()
    _editable_or_403(idp)
    goal = _goal_or_404(idp, goal_id)
    try:
        kind = LearningKind(request.form.get("kind", ""))
    except ValueError:
        abort(400, description=_("Choose what kind of learning it is."))
    course_id = None
    if kind is LearningKind.COURSE:
        course_id = db.session.scalar(
            select(Course.id).where(
                Course.id == (parse_int(request.form.get("course"), 1) or 0), Course.status == CourseStatus.PUBLISHED
            )
        )
        if course_id is None:
            abort(400, description=_("Choose a published course."))
    try:
        add_learning(
            goal,
            kind,
            current_user.id,
            course_id=course_id,
            activity_iri=request.form.get("activity_iri", "").strip() or None,
            description=request.form.get("description", "")[:2000],
            planned_on=date_field("planned_on"),
        )
    except IdpError as error:
        abort(400, description=str(error))
    return _back(idp)


@bp.post("/idp/<int:idp_id>/learning/<int:learning_id>/delete")
@login_required
@commit_on_success
def drop_learning(idp_id: int, learning_id: int) -> ResponseReturnValue:
    idp = _idp_or_404(idp_id)
    _check_form()
    _editable_or_403(idp)
    item = db.session.get(IdpLearning, learning_id)
    if item is None or item.goal.idp_id != idp.id:
        abort(404)
    remove_learning(item, current_user.id)
    return _back(idp)


@bp.post("/idp/<int:idp_id>/<any(submit, withdraw, return, agree, close):action>")
@login_required
@commit_on_success
def step(idp_id: int, action: str) -> ResponseReturnValue:
    idp = _idp_or_404(idp_id)
    _check_form()
    if not can_transition(current_user, idp, action):
        abort(403)
    results: dict[int, tuple[GoalResult, str]] = {}
    if action == "close":
        for goal in idp.goals:
            text = request.form.get(f"result-{goal.id}", "")
            if text:
                try:
                    results[goal.id] = (GoalResult(text), request.form.get(f"note-{goal.id}", "")[:2000])
                except ValueError:
                    abort(400, description=_("Unknown result."))
    try:
        transition(idp, action, current_user.id, request.form.get("comment", "")[:4000], results)
    except IdpError as error:
        abort(400, description=str(error))
    messages = {
        "submit": _("The plan is submitted to your supervisor."),
        "withdraw": _("The plan is back in draft."),
        "return": _("The plan is returned to the official with your comment."),
        "agree": _("The plan is agreed."),
        "close": _("The plan is closed with a result for each goal."),
    }
    flash(messages[action], "success")
    return _back(idp)
