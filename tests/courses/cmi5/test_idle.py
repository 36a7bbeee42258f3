"""The sweep that abandons sessions an AU left open (``academy cmi5-abandon-idle``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.db import db
from courses.cmi5.models import LaunchSession
from courses.cmi5.services.launch import abandon_idle_sessions
from courses.cmi5.services.lms import now
from courses.models import Course, Enrolment
from tests.courses.cmi5.au import Au
from tests.support.cmi5 import verbs_of


def session_of(enrolment: Enrolment) -> LaunchSession:
    return db.session.scalars(select(LaunchSession).where(LaunchSession.enrolment_id == enrolment.id)).one()


def idle(player: Au, enrolment: Enrolment, hours: float) -> LaunchSession:
    """Make the session's last statement ``hours`` old."""
    session = session_of(enrolment)
    session.launched_at = now() - timedelta(hours=hours + 1)
    session.last_statement_at = now() - timedelta(hours=hours)
    db.session.flush()
    return session


@pytest.fixture
def three(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment], launch: Callable[..., Au]
) -> tuple[Enrolment, Enrolment, Enrolment]:
    """Three registrations of the learner, each with a started session: idle 25 h, idle 1 h, terminated 30 h ago."""
    enrolments = []
    for code in ("C5-IDLE", "C5-BUSY", "C5-DONE"):
        enrolment = enrol(make_cmi5(code=code))
        player = launch(enrolment)
        player.start()
        player.expect(player.send(player.allowed()), 204)
        if code == "C5-DONE":
            player.expect(player.send(player.terminated()), 204)
        enrolments.append(enrolment)
    idle(player, enrolments[0], 25)
    idle(player, enrolments[1], 1)
    done = idle(player, enrolments[2], 30)
    done.terminated_at = now() - timedelta(hours=30)
    db.session.flush()
    return enrolments[0], enrolments[1], enrolments[2]


def test_sessions_idle_past_the_limit_are_abandoned_once(three: tuple[Enrolment, Enrolment, Enrolment]) -> None:
    stale, busy, done = three
    assert abandon_idle_sessions(timedelta(hours=24)) == 1
    assert verbs_of(stale)[-1] == "abandoned"
    assert session_of(stale).abandoned_at is not None and not session_of(stale).is_open
    assert session_of(busy).is_open and verbs_of(busy)[-1] == "experienced"
    assert session_of(done).abandoned_at is None and verbs_of(done)[-1] == "terminated"
    assert abandon_idle_sessions(timedelta(hours=24)) == 0
    assert verbs_of(stale).count("abandoned") == 1


def test_the_command_uses_the_setting_or_its_option(
    app: Flask, three: tuple[Enrolment, Enrolment, Enrolment], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale, busy, _done = three
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "ACADEMY_CMI5_IDLE_HOURS", 48.0)
    result = runner.invoke(args=["academy", "cmi5-abandon-idle"])
    assert result.exit_code == 0, result.output
    assert "abandoned 0 cmi5 session(s) idle for more than 48 hours" in result.output
    result = runner.invoke(args=["academy", "cmi5-abandon-idle", "--idle-hours", "0.5"])
    assert "abandoned 2 cmi5 session(s) idle for more than 0.5 hours" in result.output
    assert verbs_of(stale)[-1] == verbs_of(busy)[-1] == "abandoned"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cmi5.abandon_idle")).one()
    assert entry.details == {"sessions": 2, "idle_hours": 0.5}
    assert runner.invoke(args=["academy", "cmi5-abandon-idle", "--idle-hours", "0"]).exit_code == 2
