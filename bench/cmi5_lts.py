"""Run the cmi5 LMS test packages of ADL's CATAPULT (its ``lts/`` folder) against our LMS.

    .venv/bin/python bench/cmi5_lts.py /tmp/catapult/lts [--postgres [URL]]

The packages are not part of this repository: fetch CATAPULT and point the script at its
``lts`` folder (or at ``lts/pkg/src``, or at a ``lts/pkg/dist`` of packages built by its
webpack). From ``src`` the ZIPs are made the way CATAPULT's webpack makes them: cmi5.xml,
index.html and the AU's script. Every package is imported through the same service as the
upload page and the CLI:

- 001-009 must import and run to the result their procedure (lts/procedure.md) expects. The
  script plays each AU as its JavaScript does (fetch, LMS.LaunchData, learner preferences,
  the statements, with the launch's credentials, over HTTP to /xapi), then checks the
  registration's statements as the procedure's post-execution validation does;
- 101 (a thousand AUs) and 102 (ZIP64) must import;
- 201-210 must be rejected; the reason is printed.

Each check prints PASS or FAIL; the exit status is 1 when any check fails. A fresh SQLite
database is used unless --postgres is given (a database of its own on that server).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lrs_common import DEFAULT_POSTGRES, fresh_postgres  # noqa: E402

CMI5 = "https://w3id.org/xapi/cmi5/"
LTS = "https://w3id.org/xapi/cmi5/catapult/lts/"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


# --- packages -------------------------------------------------------------------------------


def find_packages(folder: Path) -> dict[str, tuple[str, bytes]]:
    """name -> (file name, bytes) of every package in the folder (built, or made from src)."""
    for candidate in (folder, folder / "pkg" / "dist", folder / "pkg" / "src"):
        if any(candidate.glob("201-*")):
            folder = candidate
            break
    else:
        raise SystemExit(f"{folder}: no CATAPULT lts packages here (expected lts/, lts/pkg/src or lts/pkg/dist)")
    packages: dict[str, tuple[str, bytes]] = {}
    template = (folder / "index.html").read_text() if (folder / "index.html").exists() else ""
    for entry in sorted(folder.iterdir()):
        if entry.name in ("lib", "index.html", "empty.js") or entry.name.startswith("."):
            continue
        if entry.is_dir():
            packages[entry.name] = (f"{entry.name}.zip", _zip_source(entry, template))
        elif entry.suffix in (".zip", ".xml", ".md"):
            packages[entry.name.rsplit(".", 1)[0]] = (entry.name, entry.read_bytes())
    return packages


def _zip_source(directory: Path, template: str) -> bytes:
    """A package as CATAPULT's webpack packs it: index.html, <name>.js, and cmi5.xml when there is one."""
    name = directory.name
    page = template.replace("<%= htmlWebpackPlugin.options.title %>", f"{name} - Project CATAPULT")
    page = page.replace("</head>", f'<script defer src="{name}.js"></script></head>')
    script = directory / f"{name}.js"
    buffer = io.BytesIO()
    zip64 = name == "102-zip64"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {"index.html": page.encode(), f"{name}.js": script.read_bytes() if script.exists() else b""}
        if (directory / "cmi5.xml").exists():
            entries["cmi5.xml"] = (directory / "cmi5.xml").read_bytes()
        for path, content in entries.items():
            with archive.open(path, "w", force_zip64=zip64) as target:
                target.write(content)
    return buffer.getvalue()


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    passed: int = 0
    failed: list[str] = field(default_factory=list)

    def check(self, package: str, what: str, ok: bool, detail: str = "") -> bool:
        line = f"{'PASS' if ok else 'FAIL'}  {package:36} {what}" + (f"  ({detail})" if detail and not ok else "")
        print(line)
        if ok:
            self.passed += 1
        else:
            self.failed.append(line)
        return ok


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if postgres:
        with fresh_postgres(postgres) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/lts.sqlite3"


