"""The audit log reads as text (Thai as Thai, key: value), filters by day (BE on Thai pages) and pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient

from academy.audit.models import AuditEntry
from academy.audit.services import audit_query, detail_lines, record_audit
from academy.auth.models import Role, User
from academy.dates import parse_date
from academy.db import db

Login = Callable[[User], FlaskClient]


def test_details_become_key_value_lines() -> None:
    lines = detail_lines({"course": "DG101", "before": {"roles": ["learner"], "agencies": []}, "ok": True, "x": None})
    assert lines == [
        ("course", "DG101"),
        ("before.roles", "learner"),
        ("before.agencies", "—"),
        ("ok", "yes"),
        ("x", "—"),
    ]


def test_days_are_bangkok_days() -> None:
    # 23:30 UTC on 4 Dec is 06:30 on 5 Dec in Bangkok: it belongs to the 5th.
    entry = record_audit("test.day", actor="cli", details={})
    entry.created_at = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    db.session.flush()
    fifth, fourth = parse_date("05/12/2569"), parse_date("2026-12-04")
    ids = lambda query: [e.id for e in db.session.scalars(query)]  # noqa: E731
    assert entry.id in ids(audit_query("test.", since=fifth, until=fifth))
    assert entry.id not in ids(audit_query("test.", since=fourth, until=fourth))


def test_the_page_shows_thai_details_and_filters_by_buddhist_era_dates(
    make_user: Callable[..., User], login: Login
) -> None:
    entry = record_audit("test.thai", actor="cli", details={"name": "กรมทดสอบ", "rows": 3})
    entry.created_at = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    old = record_audit("test.old", actor="cli", details={"name": "เก่า"})
    old.created_at = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)
    db.session.flush()
    client = login(make_user(Role.ADMIN))
    page = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert "<dt>name</dt><dd>กรมทดสอบ</dd>" in page and "\\u0e01" not in page
    filtered = client.get("/admin/audit?action=test.&from=01/11/2569&to=30/11/2569").get_data(as_text=True)
    assert "กรมทดสอบ" in filtered and "เก่า" not in filtered
    assert 'value="01/11/2569"' in filtered  # shown back in BE
    assert client.get("/admin/audit?from=31/13/2569").status_code == 400
    assert db.session.query(AuditEntry).count() >= 2


def test_only_admins_read_the_log(make_user: Callable[..., User], login: Login) -> None:
    assert login(make_user(Role.LEARNER)).get("/admin/audit").status_code == 403
