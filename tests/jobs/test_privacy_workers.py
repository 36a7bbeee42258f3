"""The person's own data on real workers: *My data* built by a worker, an erasure delivered several times.

The same stacks (``stack``, tests/jobs/conftest.py) as tests/jobs/test_workers.py: a database of
the test's own (SQLite file or PostgreSQL), real ``celery worker`` processes on the embedded broker and on Redis.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.auth.models import Role
from academy.auth.services import create_user
from academy.db import db
from academy.ifi import ifi_key
from academy.org.models import Agency, IdentifierKind, Person, PersonStatus
from academy.org.services import add_identifier, apply_role_profile
from academy.privacy.erasure import approve_erasure, request_erasure
from academy.privacy.export import data_subject, stream_export
from jobs import queue_erasure, queue_my_data
from jobs.models import JobState
from jobs.services import send, storage_root
from lrs import XapiVersion, store_statements
from lrs.models import Statement
from tests.jobs.conftest import AGENCY, Stack
from tests.jobs.conftest import finished_job as _finished
from tests.jobs.conftest import job_row as _job
from tests.jobs.conftest import read_value as _read
from tests.jobs.conftest import worker_logs as _logs
from tests.support.app import BASE_URL, position
from tests.support.jobs import wait_for, workers
from tests.support.lrs import statement

pytestmark = [
    pytest.mark.own_database,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"),
]

STATEMENTS = 300
EMAIL = "prasert.leaver@example.go.th"


def _person(email: str, *, inactive: bool = False) -> tuple[Person, int]:
    agency = db.session.scalars(select(Agency).where(Agency.code == AGENCY)).one()
    line, level = position("K-COMP", "K2")
    person = Person(
        agency=agency,
        employee_no="EW-5501",
        title_th="นาย",
        first_name_th="ประเสริฐ",
        last_name_th="ทดสอบงาน",
        title_en="Mr.",
        first_name_en="Prasert",
        last_name_en="Jobtest",
        email=email,
        position_line=line,
        position_level=level,
        status=PersonStatus.INACTIVE if inactive else PersonStatus.ACTIVE,
    )
    apply_role_profile(person)
    db.session.add(person)
    db.session.flush()
    add_identifier(person, IdentifierKind.MBOX, f"mailto:{email}")
    user = create_user(email=f"login.{email}", password="a-long-test-password", roles={Role.LEARNER}, person=person)
    authority = {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": "test-provider"}}
    actor = {"objectType": "Agent", "mbox": f"mailto:{email}"}
    store_statements([statement(actor=actor) for _ in range(STATEMENTS)], version=XapiVersion.V2, authority=authority)
    db.session.commit()
    return person, user.id


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_my_data_built_by_a_worker_is_the_zip_the_request_streams(stack: Stack) -> None:
    from academy.auth.models import User

    person, user_id = _person("somchai.mydata@example.go.th")
    user = db.session.get(User, user_id)
    person_id, job_id = person.id, queue_my_data(user, person).id
    db.session.commit()  # sends it
    db.session.remove()
    with workers(stack.environ, stack.workdir) as running:
        job = wait_for(lambda: _finished(job_id), 120, "the export", lambda: _logs(*running))
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.file_path is not None and job.done == job.total and job.started_by_id == user_id
    from_worker = _members((storage_root() / job.file_path).read_bytes())
    person = db.session.get(Person, person_id)
    assert person is not None
    with stack.app.test_request_context():
        immediate = b"".join(stream_export(data_subject(person), datetime.fromisoformat(job.params["generated"])))
    db.session.remove()
    assert from_worker == _members(immediate)
    assert b'"xapi_statements": 300' in from_worker["counts.json"]


def test_an_erasure_delivered_three_times_erases_once(stack: Stack) -> None:
    from academy.auth.models import User

    person, user_id = _person(EMAIL, inactive=True)
    person_id = person.id
    admin = create_user(email="admin.erasure@example.go.th", password="a-long-test-password", roles={Role.ADMIN})
    request = request_erasure(person, "left the service", admin)
    approve_erasure(request, admin)
    job_id = queue_erasure(admin, request.id).id
    db.session.commit()  # sends it
    request_id = request.id
    db.session.remove()
    former = ifi_key("mbox", f"mailto:{EMAIL}")
    with workers(stack.environ, stack.workdir, count=2) as running:
        send(job_id)  # the same message twice more, to two workers at once
        send(job_id)
        job = wait_for(lambda: _finished(job_id), 120, "the erasure", lambda: _logs(*running))
        send(job_id)  # and once more after it finished
        time.sleep(3)
    assert job.state is JobState.SUCCEEDED, job.error
    # Deliveries that arrive while it runs count as attempts (they find it busy and retry later);
    # what must hold is that the erasure itself ran once and the late delivery changed nothing.
    assert job.attempts >= 1 and _job(job_id).finished_at == job.finished_at
    assert job.result is not None and job.result["statements_rewritten"] == STATEMENTS
    erased = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "person.erase")
    assert _read(erased) == 1
    assert _read(select(func.count()).select_from(Statement).where(Statement.actor_key == former)) == 0
    pseudonym = _read(select(Person.employee_no).where(Person.id == person_id))
    assert pseudonym.startswith("erased-")
    pseudonym_key = ifi_key("account", pseudonym, BASE_URL)
    assert _read(select(func.count()).select_from(Statement).where(Statement.actor_key == pseudonym_key)) == STATEMENTS
    assert _read(select(User.email).where(User.id == user_id)) == f"{pseudonym}@erased.invalid"
    from academy.privacy.models import ErasureRequest, ErasureStatus

    assert _read(select(ErasureRequest.status).where(ErasureRequest.id == request_id)) is ErasureStatus.DONE