class Harness:
    """The app, a learner, an LRS reader, and what it takes to import, launch and inspect."""

    def __init__(self, database_url: str, report: Report, storage_dir: str) -> None:
        import flask_migrate

        from academy import create_app
        from academy.config import Settings
        from academy.extensions import db

        self.report = report
        self.app = create_app(
            settings=Settings.from_environ(
                {
                    "ACADEMY_ENV": "testing",
                    "ACADEMY_DATABASE_URL": database_url,
                    "ACADEMY_SECRET_KEY": "cmi5-lts",
                    "ACADEMY_BASE_URL": "https://academy.test",
                    "ACADEMY_CMI5_STORAGE_DIR": storage_dir,
                }
            )
        )
        self.client = self.app.test_client()
        with self.app.app_context():
            flask_migrate.upgrade()
            self.person_id = self._learner()
            self.reader = self._reader()
            db.session.commit()

    def _learner(self) -> int:
        from academy.extensions import db
        from academy.org.demo import ensure_position_lines
        from academy.org.models import AgencyKind, IdentifierKind, Person, PersonIdentifier, PositionLevel, PositionLine
        from academy.org.services import apply_role_profile, create_agency, platform_account_key

        ensure_position_lines()
        agency = create_agency(code="99999", name_th="หน่วยทดสอบ", name_en="Test unit", kind=AgencyKind.MINISTRY)
        person = Person(
            agency=agency,
            employee_no="LTS-1",
            first_name_th="ทดสอบ",
            last_name_th="ระบบ",
            first_name_en="Test",
            last_name_en="Learner",
            position_line=db.session.scalars(db.select(PositionLine)).first(),
            position_level=db.session.scalars(db.select(PositionLevel)).first(),
        )
        apply_role_profile(person)
        db.session.add(person)
        db.session.flush()
        person.identifiers.append(
            PersonIdentifier(
                kind=IdentifierKind.ACCOUNT, key=platform_account_key("https://academy.test", person.public_id)
            )
        )
        db.session.flush()
        return person.id

    def _reader(self) -> str:
        import base64

        from lrs.clients import create_client

        new = create_client("cmi5 LTS reader", ["all"])
        return "Basic " + base64.b64encode(f"{new.client.key}:{new.secret}".encode()).decode()

    def import_package(self, file_name: str, data: bytes, code: str) -> tuple[bool, str]:
        from academy.extensions import db
        from courses.cmi5.package import PackageError
        from courses.cmi5.services.importer import ImportOptions, import_package
        from courses.models import CourseStatus

        with self.app.app_context():
            try:
                course = import_package(data, file_name, ImportOptions(code=code, status=CourseStatus.PUBLISHED))
            except PackageError as error:
                db.session.rollback()
                return False, "; ".join(error.problems)
            db.session.commit()
            return True, course.code

    def enrol(self, code: str) -> int:
        from academy.extensions import db
        from courses.models import Course, Enrolment, EnrolmentSource

        with self.app.app_context():
            course = db.session.scalar(db.select(Course).where(Course.code == code))
            enrolment = Enrolment(person_id=self.person_id, course_id=course.id, source=EnrolmentSource.SELF)
            db.session.add(enrolment)
            db.session.commit()
            return enrolment.id

    def launch(self, enrolment_id: int, mode: str = "Normal") -> Any:
        from academy.extensions import db
        from courses.cmi5.models import LaunchMode
        from courses.cmi5.services.importer import structure_of
        from courses.cmi5.services.launch import launch_au
        from courses.models import Enrolment
        from tests.courses.cmi5.au import Au

        with self.app.app_context():
            enrolment = db.session.get(Enrolment, enrolment_id)
            unit = structure_of(enrolment.course)[1][0]
            launched = launch_au(enrolment, unit, LaunchMode(mode))
            url = launched.url
            db.session.commit()
        return Au(self.client, url)

    def waive(self, enrolment_id: int, reason: str) -> None:
        from academy.extensions import db
        from courses.cmi5.services.importer import structure_of
        from courses.cmi5.services.launch import waive_au
        from courses.models import Enrolment

        with self.app.app_context():
            enrolment = db.session.get(Enrolment, enrolment_id)
            waive_au(enrolment, structure_of(enrolment.course)[1][0], reason)
            db.session.commit()

    def statements(self, registration: str) -> list[dict[str, Any]]:
        """The registration's statements in ascending order, read from /xapi as an LRS client."""
        found: list[dict[str, Any]] = []
        path = f"/xapi/statements?registration={registration}&ascending=true"
        while path:
            response = self.client.get(
                path, headers={"Authorization": self.reader, "X-Experience-API-Version": "1.0.3"}
            )
            page = response.get_json()
            found += page["statements"]
            path = page["more"]
        return found


# --- the AUs, played ---------------------------------------------------------------------------


def _verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]


def _categories(statement: dict[str, Any]) -> set[str]:
    return {a["id"] for a in statement.get("context", {}).get("contextActivities", {}).get("category", [])}


def _grouping(statement: dict[str, Any]) -> set[str]:
    return {a["id"] for a in statement.get("context", {}).get("contextActivities", {}).get("grouping", [])}


