"""Kept builds of the GDX feed of every agency: built once, then paged, every page of a read from one build.

Building the feed of every agency reads every person (coverage(), suppression): seconds at
national scale, too long to repeat for each page. A build is stored as the records it
publishes, each exactly as ``record_json`` serialises what ``build_feed`` produced (the
small-cell decisions included, nothing more), with the time it was built. A read that names
no build is served the newest build of its key (fiscal year, population, standard and its
version) no older than ``ACADEMY_GDX_FEED_MAX_AGE`` seconds, or builds and stores one; the
links of its pages name that build, so that a consumer paging through reads one build even
while the data changes. Storing a build deletes the builds that are past the max age by
more than ``KEEP`` (time enough for any reader still paging through one). Beat builds the
feeds most read ahead of time (``build_ahead``), so that even a read's first page is served
from a build.

Builds live in the database, so every gunicorn process and machine shares them, and one
build is made per key however many read at once: a reader (or beat, or the push) that finds
no build young enough takes the key's lock (``lock_key``) and looks again before building,
so that those who waited serve the build the first one made. On PostgreSQL the lock is a
transaction-scoped advisory lock (first key ``BUILD_LOCK_SPACE``, second a hash of the
key), let go when the transaction that built commits. SQLite needs none: every transaction
there takes the write lock at its BEGIN (academy.db.configure_sqlite), so reads of the feed
run one at a time and the second finds the first's build; one that waits longer than
``ACADEMY_SQLITE_BUSY_TIMEOUT`` for it fails as any request does.

A replica-marked request builds from the replica; its INSERTs go to the primary like every
write, and builds are looked up on the primary (``on_primary``), as the lock is taken there:
a reader's next page, or a reader who waited for the lock, may come before the replica has
replayed the build it names.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, text

from academy.dates import current_fiscal_year
from academy.db import db
from academy.replica import on_primary
from api.gdx.models import GdxFeedRecord, GdxFeedSnapshot
from api.gdx.services.feed import build_feed, record_json
from competencies.models import Framework
from competencies.services.coverage import Population
from competencies.services.frameworks import active_standard, areas_of

__all__ = [
    "BUILD_LOCK_SPACE",
    "KEEP",
    "agency_records",
    "build_ahead",
    "build_records",
    "current_build",
    "feed_max_age",
    "find_build",
    "lock_key",
    "rebuild_every",
    "store_build",
]

#: How long a build stays after it is too old to serve new reads: readers paging through it finish.
KEEP = timedelta(hours=1)
#: The feeds built ahead of reads: the plan's target population and everyone.
AHEAD = (Population.IT, Population.ALL)
#: The first key of the builds' advisory locks (pg_advisory_xact_lock(int, int)), apart from
#: people's (academy.projections) and jobs' (jobs.runner). "GD" in ASCII.
BUILD_LOCK_SPACE = 0x4744


def feed_max_age() -> timedelta:
    """How long a kept build serves new reads (``ACADEMY_GDX_FEED_MAX_AGE``)."""
    return timedelta(seconds=int(current_app.config["ACADEMY_GDX_FEED_MAX_AGE"]))


def current_build(
    fiscal_year: int, framework: Framework, population: Population, max_age: timedelta, now: datetime | None = None
) -> GdxFeedSnapshot:
    """The newest kept build of this feed no older than ``max_age``, or a new one, built and stored now.

    A new one is built under the key's lock, after looking again: of several asking at once,
    one builds and the others serve its build. With a max age of 0 every call builds.
    """
    now = now or datetime.now(UTC)
    kept = _newest_or_lock(fiscal_year, framework, population, now - max_age) if max_age > timedelta(0) else None
    if kept is not None:
        return kept
    return store_build(fiscal_year, framework, population, now, expire_before=now - max_age - KEEP)


def rebuild_every(max_age_seconds: int) -> int:
    """Seconds between builds ahead of reads: half the max age, so that a kept build is always young enough.

    0 (none) when the max age is under a minute: reads build often enough themselves.
    """
    return max_age_seconds // 2 if max_age_seconds >= 60 else 0


def build_ahead(since: datetime, max_age: timedelta, now: datetime | None = None) -> list[int]:
    """Build this fiscal year's feeds most read (IT, everyone), each unless built since ``since``; their ids.

    Beat's schedule calls this every ``rebuild_every`` seconds, so that even the first page of
    a read is served from a build; a second beat's message for the same slot finds the first's.
    """
    framework = active_standard()
    if framework is None:
        return []
    now = now or datetime.now(UTC)
    fiscal_year = current_fiscal_year()
    built = []
    for population in AHEAD:
        if _newest_or_lock(fiscal_year, framework, population, since) is None:
            built.append(store_build(fiscal_year, framework, population, now, now - max_age - KEEP).id)
    return built


def lock_key(fiscal_year: int, framework: Framework, population: Population) -> int:
    """The second key of a feed's build lock: its fiscal year, population and standard, as a signed 32-bit int.

    Two feeds whose keys share a hash only wait for each other's builds; they never share one.
    """
    name = f"{fiscal_year}|{population.value}|{framework.id}|{framework.version}"
    return zlib.crc32(name.encode()) - 2**31


def _newest_or_lock(
    fiscal_year: int, framework: Framework, population: Population, since: datetime
) -> GdxFeedSnapshot | None:
    """The newest build since ``since``; when there is none, this transaction holds the feed's build lock.

    Having waited for the lock, it looks again: whoever held it has committed a build by then
    (or given up). The lock lasts until the transaction ends, so the caller builds alone.
    """
    kept = _newest(fiscal_year, framework, population, since)
    if kept is not None or db.session.get_bind().dialect.name != "postgresql":
        return kept  # SQLite: this transaction has held the write lock since its BEGIN
    # A text() statement: the primary's, even in a replica-marked request (academy.replica).
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": BUILD_LOCK_SPACE, "key": lock_key(fiscal_year, framework, population)},
    )
    return _newest(fiscal_year, framework, population, since)


def _newest(fiscal_year: int, framework: Framework, population: Population, since: datetime) -> GdxFeedSnapshot | None:
    return db.session.scalar(
        on_primary(
            select(GdxFeedSnapshot)
            .where(
                GdxFeedSnapshot.fiscal_year == fiscal_year,
                GdxFeedSnapshot.population == population.value,
                GdxFeedSnapshot.framework_id == framework.id,
                GdxFeedSnapshot.framework_version == framework.version,
                GdxFeedSnapshot.built_at >= since,
            )
            .order_by(GdxFeedSnapshot.built_at.desc(), GdxFeedSnapshot.id.desc())
            .limit(1)
        )
    )


def store_build(
    fiscal_year: int, framework: Framework, population: Population, now: datetime, expire_before: datetime
) -> GdxFeedSnapshot:
    """Build the feed of every agency, store its published records, and delete builds from before ``expire_before``."""
    entries = build_feed(fiscal_year, framework, population)
    areas = areas_of(framework)
    db.session.execute(delete(GdxFeedSnapshot).where(GdxFeedSnapshot.built_at < expire_before))  # records cascade
    build = GdxFeedSnapshot(
        fiscal_year=fiscal_year,
        population=population.value,
        framework_id=framework.id,
        framework_version=framework.version,
        built_at=now,
        total=len(entries),
    )
    db.session.add(build)
    db.session.flush()
    if entries:
        db.session.execute(
            insert(GdxFeedRecord),
            [
                {
                    "snapshot_id": build.id,
                    "position": position,
                    "agency_code": entry.record.agency.code,
                    "body": json.dumps(record_json(entry, areas, population), ensure_ascii=False),
                }
                for position, entry in enumerate(entries)
            ],
        )
    return build


def find_build(build_id: int) -> GdxFeedSnapshot | None:
    """A kept build by its id (None when there is none, or no longer)."""
    return db.session.scalar(on_primary(select(GdxFeedSnapshot).where(GdxFeedSnapshot.id == build_id)))


def build_records(build: GdxFeedSnapshot, offset: int, limit: int) -> list[str]:
    """The build's published records (JSON) from position ``offset``, at most ``limit`` of them, in the feed's order.

    As stored, not parsed: a page of 1,000 is sent as it was serialised at build time.
    """
    return list(
        db.session.scalars(
            on_primary(
                select(GdxFeedRecord.body)
                .where(
                    GdxFeedRecord.snapshot_id == build.id,
                    GdxFeedRecord.position >= offset,
                    GdxFeedRecord.position < offset + limit,
                )
                .order_by(GdxFeedRecord.position)
            )
        )
    )


def agency_records(build: GdxFeedSnapshot, code: str) -> tuple[list[str], str | None]:
    """The build's record (JSON) of one agency (none when not published on its own), and then the record it is in.

    The second is the code of the record whose ``folded_units`` count the agency's people
    (None when it has a record, or is not in the build: made after it).
    """
    body = db.session.scalar(
        on_primary(
            select(GdxFeedRecord.body).where(GdxFeedRecord.snapshot_id == build.id, GdxFeedRecord.agency_code == code)
        )
    )
    if body is not None:
        return [body], None
    for record in map(json.loads, build_records(build, 0, build.total)):
        if code in record["folded_units"]:
            return [], str(record["agency_code"])
    return [], None
