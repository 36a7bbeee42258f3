"""CASE packages and framework CSVs: export, import, round trips and refusals."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from academy.db import db
from competencies.models import Competency, Framework, FrameworkStatus
from competencies.services.exchange import (
    ExchangeError,
    export_case,
    import_case,
    import_framework_csv,
    read_framework_csv,
)
from competencies.services.frameworks import load_json

BASE = "https://academy.test/case"
Package = dict[str, Any]


def contents(framework: Framework) -> dict[str, Any]:
    """Everything an exchange must keep, by code, identifiers aside."""
    db.session.refresh(framework)
    return {
        "framework": (
            framework.version,
            framework.name_th,
            framework.name_en,
            framework.description_th,
            framework.description_en,
        ),
        "competencies": sorted(
            (
                c.code,
                c.parent.code if c.parent else None,
                c.name_th,
                c.name_en,
                c.description_th,
                c.description_en,
                c.is_core,
                c.sort_order,
            )
            for c in framework.competencies
        ),
        "levels": [
            (lvl.level, lvl.code, lvl.name_th, lvl.name_en, lvl.description_th, lvl.description_en, lvl.proficient)
            for lvl in framework.levels
        ],
    }


def identifiers(framework: Framework) -> set[uuid.UUID]:
    return {framework.identifier, *(c.identifier for c in framework.competencies)}


def row_counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Framework)) or 0,
        db.session.scalar(select(func.count()).select_from(Competency)) or 0,
    )


@pytest.fixture
def digcomp() -> Package:
    package: Package = load_json("digcomp_2_2_case.json")
    return package


# --- CASE ---------------------------------------------------------------------------------------------------


def test_the_standard_round_trips_as_a_copy_under_another_code(standard: Framework) -> None:
    package = json.loads(json.dumps(export_case(standard, BASE), ensure_ascii=False))
    copied = import_case(package, code="OCSC-DS-COPY", new_identifiers=True)

    assert (copied.code, copied.status) == ("OCSC-DS-COPY", FrameworkStatus.DRAFT)
    assert contents(copied) == contents(standard)
    assert len([c for c in copied.competencies if c.parent is None]) == 7
    assert len([c for c in copied.competencies if c.parent is not None]) == 32
    assert [lvl.proficient for lvl in copied.levels] == [False, False, True, False]
    assert not identifiers(copied) & identifiers(standard)


def test_exporting_deleting_and_importing_restores_the_standard_with_its_identifiers(standard: Framework) -> None:
    package = export_case(standard, BASE)
    before, ids = contents(standard), identifiers(standard)
    db.session.delete(standard)
    db.session.flush()

    restored = import_case(package, status=FrameworkStatus.ACTIVE)

    assert (restored.code, restored.version, restored.status) == ("OCSC-DS-2566", "2566", FrameworkStatus.ACTIVE)
    assert contents(restored) == before
    assert identifiers(restored) == ids
    assert restored.identifier == uuid.UUID(package["CFDocument"]["identifier"])


def test_importing_a_framework_that_exists_is_refused(standard: Framework) -> None:
    package = export_case(standard, BASE)
    counts = row_counts()
    with pytest.raises(
        ExchangeError, match=f"framework OCSC-DS-2566 2566 already has identifier {standard.identifier}"
    ):
        import_case(package)
    with pytest.raises(ExchangeError, match="a framework with code OCSC-DS-2566 and version 2566 exists"):
        import_case(package, new_identifiers=True)
    assert row_counts() == counts


def test_the_export_is_a_case_package_with_thai_text_in_notes_and_core_in_keywords(standard: Framework) -> None:
    package = export_case(standard, BASE)
    document = package["CFDocument"]
    assert document["title"] == standard.name_en
    assert document["adoptionStatus"] == "Adopted"
    assert document["uri"] == f"{BASE}/uri/{standard.identifier}"
    assert document["notes"] == f"[code] OCSC-DS-2566\n\n[th] {standard.name_th}\n{standard.description_th}"

    items = {item["humanCodingScheme"]: item for item in package["CFItems"]}
    area, competency = items["DL"], items["DL-01"]
    assert (area["CFItemType"], competency["CFItemType"]) == ("Competency Area", "Competency")
    assert area["conceptKeywords"] == ["core"] and items["CS"]["conceptKeywords"] == ["optional"]
    dl01 = next(c for c in standard.competencies if c.code == "DL-01")
    assert competency["fullStatement"] == dl01.name_en
    assert competency["notes"] == f"{dl01.description_en}\n\n[th] {dl01.name_th}\n{dl01.description_th}"

    parents = {a["originNodeURI"]["identifier"]: a["destinationNodeURI"] for a in package["CFAssociations"]}
    assert {a["associationType"] for a in package["CFAssociations"]} == {"isChildOf"}
    assert parents[area["identifier"]]["identifier"] == document["identifier"]
    assert parents[competency["identifier"]] == {
        "title": area["fullStatement"],
        "identifier": area["identifier"],
        "uri": area["uri"],
    }

    [rubric] = package["CFRubrics"]
    [criterion] = rubric["CFRubricCriteria"]
    levels = criterion["CFRubricCriterionLevels"]
    assert [(lvl["score"], lvl["quality"]) for lvl in levels] == [
        (1, "L1 – Basic"),
        (2, "L2 – Intermediate"),
        (3, "L3 – Advanced"),
        (4, "L4 – Expert"),
    ]
    assert [lvl["score"] for lvl in levels if lvl.get("feedback") == "Proficient"] == [3]


def odd_framework(name_th: str = "") -> Framework:
    area = Competency(
        code="X", name_th=name_th, name_en="X", description_en="ends in blank lines\n\n", is_core=True, sort_order=10
    )
    child = Competency(code="X.1", name_th="ย่อย", name_en="X.1", description_th="[th] ไม่ใช่แท็ก", sort_order=5)
    child.parent = area
    framework = Framework(
        code="ODD", version="1", name_th="", name_en="Odd", description_th="\nบรรทัดแรกว่าง", competencies=[area, child]
    )
    db.session.add(framework)
    db.session.flush()
    return framework


def test_awkward_texts_and_orders_survive_the_round_trip() -> None:
    framework = odd_framework()
    copied = import_case(export_case(framework, BASE), code="ODD-COPY", new_identifiers=True)
    assert contents(copied) == contents(framework)
    assert [(c.code, c.sort_order) for c in copied.competencies] == [("X.1", 5), ("X", 10)]


def test_a_thai_name_with_a_line_break_cannot_be_exported() -> None:
    with pytest.raises(ExchangeError, match="competency X: name_th has a line break"):
        export_case(odd_framework(name_th="สอง\nบรรทัด"), BASE)


def test_digcomp_imports_with_its_areas_competences_and_eight_levels(digcomp: Package) -> None:
    framework = import_case(digcomp)

    assert (framework.code, framework.version, framework.name_en) == ("DIGCOMP-2-2", "2.2", "DigComp 2.2")
    assert framework.identifier == uuid.UUID("8ae9380f-2723-441f-89b9-27256792b8c9")
    areas = [c for c in framework.competencies if c.parent is None]
    assert [a.code for a in areas] == ["1", "2", "3", "4", "5"]
    assert len([c for c in framework.competencies if c.parent is not None]) == 21
    first = areas[0]
    assert [c.code for c in first.children] == ["1.1", "1.2", "1.3"]
    browsing = first.children[0]
    assert browsing.name_en == browsing.name_th == digcomp["CFItems"][1]["fullStatement"]
    assert browsing.description_en == digcomp["CFItems"][1]["notes"] and browsing.description_th == ""
    assert [c.sort_order for c in framework.competencies] == list(range(1, 27))
    assert [c.code for c in framework.competencies][:5] == ["1", "1.1", "1.2", "1.3", "2"]
    assert [(lvl.level, lvl.code, lvl.name_en) for lvl in framework.levels][:2] == [
        (1, "1", "Foundation"),
        (2, "2", "Foundation"),
    ]
    assert len(framework.levels) == 8 and not any(lvl.proficient for lvl in framework.levels)

    with pytest.raises(ExchangeError, match="already has identifier"):
        import_case(digcomp)


def test_a_package_without_rubrics_imports_without_a_scale(digcomp: Package) -> None:
    del digcomp["CFRubrics"]
    assert import_case(json.dumps(digcomp), code="DIGCOMP").levels == []


def item_id(package: Package, index: int) -> str:
    identifier: str = package["CFItems"][index]["identifier"]
    return identifier


def association_of(package: Package, origin_index: int) -> dict[str, Any]:
    origin = item_id(package, origin_index)
    return next(a for a in package["CFAssociations"] if a["originNodeURI"]["identifier"] == origin)


def without_document(package: Package) -> str:
    del package["CFDocument"]
    return "CFDocument is missing"


def item_without_identifier(package: Package) -> str:
    del package["CFItems"][7]["identifier"]
    return "CFItems[7]: identifier is required"


def item_without_statement(package: Package) -> str:
    package["CFItems"][7]["fullStatement"] = " "
    return f"CFItems[7] (identifier {item_id(package, 7)}): fullStatement is required"


def association_to_an_unknown_node(package: Package) -> str:
    stranger = "00000000-0000-4000-8000-000000000001"
    package["CFAssociations"][2]["destinationNodeURI"]["identifier"] = stranger
    return f"CFAssociations[2]: destination {stranger} is not an item or the document"


def association_from_an_unknown_node(package: Package) -> str:
    package["CFAssociations"][3]["originNodeURI"]["identifier"] = "not-a-uuid"
    return "CFAssociations[3]: origin not-a-uuid is not an item"


def a_cycle(package: Package) -> str:
    # Area 1 becomes a child of its own competence 1.1.
    association_of(package, 0)["destinationNodeURI"]["identifier"] = item_id(package, 1)
    return f"CFItems[0] (identifier {item_id(package, 0)}): the parents form a cycle (1 → 1.1 → 1)"


def duplicate_identifiers(package: Package) -> str:
    package["CFItems"][3]["identifier"] = item_id(package, 1)
    return f"CFItems[3] (identifier {item_id(package, 1)}): duplicate identifier (also CFItems[1])"


def an_item_with_the_documents_identifier(package: Package) -> str:
    package["CFItems"][2]["identifier"] = package["CFDocument"]["identifier"]
    return "CFItems[2] (identifier 8ae9380f-2723-441f-89b9-27256792b8c9): duplicate identifier (the CFDocument"


def two_parents(package: Package) -> str:
    second = copy.deepcopy(association_of(package, 1))
    second["destinationNodeURI"]["identifier"] = item_id(package, 4)
    package["CFAssociations"].append(second)
    return f"CFItems[1] (identifier {item_id(package, 1)}): more than one parent (CFAssociations[1] and "


def duplicate_codes(package: Package) -> str:
    package["CFItems"][2]["humanCodingScheme"] = "1.1"
    return f"CFItems[2] (identifier {item_id(package, 2)}): humanCodingScheme 1.1 is used twice (also CFItems[1]"


def a_level_without_score(package: Package) -> str:
    level = package["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][4]
    level["score"] = "five"
    del level["position"]
    return "CFRubrics[0].CFRubricCriteria[0].CFRubricCriterionLevels[4]: score must be a whole number"


@pytest.mark.parametrize(
    "spoil",
    [
        without_document,
        item_without_identifier,
        item_without_statement,
        association_to_an_unknown_node,
        association_from_an_unknown_node,
        a_cycle,
        duplicate_identifiers,
        an_item_with_the_documents_identifier,
        two_parents,
        duplicate_codes,
        a_level_without_score,
    ],
)
def test_a_bad_package_is_refused_naming_the_fault_and_creates_nothing(
    digcomp: Package, spoil: Callable[[Package], str]
) -> None:
    expected = spoil(digcomp)
    counts = row_counts()
    with pytest.raises(ExchangeError) as raised:
        import_case(digcomp)
    assert str(raised.value).startswith(expected)
    assert row_counts() == counts


def test_a_package_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ExchangeError, match="must be a JSON object"):
        import_case([1, 2])
    with pytest.raises(ExchangeError, match="not JSON"):
        import_case("{nope")


def test_unknown_association_types_are_ignored_and_items_without_a_parent_become_areas(digcomp: Package) -> None:
    digcomp["CFAssociations"] = [
        {**a, "associationType": "exactMatchOf"} if a["originNodeURI"]["identifier"] == item_id(digcomp, 1) else a
        for a in digcomp["CFAssociations"]
    ]
    framework = import_case(digcomp)
    assert [c.code for c in framework.competencies if c.parent is None] == ["1", "1.1", "2", "3", "4", "5"]


# --- CSV ----------------------------------------------------------------------------------------------------

HEADER = "code,parent_code,name_th,name_en,description_th,description_en,is_core"


def write_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "framework.csv"
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("utf-8-sig"))
    return path


def test_a_csv_in_any_order_imports_as_a_tree(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "A-02,A,ทักษะ ก2,Skill A2,,Second of A,",
        "A-01,A,ทักษะ ก1,Skill A1,คำอธิบาย,First of A,",
        "A,,ด้าน ก,Area A,,,yes",
        "B,,ด้าน ข,Area B,,,",
        "B-01,B,ทักษะ ข1,Skill B1,,,1",
        ",,,,,,",
    )
    framework = import_framework_csv(
        read_framework_csv(path), code="CSV-1", version="1", name_th="กรอบทดสอบ", name_en="Test framework"
    )

    assert (framework.code, framework.status, framework.levels) == ("CSV-1", FrameworkStatus.DRAFT, [])
    listed = [(c.code, c.parent.code if c.parent else None, c.is_core, c.sort_order) for c in framework.competencies]
    assert listed == [
        ("A", None, True, 1),
        ("A-02", "A", True, 2),
        ("A-01", "A", True, 3),
        ("B", None, False, 4),
        ("B-01", "B", True, 5),
    ]
    first = next(c for c in framework.competencies if c.code == "A-01")
    assert (first.name_th, first.name_en, first.description_th, first.description_en) == (
        "ทักษะ ก1",
        "Skill A1",
        "คำอธิบาย",
        "First of A",
    )


def rows(*lines: str) -> Iterator[dict[str, str]]:
    columns = HEADER.split(",")
    for line in lines:
        yield dict(zip(columns, line.split(","), strict=True))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (("A,,ก,A,,,", "A-01,X,ก1,A1,,,"), "row 3, column parent_code: no row has code X"),
        (("A,,ก,A,,,", "A-01,A,ก1,A1,,,", "A-01,A,ก2,A2,,,"), "row 4, column code: duplicate code A-01 (also row 3)"),
        (("A,,ก,A,,,", "A-01,A,ก1,,,,"), "row 3, column name_en: a name is required"),
        (("A,,,Area,,,",), "row 2, column name_th: a name is required"),
        ((",,ก,A,,,",), "row 2, column code: a code is required"),
        (("A,,ก,A,,,maybe",), "row 2, column is_core: 'maybe' is not a yes/no value"),
        (("A,B,ก,A,,,", "B,A,ข,B,,,"), "row 2, column parent_code: the parents form a cycle (A → B → A)"),
        (("A,A,ก,A,,,",), "row 2, column parent_code: the parents form a cycle (A → A)"),
        ((), "the CSV has no rows"),
    ],
)
def test_a_bad_csv_is_refused_naming_row_and_column_and_creates_nothing(lines: tuple[str, ...], expected: str) -> None:
    counts = row_counts()
    with pytest.raises(ExchangeError) as raised:
        import_framework_csv(rows(*lines), code="CSV-BAD", version="1", name_th="ก", name_en="Bad")
    assert str(raised.value).startswith(expected)
    assert row_counts() == counts


def test_a_csv_framework_that_exists_is_refused(standard: Framework) -> None:
    with pytest.raises(ExchangeError, match="a framework with code OCSC-DS-2566 and version 2566 exists"):
        import_framework_csv(rows("A,,ก,A,,,"), code="OCSC-DS-2566", version="2566", name_th="ก", name_en="A")


def test_a_csv_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "framework.csv"
    path.write_bytes(f"{HEADER}\nA,,ด้าน,Area,,,\n".encode("cp874"))
    with pytest.raises(ExchangeError, match="not UTF-8 text"):
        list(read_framework_csv(path))


def test_the_cli_exports_and_imports_a_framework(app: Flask, standard: Framework, tmp_path: Path) -> None:
    from competencies.services.frameworks import list_frameworks

    # The CLI shares this test's session: commit (a savepoint here) so its rollback keeps the standard.
    db.session.commit()
    exported = app.test_cli_runner().invoke(args=["academy", "framework-export", standard.code])
    assert exported.exit_code == 0, exported.output
    package = tmp_path / "standard.json"
    package.write_text(exported.output, encoding="utf-8")
    clash = app.test_cli_runner().invoke(args=["academy", "framework-import", str(package)])
    assert clash.exit_code == 1 and "already" in clash.output
    digcomp = app.test_cli_runner().invoke(
        args=["academy", "framework-import", "competencies/data/digcomp_2_2_case.json"]
    )
    assert digcomp.exit_code == 0 and "26 areas and competencies, 8 levels" in digcomp.output
    assert len(list_frameworks()) == 2


def test_the_cli_sets_a_coverage_target(app: Flask) -> None:
    from competencies.services.coverage import target_for

    result = app.test_cli_runner().invoke(args=["academy", "coverage-target", "2570", "65"])
    assert result.exit_code == 0 and target_for(2570) == 65