def _session(statement: dict[str, Any]) -> Any:
    return statement.get("context", {}).get("extensions", {}).get(CMI5 + "context/extensions/sessionid")


def _status(response: Any) -> int:
    return int(response.status_code)


def start(au: Any) -> bool:
    """What the cmi5 client library's start() does: fetch, LaunchData, learner preferences, initialized."""
    au.fetch()
    au.load_launch_data()
    if _status(au.read_preferences()) not in (200, 404):
        return False
    return _status(au.send(au.initialized())) == 204


def refused(response: Any, *statuses: int) -> bool:
    return _status(response) in (statuses or (403,))


def run_001(h: Harness, name: str, enrolment: int) -> None:
    r = h.report
    au = h.launch(enrolment)
    url = urlsplit(au.launch_url)
    r.check(name, "launch URL path ends with /index.html", url.path.endswith("/index.html"))
    for parameter in ("endpoint", "fetch", "actor", "registration", "activityId"):
        r.check(name, f"launch URL carries {parameter}", bool(au.params.get(parameter)))
    r.check(
        name,
        "actor is an Agent with an account",
        "account" in au.actor and au.actor.get("objectType", "Agent") == "Agent",
    )
    r.check(name, "activityId is not the publisher id", au.activity_id != LTS + "au/001-essentials")
    r.check(
        name,
        "paramA=1 and paramB=2 from cmi5.xml kept",
        au.params.get("paramA") == "1" and au.params.get("paramB") == "2",
    )
    token = au.fetch()
    r.check(name, "fetch returns auth-token", "auth-token" in token)
    data = au.load_launch_data()
    template = data.get("contextTemplate", {})
    r.check(name, "LaunchData contextTemplate has the session id", bool(_session({"context": template})))
    r.check(
        name,
        "LaunchData grouping has the AU publisher id",
        LTS + "au/001-essentials" in _grouping({"context": template}),
    )
    r.check(name, "LaunchData launchMode", "launchMode" in data)
    r.check(name, "LaunchData launchParameters", data.get("launchParameters") == "sample string")
    r.check(name, "LaunchData masteryScore is 0.9", data.get("masteryScore") == 0.9)
    r.check(name, "LaunchData moveOn is CompletedAndPassed", data.get("moveOn") == "CompletedAndPassed")
    r.check(
        name,
        "LaunchData entitlementKey.courseStructure",
        data.get("entitlementKey", {}).get("courseStructure") == "sample value",
    )
    r.check(name, "learner preferences answer 200 or 404", _status(au.read_preferences()) in (200, 404))
    # As 001's script builds them: no score, so no masteryScore extension.
    passed = au.statement("passed", {"success": True, "duration": "PT1S"}, moveon=True)
    completed = au.statement("completed", {"completion": True, "duration": "PT1S"}, moveon=True)
    terminated = au.statement("terminated", {"duration": "PT15S"})
    for statement in (au.initialized(), passed, completed, terminated):
        verb = statement["verb"]["display"]["en-US"]
        response = au.send(statement)
        r.check(name, f"{verb} stored (204)", _status(response) == 204, response.get_data(as_text=True))
    statements = h.statements(au.registration)
    verbs = _verbs(statements)
    r.check(name, "one launched statement (9.3.1.0-2)", verbs.count("launched") == 1, str(verbs))
    r.check(name, "first statement is launched (9.3.1.0-1)", verbs[:1] == ["launched"], str(verbs))
    if len(statements) < 6:
        r.check(name, "six statements or more", False, str(verbs))
        return
    first, fifth, sixth = statements[0], statements[4], statements[5]
    r.check(
        name,
        "cmi5 category in statements 1, 5, 6 (9.6.2.1-1)",
        all(CMI5 + "context/categories/cmi5" in _categories(s) for s in (first, fifth, sixth)),
    )
    extensions = first["context"]["extensions"]
    r.check(
        name, "launched: session id (9.6.3.1-3)", extensions.get(CMI5 + "context/extensions/sessionid") == au.session_id
    )
    r.check(name, "launched: masteryScore (9.6.3.2-1)", extensions.get(CMI5 + "context/extensions/masteryscore") == 0.9)
    r.check(
        name,
        "launched: launchMode (9.6.3.3-1)",
        extensions.get(CMI5 + "context/extensions/launchmode") == data["launchMode"],
    )
    launch_url = urlsplit(extensions.get(CMI5 + "context/extensions/launchurl", ""))
    query = parse_qs(launch_url.query)
    r.check(
        name,
        "launched: launchurl host, path, paramA, paramB (9.6.3.4-1)",
        (launch_url.netloc, launch_url.path) == (url.netloc, url.path)
        and query.get("paramA") == ["1"]
        and query.get("paramB") == ["2"],
    )
    r.check(
        name, "launched: moveOn (9.6.3.6-1)", extensions.get(CMI5 + "context/extensions/moveon") == "CompletedAndPassed"
    )
    r.check(
        name,
        "launched: launchParameters (9.6.3.7-1)",
        extensions.get(CMI5 + "context/extensions/launchparameters") == "sample string",
    )
    r.check(name, "statement 5 is satisfied (9.3.9.0-1)", fifth["verb"]["id"] == SATISFIED)
    r.check(
        name,
        "statement 5 object is a block (9.3.9.0-2)",
        fifth["object"].get("definition", {}).get("type") == CMI5 + "activitytype/block",
    )
    r.check(
        name,
        "statement 5 object is not the block's publisher id (9.3.9.0-4)",
        fifth["object"]["id"] != LTS + "block/001-essentials",
    )
    r.check(name, "statement 6 is satisfied (9.3.9.0-5)", sixth["verb"]["id"] == SATISFIED)
    r.check(
        name,
        "statement 6 object is the course (9.3.9.0-6)",
        sixth["object"].get("definition", {}).get("type") == CMI5 + "activitytype/course",
    )
    r.check(
        name,
        "statement 6 object is not the course's publisher id (9.3.9.0-8)",
        sixth["object"]["id"] != LTS + "course/001-essentials",
    )
    r.check(
        name,
        "statements 5 and 6 carry the launch's session id (9.3.9.0-9)",
        _session(fifth) == _session(sixth) == au.session_id,
    )
    r.check(
        name,
        "block and course publisher ids in grouping (9.6.2.3-2)",
        LTS + "block/001-essentials" in _grouping(fifth) and LTS + "course/001-essentials" in _grouping(sixth),
    )


