"""A civil servant signs in with ThaID in a real browser: the button, the provider's pages (a real
node-oidc-provider on loopback), consent, and My learning with their own name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from academy.db import db
from academy.org.identity import citizen_id_hash, make_citizen_id
from academy.org.models import AgencyKind, Person
from academy.org.services import apply_role_profile, create_agency
from tests.browser.live import chromium, live_server, shot
from tests.support.app import position
from tests.support.oidc import API_KEY, node_provider, provider_settings

pytestmark = pytest.mark.own_database

CITIZEN_ID = make_citizen_id(424242)


def _seed() -> None:
    ministry = create_agency(code="51", name_th="กระทรวงทดสอบ", name_en="Ministry of Testing", kind=AgencyKind.MINISTRY)
    department = create_agency(
        code="51001", name_th="กรมทดสอบ", name_en="Department of Tests", kind=AgencyKind.DEPARTMENT, parent=ministry
    )
    line, level = position("K-COMP", "K2")
    person = Person(
        agency=department,
        employee_no="T0001",
        title_th="นาง",
        first_name_th="สมศรี",
        last_name_th="ใฝ่เรียน",
        first_name_en="Somsri",
        last_name_en="Phairian",
        position_line=line,
        position_level=level,
        citizen_id_hash=citizen_id_hash(CITIZEN_ID),
    )
    apply_role_profile(person)
    db.session.add(person)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("oidc-browser")
    with live_server(folder, _seed) as (url, app):
        accounts = {"somsri": {"password": "ThaID-pass", "pid": CITIZEN_ID, "given_name": "สมศรี"}}
        with node_provider(folder, base_url=url, accounts=accounts, token_headers={"x-imauth-apikey": API_KEY}) as op:
            app.config["ACADEMY_OIDC_PROVIDERS"] = (
                provider_settings(op.issuer, token_headers=(("x-imauth-apikey", API_KEY),)),
            )
            yield url, op.issuer


def test_a_civil_servant_signs_in_with_thaid_and_lands_on_my_learning(live: tuple[str, str]) -> None:
    url, issuer = live
    with chromium() as browser:
        page: Any = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{url}/login?next=/learn")
        page.get_by_role("link", name="เข้าสู่ระบบด้วย ThaID").click()
        page.wait_for_url(f"{issuer}/interaction/**")
        page.fill("input[name=login]", "somsri")
        page.fill("input[name=password]", "ThaID-pass")
        page.get_by_role("button", name="เข้าสู่ระบบ / Sign in").click()
        page.get_by_role("button", name="อนุญาต / Allow").click()
        page.wait_for_url(f"{url}/learn")
        shot(page, "oidc-thaid-my-learning")
        assert page.locator("h1").first.inner_text() == "การเรียนรู้ของฉัน"
        assert "นางสมศรี ใฝ่เรียน" in page.content()
