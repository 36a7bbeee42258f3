"""Kept builds of the feed of every agency: every page of a read from one build, max age, bad build ids, clean-up."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from academy import create_app
from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Agency, Person
from api.gdx.models import GdxFeedRecord, GdxFeedSnapshot
from api.gdx.services.builds import KEEP, current_build, find_build, rebuild_every
from competencies.models import Framework
from competencies.services.coverage import Population
from jobs.celery_app import on_the_clock
from tests.support.app import make_settings
from tests.support.gdx import FISCAL_YEAR, IT_LINE, Government, record_standing


def follow(gdx_get: Callable[..., Any], link: str) -> Any:
    """GET one of a page's links, as a consumer would."""
    parts = urllib.parse.urlsplit(link)
    assert parts.path == "/api/v1/gdx/coverage"
    return gdx_get("/coverage", **dict(urllib.parse.parse_qsl(parts.query)))


def without_as_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k != "as_of"} for record in records]


def new_division(
    government: Government,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    """A change to the data: a division of six IT people, all trained, under department 71002."""
    division = make_agency("7100201", parent=government.other)
    for _ in range(6):
        record_standing(make_person(division, line=IT_LINE), standard, trained=True)


@pytest.fixture
def max_age(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "ACADEMY_GDX_FEED_MAX_AGE", 300)
    return 300


def test_every_page_of_a_read_comes_from_one_build_even_when_the_data_changes_between_pages(
    gdx_get: Callable[..., Any],
    government: Government,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    before = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=1000).get_json()
    first = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=3).get_json()
    assert (first["total"], first["pages"]) == (4, 2) and first["snapshot"]
    for name in ("self", "first", "next", "last"):
        assert f"snapshot={first['snapshot']}" in first["links"][name], name

    new_division(government, standard, make_agency, make_person)
    second = follow(gdx_get, first["links"]["next"])
    assert second.status_code == 200, second.get_json()
    second_body = second.get_json()
    assert (second_body["snapshot"], second_body["as_of"]) == (first["snapshot"], first["as_of"])
    assert (second_body["total"], second_body["pages"]) == (4, 2)  # the build's, not the 5 records there are now
    assert without_as_of(first["data"] + second_body["data"]) == without_as_of(before["data"])
    back = follow(gdx_get, second_body["links"]["prev"]).get_json()
    assert back["data"] == first["data"]

    # A new read (no snapshot; max age 0 in tests) is a new build, with the change.
    fresh = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=3).get_json()
    assert fresh["snapshot"] != first["snapshot"] and fresh["total"] == 5
    assert "7100201" in [
        r["agency_code"] for r in fresh["data"] + follow(gdx_get, fresh["links"]["next"]).get_json()["data"]
    ]


def test_a_kept_build_serves_new_reads_until_it_is_older_than_the_max_age(
    gdx_get: Callable[..., Any],
    government: Government,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    max_age: int,
) -> None:
    first = gdx_get("/coverage", fiscal_year=FISCAL_YEAR).get_json()
    new_division(government, standard, make_agency, make_person)
    again = gdx_get("/coverage", fiscal_year=FISCAL_YEAR).get_json()
    assert (again["snapshot"], again["as_of"], again["total"]) == (first["snapshot"], first["as_of"], 4)
    # Each population, fiscal year and standard has builds of its own.
    everyone = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, population="all").get_json()
    assert everyone["snapshot"] != first["snapshot"] and everyone["population"] == "all"

    db.session.execute(
        update(GdxFeedSnapshot)
        .where(GdxFeedSnapshot.id == first["snapshot"])
        .values(built_at=datetime.now(UTC) - timedelta(seconds=max_age + 1))
    )
    later = gdx_get("/coverage", fiscal_year=FISCAL_YEAR).get_json()
    assert later["snapshot"] != first["snapshot"] and later["total"] == 5
    assert "7100201" in [r["agency_code"] for r in later["data"]]
    # The old build still serves the reader who is paging through it.
    old = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, snapshot=first["snapshot"]).get_json()
    assert (old["snapshot"], old["total"]) == (first["snapshot"], 4)


def test_a_build_holds_exactly_the_records_the_feed_publishes(
    gdx_get: Callable[..., Any], government: Government
) -> None:
    body = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, population="all", per_page=1000).get_json()
    build = find_build(body["snapshot"])
    assert build is not None and (build.fiscal_year, build.population, build.total) == (FISCAL_YEAR, "all", 4)
    stored = db.session.scalar(select(func.count()).where(GdxFeedRecord.snapshot_id == build.id))
    assert stored == len(body["data"]) == 4