def run_simple(
    h: Harness, name: str, enrolment: int, *, verb: str | None, expected: dict[int, str], group: bool
) -> None:
    """002-004: start, one statement (or none), terminate; then the statements' verbs by index."""
    r = h.report
    au = h.launch(enrolment)
    r.check(name, "AU starts (fetch, LaunchData, preferences, initialized)", start(au))
    if verb == "experienced":
        r.check(name, "allowed statement stored", _status(au.send(au.allowed())) == 204)
    elif verb is not None:
        statement = au.completed() if verb == "completed" else au.passed()
        r.check(name, f"{verb} stored", _status(au.send(statement)) == 204)
    r.check(name, "terminated stored", _status(au.send(au.terminated())) == 204)
    statements = h.statements(au.registration)
    verbs = _verbs(statements)
    for index, wanted in expected.items():
        r.check(name, f"statement {index + 1} is {wanted}", len(verbs) > index and verbs[index] == wanted, str(verbs))
    if group:
        slug = name
        satisfied = [s for s in statements if s["verb"]["id"] == SATISFIED]
        r.check(
            name,
            "satisfied of the block, then of the course, with their publisher ids in grouping (9.6.2.3-2)",
            len(satisfied) == 2
            and LTS + f"block/{slug}" in _grouping(satisfied[0])
            and LTS + f"course/{slug}" in _grouping(satisfied[1]),
            str([sorted(_grouping(s)) for s in satisfied]),
        )


