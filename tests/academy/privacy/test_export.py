"""*My data*: the ZIP holds every registered table as JSON and CSV, with a README; only the person's own."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from academy.privacy import export as export_module
from academy.privacy.export import data_subject, export_tables, exportable_columns, stream_export
from competencies.models import Competency
from competencies.services.evidence import record_self_assessment
from tests.support.competencies import ACTIVITY
from tests.support.lrs import Xapi, statement


def completed(mbox: str, **overrides: object) -> dict[str, object]:
    return statement(
        actor={"objectType": "Agent", "mbox": f"mailto:{mbox}"},
        object={"objectType": "Activity", "id": ACTIVITY},
        **overrides,
    )


@pytest.fixture
def learner(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person], make_user: Callable[..., User]
) -> User:
    person = make_person(make_agency(), first_name_en="Malee", email="malee@example.go.th")
    add_identifier(person, IdentifierKind.MBOX, "mailto:malee@example.go.th")
    return make_user(Role.LEARNER, person=person, email="malee.user@example.go.th")


def unzip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, object]]:
    return json.loads(archive.read(f"{name}.json"))


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))


def test_my_data_holds_every_table_as_json_and_csv_with_a_readme(
    xapi: Xapi,
    aligned: Competency,
    learner: User,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    sign_in: Callable[[User], FlaskClient],
) -> None:
    other = make_person(make_agency())
    add_identifier(other, IdentifierKind.MBOX, "mailto:other@example.go.th")
    assert learner.person is not None
    record_self_assessment(learner.person.id, aligned.id, 1)
    sent = [completed("malee@example.go.th"), completed("malee@example.go.th"), completed("other@example.go.th")]
    ids = xapi("POST", "/xapi/statements", json_body=sent).get_json()

    response = sign_in(learner).get("/me/data.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip" and response.headers["Cache-Control"] == "no-store"
    archive = unzip(response.get_data())
    names = set(archive.namelist())
    assert {"README.txt", "counts.json"} <= names
    for table in export_tables():
        assert {f"{table.name}.json", f"{table.name}.csv"} <= names
    readme = archive.read("README.txt").decode()
    assert "ข้อมูลของฉัน" in readme and "My data" in readme and "xapi_statements" in readme

    statements = rows(archive, "xapi_statements")
    assert [s["id"] for s in statements] == ids[:2]  # mine, not the other person's
    assert statements[0]["statement"]["actor"] == {"objectType": "Agent", "mbox": "mailto:malee@example.go.th"}
    assert statements[0]["statement"]["stored"]  # as stored, with stored and authority
    assert [r["id"] for r in csv_rows(archive, "xapi_statements")] == ids[:2]

    [profile] = rows(archive, "profile")
    assert profile["first_name_en"] == "Malee" and profile["public_id"] == str(learner.person.public_id)
    assert not [key for key in profile if "hash" in key or "citizen" in key]
    [account] = rows(archive, "account")
    assert account["email"] == "malee.user@example.go.th" and "password_hash" not in account
    assert {r["key"] for r in rows(archive, "identifiers")} == {i.key for i in learner.person.identifiers}
    sources = sorted(r["source"] for r in rows(archive, "evidence"))
    assert sources == ["self_assessment", "statement", "statement"]
    assert [r["level"] for r in rows(archive, "self_assessments")] == [1]
    assert [r["competency_code"] for r in rows(archive, "attainment")] == ["DG-01"]
    assert json.loads(archive.read("counts.json"))["xapi_statements"] == 2
    # The sign-in and the export itself are audit entries about the person.
    actions = {r["action"] for r in rows(archive, "audit_entries")}
    assert "auth.login" in actions
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "privacy.export", AuditEntry.target_id == str(learner.person.public_id)
        )
    )


def test_someone_elses_actions_appear_without_their_address(
    learner: User, make_user: Callable[..., User], app: Flask
) -> None:
    from academy.audit.services import record_audit

    assert learner.person is not None
    officer = make_user(Role.HR_OFFICER, agencies=(learner.person.agency,), email="officer@example.go.th")
    record_audit(
        "person.note", target_type="person", target_id=learner.person.public_id, actor=officer.email, user_id=officer.id
    )
    with app.test_request_context():
        data = b"".join(stream_export(data_subject(learner.person), datetime.now(UTC)))
    archive = unzip(data)
    [entry] = [r for r in rows(archive, "audit_entries") if r["action"] == "person.note"]
    assert (
        entry["actor"] == "academy staff" and "officer@example.go.th" not in archive.read("audit_entries.json").decode()
    )


def test_the_zip_leaves_in_chunks_as_it_is_written(
    learner: User, xapi: Xapi, monkeypatch: pytest.MonkeyPatch, app: Flask
) -> None:
    xapi("POST", "/xapi/statements", json_body=[completed("malee@example.go.th") for _ in range(60)])
    monkeypatch.setattr(export_module, "_FLUSH_BYTES", 1024)
    assert learner.person is not None
    with app.test_request_context():
        chunks = list(stream_export(data_subject(learner.person), datetime.now(UTC)))
    assert len(chunks) > 5 and max(len(c) for c in chunks) < 64 * 1024
    assert len(rows(unzip(b"".join(chunks)), "xapi_statements")) == 60


def test_withheld_columns_never_leave(learner: User) -> None:
    assert "password_hash" not in exportable_columns(learner)
    assert "email" in exportable_columns(learner)


def test_my_data_is_for_people_only(
    make_user: Callable[..., User], sign_in: Callable[[User], FlaskClient], client: FlaskClient
) -> None:
    admin_without_person = sign_in(make_user(Role.ADMIN))
    assert admin_without_person.get("/me/data").status_code == 403
    assert admin_without_person.get("/me/data.zip").status_code == 403
    assert client.get("/me/data.zip").status_code == 302  # to sign-in


def test_the_page_lists_the_tables_in_the_readers_language(
    learner: User, sign_in: Callable[[User], FlaskClient]
) -> None:
    client = sign_in(learner)
    page = client.get("/me/data").get_data(as_text=True)
    assert "xapi_statements" in page and "/me/data.zip" in page
