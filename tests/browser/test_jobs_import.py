"""A real browser uploads a 10,000-row people file, follows the check and the import to 100%, and sees the people.

The server, a real ``celery worker`` (a subprocess) and the test share the database and
the embedded broker (a SQLite file of the test's own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from academy.auth.models import Role
from academy.auth.services import create_user
from academy.org.models import AgencyKind
from academy.org.services import create_agency
from tests.browser.live import chromium, enrol_authenticator, live_server, shot, sign_in
from tests.support.jobs import broker_environ, workers, write_people

pytestmark = [
    pytest.mark.own_database,
    # kombu's SQL transport (the embedded broker) declares its relationships with noload (SQLAlchemy 2.1 deprecates it).
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"),
]

ADMIN = "jobs-admin@example.go.th"
ROWS = 10_000
TOTP_SECRETS: dict[str, str] = {}


def _seed() -> None:
    ministry = create_agency(code="82", name_th="กระทรวงทดสอบ", name_en="Test ministry", kind=AgencyKind.MINISTRY)
    create_agency(
        code="82001", name_th="กรมทดสอบ", name_en="Test department", kind=AgencyKind.DEPARTMENT, parent=ministry
    )
    create_user(email=ADMIN, password="correct horse battery", roles=(Role.ADMIN,))
    TOTP_SECRETS[ADMIN] = enrol_authenticator(ADMIN)  # admins pass a second factor


def test_upload_check_confirm_and_watch_the_import_reach_100_percent(tmp_path: Path) -> None:
    people = write_people(tmp_path / "people.csv", "82001", ROWS)
    environ = {
        **broker_environ("embedded", tmp_path),
        "ACADEMY_JOBS_STORAGE_DIR": str(tmp_path / "jobs"),
    }
    with live_server(tmp_path, _seed, **environ) as (url, app), chromium() as browser:
        worker_environ = {
            **environ,
            "ACADEMY_ENV": "testing",
            "ACADEMY_SECRET_KEY": "test-secret-key",
            "ACADEMY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "ACADEMY_BASE_URL": url,
        }
        with workers(worker_environ, tmp_path) as running:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(120_000)
            sign_in(page, url, ADMIN, totp_secret=TOTP_SECRETS[ADMIN])
            page.goto(f"{url}/jobs/people-import")
            page.set_input_files("input[name=file]", str(people))
            page.click("form.card button[type=submit]")
            # The dry run: the page follows it by itself and shows the button to confirm.
            page.wait_for_selector("form[action$='/confirm'] button", timeout=120_000)
            assert "10000" in page.inner_text("[data-job-result]")
            page.click("form[action$='/confirm'] button")
            page.wait_for_url("**/jobs/*")
            # The bar moves without any reload by hand, and the page shows the end (the worker's rows committed).
            seen: list[int] = []
            for _tick in range(900):
                seen.append(int(float(page.get_attribute("#job-progress", "value") or 0)))
                if seen[-1] >= 100 and page.locator("[data-job-people]").count():
                    break
                page.wait_for_timeout(200)
            assert seen[-1] == 100, (seen[-20:], running[0].output())
            shot(page, "jobs-import-done")
            page.click("[data-job-people]")
            page.wait_for_selector("table tbody tr")
            assert "82001" not in page.url
            assert page.locator("table tbody tr").count() >= 10
            assert "ทดสอบ" in page.inner_text("table tbody")