def run_005_1(h: Harness, name: str, enrolment: int) -> None:
    from tests.courses.cmi5.au import basic, path_of

    r = h.report
    au = h.launch(enrolment)
    early = au.allowed()
    r.check(
        name,
        "statement with made-up credentials before the fetch refused (8.1.2.0-2)",
        refused(au.send(early, auth=basic("catapult", "fire some Rustici Software rocks!")), 401, 403),
    )
    au.fetch()
    au.load_launch_data()
    r.check(
        name, "initialized before reading learner preferences refused (11.0.0.0-3)", refused(au.send(au.initialized()))
    )
    au.read_preferences()
    second = au.client.post(path_of(au.params["fetch"]))
    body = second.get_json() or {}
    r.check(
        name,
        "second fetch: 200, no auth-token, error-code 1-3 (8.2.3.0-1)",
        second.status_code == 200 and "auth-token" not in body and body.get("error-code") in ("1", "2", "3"),
    )
    launch_data = au.state_params("LMS.LaunchData")
    r.check(
        name,
        "PUT LMS.LaunchData refused (10.2.1.0-5)",
        _status(au.xapi("PUT", "/activities/state", launch_data, {"test": True})) not in (200, 204),
    )
    r.check(
        name,
        "DELETE LMS.LaunchData refused (10.2.1.0-5)",
        _status(au.xapi("DELETE", "/activities/state", launch_data)) != 204,
    )

    def save_preferences(body: Any, agent: Any = "actor", content_type: str | None = "application/json") -> int:
        params = {"profileId": "cmi5LearnerPreferences"}
        if agent is not None:
            params["agent"] = json.dumps(au.actor if agent == "actor" else agent)
        return _status(au.xapi("PUT", "/agents/profile", params, body, content_type=content_type))

    good = {"languagePreference": "en-US,fr-FR,fr-BE", "audioPreference": "on"}
    r.check(name, "preferences without agent: 400 (11.0.0.0-1)", save_preferences(good, agent=None) == 400)
    r.check(
        name,
        "preferences of another agent: 403 (11.0.0.0-1)",
        save_preferences(good, agent={"mbox": "mailto:catapult@example.com"}) == 403,
    )
    r.check(
        name, "preferences without Content-Type: 403 (11.0.0.0-5)", save_preferences(good, content_type=None) == 403
    )
    r.check(
        name,
        "preferences not an object: 403 (11.0.0.0-5)",
        save_preferences("just some text", content_type="text/plain") == 403,
    )
    r.check(name, "preferences without languagePreference: 403", save_preferences({"audioPreference": "on"}) == 403)
    r.check(name, "preferences without audioPreference: 403", save_preferences({"languagePreference": "en-US"}) == 403)
    r.check(
        name,
        "languagePreference not comma separated: 403 (11.1.0.0-1)",
        save_preferences({**good, "languagePreference": "not comma separated"}) == 403,
    )
    r.check(
        name, "languagePreference empty: 403 (11.1.0.0-1)", save_preferences({**good, "languagePreference": ""}) == 403
    )
    r.check(name, "statement before initialized refused (9.3.0.0-4)", refused(au.send(early)))
    r.check(name, "initialized stored", _status(au.send(au.initialized())) == 204)
    r.check(
        name, "statement without credentials refused (8.1.2.0-5)", refused(au.send(au.allowed(), auth=""), 401, 403)
    )
    stored = au.allowed()
    r.check(name, "allowed statement stored (9.3.0.0-9)", _status(au.send(stored)) == 204)
    voiding = au.statement("voided")
    voiding["object"] = {"id": stored["id"], "objectType": "StatementRef"}
    r.check(name, "voiding statement refused (6.3.0.0-1)", refused(au.send(voiding)))

    templates = {
        "allowed": au.allowed,
        "initialized": au.initialized,
        "completed": au.completed,
        "passed": lambda: au.passed({"min": 0, "max": 100, "scaled": 0.9, "raw": 90}),
        "failed": lambda: au.failed({"min": 0, "max": 100, "scaled": 0.89, "raw": 89}),
        "terminated": au.terminated,
    }

    def drop(*path: str) -> Callable[[dict[str, Any]], None]:
        def alter(statement: dict[str, Any]) -> None:
            target = statement
            for part in path[:-1]:
                target = target[part]
            target.pop(path[-1], None)

        return alter

    def put(*path_value: Any) -> Callable[[dict[str, Any]], None]:
        *path, value = path_value

        def alter(statement: dict[str, Any]) -> None:
            target = statement
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value

        return alter

    def pop_category(statement: dict[str, Any]) -> None:
        statement["context"]["contextActivities"]["category"].pop()

    def add_moveon(statement: dict[str, Any]) -> None:
        statement["context"]["contextActivities"]["category"].append({"id": CMI5 + "context/categories/moveon"})

    mastery = CMI5 + "context/extensions/masteryscore"
    steps: list[tuple[str, str, Callable[[dict[str, Any]], None] | None, str]] = [
        ("9.1.0.0-1", "allowed", drop("id"), "post"),
        ("9.7.0.0-1", "allowed", drop("timestamp"), "refuse"),
        ("9.7.0.0-2", "allowed", lambda s: s.update(timestamp=s["timestamp"].replace("Z", "-06:00")), "refuse"),
        ("9.2.0.0-2 Group", "passed", lambda s: s["actor"].update(objectType="Group"), "refuse"),
        ("9.2.0.0-2 Unknown", "passed", lambda s: s["actor"].update(objectType="Unknown"), "400/403"),
        (
            "9.2.0.0-3",
            "passed",
            lambda s: (s["actor"].pop("account"), s["actor"].update(mbox="mailto:catapult@example.com")),
            "refuse",
        ),
        ("9.3.2.0-3", "initialized", None, "refuse"),
        ("8.1.5.0-6", "passed", put("object", "id", "http://example.com/not/the/lms/id"), "refuse"),
        ("9.6.0.0-1", "passed", drop("context"), "refuse"),
        ("9.6.1.0-1 missing", "passed", drop("context", "registration"), "refuse"),
        ("9.6.1.0-1 wrong", "passed", put("context", "registration", "ccaf384c-f8d4-4e7a-8304-49af58f0b176"), "refuse"),
        ("9.5.3.0-2", "passed", put("result", "completion", True), "refuse"),
        ("9.5.2.0-3", "completed", put("result", "success", True), "refuse"),
        ("9.5.3.0-1 missing", "completed", drop("result", "completion"), "refuse"),
        ("9.5.3.0-1 false", "completed", put("result", "completion", False), "refuse"),
        ("9.5.1.0-2", "completed", put("result", "score", {"raw": 50, "scaled": 0.5, "min": 0, "max": 100}), "refuse"),
        ("9.5.4.1-1 no result", "terminated", drop("result"), "refuse"),
        ("9.5.4.1-1 no duration", "terminated", drop("result", "duration"), "refuse"),
        ("9.5.4.1-2", "completed", drop("result", "duration"), "refuse"),
        ("9.5.4.1-3", "passed", drop("result", "duration"), "refuse"),
        ("9.5.4.1-4", "failed", drop("result", "duration"), "refuse"),
        ("completed to succeed", "completed", None, "store"),
        ("9.3.0.0-2 completed twice", "completed", None, "refuse"),
        ("9.5.2.0-1 missing", "passed", drop("result", "success"), "refuse"),
        ("9.5.2.0-1 false", "passed", put("result", "success", False), "refuse"),
        ("9.5.2.0-2 missing", "failed", drop("result", "success"), "refuse"),
        ("9.5.2.0-2 true", "failed", put("result", "success", True), "refuse"),
        ("9.3.4.0-2", "passed", put("result", "score", {"scaled": 0.89}), "refuse"),
        ("9.3.5.0-2 equal", "failed", put("result", "score", {"scaled": 0.9}), "refuse"),
        ("9.3.5.0-2 above", "failed", put("result", "score", {"scaled": 0.91}), "refuse"),
        ("9.5.1.0-3 no min", "passed", drop("result", "score", "min"), "refuse"),
        ("9.5.1.0-3 no max", "passed", drop("result", "score", "max"), "refuse"),
        ("9.6.2.2-1 completed", "completed", pop_category, "refuse"),
        ("9.6.2.2-1 passed", "passed", pop_category, "refuse"),
        ("9.6.2.2-1 failed", "failed", pop_category, "refuse"),
        (
            "9.6.2.2-2 allowed",
            "allowed",
            lambda s: s["context"]["contextActivities"].update(category=[{"id": CMI5 + "context/categories/moveon"}]),
            "refuse",
        ),
        ("9.6.2.2-2 terminated", "terminated", add_moveon, "refuse"),
        ("9.6.3.2-2 missing", "passed", drop("context", "extensions", mastery), "refuse"),
        ("9.6.3.2-2 wrong", "passed", put("context", "extensions", mastery, 0.8), "refuse"),
        ("9.6.3.1-4", "allowed", drop("context", "extensions", CMI5 + "context/extensions/sessionid"), "refuse"),
        ("passed to succeed", "passed", None, "store"),
        ("9.3.0.0-2 passed twice", "passed", None, "refuse"),
        ("9.3.0.0-8 failed after passed", "failed", None, "refuse"),
    ]
    for requirement, kind, alter, expect in steps:
        statement = templates[kind]()
        statement["id"] = str(uuid.uuid4())
        if alter is not None:
            alter(statement)
        response = au.send(statement, method="POST" if expect == "post" else "PUT")
        status = _status(response)
        if expect == "store":
            ok = status == 204
        elif expect == "400/403":
            ok = status in (400, 403)
        else:
            ok = status == 403
        r.check(
            name,
            f"{kind} {requirement}: {'stored' if expect == 'store' else 'refused'}",
            ok,
            f"{status} {response.get_data(as_text=True)[:120]}",
        )
    r.check(name, "terminated stored", _status(au.send(au.terminated())) == 204)
    r.check(name, "statement after terminated refused (9.3.0.0-5)", refused(au.send(au.allowed()), 401, 403))
    state = au.xapi("GET", "/activities/state", au.state_params("008-1-abandoned"))
    r.check(name, "state request after terminated refused (8.1.2.0-2)", _status(state) not in (200, 204))


