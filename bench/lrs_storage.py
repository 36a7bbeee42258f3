"""Benchmark: bytes per statement in PostgreSQL, and the physical limit of writing them.

Loads N statements (default 100,000, the mix of lrs_common.make_statement) through the real
write path (lrs.statements.store_statements, in-process, batches of 500, by parallel loader
processes) into a fresh database, then prints for every LRS table its heap, TOAST and index
sizes and each index's size, and the total bytes per statement.

With --copy it also measures the physical limit: the rows the statements produced in the
per-statement tables (the statement row and its index rows) are COPYed, table by table, into
an empty copy of those tables with all their indexes; statements/s of that COPY is the most
any ingest path could reach on this machine. With --ingest-seconds S it also runs
bench/lrs_ingest.py (HTTP, gunicorn) for S seconds and prints its rate as a fraction of the COPY.

With --database NAME it measures an existing database of --postgres instead (10,000,000
statements of bench/lrs_generate.py: --postgres postgresql+psycopg://postgres@127.0.0.1:5434/postgres
--database academy_lrs10m): its sizes, and the COPY of the rows of its last --last statements.

    .venv/bin/python bench/lrs_storage.py [--statements 100000] [--copy] [--ingest-seconds 30]
        [--postgres URL --database NAME [--last 100000]]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from lrs_common import DEFAULT_POSTGRES, ROOT, fresh_postgres, migrate_and_create_client
from lrs_query import analyze, load, stored_count
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The tables every stored statement writes rows into (the others grow with new agents,
#: activities, verbs, documents: not per statement).
PER_STATEMENT_TABLES = ("lrs_statement_ids", "lrs_statements", "lrs_statement_agents", "lrs_statement_activities")


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def mb(size: int) -> str:
    return f"{size / 2**20:8.1f} MB"


def sizes(database_url: str, statements: int) -> None:
    """Print each LRS table's heap, TOAST and index sizes, its indexes, and bytes per statement."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        # A partitioned table's size is its partitions' sizes.
        tables = connection.execute(
            text(
                """
                SELECT parent.relname,
                       sum(pg_relation_size(c.oid)),
                       sum(coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)),
                       sum(pg_indexes_size(c.oid)),
                       sum(pg_total_relation_size(c.oid))
                FROM pg_class parent
                JOIN pg_namespace n ON n.oid = parent.relnamespace AND n.nspname = 'public'
                LEFT JOIN pg_inherits i ON i.inhparent = parent.oid
                JOIN pg_class c ON c.oid = coalesce(i.inhrelid, parent.oid)
                WHERE parent.relname LIKE 'lrs\\_%' AND parent.relkind IN ('r', 'p')
                  AND NOT parent.relispartition
                GROUP BY parent.relname
                ORDER BY sum(pg_total_relation_size(c.oid)) DESC
                """
            )
        ).all()
        indexes = connection.execute(
            text(
                """
                SELECT coalesce(parent_table.relname, t.relname),
                       coalesce(parent_index.relname, ix.relname),
                       sum(pg_relation_size(ix.oid))
                FROM pg_index x
                JOIN pg_class ix ON ix.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
                LEFT JOIN pg_inherits ii ON ii.inhrelid = ix.oid
                LEFT JOIN pg_class parent_index ON parent_index.oid = ii.inhparent
                LEFT JOIN pg_inherits ti ON ti.inhrelid = t.oid
                LEFT JOIN pg_class parent_table ON parent_table.oid = ti.inhparent
                WHERE t.relname LIKE 'lrs\\_%'
                GROUP BY 1, 2
                ORDER BY 1, 3 DESC
                """
            )
        ).all()
        rows = {
            name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in (*PER_STATEMENT_TABLES, "lrs_agents", "lrs_verbs", "lrs_activities")
            if connection.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar()
        }
        # JSONB before migration 0020, the packed form (lrs.payloads) after it.
        kind = connection.execute(
            text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'lrs_statements'"
                " AND column_name = 'payload'"
            )
        ).scalar_one()
        text_length = "length(payload::text)" if kind == "jsonb" else "NULL::int"
        payload = connection.execute(
            text(f"SELECT avg(pg_column_size(payload)), avg({text_length}) FROM lrs_statements")
        ).one()
    engine.dispose()
    print(f"Storage of {statements:,} statements ({load_average()})")
    print(f"  {'table':28} {'heap':>11} {'TOAST':>11} {'indexes':>11} {'total':>11} {'bytes/stmt':>10}")
    total = 0
    for name, heap, toast, index, all_ in tables:
        if not all_ or all_ <= 16384 * 3:
            continue
        total += int(all_)
        print(
            f"  {name:28} {mb(int(heap))} {mb(int(toast))} {mb(int(index))} {mb(int(all_))} "
            f"{int(all_) / statements:10.0f}"
        )
        for table, index_name, size in indexes:
            if table == name:
                print(f"      index {index_name:40} {mb(int(size))} {int(size) / statements:10.0f}")
    print(f"  {'all LRS tables':28} {'':>11} {'':>11} {'':>11} {mb(total)} {total / statements:10.0f}")
    print(f"  rows: {', '.join(f'{name} {count:,}' for name, count in sorted(rows.items()) if count)}")
    json_text = f" ({float(payload[1]):.0f} bytes of JSON text)" if payload[1] is not None else ""
    print(f"  payload ({kind}): {float(payload[0]):.0f} bytes stored on average{json_text}")


