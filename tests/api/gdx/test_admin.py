"""Admins' pages: consumers (secret shown once), and the outbox, runs and delivery log."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.dates import today
from academy.db import db
from academy.org.models import Agency
from api.gdx.models import GdxConsumer, GdxOutboxEntry, OutboxStatus
from api.gdx.services.outbox import enqueue_records
from tests.support.app import csrf_token


def test_only_admins_see_the_gdx_pages(
    client: FlaskClient,
    login: Callable[[User], FlaskClient],
    make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
) -> None:
    assert client.get("/admin/gdx/consumers").status_code == 302  # to the sign-in page
    login(make_user(Role.HR_OFFICER, agencies=(make_agency(),)))
    assert client.get("/admin/gdx/consumers").status_code == 403
    assert client.get("/admin/gdx/deliveries").status_code == 403


def test_an_admin_creates_a_consumer_and_sees_the_secret_once_then_revokes_it(
    client: FlaskClient, login: Callable[[User], FlaskClient], make_user: Callable[..., User]
) -> None:
    login(make_user(Role.ADMIN))
    token = csrf_token(client, "/admin/gdx/consumers")
    page = client.post("/admin/gdx/consumers", data={"name": "GDX (DGA)", "csrf_token": token})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    consumer = db.session.scalar(select(GdxConsumer).where(GdxConsumer.name == "GDX (DGA)"))
    assert consumer is not None
    codes = re.findall(r"<code>([^<]+)</code>", html)
    secret = next(s for s in codes if hashlib.sha256(s.encode()).hexdigest() == consumer.secret_hash)
    assert secret not in client.get("/admin/gdx/consumers").get_data(as_text=True)  # shown once
    missing_csrf = client.post(f"/admin/gdx/consumers/{consumer.key}/revoke")
    assert missing_csrf.status_code == 400 and consumer.active
    revoked = client.post(
        f"/admin/gdx/consumers/{consumer.key}/revoke", data={"csrf_token": csrf_token(client, "/admin/gdx/consumers")}
    )
    assert revoked.status_code == 302
    db.session.refresh(consumer)
    assert not consumer.active and consumer.revoked_at is not None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == consumer.key)).all()
    assert sorted(actions) == ["gdx_consumer.create", "gdx_consumer.revoke"]


def test_the_delivery_page_lists_the_outbox_and_requeues_failed_records(
    client: FlaskClient, login: Callable[[User], FlaskClient], make_user: Callable[..., User]
) -> None:
    now = datetime.now(UTC)
    records = [
        {"agency_code": code, "fiscal_year": 2569, "population": "it", "headcount": 9, "as_of": "x"}
        for code in ("81001", "81002")
    ]
    enqueue_records(records, None, today(), now)
    failed = db.session.scalars(select(GdxOutboxEntry).where(GdxOutboxEntry.agency_code == "81002")).one()
    failed.status, failed.last_status_code, failed.last_error = OutboxStatus.FAILED, 422, "HTTP 422 Unprocessable"
    db.session.commit()
    login(make_user(Role.ADMIN))
    html = client.get("/admin/gdx/deliveries").get_data(as_text=True)
    assert "81001" in html and "81002" in html and "HTTP 422 Unprocessable" in html
    only_failed = client.get("/admin/gdx/deliveries", query_string={"status": "failed"}).get_data(as_text=True)
    assert "81002" in only_failed and "81001" not in only_failed
    assert client.get(f"/admin/gdx/deliveries/{failed.id}").status_code == 200
    response = client.post(
        "/admin/gdx/deliveries/retry-failed", data={"csrf_token": csrf_token(client, "/admin/gdx/deliveries")}
    )
    assert response.status_code == 302
    db.session.refresh(failed)
    assert failed.status is OutboxStatus.PENDING
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "gdx_outbox.retry_failed")) is not None
