"""A real browser walks every main page of each role, on a phone and on a desktop, in Thai and in English.

On the demo government (`flask academy demo`, small, with the notifications then due), signed
out (the sign-in page) and signed in as the demo learner, HR officer and admin (each with their
notifications and email choices), each page must:
- be no wider than the screen (``document.documentElement.scrollWidth <= innerWidth``), at
  390×844 (a phone) and 1366×900;
- load with no failed request and no console error (a CSP violation is one);
- draw its Thai text in Sarabun, the font the platform ships, never in a fallback: the fonts
  chromium really used for each element with Thai text are read over the DevTools protocol
  (``CSS.getPlatformFontsForNode``), so a Thai system font on the machine cannot hide a miss;
- pass axe-core (node_modules/axe-core) with no violation, in both languages.

Screenshots of every page go to test-artifacts/screenshots/pages/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from academy.db import db
from tests.browser.live import SHOTS, chromium, enrol_authenticator, live_server, sign_in
from tests.support.app import PASSWORD

pytestmark = pytest.mark.own_database

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PEOPLE = 300
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
LEARNER, OFFICER, ADMIN = "learner@demo.go.th", "hr@demo.go.th", "admin@demo.go.th"
#: Every signed-in role has the notifications list and its email choices.
NOTIFICATIONS = ("/notifications", "/notifications/preferences")
#: Pages whose problems another branch of issue 13 fixes (wt-hrpages): (role, path prefix) -> reason.
KNOWN: dict[tuple[str, str], str] = {}


def _seed() -> None:
    from academy.org.demo import build_demo
    from competencies.demo import build_learning
    from courses.demo import build_courses, build_demo_learning

    base_url = current_app.config["ACADEMY_BASE_URL"]
    build_demo(people=PEOPLE, base_url=base_url, password=PASSWORD)
    build_learning(base_url)
    build_courses()
    build_demo_learning(LEARNER, OFFICER)
    # What the notification run finds due on the demo (assignments, the HR digest), so that the lists
    # have entries; produced only: no mail goes out.
    from academy.dates import utcnow
    from academy.notifications.services import produce

    produce(utcnow())
    # HR officers and admins pass a second factor: their authenticator apps, for sign_in().
    TOTP_SECRETS.update({email: enrol_authenticator(email) for email in (OFFICER, ADMIN)})


#: The authenticator app of each privileged demo user, enrolled by _seed().
TOTP_SECRETS: dict[str, str] = {}


@dataclass
class Site:
    url: str
    pages: dict[str, list[str]] = field(default_factory=dict)


def _pages(app: Flask) -> dict[str, list[str]]:
    """Every main page of each role, on the demo data."""
    from academy.auth.models import User
    from academy.org.models import Agency, Person
    from competencies.models import Framework
    from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus
    from courses.services.catalogue import course_items
    from lrs.models import Statement

    with app.app_context():
        learner = db.session.scalar(select(User).where(User.email == LEARNER))
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        assert learner is not None and officer is not None and learner.person is not None
        # An unfinished course, so that its quiz shows its questions.
        mine = select(Enrolment).where(Enrolment.person_id == learner.person_id).order_by(Enrolment.id).limit(1)
        enrolment = db.session.scalar(mine.where(Enrolment.status != EnrolmentStatus.COMPLETED)) or db.session.scalar(
            mine
        )
        course = enrolment.course if enrolment else db.session.scalar(select(Course).limit(1))
        assert course is not None
        items = course_items(course)
        lesson = next((i for i in items if i.lesson), None)
        quiz = next((i for i in items if i.quiz), None)
        agency = officer.scope_rows[0].agency
        person = db.session.scalar(
            select(Person)
            .join(Agency, Agency.id == Person.agency_id)
            .where(Agency.path.startswith(agency.path))
            .order_by(Person.id)
            .limit(1)
        )
        statement = db.session.scalar(select(Statement.id).limit(1))
        framework = db.session.scalar(select(Framework).order_by(Framework.id).limit(1))
        any_course = db.session.scalar(select(Course).where(Course.status == CourseStatus.PUBLISHED).limit(1))
        assert person is not None and framework is not None and any_course is not None and statement is not None
        learner_pages = [
            "/",
            "/learn",
            "/me/competencies",
            "/learn/transcript",
            "/courses",
            f"/courses/{course.code}",
            "/account/sessions",
            *NOTIFICATIONS,
        ]
        if enrolment is not None and lesson is not None:
            learner_pages.append(f"/courses/{course.code}/lessons/{lesson.key}")
        if enrolment is not None and quiz is not None:
            learner_pages.append(f"/courses/{course.code}/quizzes/{quiz.key}")
        return {
            "anonymous": ["/login", "/api/docs"],
            "learner": learner_pages,
            "officer": [
                "/",
                "/reports/",
                f"/reports/agencies/{agency.code}",
                f"/reports/agencies/{agency.code}/people",
                "/people",
                f"/people/{person.public_id}",
                f"/people/{person.public_id}/record",
                f"/people/{person.public_id}/record/assignments",
                f"/people/{person.public_id}/record/evidence",
                f"/people/{person.public_id}/record/transcript?years=all",
                "/agencies",
                "/courses/assign",
                "/courses",
                *NOTIFICATIONS,
            ],
            "admin": [
                "/",
                "/admin/users",
                "/admin/users/new",
                "/admin/courses/",
                f"/admin/courses/{any_course.id}",
                "/admin/frameworks",
                f"/admin/frameworks/{framework.id}",
                "/admin/alignments",
                "/admin/lrs-clients",
                "/admin/gdx/consumers",
                "/admin/gdx/deliveries",
                "/admin/api-tokens",
                "/admin/audit",
                f"/admin/statements?id={statement}",
                "/reports/ranking",
                "/api/docs",
                *NOTIFICATIONS,
            ],
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with live_server(tmp_path_factory.mktemp("pages"), _seed) as (url, app):
        yield Site(url, _pages(app))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


# --- the checks ---------------------------------------------------------------------------------------

#: Wrap each visible run of Thai letters in a span of its own (it inherits the font of its parent),
#: so that the fonts chromium reports for it are the ones its Thai glyphs were drawn in, not those
#: of an arrow or a code next to it; form controls showing Thai are checked whole.
_MARK_THAI = """() => {
  const thai = /[\\u0E00-\\u0E7F]+/g;
  const nodes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || !/[\\u0E00-\\u0E7F]/.test(node.textContent)) continue;
    if (element.closest('script, style, noscript, template, textarea, select, option')) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    nodes.push(node);
  }
  let n = 0;
  for (const node of nodes.slice(0, 400)) {
    const text = node.textContent;
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(thai)) {
      fragment.append(text.slice(last, match.index));
      const span = document.createElement('span');
      span.setAttribute('data-thai-check', String(n++));
      span.textContent = match[0];
      fragment.append(span);
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    node.replaceWith(fragment);
  }
  for (const control of document.querySelectorAll('input, textarea, select, button')) {
    const shown = control.tagName === 'SELECT'
      ? (control.selectedOptions[0] || {}).text : (control.value || control.placeholder);
    if (/[\\u0E00-\\u0E7F]/.test(shown || '')) control.setAttribute('data-thai-check', String(n++));
  }
  return n;
}"""


def _fallback_fonts(page: Any, client: Any) -> list[str]:
    """The elements whose Thai text chromium drew in a font other than Sarabun: "<tag> text: fonts"."""
    count = page.evaluate(_MARK_THAI)
    if not count:
        return []
    root = client.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    client.send("CSS.enable")
    misses = []
    for node_id in client.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-thai-check]"})["nodeIds"]:
        fonts = client.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
        others = [f["familyName"] for f in fonts if f["familyName"] != "Sarabun" and f["glyphCount"]]
        if others:
            html = client.send("DOM.getOuterHTML", {"nodeId": node_id})["outerHTML"]
            misses.append(f"{html[:120]}: {others}")
    return misses


def _axe(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '"
        " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')); }"
    )
    return list(result)


def _walk(site: Site, browser: Any, role: str, viewport: str, language: str) -> dict[str, list[str]]:
    """Open each page of the role; return its problems by path (empty lists: none)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing from node_modules: run make install")
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="th-TH" if language == "th" else "en-US")
    page = context.new_page()
    client = context.new_cdp_session(page)
    client.send("DOM.enable")
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: events.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: events.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: events.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    if role != "anonymous":
        email = {"learner": LEARNER, "officer": OFFICER, "admin": ADMIN}[role]
        sign_in(page, site.url, email, totp_secret=TOTP_SECRETS.get(email))
    page.goto(f"{site.url}/lang/{language}?next=/login", wait_until="networkidle")
    problems: dict[str, list[str]] = {}
    folder = SHOTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for path in site.pages[role]:
        events.clear()
        page.goto(f"{site.url}{path}", wait_until="networkidle")
        if path == "/api/docs":
            page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        page.evaluate("document.fonts.ready.then(() => true)")
        found: list[str] = list(events)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            wide = page.evaluate(_WIDEST)
            found.append(f"page {width[0]} px wide in a {width[1]} px window; widest: {wide}")
        if language == "th" and not page.evaluate("document.fonts.check('16px Sarabun', 'ทดสอบ')"):
            found.append("Sarabun is not loaded for Thai")
        found += [f"axe: {v}" for v in _axe(page)]
        name = f"{role}-{viewport}-{language}{path.replace('/', '_') or '_'}"[:120]
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        if language == "th":  # last: it wraps the Thai text in spans of its own
            found += [f"fallback font: {miss}" for miss in _fallback_fonts(page, client)[:5]]
        problems[path] = found
    context.close()
    return problems