#: The rows of the statements whose pk is above a bound, per per-statement table.
ROWS_ABOVE = {
    "lrs_statement_ids": "SELECT * FROM public.lrs_statement_ids WHERE id IN"
    " (SELECT id FROM public.lrs_statements WHERE pk > {bound})",
    "lrs_statements": "SELECT * FROM public.lrs_statements WHERE pk > {bound}",
    "lrs_statement_agents": "SELECT * FROM public.lrs_statement_agents WHERE statement_pk > {bound}",
    "lrs_statement_activities": "SELECT * FROM public.lrs_statement_activities WHERE statement_pk > {bound}",
}


def copy_limit(database_url: str, statements: int, last: int | None = None) -> float:
    """COPY the per-statement tables' rows into empty copies with their indexes; return statements/s.

    With ``last``, only the rows of the last ``last`` statements stored (a large database).
    """
    import psycopg

    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        pk_bound = -1
        if last is not None:
            found = connection.execute(
                "SELECT pk FROM lrs_statements ORDER BY pk DESC OFFSET %s LIMIT 1", [last]
            ).fetchone()
            pk_bound = int(found[0]) if found else -1
            counted = connection.execute("SELECT count(*) FROM lrs_statements WHERE pk > %s", [pk_bound]).fetchone()
            statements = int(counted[0]) if counted else 0
        present = [
            name
            for (name,) in connection.execute(
                "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND NOT relispartition"
                " AND relnamespace = 'public'::regnamespace",
                [list(PER_STATEMENT_TABLES)],
            )
        ]
        connection.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE")
        connection.execute("CREATE SCHEMA bench_copy")
        dumps: dict[str, bytes] = {}
        for name in present:
            # LIKE ... INCLUDING ALL: the same columns, defaults, compression, constraints and indexes.
            kind = connection.execute(
                "SELECT relkind FROM pg_class WHERE relname = %s AND relnamespace = 'public'::regnamespace", [name]
            ).fetchone()
            if kind and kind[0] == "p":
                key = connection.execute(
                    "SELECT pg_get_partkeydef(oid) FROM pg_class WHERE relname = %s", [name]
                ).fetchone()
                assert key is not None
                connection.execute(
                    f"CREATE TABLE bench_copy.{name} (LIKE public.{name} INCLUDING ALL) PARTITION BY {key[0]}"
                )
                bounds = connection.execute(
                    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
                    " WHERE p.relname = %s",
                    [name],
                ).fetchall()
                for partition, bound in bounds:
                    connection.execute(f"CREATE TABLE bench_copy.{partition} PARTITION OF bench_copy.{name} {bound}")
            else:
                connection.execute(f"CREATE TABLE bench_copy.{name} (LIKE public.{name} INCLUDING ALL)")
            buffer = io.BytesIO()
            rows = ROWS_ABOVE[name].format(bound=pk_bound) if pk_bound >= 0 else f"SELECT * FROM public.{name}"
            with connection.cursor().copy(f"COPY ({rows}) TO STDOUT (FORMAT binary)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[name] = buffer.getvalue()
        started = time.perf_counter()
        with connection.transaction():
            for name in present:
                with connection.cursor().copy(f"COPY bench_copy.{name} FROM STDIN (FORMAT binary)") as copy:
                    data = dumps[name]
                    for offset in range(0, len(data), 1 << 20):
                        copy.write(data[offset : offset + (1 << 20)])
        elapsed = time.perf_counter() - started
        connection.execute("DROP SCHEMA bench_copy CASCADE")
    rate = statements / elapsed
    print(
        f"Physical limit: COPY of the rows {statements:,} statements produced ({', '.join(present)}) into an empty"
        f" copy with its indexes: {elapsed:.1f} s = {rate:,.0f} statements/s ({load_average()})"
    )
    return rate


def http_ingest(seconds: float, postgres: str) -> float:
    """Run bench/lrs_ingest.py (HTTP, gunicorn, on its own fresh database) and return its statements/s."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lrs_ingest.py"), "--seconds", str(seconds), "--postgres", postgres],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    print(result.stdout.rstrip())
    found = re.search(r"= ([\d,]+) statements/s", result.stdout)
    if not found:
        raise SystemExit(f"lrs_ingest.py printed no rate: {result.stdout}{result.stderr}")
    return float(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--loaders", type=int, default=2)
    parser.add_argument("--copy", action="store_true", help="measure the COPY of the per-statement rows")
    parser.add_argument("--ingest-seconds", type=float, default=0, help="also run lrs_ingest.py for so long")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", help="measure this existing database of --postgres instead of loading one")
    parser.add_argument("--last", type=int, default=100_000, help="with --database: COPY these last statements")
    args = parser.parse_args()
    if args.database:
        database_url = make_url(args.postgres).set(database=args.database).render_as_string(hide_password=False)
        stored = stored_count(database_url)
        sizes(database_url, stored)
        limit = copy_limit(database_url, stored, args.last) if args.copy or args.ingest_seconds else 0.0
        if args.ingest_seconds:
            rate = http_ingest(args.ingest_seconds, args.postgres)
            print(
                f"HTTP ingest {rate:,.0f} statements/s = {rate / limit:.0%} of the COPY limit {limit:,.0f}"
                f" statements/s ({load_average()})"
            )
        return
    with fresh_postgres(args.postgres) as database_url:
        migrate_and_create_client(database_url)
        started = time.monotonic()
        share = args.statements // args.loaders
        with ProcessPoolExecutor(args.loaders) as pool:
            loaded = sum(pool.map(load, [database_url] * args.loaders, range(args.loaders), [share] * args.loaders))
        elapsed = time.monotonic() - started
        print(
            f"loaded {loaded:,} statements through store_statements in {elapsed:.0f} s"
            f" = {loaded / elapsed:,.0f} statements/s ({load_average()})"
        )
        # VACUUM: sizes as they settle, with the visibility map written (index-only scans).
        engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM"))
        engine.dispose()
        analyze(database_url)
        sizes(database_url, loaded)
        limit = copy_limit(database_url, loaded) if args.copy or args.ingest_seconds else 0.0
    if args.ingest_seconds:
        rate = http_ingest(args.ingest_seconds, args.postgres)
        print(
            f"HTTP ingest {rate:,.0f} statements/s = {rate / limit:.0%} of the COPY limit {limit:,.0f} statements/s"
            f" ({load_average()})"
        )


if __name__ == "__main__":
    main()
