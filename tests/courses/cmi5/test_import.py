"""Importing packages (service, upload page, CLI), serving their files, and the demo course."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from academy.auth.models import Role, User
from academy.db import db
from courses.cmi5.demo import DEMO_CODE, build_cmi5_demo_course, demo_package
from courses.cmi5.models import AssignableUnit, Block, Cmi5Course, MoveOn, PackageFile
from courses.cmi5.package import PackageError
from courses.cmi5.services.importer import ImportOptions, import_package, structure_of
from courses.cmi5.storage import file_path
from courses.models import Course, CourseKind, CourseStatus, Enrolment
from tests.courses.cmi5.au import Au, path_of
from tests.support.app import BASE_URL, csrf_token
from tests.support.cmi5 import EXAMPLE, au, block, structure, zipped

PACKAGE = structure(
    block("block/1", au("au/1", attrs='moveOn="Passed" masteryScore="0.8"'), au("au/2", url="lesson/2.html")),
    au("au/3", url="https://content.example/3.html"),
)
FILES = {"index.html": b"<!doctype html><title>AU</title>", "lesson/2.html": b"two", "lesson/style.css": b"p{}"}


def courses_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Course)) or 0)


def test_import_makes_a_cmi5_course_of_blocks_and_units() -> None:
    course = import_package(zipped(PACKAGE, FILES), "package.zip", ImportOptions(code="C5-IMPORT"))
    assert course.kind is CourseKind.CMI5 and course.status is CourseStatus.DRAFT
    assert (course.title_th, course.title_en, course.language) == ("หลักสูตร", "Course", "th")
    assert course.activity_iri == f"{BASE_URL}/courses/C5-IMPORT"
    package = db.session.get(Cmi5Course, course.id)
    assert package is not None and package.publisher_id == f"{EXAMPLE}/course"
    blocks, aus = structure_of(course)
    assert [b.publisher_id for b in blocks] == [f"{EXAMPLE}/block/1"]
    assert [u.publisher_id for u in aus] == [f"{EXAMPLE}/au/{n}" for n in (1, 2, 3)]
    assert [u.block_id for u in aus] == [blocks[0].id, blocks[0].id, None]
    assert aus[0].move_on is MoveOn.PASSED and str(aus[0].mastery_score) == "0.8000"
    assert aus[2].move_on is MoveOn.NOT_APPLICABLE
    for node in (*blocks, *aus):
        assert node.activity_iri.startswith(course.activity_iri + "/cmi5/") and node.activity_iri != node.publisher_id
    stored = {f.path: f for f in db.session.scalars(select(PackageFile).where(PackageFile.course_id == course.id))}
    assert set(stored) == {"cmi5.xml", *FILES}
    assert file_path(stored["lesson/2.html"]).read_bytes() == b"two"
    assert stored["lesson/2.html"].content_type.startswith("text/html") and stored["lesson/2.html"].size == 3


def test_nothing_is_stored_for_a_rejected_package() -> None:
    before = courses_count()
    with pytest.raises(PackageError):
        import_package(zipped(structure(au("au/1", url="missing.html"))), "bad.zip", ImportOptions(code="C5-BAD"))
    assert courses_count() == before
    assert db.session.scalar(select(func.count()).select_from(AssignableUnit)) == 0
    assert db.session.scalar(select(func.count()).select_from(Block)) == 0


def test_course_code_must_be_new_and_well_formed(make_cmi5: Callable[..., Course]) -> None:
    make_cmi5(code="C5-ONCE")
    with pytest.raises(PackageError, match="'C5-ONCE' is already used"):
        import_package(zipped(PACKAGE, FILES), "package.zip", ImportOptions(code="C5-ONCE"))
    with pytest.raises(PackageError, match="course code 'no spaces please'"):
        import_package(zipped(PACKAGE, FILES), "package.zip", ImportOptions(code="no spaces please"))


# --- the upload page ------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


def upload(client: FlaskClient, data: bytes, name: str, code: str, token: str | None) -> tuple[int, str]:
    form: dict[str, object] = {"package": (io.BytesIO(data), name), "code": code, "provider": "Academy", "hours": "2"}
    if token:
        form["csrf_token"] = token
    response = client.post("/admin/cmi5/import", data=form, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_upload_page_imports_a_package(admin: User, login: Callable[[User], FlaskClient]) -> None:
    client = login(admin)
    status, page = upload(
        client, zipped(PACKAGE, FILES), "package.zip", "C5-UP", csrf_token(client, "/admin/cmi5/import")
    )
    assert status == 200, page
    assert "3 units" in page or "3 หน่วย" in page
    course = db.session.scalar(select(Course).where(Course.code == "C5-UP"))
    assert course is not None and course.kind is CourseKind.CMI5


def test_upload_page_rejects_a_bad_package_with_its_reasons(admin: User, login: Callable[[User], FlaskClient]) -> None:
    client = login(admin)
    token = csrf_token(client, "/admin/cmi5/import")
    bad = structure(au("au/1", url="index.html?endpoint=http://example.org/lrs"), course_id="no-scheme")
    status, page = upload(client, bad.encode(), "cmi5.xml", "C5-REJECT", token)
    assert status == 400
    reasons = re.findall(r'<li class="field-error">([^<]+)</li>', page)
    assert any("is not an IRI" in r for r in reasons), reasons
    assert any("which the LMS adds at launch" in r for r in reasons), reasons
    assert db.session.scalar(select(Course).where(Course.code == "C5-REJECT")) is None


def test_upload_page_is_for_admins_with_csrf(
    admin: User, learner: User, login: Callable[[User], FlaskClient], client: FlaskClient
) -> None:
    assert client.get("/admin/cmi5/import").status_code == 302  # signed out
    login(learner)
    assert client.get("/admin/cmi5/import").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/learn")})
    login(admin)
    status, _page = upload(client, zipped(PACKAGE, FILES), "package.zip", "C5-NOCSRF", None)
    assert status == 400
    assert db.session.scalar(select(Course).where(Course.code == "C5-NOCSRF")) is None


# --- the CLI -------------------------------------------------------------------------------------------


def test_cli_imports_and_rejects(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = tmp_path / "good.zip"
    good.write_bytes(zipped(PACKAGE, FILES))
    result = runner.invoke(args=["academy", "cmi5-import", str(good), "--code", "C5-CLI", "--publish"])
    assert result.exit_code == 0, result.output
    assert "imported C5-CLI (published)" in result.output
    browse_of = select(Cmi5Course.allow_browse).join(Cmi5Course.course)
    assert db.session.scalar(browse_of.where(Course.code == "C5-CLI")) is False
    browsable = ["academy", "cmi5-import", str(good), "--code", "C5-CLI-BROWSE", "--allow-browse"]
    result = runner.invoke(args=browsable)
    assert result.exit_code == 0, result.output
    # The import form's option, from the command line too.
    assert db.session.scalar(browse_of.where(Course.code == "C5-CLI-BROWSE")) is True
    bad = tmp_path / "202-1-relative-url-no-zip.xml"
    bad.write_text(structure(au("au/1", url="index.html")))
    result = runner.invoke(args=["academy", "cmi5-import", str(bad), "--code", "C5-CLI-BAD"])
    assert result.exit_code == 1
    assert f'202-1-relative-url-no-zip.xml: line 2, <url> in <au id="{EXAMPLE}/au/1">' in result.output
    assert "needs full URLs (cmi5 14.2)" in result.output
    assert "was not imported: 1 problem(s)" in result.output
    assert db.session.scalar(select(Course).where(Course.code == "C5-CLI-BAD")) is None


# --- package files ---------------------------------------------------------------------------------------


def test_package_files_are_served_sandboxed(
    make_cmi5: Callable[..., Course], learner: User, login: Callable[[User], FlaskClient]
) -> None:
    course = make_cmi5(PACKAGE, files=FILES, code="C5-FILES")
    client = login(learner)
    with client.get(f"/courses/{course.code}/cmi5/content/lesson/2.html") as response:
        assert response.status_code == 200 and response.data == b"two"
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts") and "allow-same-origin" not in policy
    assert client.get(f"/courses/{course.code}/cmi5/content/lesson/missing.html").status_code == 404
    assert client.get(f"/courses/{course.code}/cmi5/content/../cmi5.xml").status_code == 404
    assert client.get("/courses/NOPE/cmi5/content/index.html").status_code == 404


# --- the demo --------------------------------------------------------------------------------------------


def test_demo_course(learner: User, login: Callable[[User], FlaskClient]) -> None:
    client = login(learner)
    course = build_cmi5_demo_course()
    assert build_cmi5_demo_course() is course
    assert course.code == DEMO_CODE and course.status is CourseStatus.PUBLISHED and course.kind is CourseKind.CMI5
    assert course.title_th.startswith("การคุ้มครองข้อมูลส่วนบุคคล") and course.title_en.startswith("Personal data")
    blocks, aus = structure_of(course)
    assert len(blocks) == 1 and len(aus) == 2
    assert [u.move_on for u in aus] == [MoveOn.COMPLETED, MoveOn.PASSED]
    assert all(u.title.keys() == {"th", "en"} for u in aus)
    with client.get(f"/courses/{DEMO_CODE}/cmi5/content/au.html") as response:
        page = response.get_data(as_text=True)
    assert '<script src="au.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "the AU page has no inline script"
    assert "style=" not in page
    with client.get(f"/courses/{DEMO_CODE}/cmi5/content/au.js") as script:
        assert script.status_code == 200 and "LMS.LaunchData" in script.get_data(as_text=True)
    assert len(demo_package()) > 1000


def test_the_demo_au_page_loads_its_own_thai_font(
    enrol: Callable[..., Enrolment], launch: Callable[..., Au], client: FlaskClient
) -> None:
    course = build_cmi5_demo_course()
    with zipfile.ZipFile(io.BytesIO(demo_package())) as archive:
        fonts = [name for name in archive.namelist() if name.startswith("fonts/")]
    assert "fonts/sarabun-thai-400-normal.woff2" in fonts and "fonts/sarabun-thai-700-normal.woff2" in fonts
    player = launch(enrol(course))
    base = path_of(player.launch_url).split("?")[0].rsplit("/", 1)[0]
    with client.get(f"{base}/au.css") as css:
        faces = re.findall(r"@font-face \{[^}]*\}", css.get_data(as_text=True))
    thai = [face for face in faces if "U+0E01-0E5B" in face]
    assert {re.search(r"url\(([^)]+)\)", face).group(1) for face in thai} == {  # type: ignore[union-attr]
        "fonts/sarabun-thai-400-normal.woff2",
        "fonts/sarabun-thai-700-normal.woff2",
    }
    assert all('font-family: "Sarabun"' in face for face in faces)
    with client.get(f"{base}/fonts/sarabun-thai-400-normal.woff2") as font:
        # From the sandboxed (opaque-origin) page a font is a cross-origin request: it needs CORS.
        assert font.status_code == 200 and font.mimetype == "font/woff2" and font.data[:4] == b"wOF2"
        assert font.headers["Access-Control-Allow-Origin"] == "*"