def run_005_2(h: Harness, name: str, enrolment: int) -> None:
    r = h.report
    au = h.launch(enrolment)
    r.check(name, "AU starts", start(au))
    r.check(name, "failed stored", _status(au.send(au.failed())) == 204)
    r.check(name, "failed twice in a session refused (9.3.0.0-2)", refused(au.send(au.failed())))
    r.check(name, "passed after failed in a session refused (9.3.0.0-3)", refused(au.send(au.passed())))
    r.check(name, "terminated stored", _status(au.send(au.terminated())) == 204)


def run_006(h: Harness, name: str, enrolment: int) -> None:
    r = h.report
    for mode in ("Browse", "Review"):
        au = h.launch(enrolment, mode)
        r.check(name, f"{mode}: AU starts with launchMode {mode}", start(au) and au.data.get("launchMode") == mode)
        for statement in (au.completed(), au.failed(), au.passed()):
            verb = statement["verb"]["display"]["en-US"]
            r.check(name, f"{mode}: {verb} refused (10.2.2.0)", refused(au.send(statement)))
        r.check(name, f"{mode}: terminated stored", _status(au.send(au.terminated())) == 204)


def run_007(h: Harness, name: str, enrolment: int, verb: str) -> None:
    r = h.report
    state_id = name
    first = h.launch(enrolment)
    r.check(name, "first session starts", start(first))
    r.check(
        name,
        "first session: state not there yet",
        _status(first.xapi("GET", "/activities/state", first.state_params(state_id))) == 404,
    )
    statement = first.completed() if verb == "completed" else first.passed()
    r.check(name, f"first session: {verb} stored", _status(first.send(statement)) == 204)
    r.check(
        name,
        "first session: state saved",
        _status(first.xapi("PUT", "/activities/state", first.state_params(state_id), {"firstRun": True})) == 204,
    )
    r.check(name, "first session: terminated stored", _status(first.send(first.terminated())) == 204)
    second = h.launch(enrolment)
    r.check(
        name, "second session (same registration) starts", start(second) and second.registration == first.registration
    )
    r.check(
        name,
        "second session: state read back",
        _status(second.xapi("GET", "/activities/state", second.state_params(state_id))) == 200,
    )
    if verb == "completed":
        r.check(name, "second session: completed again refused (9.3.0.0-6)", refused(second.send(second.completed())))
    else:
        r.check(name, "second session: passed again refused (9.3.0.0-7)", refused(second.send(second.passed())))
        r.check(name, "second session: failed after passed refused (9.3.0.0-8)", refused(second.send(second.failed())))
    r.check(name, "second session: terminated stored", _status(second.send(second.terminated())) == 204)


