"""Benchmark: the people import from the browser's upload endpoint, through one real Celery worker.

Serves the platform with gunicorn, starts one ``celery worker`` (concurrency 1), signs in
as an admin, POSTs an N-row CSV (default 400,000) to /jobs/people-import, follows the dry
run, confirms, and follows the import to its end. Prints the upload request's time, the
dry run's and the import's, the total, and the worker processes' peak RSS (VmHWM).
Runs on a fresh SQLite file (embedded broker), or on a fresh PostgreSQL database
(--postgres URL) with --broker redis://... or the embedded broker.

    .venv/bin/python bench/jobs_import.py [--people 400000] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
        [--broker redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pyotp  # noqa: E402
import requests  # noqa: E402
from import_people import fresh_database, prepare  # noqa: E402

EMAIL = "bench-admin@example.go.th"
PASSWORD = "bench password 1234"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_admin(environ: dict[str, str]) -> pyotp.TOTP:
    """The bench's admin, with an authenticator app enrolled (admins pass a second factor after the password)."""
    from academy import create_app
    from academy.auth.models import Role
    from academy.auth.second_factor import enrol_totp
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.db import db

    app = create_app(settings=Settings.from_environ(environ))
    with app.app_context():
        admin = create_user(email=EMAIL, password=PASSWORD, roles=(Role.ADMIN,))
        totp = pyotp.TOTP(pyotp.random_base32(32))
        enrol_totp(admin, totp.secret, totp.generate_otp(totp.timecode(datetime.now(UTC)) - 1))
        db.session.commit()
        db.engine.dispose()
    return totp


def peak_rss_mb(pids: list[int]) -> dict[int, float]:
    """VmHWM (peak resident set) of each live process, in MB."""
    peaks = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peaks[pid] = int(match.group(1)) / 1024
    return peaks


def group_pids(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_job(http: requests.Session, base: str, job_id: int, pids: list[int], peaks: dict[int, float]) -> dict:
    while True:
        status = http.get(f"{base}/jobs/{job_id}/status", timeout=120).json()
        for pid, peak in peak_rss_mb(pids).items():
            peaks[pid] = max(peaks.get(pid, 0.0), peak)
        if status["finished"]:
            return status
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--postgres", help="PostgreSQL server URL; a fresh database is created on it")
    parser.add_argument("--broker", default="", help="a Celery broker URL (default: the embedded SQL broker)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.postgres, Path(tmp)) as database_url:
        csv_path = Path(tmp) / "people.csv"
        prepare(database_url, csv_path, args.people)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        environ = {
            **os.environ,
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_SECRET_KEY": uuid.uuid4().hex * 2,
            "ACADEMY_BASE_URL": base,
            "ACADEMY_JOBS_STORAGE_DIR": str(Path(tmp) / "jobs"),
            "ACADEMY_CELERY_BROKER_URL": args.broker or f"sqla+sqlite:///{Path(tmp) / 'broker.sqlite3'}",
            "ACADEMY_CELERY_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
            "ACADEMY_SQLITE_BUSY_TIMEOUT": "600",
            "ACADEMY_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        totp = add_admin(environ)
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--timeout", "600",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jobs.worker:celery_app", "worker", "--concurrency", "1",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        peaks: dict[int, float] = {}
        try:
            http = requests.Session()
            for _ in range(100):
                try:
                    page = http.get(f"{base}/login", timeout=5).text
                    break
                except requests.RequestException:
                    time.sleep(0.3)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, "no CSRF token on /login"
            http.post(f"{base}/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)})
            page = http.get(f"{base}/account/second-factor").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, "no CSRF token on the second-factor page"
            http.post(f"{base}/account/second-factor", data={"code": totp.now(), "csrf_token": token.group(1)})
            form = http.get(f"{base}/jobs/people-import").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
            assert token, "no CSRF token on the upload page"
            size_mb = csv_path.stat().st_size / 1e6
            backend = "postgresql" if args.postgres else "sqlite"
            broker = "redis" if args.broker.startswith("redis") else (args.broker.split(":")[0] or "embedded (SQL)")
            print(f"jobs import benchmark: {args.people:,} rows, {size_mb:.1f} MB CSV, {backend}, broker {broker}")
            print("  load average at start  " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
            started = time.perf_counter()
            with csv_path.open("rb") as handle:
                response = http.post(
                    f"{base}/jobs/people-import",
                    data={"csrf_token": token.group(1)},
                    files={"file": ("people.csv", handle, "text/csv")},
                    allow_redirects=False,
                    timeout=600,
                )
            upload = time.perf_counter() - started
            assert response.status_code == 302, response.status_code
            check_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
            pids = group_pids(worker.pid)
            status = wait_job(http, base, check_id, pids, peaks)
            checked = time.perf_counter()
            assert status["state"] == "succeeded", status
            page = http.get(f"{base}/jobs/{check_id}").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, "no confirm form"
            response = http.post(
                f"{base}/jobs/{check_id}/confirm", data={"csrf_token": token.group(1)}, allow_redirects=False
            )
            import_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
            status = wait_job(http, base, import_id, pids, peaks)
            done = time.perf_counter()
            assert status["state"] == "succeeded", status
            print(f"  upload request        {upload:7.2f} s")
            print(f"  dry run (check)       {checked - started - upload:7.1f} s")
            print(f"  import                {done - checked:7.1f} s")
            rate = args.people / (done - checked)
            print(f"  total, upload to end  {done - started:7.1f} s   ({rate:,.0f} rows/s import)")
            print("  load average at end    " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
            print(
                "  worker peak RSS       "
                + ", ".join(f"{peak:.0f} MB" for _pid, peak in sorted(peaks.items()))
                + "  (main process and its pool process)"
            )
        finally:
            for process in (worker, web):
                os.killpg(process.pid, signal.SIGTERM)
            for process in (worker, web):
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