def test_an_unknown_or_mismatched_build_is_refused_with_a_clear_error(
    gdx_get: Callable[..., Any], government: Government
) -> None:
    built = gdx_get("/coverage", fiscal_year=FISCAL_YEAR).get_json()["snapshot"]
    gone = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, snapshot=built + 1000)
    assert gone.status_code == 410
    assert gone.get_json()["error"] == "snapshot_gone" and gone.get_json()["field"] == "snapshot"
    assert "page 1 without snapshot" in gone.get_json()["message"]
    for query in (
        {"snapshot": "abc"},
        {"snapshot": "0"},
        {"snapshot": built, "population": "all"},  # a build of the IT feed
        {"snapshot": built, "fiscal_year": FISCAL_YEAR - 1},
        {"snapshot": built, "fiscal_year": FISCAL_YEAR - 1, "agency": "71001"},
    ):
        response = gdx_get("/coverage", **{"fiscal_year": FISCAL_YEAR, **query})
        assert response.status_code == 400, query
        assert (response.get_json()["error"], response.get_json()["field"]) == ("bad_request", "snapshot"), query


def test_one_agency_is_its_record_of_the_build_of_every_agency(
    gdx_get: Callable[..., Any],
    government: Government,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    max_age: int,
) -> None:
    whole = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=1000).get_json()
    new_division(government, standard, make_agency, make_person)
    one = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="71002").get_json()
    assert (one["snapshot"], one["as_of"], one["total"]) == (whole["snapshot"], whole["as_of"], 1)
    assert one["data"] == [r for r in whole["data"] if r["agency_code"] == "71002"]  # as of the build
    assert f"snapshot={whole['snapshot']}" in one["links"]["self"] and "agency=71002" in one["links"]["self"]
    folded = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="7100102", snapshot=whole["snapshot"]).get_json()
    assert (folded["data"], folded["folded_into"], folded["total"]) == ([], "71001", 0)
    # Made after the build: neither a record nor folded in it.
    later = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="7100201").get_json()
    assert (later["snapshot"], later["data"], later["folded_into"]) == (whole["snapshot"], [], None)
    unknown = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="99999")
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "unknown_agency")


def test_storing_a_build_deletes_builds_past_the_max_age_and_the_grace(
    gdx_get: Callable[..., Any], government: Government, standard: Framework
) -> None:
    now = datetime.now(UTC)
    old = current_build(FISCAL_YEAR, standard, Population.IT, timedelta(seconds=300), now)
    old_id = old.id
    recent = current_build(FISCAL_YEAR, standard, Population.ALL, timedelta(seconds=300), now + KEEP)
    assert find_build(old_id) is not None  # 300 s + an hour has not passed yet
    current_build(FISCAL_YEAR, standard, Population.ALL, timedelta(0), now + KEEP + timedelta(seconds=301))
    db.session.expire_all()
    assert find_build(old_id) is None and find_build(recent.id) is not None
    assert not db.session.scalar(select(func.count()).where(GdxFeedRecord.snapshot_id == old_id))
    gone = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, snapshot=old_id)
    assert (gone.status_code, gone.get_json()["error"]) == (410, "snapshot_gone")


def test_beat_builds_the_it_and_everyones_feeds_ahead_once_a_slot_and_reads_are_served_from_them(
    app: Flask, gdx_get: Callable[..., Any], government: Government, max_age: int
) -> None:
    task = app.extensions["celery"].tasks["gdx.build_feeds"]
    sent_at = time.time()
    built = task.apply(kwargs={"sent_at": sent_at}).get()
    assert len(built) == 2
    assert {find_build(i).population for i in built} == {"it", "all"}  # type: ignore[union-attr]
    assert {find_build(i).fiscal_year for i in built} == {current_fiscal_year()}  # type: ignore[union-attr]
    assert task.apply(kwargs={"sent_at": sent_at}).get() == []  # a second beat's message for the slot
    for population in ("it", "all"):
        assert gdx_get("/coverage", population=population).get_json()["snapshot"] in built


def test_the_builds_ahead_are_on_beats_schedule_at_half_the_max_age() -> None:
    assert (
        "gdx-feed-builds" not in create_app(settings=make_settings("sqlite://")).extensions["celery"].conf.beat_schedule
    )
    app = create_app(settings=make_settings("sqlite://", ACADEMY_GDX_FEED_MAX_AGE="300"))
    entry = app.extensions["celery"].conf.beat_schedule["gdx-feed-builds"]
    assert entry["task"] == "gdx.build_feeds" and isinstance(entry["schedule"], on_the_clock)
    assert entry["schedule"].run_every.total_seconds() == 150
    assert rebuild_every(59) == 0 and rebuild_every(3600) == 1800
