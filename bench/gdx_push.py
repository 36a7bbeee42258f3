"""Benchmark: a push of every agency's record to a local GDX receiver, on PostgreSQL.

Uses the government of bench/gdx_feed.py (N people, default 400,000; built when the
database has none), starts a receiver on 127.0.0.1 in a separate process (it stores each
record once per Idempotency-Key and counts what it sees), and times ``push_coverage()``
(the feed, the outbox, delivery with a commit around each attempt) from an empty outbox:
with a receiver that accepts everything, and with one that answers 500 to every other
request, both with no kept build of the feed (the push builds it); and, accepting
everything, just after a read built the feed (max age 300 s: the push sends that kept
build). Prints records, attempts, seconds (and the read's), and whether each record was
stored exactly once.

    .venv/bin/python bench/gdx_push.py [--people 400000] [--database URL]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gdx_feed import FISCAL_YEAR, bench_database, build_government, load, timed
from lrs_common import DEFAULT_POSTGRES, free_port


def serve(port: int, fail_every_other: bool) -> None:
    """The receiver (run in its own process): stores each record once per Idempotency-Key."""
    stored: set[str] = set()
    counts = {"requests": 0, "failed": 0, "duplicates": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with lock:
                self._answer(200, {"stored": len(stored), **counts})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            if self.headers.get("Consumer-Key") != "bench-key" or self.headers.get("Token") != "bench-token":
                self._answer(401, {"error": "invalid_token"})
                return
            with lock:
                counts["requests"] += 1
                fail = fail_every_other and counts["requests"] % 2 == 1
                if fail:
                    counts["failed"] += 1
                elif key in stored:
                    counts["duplicates"] += 1
                else:
                    stored.add(key)
            self._answer(500 if fail else 200, {"ok": not fail})

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start_receiver(fail_every_other: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port)] + (["--fail-every-other"] if fail_every_other else [])
    process = subprocess.Popen(command)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for a fresh database")
    parser.add_argument("--database", default=None, help="use (and keep) this database instead")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--fail-every-other", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.fail_every_other)
        return

    from sqlalchemy import delete

    from academy import create_app
    from academy.config import GdxSettings, Settings
    from academy.db import db
    from api.gdx.models import GdxDelivery, GdxFeedSnapshot, GdxOutboxEntry, GdxPushRun
    from api.gdx.services.builds import current_build
    from api.gdx.services.push import GdxSender, coverage_records, push_coverage
    from competencies.services.coverage import Population
    from competencies.services.frameworks import active_standard

    results = []
    with bench_database(args) as database_url:
        settings = Settings.from_environ(
            {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_GDX_FEED_MAX_AGE": "300"}
        )
        app = create_app(settings=settings)
        with app.app_context():
            build_government(args.people)
            framework = active_standard()
            assert framework is not None
            scenarios = (
                ("receiver accepts all", False, False),
                ("receiver fails every other request", True, False),
                ("accepts all, after a read built the feed", False, True),
            )
            for label, failing, read_first in scenarios:
                for model in (GdxDelivery, GdxOutboxEntry, GdxPushRun, GdxFeedSnapshot):
                    db.session.execute(delete(model))
                db.session.commit()
                if read_first:  # what a first read of the pull feed does
                    begin = time.perf_counter()
                    current_build(FISCAL_YEAR, framework, Population.IT, timedelta(seconds=300))
                    db.session.commit()
                    label += f" ({time.perf_counter() - begin:.1f} s)"
                process, base = start_receiver(failing)
                try:
                    config = GdxSettings(
                        ingest_url=f"{base}/ingest",
                        consumer_key="bench-key",
                        token="bench-token",
                        timeout=5.0,
                        retry_base=0.05,
                        retry_max=0.5,
                    )
                    begin = time.perf_counter()
                    outcome = push_coverage(
                        FISCAL_YEAR, framework, GdxSender(config), commit=db.session.commit, max_wait=120
                    )
                    seconds = time.perf_counter() - begin
                    with urllib.request.urlopen(f"{base}/stats", timeout=5) as response:
                        seen = json.loads(response.read())
                finally:
                    process.terminate()
                    process.wait()
                results.append((label, outcome, seconds, seen, load()))
            # The push's records alone, the feed's build kept by the last push (or read): three times.
            gather = timed(lambda: coverage_records(FISCAL_YEAR, framework, Population.IT), 3)
            gathered_at = load()
            db.session.rollback()

    print(f"GDX push benchmark: {args.people:,} people, PostgreSQL, FY {FISCAL_YEAR}, receiver on 127.0.0.1")
    for label, outcome, seconds, seen, at in results:
        report = outcome.report
        once = seen["stored"] == outcome.enqueued and seen["duplicates"] == 0 and report.pending == 0
        print(
            f"  {label:48} {outcome.enqueued} records in {seconds:5.1f} s ({outcome.enqueued / seconds:5.0f}/s), "
            f"{report.attempts} attempts, {seen['failed']} answered 500, "
            f"stored {seen['stored']} (each exactly once: {'yes' if once else 'NO'})   ({at})"
        )
    print(
        "  the push's records (coverage_records), a build kept: "
        + ", ".join(f"{value * 1000:.0f}" for value in gather)
        + f" ms   ({gathered_at})"
    )
    print("  budget: 30 s for a push of every agency")


if __name__ == "__main__":
    main()
