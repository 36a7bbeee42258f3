"""Benchmark: POST batches of 50 varied statements from concurrent clients to the LRS under
gunicorn on PostgreSQL; print statements/s and the workers' peak RSS.

    .venv/bin/python bench/lrs_ingest.py [--seconds 60] [--clients 8] [--workers 4] [--postgres URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time

import psutil
from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn, make_statement, migrate_and_create_client

BATCH = 50


def client_loop(port: int, auth: str, seed: int, stop_at: float, counts: list[int], errors: list[str]) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    sent = 0
    while time.monotonic() < stop_at:
        body = json.dumps([make_statement(rng) for _ in range(BATCH)])
        connection.request("POST", "/xapi/statements", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            errors.append(f"{response.status}: {payload[:200]!r}")
            break
        sent += BATCH
    counts.append(sent)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with fresh_postgres(args.postgres) as database_url:
        auth = migrate_and_create_client(database_url)
        port = free_port()
        with gunicorn(database_url, args.workers, port) as server:
            master = psutil.Process(server.pid)
            peak: dict[int, int] = {}
            counts: list[int] = []
            errors: list[str] = []
            started = time.monotonic()
            stop_at = started + args.seconds
            threads = [
                threading.Thread(target=client_loop, args=(port, auth, n, stop_at, counts, errors))
                for n in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            rss_samples: list[int] = []
            while any(t.is_alive() for t in threads):
                total = 0
                for worker in master.children():
                    try:
                        rss = worker.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                    peak[worker.pid] = max(peak.get(worker.pid, 0), rss)
                    total += rss
                rss_samples.append(total)
                time.sleep(1)
            elapsed = time.monotonic() - started
    stored = sum(counts)
    print(f"LRS ingest: {args.clients} clients x batches of {BATCH}, {args.workers} gunicorn workers, PostgreSQL")
    print(f"  statements stored   {stored:,} in {elapsed:.1f} s = {stored / elapsed:,.0f} statements/s")
    if peak:
        third = max(len(rss_samples) // 3, 1)
        print(
            f"  worker peak RSS     {max(peak.values()) / 2**20:.0f} MB (largest worker); all workers: "
            f"{sum(rss_samples[:third]) / third / 2**20:.0f} MB in the first third, "
            f"{sum(rss_samples[-third:]) / third / 2**20:.0f} MB in the last"
        )
    for error in errors[:5]:
        print(f"  error: {error}")


if __name__ == "__main__":
    main()