#: The outermost elements that stick out of the window: those whose parent does not.
_WIDEST = """() => {
  const limit = window.innerWidth + 1;
  const out = [];
  for (const element of document.querySelectorAll('body *')) {
    const parent = element.parentElement;
    if (element.getBoundingClientRect().right <= limit) continue;
    if (parent !== document.body && parent.getBoundingClientRect().right > limit) continue;
    const name = typeof element.className === 'string' ? element.className.trim() : '';
    const classes = name ? '.' + name.split(/ +/).join('.') : '';
    const id = element.id ? '#' + element.id : '';
    out.push(element.tagName.toLowerCase() + id + classes + ' ' + Math.round(element.getBoundingClientRect().right));
    if (out.length > 4) break;
  }
  return out;
}"""


@pytest.mark.parametrize("language", ["th", "en"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", ["anonymous", "learner", "officer", "admin"])
def test_every_main_page_fits_the_screen_uses_its_own_thai_font_and_passes_axe(
    site: Site, browser: Any, role: str, viewport: str, language: str
) -> None:
    problems = _walk(site, browser, role, viewport, language)
    bad = {path: found for path, found in problems.items() if found}
    known = {
        path: reason
        for path in bad
        for (known_role, prefix), reason in KNOWN.items()
        if known_role == role and path.startswith(prefix)
    }
    unexplained = {path: found for path, found in bad.items() if path not in known}
    assert not unexplained, json.dumps(unexplained, ensure_ascii=False, indent=1)
    if known:
        pytest.xfail("; ".join(f"{path}: {reason}" for path, reason in known.items()))
