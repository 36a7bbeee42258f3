"""A real browser through an IDP's cycle: the official drafts from their gaps and submits, the supervisor
returns it with a comment, the official changes and resubmits, the supervisor agrees (in bulk, from the
team page), and a provider's xAPI completion meets a goal.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from academy.auth.services import create_user
from academy.db import db
from academy.org.models import AgencyKind, IdentifierKind, Person
from academy.org.services import add_identifier, apply_role_profile, create_agency
from academy.org.supervision import set_unit_head
from competencies.models import Alignment
from competencies.services.frameworks import seed_standard
from lrs.clients import create_client
from tests.browser.live import chromium, live_server, shot, sign_in
from tests.support.app import PASSWORD, position

ACTIVITY = "https://provider.example/courses/digital-law"
OFFICIAL, HEAD = "official@example.go.th", "head@example.go.th"
pytestmark = pytest.mark.own_database
provider: dict[str, str] = {}


def _person(agency: Any, number: str, name: str) -> Person:
    line, level = position("K-COMP", "K2")
    person = Person(
        agency=agency,
        employee_no=number,
        first_name_th=name,
        last_name_th="ทดสอบ",
        position_line=line,
        position_level=level,
    )
    apply_role_profile(person)
    db.session.add(person)
    db.session.flush()
    return person


def _seed() -> None:
    standard = seed_standard()
    ministry = create_agency(code="80", name_th="กระทรวงแผน", name_en="Ministry of Plans", kind=AgencyKind.MINISTRY)
    division = create_agency(
        code="8000101", name_th="กองพัฒนา", name_en="Development Division", kind=AgencyKind.DIVISION, parent=ministry
    )
    head = _person(division, "H1", "หัวหน้า")
    set_unit_head(head, True)
    official = _person(division, "O1", "สมศรี")
    add_identifier(official, IdentifierKind.MBOX, f"mailto:{OFFICIAL}")
    create_user(email=HEAD, password=PASSWORD, person=head)
    create_user(email=OFFICIAL, password=PASSWORD, person=official)
    new = create_client("Law Academy", ["all"])
    provider.update(key=new.client.key, secret=new.secret)
    target = next(c for c in standard.competencies if c.code == "DG-01")
    db.session.add(Alignment(activity_id=ACTIVITY, competency_id=target.id, level=2, owner_client_id=new.client.id))


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("idp"), _seed) as (url, _app):
        yield url


def _complete(url: str) -> None:
    """The provider posts the official's completion of the aligned activity to the LRS."""
    body = {
        "actor": {"objectType": "Agent", "mbox": f"mailto:{OFFICIAL}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": ACTIVITY},
    }
    auth = base64.b64encode(f"{provider['key']}:{provider['secret']}".encode()).decode()
    request = urllib.request.Request(
        f"{url}/xapi/statements",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
            "Authorization": f"Basic {auth}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_the_whole_cycle(live_url: str) -> None:
    with chromium() as browser:
        errors: list[str] = []

        def page_for(email: str) -> Any:
            page = browser.new_context(locale="th-TH", viewport={"width": 390, "height": 844}).new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, live_url, email)
            return page

        official = page_for(OFFICIAL)
        official.goto(f"{live_url}/me/idp")
        official.click("#draft-plan")
        assert official.locator("#idp-state").get_attribute("data-state") == "draft"
        assert official.locator("#goal-DG-01").get_attribute("data-met") == "no"
        plan_url = official.url
        official.click("#action-submit")
        assert official.locator("#idp-state").get_attribute("data-state") == "submitted"

        head = page_for(HEAD)
        head.goto(f"{live_url}/team")
        head.click("text=สมศรี ทดสอบ >> xpath=ancestor::tr//a[contains(@href, '/idp/')]")
        head.fill("#return-text", "เพิ่มหลักสูตรกฎหมายดิจิทัลสำหรับ DG-01")
        head.click("#action-return")
        assert head.locator("#idp-state").get_attribute("data-state") == "returned"

        official.goto(plan_url)
        assert "เพิ่มหลักสูตรกฎหมายดิจิทัล" in official.locator("#return-comment").inner_text()
        row = official.locator("#goal-DG-01")
        row.locator("summary").click()
        row.locator("select[name=kind]").select_option("activity")
        row.locator("input[name=activity_iri]").fill(ACTIVITY)
        row.locator("form[action$='/learning'] button[type=submit]").click()
        assert ACTIVITY in official.locator("#goal-DG-01").inner_text()
        official.click("#action-submit")
        assert official.locator("#idp-state").get_attribute("data-state") == "submitted"

        head.goto(f"{live_url}/team")
        head.check("input[name=idp]")
        head.click("#agree-selected")
        head.goto(plan_url)
        assert head.locator("#idp-state").get_attribute("data-state") == "agreed"

        _complete(live_url)
        official.goto(plan_url)
        assert official.locator("#goal-DG-01").get_attribute("data-met") == "yes"
        drawn = official.evaluate("() => Boolean(Chart.getChart(document.getElementById('gap-chart')))")
        assert drawn
        history = official.locator("#history").inner_text()
        assert "เพิ่มหลักสูตรกฎหมายดิจิทัล" in history
        shot(official, "idp-plan-met-390")
        assert errors == []
