"""moveOn, the LMS's satisfied statements for blocks and the course, abandoned, waived, completion."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from academy.db import db
from competencies.models import Alignment, Evidence, Framework
from competencies.services.frameworks import seed_standard
from courses.cmi5.models import AuState, BlockState, Cmi5Course
from courses.cmi5.services.launch import LaunchError, start_registration, waive_au
from courses.models import Course, Enrolment, EnrolmentStatus
from tests.courses.cmi5.au import CMI5, Au
from tests.support.cmi5 import au, aus_of, block, statements_of, structure, verbs_of
from tests.support.competencies import competency

SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


def one_unit(move_on: str) -> str:
    return structure(block("block/1", au("au/1", attrs=f'moveOn="{move_on}"')))


def run(player: Au, *verbs: str) -> None:
    player.start()
    for verb in verbs:
        player.expect(
            player.send({"completed": player.completed, "passed": player.passed, "failed": player.failed}[verb]()), 204
        )
    player.expect(player.send(player.terminated()), 204)
    db.session.expire_all()  # the requests changed the enrolment in sessions of their own


@pytest.mark.parametrize(
    ("move_on", "verbs", "satisfied"),
    [
        ("Passed", ["passed"], True),
        ("Passed", ["completed"], False),
        ("Passed", ["failed"], False),
        ("Completed", ["completed"], True),
        ("Completed", ["passed"], False),
        ("CompletedAndPassed", ["completed"], False),
        ("CompletedAndPassed", ["passed"], False),
        ("CompletedAndPassed", ["passed", "completed"], True),
        ("CompletedOrPassed", ["completed"], True),
        ("CompletedOrPassed", ["passed"], True),
        ("CompletedOrPassed", ["failed"], False),
    ],
)
def test_move_on(
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    launch: Callable[..., Au],
    move_on: str,
    verbs: list[str],
    satisfied: bool,
) -> None:
    enrolment = enrol(make_cmi5(one_unit(move_on)))
    run(launch(enrolment), *verbs)
    expected = ["launched", "initialized", *verbs] + (["satisfied", "satisfied"] if satisfied else []) + ["terminated"]
    assert verbs_of(enrolment) == expected
    assert (enrolment.status is EnrolmentStatus.COMPLETED) is satisfied
    state = db.session.get(AuState, (enrolment.id, aus_of(enrolment.course)[0].id))
    assert state is not None and (state.satisfied_at is not None) is satisfied


def test_completed_and_passed_across_two_sessions(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5(one_unit("CompletedAndPassed")))
    run(launch(enrolment), "completed")
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS
    run(launch(enrolment), "passed")
    assert verbs_of(enrolment)[-4:] == ["passed", "satisfied", "satisfied", "terminated"]
    assert enrolment.status is EnrolmentStatus.COMPLETED


def test_not_applicable_is_satisfied_at_the_registration_start(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5(one_unit("NotApplicable")))
    assert start_registration(enrolment) is True
    assert start_registration(enrolment) is False
    assert verbs_of(enrolment) == ["satisfied", "satisfied"]
    assert enrolment.status is EnrolmentStatus.COMPLETED
    run(launch(enrolment))
    assert verbs_of(enrolment) == ["satisfied", "satisfied", "launched", "initialized", "terminated"]


def test_satisfied_statements_for_block_and_course(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    course = make_cmi5(one_unit("CompletedAndPassed"))
    enrolment = enrol(course)
    player = launch(enrolment)
    run(player, "passed", "completed")
    statements = statements_of(enrolment)
    block_satisfied, course_satisfied = statements[4], statements[5]
    package = db.session.get(Cmi5Course, course.id)
    assert package is not None
    for statement, kind, publisher in (
        (block_satisfied, "block", f"{'https://publisher.example/cmi5'}/block/1"),
        (course_satisfied, "course", package.publisher_id),
    ):
        assert statement["verb"]["id"] == SATISFIED
        assert statement["object"]["definition"]["type"] == CMI5 + f"activitytype/{kind}"
        assert statement["object"]["id"] != publisher
        assert statement["actor"]["account"] == player.actor["account"]
        context = statement["context"]
        assert context["registration"] == str(enrolment.registration)
        assert context["extensions"][CMI5 + "context/extensions/sessionid"] == player.session_id
        assert publisher in {a["id"] for a in context["contextActivities"]["grouping"]}
        assert CMI5 + "context/categories/cmi5" in {a["id"] for a in context["contextActivities"]["category"]}
    assert course_satisfied["object"]["id"] == course.activity_iri


def test_blocks_and_course_are_satisfied_when_all_their_units_are(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    xml = structure(
        block(
            "block/outer",
            block("block/inner", au("au/1", attrs='moveOn="Completed"')),
            au("au/2", attrs='moveOn="Completed"'),
        ),
        au("au/3", attrs='moveOn="Passed"'),
    )
    course = make_cmi5(xml)
    enrolment = enrol(course)
    first, second, third = aus_of(course)

    run(launch(enrolment, first), "completed")
    assert verbs_of(enrolment)[-2:] == ["satisfied", "terminated"]  # the inner block only
    assert enrolment.progress == 33

    run(launch(enrolment, second), "completed")
    assert verbs_of(enrolment)[-2:] == ["satisfied", "terminated"]  # the outer block
    assert enrolment.progress == 67 and enrolment.status is EnrolmentStatus.IN_PROGRESS

    run(launch(enrolment, third), "passed")
    assert verbs_of(enrolment)[-3:] == ["passed", "satisfied", "terminated"]  # the course
    satisfied = [s["object"]["id"] for s in statements_of(enrolment) if s["verb"]["id"] == SATISFIED]
    blocks = {b.block_id for b in db.session.scalars(select(BlockState).where(BlockState.enrolment_id == enrolment.id))}
    assert len(satisfied) == 3 and len(set(satisfied)) == 3 and len(blocks) == 2
    assert satisfied[-1] == course.activity_iri
    assert "/cmi5/blocks/" in satisfied[0] and "/cmi5/blocks/" in satisfied[1]
    assert enrolment.status is EnrolmentStatus.COMPLETED and enrolment.progress == 100
    assert enrolment.completed_at is not None


def test_abandoned_when_launched_again(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5(one_unit("CompletedOrPassed")))
    first = launch(enrolment)
    first.start()
    first.expect(first.send(first.allowed()), 204)
    second = launch(enrolment)
    assert verbs_of(enrolment) == ["launched", "initialized", "experienced", "abandoned", "launched"]
    abandoned = statements_of(enrolment)[3]
    assert abandoned["verb"]["id"] == "https://w3id.org/xapi/adl/verbs/abandoned"
    assert abandoned["object"]["id"] == first.activity_id
    assert abandoned["actor"]["account"] == first.actor["account"]
    assert abandoned["context"]["registration"] == first.registration
    assert abandoned["context"]["extensions"][CMI5 + "context/extensions/sessionid"] == first.session_id
    assert "duration" in abandoned["result"]
    assert CMI5 + "context/categories/cmi5" in {a["id"] for a in abandoned["context"]["contextActivities"]["category"]}
    # No statement is recorded for an abandoned session: its credentials are dead.
    first.expect(first.send(first.allowed()), 401)
    assert first.xapi("GET", "/activities/state", first.state_params("LMS.LaunchData")).status_code == 401
    second.start()
    assert second.session_id != first.session_id


def test_waived(make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]) -> None:
    course = make_cmi5(one_unit("CompletedOrPassed"))
    enrolment = enrol(course)
    player = launch(enrolment)
    run(player)
    unit = aus_of(course)[0]
    waive_au(enrolment, unit, "Administrative")
    waived, satisfied_block, satisfied_course = statements_of(enrolment)[3:]
    assert waived["verb"]["id"] == "https://w3id.org/xapi/adl/verbs/waived"
    assert waived["result"]["extensions"][CMI5 + "result/extensions/reason"] == "Administrative"
    assert waived["result"]["success"] is True and waived["result"]["completion"] is True
    categories = {a["id"] for a in waived["context"]["contextActivities"]["category"]}
    assert categories == {CMI5 + "context/categories/cmi5", CMI5 + "context/categories/moveon"}
    assert waived["object"]["id"] == player.activity_id and waived["context"]["registration"] == player.registration
    waive_session = waived["context"]["extensions"][CMI5 + "context/extensions/sessionid"]
    assert waive_session != player.session_id
    assert satisfied_block["verb"]["id"] == satisfied_course["verb"]["id"] == SATISFIED
    assert satisfied_block["context"]["extensions"][CMI5 + "context/extensions/sessionid"] == waive_session
    assert enrolment.status is EnrolmentStatus.COMPLETED
    with pytest.raises(LaunchError, match="already waived"):
        waive_au(enrolment, unit, "Administrative")


def test_a_satisfied_unit_is_not_waived(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    enrolment = enrol(make_cmi5(one_unit("Completed")))
    run(launch(enrolment), "completed")
    with pytest.raises(LaunchError, match="already met"):
        waive_au(enrolment, aus_of(enrolment.course)[0], "Tested Out")


def test_the_course_satisfied_is_evidence_of_its_alignments(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au], learner: object
) -> None:
    framework: Framework = seed_standard()
    course = make_cmi5(one_unit("Completed"))
    target = competency(framework, "DG-01")
    db.session.add(Alignment(activity_id=course.activity_iri, competency_id=target.id, level=2))
    db.session.flush()
    enrolment = enrol(course)
    run(launch(enrolment), "completed")
    evidence = db.session.scalars(select(Evidence).where(Evidence.person_id == enrolment.person_id)).all()
    assert [(e.competency_id, e.level, e.activity_id) for e in evidence] == [(target.id, 2, course.activity_iri)]
