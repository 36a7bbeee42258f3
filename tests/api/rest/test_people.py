"""People: pagination, search, and the bulk upsert with the CSV import's rules and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.db import db
from academy.org.models import IdentifierKind, Person, PersonIdentifier, PersonnelGroup, PersonStatus
from academy.org.services import add_identifier
from competencies.models import Standing
from competencies.services.frameworks import seed_standard
from tests.support.rest import Api, Tree


def pagination(response: Any) -> dict[str, Any]:
    return json.loads(response.headers["X-Pagination"])  # type: ignore[no-any-return]


def record(agency: str, number: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "agency_code": agency,
        "employee_no": number,
        "title_th": "นาง",
        "first_name_th": "สมศรี",
        "last_name_th": f"มีสุข{number}",
        "first_name_en": "Somsri",
        "last_name_en": f"Meesuk{number}",
        "email": f"s{number}@example.go.th",
        "position_line_code": "K-COMP",
        "position_level_code": "K2",
        "start_date": "2561-10-01",
    }
    values.update(fields)
    return values


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person)) or 0


def test_people_are_listed_a_page_at_a_time(api: Api, tree: Tree, make_person: Callable[..., Person]) -> None:
    made = [make_person(tree.division_a, last_name_th=f"ก{index:02d}") for index in range(7)]
    first = api("GET", "/api/v1/people", query_string={"page_size": 3})
    assert first.status_code == 200
    assert pagination(first) == {
        "total": 7,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    pages = [first.get_json()] + [
        api("GET", "/api/v1/people", query_string={"page_size": 3, "page": page}).get_json() for page in (2, 3)
    ]
    assert [len(page) for page in pages] == [3, 3, 1]
    seen = [person["public_id"] for page in pages for person in page]
    assert seen == [str(person.public_id) for person in made]  # by family name, no repeats, none missed
    past = api("GET", "/api/v1/people", query_string={"page_size": 3, "page": 10**30})
    assert past.status_code == 200 and past.get_json() == []
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 501}, {"page": "x"}):
        response = api("GET", "/api/v1/people", query_string=bad)
        assert response.status_code == 422, bad
        assert set(response.get_json()["errors"]["query"]) == set(bad)


def test_people_are_searched_and_filtered(api: Api, tree: Tree, make_person: Callable[..., Person]) -> None:
    somchai = make_person(tree.division_a, first_name_en="Somchai", last_name_en="Jaidee", line="K-COMP")
    make_person(tree.department_a, first_name_en="Malee", last_name_en="Jaidee", status=PersonStatus.INACTIVE)
    make_person(tree.department_b, first_name_en="Somchai", last_name_en="Other")  # another agency: never found

    def found(**query: str) -> list[str]:
        response = api("GET", "/api/v1/people", query_string=query)
        assert response.status_code == 200, response.get_json()
        return [person["first_name_en"] for person in response.get_json()]

    assert found(q="somchai") == ["Somchai"]
    assert sorted(found(q="jaidee")) == ["Malee", "Somchai"]
    assert found(q="somchai jaidee") == ["Somchai"]
    assert found(status="inactive") == ["Malee"]
    assert found(agency="1100101") == ["Somchai"]
    assert found(group="it") == ["Somchai"] and somchai.personnel_group is PersonnelGroup.IT
    assert found(q="nobody") == []
    person = api("GET", f"/api/v1/people/{somchai.public_id}").get_json()
    assert person["agency_code"] == "1100101" and person["position_line_code"] == "K-COMP"
    assert person["personnel_group"] == "it" and person["status"] == "active"
    invalid = api("GET", "/api/v1/people", query_string={"status": "retired", "q": "x" * 101})
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]["query"]) == {"status", "q"}


def test_bulk_upsert_creates_then_a_resend_changes_nothing(api: Api, tree: Tree) -> None:
    batch = {"people": [record("11001", "A1"), record("1100101", "A2", is_cio=True, position_level_code="M1")]}
    created = api("POST", "/api/v1/people/bulk", json=batch)
    assert created.status_code == 200, created.get_json()
    assert created.get_json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "dry_run": False}
    assert people_count() == 2
    public_ids = set(db.session.scalars(select(Person.public_id)))

    again = api("POST", "/api/v1/people/bulk", json=batch)
    assert again.get_json() == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "dry_run": False}
    assert people_count() == 2 and set(db.session.scalars(select(Person.public_id))) == public_ids

    batch["people"][0]["position_level_code"] = "K3"
    changed = api("POST", "/api/v1/people/bulk", json=batch)
    assert changed.get_json()["updated"] == 1 and changed.get_json()["unchanged"] == 1
    cio = db.session.scalar(select(Person).where(Person.employee_no == "A2"))
    assert cio is not None and cio.is_cio and cio.personnel_group is PersonnelGroup.IT
    assert cio.start_date is not None and cio.start_date.year == 2018  # BE 2561, as the CSV import reads it
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "people.import")).all()
    assert len(audit) == 3 and audit[0].actor.startswith("api-token:ewa_") and audit[0].details["source"] == "api"


def test_a_bulk_upsert_refreshes_the_standing_of_the_people_it_changed(api: Api, tree: Tree) -> None:
    seed_standard()  # the standing of an IT person: whether they meet the default profile of their role
    batch = {"people": [record("11001", "S1"), record("1100101", "S2"), record("1100101", "S3")]}
    assert api("POST", "/api/v1/people/bulk", json=batch).status_code == 200
    batch["people"][1]["position_level_code"] = "K3"
    assert api("POST", "/api/v1/people/bulk", json=batch).get_json()["updated"] == 1
    [standing] = db.session.scalars(select(Standing)).all()  # only the changed person's was refreshed
    changed = db.session.scalar(select(Person).where(Person.employee_no == "S2"))
    assert changed is not None and standing.person_id == changed.id and standing.meets_all is False


def test_one_bad_record_stores_nothing_and_names_the_record_and_field(api: Api, tree: Tree) -> None:
    batch = {
        "people": [
            record("11001", "B1"),
            record("11001", "B2", position_level_code="K9"),
            record("11001", "B3", email="not-an-email", start_date="31/02/2560"),
        ]
    }
    response = api("POST", "/api/v1/people/bulk", json=batch)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "nothing was stored: 2 invalid records"
    errors = body["errors"]["json"]["people"]
    assert set(errors) == {"1", "2"}
    assert errors["1"] == {"position_level_code": ["unknown position level 'K9' (M1 M2 D1 D2 K1-K5 O1-O4)"]}
    assert set(errors["2"]) == {"email", "start_date"}
    assert people_count() == 0


def test_a_repeated_person_and_an_email_of_someone_else_are_row_errors(api: Api, tree: Tree) -> None:
    first = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "C0", email="taken@example.go.th")]})
    assert first.status_code == 200
    repeated = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "C1"), record("11001", "C1")]})
    assert repeated.status_code == 422
    assert repeated.get_json()["errors"]["json"]["people"] == {"1": {"employee_no": ["repeats the person of row 0"]}}
    taken = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "C2", email="taken@example.go.th")]})
    assert taken.status_code == 422
    assert taken.get_json()["errors"]["json"]["people"]["0"] == {
        "email": ["taken@example.go.th cannot be used for this record"]
    }
    twice = [record("11001", "C3", email="new@example.go.th"), record("11001", "C4", email="NEW@example.go.th")]
    both = api("POST", "/api/v1/people/bulk", json={"people": twice})
    assert both.get_json()["errors"]["json"]["people"] == {
        "1": {"email": ["new@example.go.th is given to more than one record of this request"]}
    }
    assert people_count() == 1


def someone_of_ministry_b(tree: Tree, make_person: Callable[..., Person], email: str) -> Person:
    """A person outside department A's scope who has ``email``, as the import leaves them."""
    person = make_person(tree.department_b, email=email)
    add_identifier(person, IdentifierKind.MBOX, email)
    return person


