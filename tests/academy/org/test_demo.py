"""The demo government: realistic, deterministic, accounts only in development."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from academy.auth.models import Role, User
from academy.extensions import db
from academy.org.demo import build_demo
from academy.org.models import Agency, AgencyKind, Person, PersonnelGroup
from tests.support.app import BASE_URL


def _snapshot() -> list[tuple[str, str, str, str]]:
    return [
        (str(p.public_id), p.employee_no, p.first_name_th, p.agency.code)
        for p in db.session.scalars(select(Person).order_by(Person.employee_no))
    ]


def test_demo_builds_twenty_ministries_and_their_departments() -> None:
    result = build_demo(people=2400, base_url=BASE_URL, password="demo-academy-2569")
    kinds = dict(db.session.execute(select(Agency.kind, func.count()).group_by(Agency.kind)).all())
    assert kinds[AgencyKind.MINISTRY] == 20
    assert 140 <= kinds[AgencyKind.DEPARTMENT] <= 170
    assert kinds[AgencyKind.DIVISION] > kinds[AgencyKind.DEPARTMENT]
    assert result.report.created == 2400
    departments = db.session.scalars(select(Agency.code).where(Agency.kind == AgencyKind.DEPARTMENT)).all()
    assert all(len(code) == 5 and code.isdigit() for code in departments)
    groups = dict(
        db.session.execute(select(Person.personnel_group, func.count()).group_by(Person.personnel_group)).all()
    )
    assert groups[PersonnelGroup.IT] > 0 and groups[PersonnelGroup.NON_IT] > groups[PersonnelGroup.IT]
    # Large enough for leaders: each department has an executive head and a CIO.
    assert db.session.scalar(select(func.count()).where(Person.is_cio)) == kinds[AgencyKind.DEPARTMENT]
    assert [email for email, _password, _name in result.accounts] == [
        "learner@demo.go.th",
        "hr@demo.go.th",
        "admin@demo.go.th",
    ]


def test_demo_is_deterministic() -> None:
    build_demo(people=50, base_url=BASE_URL, password=None)
    first = _snapshot()
    db.session.rollback()
    build_demo(people=50, base_url=BASE_URL, password=None)
    assert _snapshot() == first


def test_demo_accounts_meet_each_other(client: FlaskClient, login: Callable[..., FlaskClient]) -> None:
    build_demo(people=600, base_url=BASE_URL, password="demo-academy-2569")
    users = {u.email: u for u in db.session.scalars(select(User))}
    learner, hr = users["learner@demo.go.th"], users["hr@demo.go.th"]
    assert learner.person is not None and hr.roles == {Role.HR_OFFICER}
    login(hr, "demo-academy-2569")
    # The HR officer's department includes the demo learner.
    assert client.get(f"/people/{learner.person.public_id}").status_code == 200


def test_demo_cli_prints_accounts_only_in_development(app: Flask) -> None:
    app.config["ACADEMY_ENV"] = "development"
    try:
        output = app.test_cli_runner().invoke(args=["academy", "demo", "--people", "30"]).output
    finally:
        app.config["ACADEMY_ENV"] = "testing"
    assert "admin@demo.go.th" in output and "demo-academy-2569" in output
    again = app.test_cli_runner().invoke(args=["academy", "demo", "--if-empty"]).output
    assert "nothing done" in again


def test_demo_cli_outside_development_creates_no_accounts(app: Flask) -> None:
    output = app.test_cli_runner().invoke(args=["academy", "demo", "--people", "30"]).output
    assert "no demo accounts" in output and "demo-academy-2569" not in output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_if_empty_prints_the_accounts_every_time_in_development(app: Flask) -> None:
    runner = app.test_cli_runner()
    app.config["ACADEMY_ENV"] = "development"
    try:
        runner.invoke(args=["academy", "demo", "--people", "30"])
        again = runner.invoke(args=["academy", "demo", "--if-empty"])
    finally:
        app.config["ACADEMY_ENV"] = "testing"
    assert "nothing done" in again.output
    for email in ("learner@demo.go.th", "hr@demo.go.th", "admin@demo.go.th"):
        assert f"{email:22} password demo-academy-2569" in again.output
    assert "WARNING" not in again.stderr
    # Outside development, no accounts are printed.
    assert "demo-academy-2569" not in runner.invoke(args=["academy", "demo", "--if-empty"]).output


def test_demo_warns_when_the_platform_moved_from_the_address_its_learners_have(app: Flask) -> None:
    runner = app.test_cli_runner()
    app.config["ACADEMY_ENV"] = "development"
    try:
        runner.invoke(args=["academy", "demo", "--people", "30"])
        app.config["ACADEMY_BASE_URL"] = "http://127.0.0.1:5001"
        again = runner.invoke(args=["academy", "demo", "--if-empty"])
    finally:
        app.config["ACADEMY_ENV"] = "testing"
        app.config["ACADEMY_BASE_URL"] = BASE_URL
    assert "learner@demo.go.th" in again.output
    assert f"identified at {BASE_URL}, but the platform now runs at http://127.0.0.1:5001" in again.stderr


def test_national_demo_mixes_every_kind_of_state_personnel() -> None:
    from academy.org.models import PositionLevel, PositionType
    from academy.org.national import NATIONAL_MIX, NATIONAL_TOTAL, kind_counts

    people = 6000
    result = build_demo(people=people, base_url=BASE_URL, password=None, national=True)
    assert result.report.created == people and result.report.ok
    by_type = dict(
        db.session.execute(
            select(PositionType.code, func.count())
            .select_from(Person)
            .join(PositionLevel, PositionLevel.id == Person.position_level_id)
            .join(PositionType, PositionType.id == PositionLevel.position_type_id)
            .group_by(PositionType.code)
        ).all()
    )
    # Ordinary civil servants (types M, D, K, O) are 400 in every 3,000; each other kind has its share.
    civil = sum(by_type.get(code, 0) for code in "MDKO")
    assert civil == kind_counts(people)["civil"] == people * 400 // NATIONAL_TOTAL
    for kind, share, _where in NATIONAL_MIX:
        if kind != "civil":
            assert by_type[kind] == people * share // NATIONAL_TOTAL
    # Teachers work in the Ministry of Education, police under the Royal Thai Police (a root of its own).
    teachers = db.session.scalars(
        select(Agency.path)
        .join(Person, Person.agency_id == Agency.id)
        .join(PositionLevel, PositionLevel.id == Person.position_level_id)
        .where(PositionLevel.code.like("T%"))
    ).all()
    assert teachers and all(path.startswith("18/") for path in teachers)
    police = db.session.scalar(select(Agency).where(Agency.code == "25"))
    assert police is not None and police.parent_id is None
    police_paths = db.session.scalars(
        select(Agency.path)
        .join(Person, Person.agency_id == Agency.id)
        .join(PositionLevel, PositionLevel.id == Person.position_level_id)
        .where(PositionLevel.code.like("P%"))
    ).all()
    assert police_paths and all(path.startswith("25/") for path in police_paths)
    # Some of every kind are IT staff (police ICT, teachers' computer officers...): the target population grows.
    groups = dict(
        db.session.execute(select(Person.personnel_group, func.count()).group_by(Person.personnel_group)).all()
    )
    assert 0 < groups[PersonnelGroup.IT] < groups[PersonnelGroup.NON_IT] / 5


def test_national_demo_adds_field_units_at_scale() -> None:
    import random

    from academy.org.demo import SEED, build_agencies, department_weights
    from academy.org.national import PEOPLE_PER_AREA_UNIT, build_area_units, build_police, kind_counts

    rng = random.Random(SEED)
    departments = build_agencies(rng)
    people = 3_000_000
    weights = department_weights(rng, departments, kind_counts(people)["civil"])
    everywhere = departments + build_police()
    field = build_area_units(everywhere, {d.code: w for d, w in zip(departments, weights, strict=True)}, people)
    units = sum(len(codes) for codes in field.values())
    # About one field unit per 1,500 people; local government and the schools' teachers fill the most.
    assert people // PEOPLE_PER_AREA_UNIT * 0.9 <= units <= people // PEOPLE_PER_AREA_UNIT
    names = {d.code: d.name_en for d in everywhere}
    largest = sorted(field, key=lambda code: len(field[code]), reverse=True)[:2]
    assert [names[code] for code in largest] == [
        "Department of Local Administration",
        "Office of the Basic Education Commission",
    ]
    assert all(len(code) == 8 for codes in field.values() for code in codes)


def test_default_demo_has_civil_servants_only() -> None:
    from academy.org.models import PositionLevel, PositionType

    build_demo(people=300, base_url=BASE_URL, password=None)
    types = set(
        db.session.scalars(
            select(PositionType.code)
            .join(PositionLevel, PositionLevel.position_type_id == PositionType.id)
            .join(Person, Person.position_level_id == PositionLevel.id)
        )
    )
    assert types <= set("MDKO")
    assert db.session.scalar(select(func.count()).select_from(PositionType)) == 4
