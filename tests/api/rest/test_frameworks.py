"""Frameworks: the published ones, with their scale, areas, competencies and profiles."""

from __future__ import annotations

from competencies.models import Framework, FrameworkStatus
from competencies.services.frameworks import STANDARD_CODE, seed_standard
from tests.support.rest import Api, Tree


def test_the_standard_is_listed_and_read_whole(api: Api, tree: Tree) -> None:
    standard = seed_standard()
    listed = api("GET", "/api/v1/frameworks")
    assert listed.status_code == 200
    assert [(f["code"], f["version"], f["status"]) for f in listed.get_json()] == [(STANDARD_CODE, "2566", "active")]

    body = api("GET", f"/api/v1/frameworks/{STANDARD_CODE}").get_json()
    assert body["identifier"] == str(standard.identifier)
    assert [level["level"] for level in body["scale"]] == [1, 2, 3, 4]
    assert [level["level"] for level in body["scale"] if level["proficient"]] == [3]
    assert [area["code"] for area in body["areas"]] == ["DL", "DG", "DLS", "DT", "DS", "DU", "CS"]
    assert sum(len(area["competencies"]) for area in body["areas"]) == 32
    assert [area["is_core"] for area in body["areas"]] == [True, True, True, False, False, False, False]
    assert body["areas"][1]["competencies"][0]["code"] == "DG-01"
    profiles = {profile["code"]: profile for profile in body["profiles"]}
    assert len(profiles) == 6
    assert profiles["it-operational"]["requirements"]["DL-01"] == 3
    assert profiles["it-operational"]["personnel_group"] == "it"


def test_drafts_and_unknown_frameworks_are_not_found(api: Api, tree: Tree) -> None:
    seed_standard()
    draft = Framework(code="DRAFT-1", version="1", name_th="ร่าง", name_en="Draft", status=FrameworkStatus.DRAFT)
    from academy.db import db

    db.session.add(draft)
    db.session.flush()
    assert "DRAFT-1" not in {f["code"] for f in api("GET", "/api/v1/frameworks").get_json()}
    assert api("GET", "/api/v1/frameworks/DRAFT-1").status_code == 404
    assert api("GET", "/api/v1/frameworks/NOPE").status_code == 404
    assert api("GET", f"/api/v1/frameworks/{STANDARD_CODE}", query_string={"version": "1999"}).status_code == 404
    assert api("GET", f"/api/v1/frameworks/{STANDARD_CODE}", query_string={"version": "2566"}).status_code == 200
