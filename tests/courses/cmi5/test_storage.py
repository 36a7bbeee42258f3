"""Package files: ZIP limits (checked before unpacking, and counted while unpacking), storage on
disk, who may read them, and the migration that moved them out of the database."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from academy.auth.models import Role, User
from academy.db import db
from courses.cmi5.models import PackageFile
from courses.cmi5.package import MB, Limits, PackageError, read_package
from courses.cmi5.services.importer import ImportOptions, import_package
from courses.cmi5.services.launch import LaunchError, launch_au
from courses.cmi5.storage import file_path, package_dir, storage_root
from courses.models import Course, CourseStatus, Enrolment
from tests.courses.cmi5.au import Au, path_of
from tests.support.cmi5 import au, aus_of, structure

XML = structure(au("au/1"))
LIMITS = Limits(package_bytes=2 * MB, file_bytes=MB, ratio=10)


def noise(size: int, seed: int = 1) -> bytes:
    """Bytes that do not compress."""
    return random.Random(seed).randbytes(size)


def package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", XML)
        archive.writestr("index.html", b"<!doctype html><title>AU</title>")
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refused(data: bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(PackageError) as caught:
        read_package(data, "package.zip", limits)
    return "; ".join(caught.value.problems)


@pytest.fixture
def nothing_unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any ZIP entry is opened: the checks must come from the central directory."""

    original = zipfile.ZipFile.open

    def no_open(archive: zipfile.ZipFile, name: Any, mode: str = "r", **kwargs: Any) -> Any:
        if mode == "r":
            raise AssertionError("an entry was unpacked before the limits were checked")
        return original(archive, name, mode, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", no_open)


# --- limits, from the central directory, before anything is unpacked ---------------------------


def test_one_file_over_the_limit(nothing_unpacked: None) -> None:
    message = refused(package({"video.bin": noise(MB + 1)}))
    assert "'video.bin' unpacks to more than the limit of 1 MB for one file" in message


def test_the_package_over_the_limit(nothing_unpacked: None) -> None:
    files = {f"part{n}.bin": noise(MB - 1000, seed=n) for n in range(3)}
    assert "package.zip unpacks to more than the limit of 2 MB for a package" in refused(package(files))


def test_a_file_compressed_past_the_ratio(nothing_unpacked: None) -> None:
    message = refused(package({"zeros.bin": bytes(MB + 1)}), Limits(ratio=10))
    assert "'zeros.bin' is compressed" in message and "more than the limit of 10 to 1" in message


def test_a_package_compressed_past_the_ratio(nothing_unpacked: None) -> None:
    # Each file is under 1 MB (small files may compress well), but together they are a bomb.
    files = {f"zeros{n}.bin": bytes(MB // 2) for n in range(4)}
    message = refused(package(files), Limits(ratio=10))
    assert "package.zip unpacks to" in message and "times its size, more than the limit of 10 to 1" in message


def test_the_bomb_of_the_report_is_refused_with_the_defaults(nothing_unpacked: None) -> None:
    # 950 MB of zeros would pack to under 1 MB; 300 MB shows the same without the wait.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", XML)
        archive.writestr("index.html", b"<!doctype html>")
        with archive.open("bomb.bin", "w", force_zip64=True) as entry:
            chunk = bytes(MB)
            for _ in range(300):
                entry.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1 * MB
    message = refused(data, Limits())
    assert "'bomb.bin' unpacks to more than the limit of 256 MB for one file" in message


def test_files_within_the_limits_are_read() -> None:
    files = {"page.html": b"<p>" * 1000, "video.bin": noise(MB - 1)}
    assert set(read_package(package(files), "package.zip", LIMITS).files) == {
        "cmi5.xml",
        "index.html",
        "page.html",
        "video.bin",
    }


def lying(data: bytes, name: bytes, declared: int) -> bytes:
    """The ZIP with the entry's unpacked size in its local and central headers replaced."""
    patched = bytearray(data)
    for signature, size_at, name_length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (header := patched.find(signature, start)) != -1:
            start = header + 4
            (length,) = struct.unpack_from("<H", patched, header + name_length_at)
            if patched[header + name_at : header + name_at + length] == name:
                struct.pack_into("<I", patched, header + size_at, declared)
    return bytes(patched)


def test_an_entry_lying_about_its_size_is_stopped_while_unpacking(make_cmi5: Callable[..., Course]) -> None:
    # 8 MB of zeros whose headers say 1,000 bytes: it passes the central directory's checks...
    data = lying(package({"small.txt": bytes(8 * MB)}), b"small.txt", 1000)
    assert read_package(data, "package.zip", LIMITS).files["small.txt"].file_size == 1000
    courses_before = db.session.scalar(select(func.count()).select_from(Course))
    files_before = set(storage_root().rglob("*"))
    # ...and is refused when unpacked, with nothing stored and nothing left on disk.
    with pytest.raises(PackageError, match=r"'small\.txt' cannot be unpacked"):
        import_package(data, "package.zip", ImportOptions(code="C5-LIAR"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Course)) == courses_before
    assert set(storage_root().rglob("*")) <= files_before  # nothing new (a stale folder may be gone)


def test_limits_come_from_the_configuration(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_CMI5_MAX_FILE_MB", 0.5)
    with pytest.raises(PackageError, match=r"limit of 0.50 MB for one file"):
        import_package(package({"video.bin": noise(MB)}), "package.zip", ImportOptions(code="C5-SMALL"))


# --- on disk ---------------------------------------------------------------------------------------


def test_files_are_written_to_the_storage_folder_not_the_database(make_cmi5: Callable[..., Course]) -> None:
    content = noise(300_000)
    course = make_cmi5(files={"index.html": b"<!doctype html>", "media/clip.bin": content})
    stored = db.session.scalars(select(PackageFile).where(PackageFile.course_id == course.id)).all()
    assert {f.path for f in stored} == {"cmi5.xml", "index.html", "media/clip.bin"}
    clip = next(f for f in stored if f.path == "media/clip.bin")
    assert file_path(clip) == package_dir(course.id) / str(clip.id)
    assert file_path(clip).read_bytes() == content and clip.size == len(content)
    assert "data" not in sa.inspect(db.session.connection()).get_columns("cmi5_files").__repr__()


# --- who may read them ------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


def read(client: FlaskClient, url: str) -> tuple[int, bytes, dict[str, str]]:
    with client.get(url) as response:
        return response.status_code, response.data, dict(response.headers)


def test_a_draft_course_is_not_served_to_anyone(
    make_cmi5: Callable[..., Course],
    learner: User,
    login: Callable[[User], FlaskClient],
    client: FlaskClient,
) -> None:
    draft = make_cmi5(code="C5-DRAFT", status=CourseStatus.DRAFT)
    published = make_cmi5(code="C5-PUB")
    assert read(client, f"/courses/{draft.code}/cmi5/content/index.html")[0] == 302  # to the login page
    assert read(client, f"/courses/{published.code}/cmi5/content/index.html")[0] == 302
    login(learner)
    assert read(client, f"/courses/{draft.code}/cmi5/content/index.html")[0] == 404
    assert read(client, f"/courses/{published.code}/cmi5/content/index.html")[0] == 200


def test_admins_see_a_draft_course_s_files(
    make_cmi5: Callable[..., Course], admin: User, login: Callable[[User], FlaskClient]
) -> None:
    draft = make_cmi5(code="C5-DRAFT", status=CourseStatus.DRAFT)
    assert read(login(admin), f"/courses/{draft.code}/cmi5/content/index.html")[0] == 200


def test_a_launched_au_reads_its_package_with_the_content_token(
    make_cmi5: Callable[..., Course],
    enrol: Callable[..., Enrolment],
    launch: Callable[..., Au],
    client: FlaskClient,
) -> None:
    course = make_cmi5(files={"index.html": b"<!doctype html>", "fonts/sarabun.woff2": b"wOF2"})
    player = launch(enrol(course))
    page = path_of(player.launch_url)
    status, body, headers = read(client, page)  # no cookie: the sandboxed page has none
    assert (status, body) == (200, b"<!doctype html>")
    assert headers["Content-Security-Policy"].startswith("sandbox allow-scripts")
    font = page.split("?")[0].rsplit("/", 1)[0] + "/fonts/sarabun.woff2"
    status, body, headers = read(client, font)
    assert (status, body, headers["Access-Control-Allow-Origin"]) == (200, b"wOF2", "*")
    token = page.split("/")[3]
    assert read(client, f"/cmi5/content/{token[:-2]}xx/index.html")[0] == 404
    assert read(client, f"/cmi5/content/{token}/../cmi5.xml")[0] == 404


def test_an_au_url_of_another_scheme_stored_before_the_rule_is_not_launched(
    make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment]
) -> None:
    enrolment = enrol(make_cmi5())
    unit = aus_of(enrolment.course)[0]
    unit.url = "javascript:alert(1)"
    with pytest.raises(LaunchError, match="not http, https or relative"):
        launch_au(enrolment, unit)


# --- the migration ---------------------------------------------------------------------------------


@pytest.mark.own_database
def test_the_migration_moves_file_content_to_disk_and_back(
    fresh_app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fresh_app.app_context():
        flask_migrate.upgrade(revision="0009")
        with db.engine.begin() as connection:
            course_id = connection.execute(
                sa.text(
                    "INSERT INTO courses (code, title_th, title_en, description_th, description_en, provider, format,"
                    " kind, hours, language, status, activity_iri, completion_rule)"
                    " VALUES ('C5-OLD', 'ก', 'A', '', '', 'P', 'online', 'cmi5', 1, 'th', 'published',"
                    " 'https://x.test/courses/C5-OLD', 'lessons') RETURNING id"
                )
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO cmi5_courses (course_id, publisher_id, package_name, title, description, objectives)"
                    " VALUES (:id, 'https://p.example/c', 'p.zip', '{}', '{}', '[]')"
                ),
                {"id": course_id},
            )
            file_id = connection.execute(
                sa.text(
                    "INSERT INTO cmi5_files (course_id, path, content_type, size, data)"
                    " VALUES (:id, 'index.html', 'text/html', 5, :data) RETURNING id"
                ),
                {"id": course_id, "data": b"hello"},
            ).scalar_one()
        flask_migrate.upgrade(revision="0012")
        on_disk = tmp_path / "files" / str(course_id) / str(file_id)
        assert on_disk.read_bytes() == b"hello"
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("cmi5_files")}
        assert "data" not in columns
        allow = {c["name"] for c in sa.inspect(db.engine).get_columns("cmi5_courses")}
        assert "allow_browse" in allow
        flask_migrate.downgrade(revision="0009")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT data FROM cmi5_files")).scalar_one() == b"hello"
        on_disk.unlink()
        flask_migrate.upgrade(revision="0012")
        assert on_disk.read_bytes() == b"hello"
        on_disk.unlink()
        with pytest.raises(SystemExit):  # flask-migrate logs the error and exits
            flask_migrate.downgrade(revision="0009")
        assert f"cmi5 file {file_id} of course {course_id} is not at {on_disk}" in caplog.text
        assert "restore the storage folder (ACADEMY_CMI5_STORAGE_DIR) before downgrading" in caplog.text