def test_a_dry_run_answers_alike_whether_another_agency_has_the_email_or_nobody(
    api: Api, tree: Tree, make_person: Callable[..., Person]
) -> None:
    someone_of_ministry_b(tree, make_person, "used.in.b@example.go.th")
    api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "H0", email=None)]})  # one to update

    def dry_run(email: str) -> list[tuple[int, str]]:
        answers = []
        for batch in (
            [record("11001", "H1", email=email)],  # a new person
            [record("11001", "H0", email=email.upper())],  # a person of ours who had no email
            [record("11001", "H2", email=email), record("1100101", "H3", email=email)],  # twice in one request
            [record("11001", "H4", email=email), record("11001", "H5", position_level_code="K9")],  # and a bad row
        ):
            response = api("POST", "/api/v1/people/bulk", json={"people": batch, "dry_run": True})
            answers.append((response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")))
        return answers

    used, free = dry_run("used.in.b@example.go.th"), dry_run("free@example.go.th")
    assert used == free
    assert [status for status, _ in used] == [200, 200, 422, 422]
    assert "more than one record" in used[2][1] and "belongs" not in "".join(body for _, body in used)
    assert people_count() == 2


def test_a_real_run_cannot_take_another_agencys_email_and_says_only_that_it_cannot_be_used(
    api: Api, tree: Tree, make_person: Callable[..., Person]
) -> None:
    owner = someone_of_ministry_b(tree, make_person, "used.in.b@example.go.th")
    identifiers_before = set(db.session.execute(select(PersonIdentifier.key, PersonIdentifier.person_id)).all())
    batch = {"people": [record("11001", "J1"), record("11001", "J2", email="Used.In.B@example.go.th")]}
    response = api("POST", "/api/v1/people/bulk", json=batch)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["people"] == {
        "1": {"email": ["used.in.b@example.go.th cannot be used for this record"]}
    }
    assert people_count() == 1 and db.session.scalar(select(Person).where(Person.employee_no == "J1")) is None
    assert set(db.session.execute(select(PersonIdentifier.key, PersonIdentifier.person_id)).all()) == identifiers_before
    assert owner.email == "used.in.b@example.go.th"


def test_records_outside_the_tokens_scope_are_invalid(api: Api, tree: Tree) -> None:
    batch = {"people": [record("11001", "D1"), record("22001", "D2"), record("11", "D3")]}
    response = api("POST", "/api/v1/people/bulk", json=batch)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["people"]
    assert set(errors) == {"1", "2"} and all(set(fields) == {"agency_code"} for fields in errors.values())
    assert people_count() == 0


def test_malformed_records_are_refused_with_their_index_and_field(api: Api, tree: Tree) -> None:
    missing = record("11001", "E1")
    del missing["last_name_th"]
    batch = {"people": [record("11001", "E0"), missing, record("11001", "E2", is_cio="perhaps", extra="x")]}
    response = api("POST", "/api/v1/people/bulk", json=batch)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["people"]
    assert set(errors) == {"1", "2"}
    assert set(errors["1"]) == {"last_name_th"} and set(errors["2"]) == {"is_cio", "extra"}
    for body in ({"people": []}, {"people": [record("11001", str(n)) for n in range(1001)]}, {}, []):
        assert api("POST", "/api/v1/people/bulk", json=body).status_code == 422, str(body)[:40]
    nul = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "E\x00")]})
    assert nul.status_code == 422
    assert people_count() == 0