def run_008(h: Harness, name: str, enrolment: int) -> None:
    r = h.report
    au = h.launch(enrolment)
    r.check(name, "AU starts", start(au))
    h.launch(enrolment)  # the learner launches again: the open session is abandoned
    r.check(name, "statement after abandoned refused (9.3.6.0-2)", refused(au.send(au.allowed()), 401, 403))
    state = au.xapi("GET", "/activities/state", au.state_params("008-1-abandoned"))
    r.check(name, "state request after abandoned refused (8.1.2.0-2)", _status(state) not in (200, 204))
    statements = h.statements(au.registration)
    third = statements[2] if len(statements) > 2 else {}
    r.check(
        name,
        "statement 3 is abandoned",
        third.get("verb", {}).get("id") == "https://w3id.org/xapi/adl/verbs/abandoned",
        str(_verbs(statements)),
    )
    if not third:
        return
    r.check(name, "abandoned: the session id", _session(third) == au.session_id)
    r.check(name, "abandoned: cmi5 category", CMI5 + "context/categories/cmi5" in _categories(third))
    r.check(name, "abandoned: result.duration", "duration" in third.get("result", {}))
    r.check(name, "abandoned: the actor", third["actor"].get("account") == au.actor["account"])
    r.check(name, "abandoned: object is the activityId", third["object"]["id"] == au.activity_id)
    r.check(name, "abandoned: the registration", third["context"]["registration"] == au.registration)


