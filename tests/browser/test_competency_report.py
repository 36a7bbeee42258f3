"""A real browser (Debian's chromium) opens an HR officer's dashboard: every chart draws under the CSP.

Served on loopback on a database of its own, like the other browser tests; screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from academy.auth.models import Role
from academy.auth.services import create_user
from academy.dates import fiscal_year_bounds, fiscal_year_of
from academy.db import db
from academy.org.models import AgencyKind, Person
from academy.org.services import apply_role_profile, create_agency
from competencies.models import Evidence, EvidenceSource
from competencies.services.evidence import recompute_attainment
from competencies.services.frameworks import seed_standard
from tests.browser.live import chromium, enrol_authenticator, live_server, shot, sign_in
from tests.support.app import PASSWORD, position

EMAIL = "hr.officer@example.go.th"
MINISTRY_TH = "กระทรวงรายงานผล"

pytestmark = pytest.mark.own_database


def _seed() -> None:
    standard = seed_standard()
    ministry = create_agency(code="60", name_th=MINISTRY_TH, name_en="Ministry of Reports", kind=AgencyKind.MINISTRY)
    units = [
        create_agency(
            code=f"6000{n}", name_th=f"กรมที่ {n}", name_en=f"Department {n}", kind=AgencyKind.DEPARTMENT, parent=ministry
        )
        for n in (1, 2)
    ]
    start, _end = fiscal_year_bounds(fiscal_year_of(datetime.now(UTC).date()))
    dl = next(c for c in standard.competencies if c.code == "DL-01")
    for n in range(12):
        line, level = position("K-COMP" if n % 3 else "K-HR", "K2")
        person = Person(
            agency=units[n % 2],
            employee_no=f"R{n:04d}",
            first_name_th=f"ชื่อ{n}",
            last_name_th=f"สกุล{n}",
            position_line=line,
            position_level=level,
        )
        apply_role_profile(person)
        db.session.add(person)
        db.session.flush()
        if n % 2 == 0:  # half of them trained, early in the fiscal year
            moment = datetime(start.year, start.month, start.day, 9, tzinfo=UTC) + timedelta(days=n)
            db.session.add(
                Evidence(
                    person_id=person.id,
                    competency_id=dl.id,
                    level=2,
                    source=EvidenceSource.STATEMENT,
                    achieved_at=min(moment, datetime.now(UTC)),
                )
            )
            db.session.flush()
            recompute_attainment({(person.id, dl.id)})
    create_user(email=EMAIL, password=PASSWORD, roles=(Role.HR_OFFICER,), agencies=(ministry,))
    SECRETS[EMAIL] = enrol_authenticator(EMAIL)


#: The HR officer's authenticator app.
SECRETS: dict[str, str] = {}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("reports"), _seed) as (url, _app):
        yield url


def test_the_dashboard_draws_its_gauges_and_charts(live_url: str) -> None:
    with chromium() as browser:
        page = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, live_url, EMAIL, totp_secret=SECRETS[EMAIL])
        page.goto(f"{live_url}/reports/")
        assert page.locator("h1").inner_text().startswith(MINISTRY_TH)
        drawn: Any = page.evaluate(
            "() => Array.from(document.querySelectorAll('canvas')).map("
            "c => [c.dataset.gauge || c.dataset.chart, Boolean(Chart.getChart(c))])"
        )
        assert dict(drawn) == {
            "coverage": True,
            "attainment": True,
            "trend": True,
            "units": True,
            "profiles": True,
            "areas": True,
            "idps": True,
        }
        assert errors == []  # no CSP violation, no script error
        shot(page, "reports-dashboard-th")
        page.click("text=กรมที่ 1")
        assert page.locator("h1").inner_text().startswith("กรมที่ 1")
        assert errors == []