def test_optional_fields_may_be_null_or_absent(api: Api, tree: Tree) -> None:
    sparse = {
        "agency_code": "11001",
        "employee_no": "G1",
        "first_name_th": "สมปอง",
        "last_name_th": "ดีใจ",
        "position_line_code": "K-HR",
        "position_level_code": "K1",
        "email": None,
        "start_date": None,
    }
    response = api("POST", "/api/v1/people/bulk", json={"people": [sparse]})
    assert response.status_code == 200, response.get_json()
    person = db.session.scalar(select(Person).where(Person.employee_no == "G1"))
    assert person is not None and person.email is None and person.start_date is None and person.title_en == ""
    required_null = api("POST", "/api/v1/people/bulk", json={"people": [{**sparse, "employee_no": None}]})
    assert required_null.status_code == 422
    assert set(required_null.get_json()["errors"]["json"]["people"]["0"]) == {"employee_no"}


def test_text_the_database_cannot_store_is_refused_not_a_server_error(api: Api, tree: Tree) -> None:
    assert api("GET", "/api/v1/people", query_string={"q": "a\x00b"}).status_code == 422
    assert api("GET", "/api/v1/people", query_string={"agency": "\x00"}).status_code == 422
    assert api("GET", "/api/v1/agencies/%00").status_code == 404
    assert api("GET", "/api/v1/frameworks/%00").status_code == 404
    assert api("GET", "/api/v1/courses/%00").status_code == 404
    assert api("GET", "/api/v1/coverage", query_string={"agency": "1\x00"}).status_code == 422
    lone_surrogate = '{"people": [{"agency_code": "11001", "employee_no": "\\ud800"}]}'
    response = api("POST", "/api/v1/people/bulk", data=lone_surrogate, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["people"]["0"]["employee_no"] == ["must be valid Unicode text"]


def test_a_dry_run_checks_and_counts_but_stores_nothing(api: Api, tree: Tree) -> None:
    response = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "F1")], "dry_run": True})
    assert response.get_json() == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "dry_run": True}
    assert people_count() == 0


def test_bulk_upsert_checks_the_citizen_id_and_stores_only_its_hash(api: Api, tree: Tree) -> None:
    from academy.org.identity import citizen_id_hash

    bad = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "Z1", citizen_id="1101700203451")]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["json"]["people"] == {
        "0": {"citizen_id": ["has a wrong check digit (the 13th digit)"]}
    }
    good = api("POST", "/api/v1/people/bulk", json={"people": [record("11001", "Z1", citizen_id="1101700203450")]})
    assert good.status_code == 200, good.get_json()
    person = db.session.scalar(select(Person).where(Person.employee_no == "Z1"))
    assert person is not None and person.citizen_id_hash == citizen_id_hash("1101700203450")
