"""rebuild-projections leaves what the cmi5 flow made of an enrolment as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from academy.db import db
from courses.cmi5.models import AuState, BlockState, Registration
from courses.models import Course, Enrolment, EnrolmentStatus
from tests.courses.cmi5.au import Au
from tests.support.cmi5 import au, block, structure

TWO_UNITS = structure(
    block("block/1", au("au/1", attrs='moveOn="Completed"'), au("au/2", attrs='moveOn="Passed"')),
)


def play(player: Au, verb: str) -> None:
    player.start()
    player.expect(player.send(player.completed() if verb == "completed" else player.passed()), 204)
    player.expect(player.send(player.terminated()), 204)
    db.session.expire_all()  # the requests changed the enrolment in sessions of their own


def cmi5_state(enrolment: Enrolment) -> dict[str, Any]:
    """The enrolment and its registration's AU, block and course satisfaction, as comparable values."""
    db.session.expire_all()
    registration = db.session.get(Registration, enrolment.id)
    assert registration is not None
    return {
        "enrolment": (enrolment.status, enrolment.progress, enrolment.completed_at),
        "registration": (registration.started_at, registration.satisfied_at),
        "aus": {
            (s.au_id, s.completed_at, s.passed_at, s.failed_at, s.waived_at, s.satisfied_at)
            for s in db.session.scalars(select(AuState).where(AuState.enrolment_id == enrolment.id))
        },
        "blocks": {
            (s.block_id, s.satisfied_at)
            for s in db.session.scalars(select(BlockState).where(BlockState.enrolment_id == enrolment.id))
        },
    }


def test_rebuild_keeps_cmi5_enrolments(
    app: Flask,
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    launch: Callable[..., Au],
    make_person: Callable[..., Any],
) -> None:
    course = make_cmi5(TWO_UNITS)
    done = enrol(course)
    play(launch(done, 0), "completed")
    play(launch(done, 1), "passed")
    halfway = enrol(course, make_person(done.person.agency))
    play(launch(halfway, 0), "completed")
    before = {enrolment.id: cmi5_state(enrolment) for enrolment in (done, halfway)}
    assert before[done.id]["enrolment"][:2] == (EnrolmentStatus.COMPLETED, 100)
    assert before[done.id]["registration"][1] is not None and len(before[done.id]["blocks"]) == 1
    assert before[halfway.id]["enrolment"][:2] == (EnrolmentStatus.IN_PROGRESS, 50)

    result = app.test_cli_runner().invoke(args=["academy", "rebuild-projections"])

    assert result.exit_code == 0, result.output
    assert {enrolment.id: cmi5_state(enrolment) for enrolment in (done, halfway)} == before
    assert "2 cmi5 registrations replayed" in result.output


def test_rebuild_recomputes_cmi5_enrolments_from_statements(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> None:
    from courses.cmi5.services.satisfaction import rebuild_cmi5_satisfaction

    enrolment = enrol(make_cmi5(TWO_UNITS))
    play(launch(enrolment, 0), "completed")
    play(launch(enrolment, 1), "passed")
    before = cmi5_state(enrolment)
    # What a lost projection would look like: the results and the enrolment's state gone.
    for state in db.session.scalars(select(AuState).where(AuState.enrolment_id == enrolment.id)):
        state.completed_at = state.passed_at = state.satisfied_at = None
    enrolment.status, enrolment.progress, enrolment.completed_at = EnrolmentStatus.ENROLLED, 0, None
    db.session.flush()

    assert rebuild_cmi5_satisfaction() == 1

    after = cmi5_state(enrolment)
    assert after["enrolment"] == before["enrolment"]
    assert after["registration"] == before["registration"] and after["blocks"] == before["blocks"]
    # The results come back as the statements have them; each AU satisfied at the result it needed.
    assert {s[:5] for s in after["aus"]} == {s[:5] for s in before["aus"]}
    assert {s[0]: s[5] == (s[1] or s[2]) for s in after["aus"]} == {s[0]: True for s in before["aus"]}