def run_009(h: Harness, name: str, enrolment: int) -> None:
    r = h.report
    au = h.launch(enrolment)
    r.check(name, "AU starts", start(au))
    r.check(name, "terminated stored", _status(au.send(au.terminated())) == 204)
    h.waive(enrolment, "Administrative")
    statements = h.statements(au.registration)
    if len(statements) < 5:
        r.check(name, "five statements or more", False, str(_verbs(statements)))
        return
    fourth, fifth = statements[3], statements[4]
    r.check(
        name,
        "statement 4 is waived",
        fourth["verb"]["id"] == "https://w3id.org/xapi/adl/verbs/waived",
        str(_verbs(statements)),
    )
    r.check(
        name,
        "waived: reason extension",
        fourth.get("result", {}).get("extensions", {}).get(CMI5 + "result/extensions/reason") == "Administrative",
    )
    r.check(name, "waived: a session id of its own", bool(_session(fourth)) and _session(fourth) != au.session_id)
    r.check(name, "waived: result.success true", fourth.get("result", {}).get("success") is True)
    r.check(name, "waived: result.completion true", fourth.get("result", {}).get("completion") is True)
    r.check(
        name,
        "waived: cmi5 and moveon categories",
        {CMI5 + "context/categories/cmi5", CMI5 + "context/categories/moveon"} <= _categories(fourth),
    )
    r.check(
        name,
        "waived: actor, registration, object",
        fourth["actor"].get("account") == au.actor["account"]
        and fourth["context"]["registration"] == au.registration
        and fourth["object"]["id"] == au.activity_id,
    )
    r.check(name, "statement 5 is satisfied", fifth["verb"]["id"] == SATISFIED)
    r.check(
        name,
        "satisfied: cmi5 category, actor, registration",
        CMI5 + "context/categories/cmi5" in _categories(fifth)
        and fifth["actor"].get("account") == au.actor["account"]
        and fifth["context"]["registration"] == au.registration,
    )
    r.check(name, "satisfied: the waived statement's session id", _session(fifth) == _session(fourth))


RUNTIME: dict[str, Callable[[Harness, str, int], None]] = {
    "001-essentials": run_001,
    "002-allowed": lambda h, n, e: run_simple(h, n, e, verb="experienced", expected={2: "experienced"}, group=False),
    "003-launchMethod-OwnWindow": lambda h, n, e: run_simple(h, n, e, verb=None, expected={0: "launched"}, group=False),
    "004-1-moveOn-Completed": lambda h, n, e: run_simple(
        h, n, e, verb="completed", expected={3: "satisfied", 4: "satisfied"}, group=True
    ),
    "004-2-moveOn-CompletedOrPassed": lambda h, n, e: run_simple(
        h, n, e, verb="completed", expected={3: "satisfied", 4: "satisfied"}, group=True
    ),
    "004-3-moveOn-Passed": lambda h, n, e: run_simple(
        h, n, e, verb="passed", expected={3: "satisfied", 4: "satisfied"}, group=True
    ),
    "004-4-moveOn-CompletedOrPassed": lambda h, n, e: run_simple(
        h, n, e, verb="passed", expected={3: "satisfied", 4: "satisfied"}, group=True
    ),
    "004-5-moveOn-NotApplicable": lambda h, n, e: run_simple(
        h, n, e, verb=None, expected={0: "satisfied", 1: "satisfied", 2: "launched"}, group=True
    ),
    "005-1-invalid-au": run_005_1,
    "005-2-invalid-au": run_005_2,
    "006-launchMode": run_006,
    "007-1-multi-session": lambda h, n, e: run_007(h, n, e, "completed"),
    "007-2-multi-session": lambda h, n, e: run_007(h, n, e, "passed"),
    "008-1-abandoned": run_008,
    "009-1-waived": run_009,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="CATAPULT's lts folder (or lts/pkg/src, lts/pkg/dist)")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, help="run on PostgreSQL at this server URL")
    args = parser.parse_args()
    packages = find_packages(args.folder)
    report = Report()
    started = time.perf_counter()
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as files:
        harness = Harness(url, report, files)
        for number, (name, (file_name, data)) in enumerate(sorted(packages.items()), start=1):
            prefix = name[:3]
            code = f"LTS-{number:03d}"
            tick = time.perf_counter()
            ok, detail = harness.import_package(file_name, data, code)
            seconds = time.perf_counter() - tick
            if prefix.startswith("2"):
                report.check(name, "rejected", not ok, "it was imported")
                if not ok:
                    print(f"      reason: {detail}")
                continue
            report.check(name, f"imported in {seconds:.2f} s", ok, detail)
            if ok and name in RUNTIME:
                RUNTIME[name](harness, name, harness.enrol(code))
        with harness.app.app_context():
            from academy.extensions import db

            db.engine.dispose()
    print(
        f"\n{report.passed} checks passed, {len(report.failed)} failed, {len(packages)} packages, "
        f"{time.perf_counter() - started:.1f} s"
    )
    for line in report.failed:
        print(line)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
