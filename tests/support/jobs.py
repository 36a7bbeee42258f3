"""Jobs in tests: import files, real Celery workers and brokers in subprocesses, waiting for a job."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from academy.org.importer import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
HEADER = [column.name for column in COLUMNS]
REDIS_URL = os.environ.get("ACADEMY_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
RABBITMQ_URL = os.environ.get("ACADEMY_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def person_row(agency: str, number: int, **fields: str) -> dict[str, str]:
    values = {
        "agency_code": agency,
        "employee_no": f"E{number:07d}",
        "title_th": "นาง",
        "first_name_th": "สมศรี",
        "last_name_th": f"ทดสอบ{number}",
        "title_en": "Mrs.",
        "first_name_en": "Somsri",
        "last_name_en": f"Test{number}",
        "email": f"p{number}@example.go.th",
        "position_line_code": "K-COMP",
        "position_level_code": "K2",
        "position_type_code": "",
        "is_cio": "no",
        "status": "active",
        "start_date": "2560-10-01",
    }
    values.update(fields)
    return values


def write_people(path: Path, agency: str, count: int, start: int = 1, **fields: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for number in range(start, start + count):
            writer.writerow(person_row(agency, number, **fields))
    return path


def rabbitmq_answers(url: str = RABBITMQ_URL) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=1):
            return True
    except OSError:
        return False


def redis_answers(url: str = REDIS_URL) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def broker_environ(kind: str, workdir: Path) -> dict[str, str]:
    """The settings of a broker of this kind for one test: Redis with a key prefix of its own, or the embedded one."""
    if kind == "redis":
        return {
            "ACADEMY_CELERY_BROKER_URL": REDIS_URL,
            "ACADEMY_CELERY_KEY_PREFIX": f"academy-test-{uuid.uuid4().hex[:8]}:",
            # A message whose worker died comes back after 3 s (a running job's second delivery waits on its lock).
            "ACADEMY_CELERY_VISIBILITY_TIMEOUT": "3",
        }
    if kind == "rabbitmq":
        # A queue of the test's own on the server's default vhost.
        return {
            "ACADEMY_CELERY_BROKER_URL": RABBITMQ_URL,
            "ACADEMY_CELERY_QUEUE": f"academy-test-{uuid.uuid4().hex[:8]}",
        }
    return {"ACADEMY_CELERY_BROKER_URL": f"sqla+sqlite:///{workdir / 'broker.sqlite3'}"}


def clear_redis_prefix(prefix: str, url: str = REDIS_URL) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def delete_rabbitmq_queue(name: str, url: str = RABBITMQ_URL) -> None:
    from kombu import Connection

    with Connection(url) as connection:
        connection.default_channel.queue_delete(name)


class Worker:
    """A real ``celery worker`` process (in a process group of its own, so it can be killed whole)."""

    def __init__(self, environ: dict[str, str], log: Path, name: str, *, beat: bool = False) -> None:
        command = [
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            command.append("--beat")
        self._start(command, environ, log)

    def _start(self, arguments: list[str], environ: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jobs.worker:celery_app", *arguments],
            cwd=ROOT,
            env={**os.environ, **environ},
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a lost machine)."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._handle.close()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


class Beat(Worker):
    """A real ``celery beat`` process with a schedule file of its own (as on another machine)."""

    def __init__(self, environ: dict[str, str], log: Path, schedule: Path) -> None:
        self._start(["beat", "--loglevel", "INFO", "--schedule", str(schedule)], environ, log)


@contextmanager
def workers(environ: dict[str, str], workdir: Path, count: int = 1) -> Iterator[list[Worker]]:
    started = [Worker(environ, workdir / f"worker{n}.log", f"w{n}") for n in range(count)]
    # Let each worker declare its queue before the test sends anything: on the embedded broker two
    # processes declaring it at once can collide (kombu_queue.name is unique).
    deadline = time.monotonic() + 60
    for worker in started:
        while time.monotonic() < deadline and " ready." not in (worker.log.read_text() if worker.log.exists() else ""):
            time.sleep(0.2)
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


def wait_for(check: Callable[[], Any], timeout: float, what: str, logs: Callable[[], str] = lambda: "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{logs()}")


def declare_together(broker_url: str, barrier: Any, results: Any) -> None:
    """In a process of its own: the jobs' Celery app on this broker; wait for the others, declare the queues."""
    from flask import Flask

    from academy.config import JobsSettings
    from jobs.broker import declare_queues
    from jobs.celery_app import init_celery

    app = Flask("academy")
    settings = JobsSettings.from_environ({"ACADEMY_CELERY_BROKER_URL": broker_url})
    app.config.update(settings.flask_config(), ACADEMY_GDX_PUSH_AT="02:00", ACADEMY_GDX_FEED_MAX_AGE=0)
    app.config["ACADEMY_JOBS_STORAGE_DIR"] = str(Path(broker_url.removeprefix("sqla+sqlite:///")).parent / "jobs")
    celery = init_celery(app)
    barrier.wait(60)
    try:
        declare_queues(celery)
        results.put("declared")
    except Exception as error:
        results.put(repr(error))
    finally:
        celery.close()


class SmtpSink:
    """A loopback SMTP server (aiosmtpd) on a port of its own, which the test starts and stops."""

    def __init__(self) -> None:
        from tests.support.mail import Mailbox, _free_port

        self.box = Mailbox()
        self.port = _free_port()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        return sorted(recipient for _sender, recipients in self.box.envelopes for recipient in recipients)
