"""The course structure rules (CourseStructure.xsd and the cmi5 spec), each with the message it gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courses.cmi5.package import AuSpec, BlockSpec, PackageError, read_package
from tests.support.cmi5 import EXAMPLE, au, block, structure, texts, zipped

OBJECTIVES = (
    f'<objectives><objective id="{EXAMPLE}/objective/1">'
    '<title><langstring lang="en">Objective</langstring></title>'
    '<description><langstring lang="en">About it</langstring></description>'
    "</objective></objectives>"
)


def problems(xml: str, files: dict[str, bytes] | None = None, bare: bool = False) -> list[str]:
    data = xml.encode() if bare else zipped(xml, files)
    with pytest.raises(PackageError) as caught:
        read_package(data, "cmi5.xml" if bare else "package.zip")
    return caught.value.problems


def one_problem(xml: str, **kwargs: object) -> str:
    found = problems(xml, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


def test_a_valid_structure_is_read_with_its_defaults() -> None:
    xml = structure(
        block("block/1", au("au/1", attrs='moveOn="Passed" masteryScore="0.85"'), block("block/2", au("au/2"))),
        au("au/3", url="https://content.example/x.html?a=1"),
        objectives=OBJECTIVES,
    )
    package = read_package(zipped(xml), "package.zip")
    course = package.structure
    assert course.id == f"{EXAMPLE}/course"
    assert course.title == {"en": "Course", "th": "หลักสูตร"}
    assert [o.id for o in course.objectives] == [f"{EXAMPLE}/objective/1"]
    first, third = course.children
    assert isinstance(first, BlockSpec) and isinstance(third, AuSpec)
    assert [u.id.rsplit("/", 1)[-1] for u in course.aus()] == ["1", "2", "3"]
    unit = next(course.aus())
    assert (unit.move_on, unit.mastery_score, unit.launch_method) == ("Passed", Decimal("0.85"), "AnyWindow")
    nested = list(course.aus())[1]
    assert (nested.move_on, nested.mastery_score) == ("NotApplicable", None)
    assert set(package.files) == {"cmi5.xml", "index.html"}


def test_values_are_stripped_of_surrounding_whitespace() -> None:
    xml = structure(
        f'<au id="  {EXAMPLE}/au/1 " moveOn=" Completed ">{texts("  Unit  ")}<url>\n  index.html?x=1\n</url>'
        "<launchParameters>\n  a=1  </launchParameters></au>"
    )
    unit = next(read_package(zipped(xml), "p.zip").structure.aus())
    assert (unit.id, unit.move_on, unit.url, unit.launch_parameters) == (
        f"{EXAMPLE}/au/1",
        "Completed",
        "index.html?x=1",
        "a=1",
    )
    assert unit.title == {"en": "Unit"}


# --- the file --------------------------------------------------------------------------------


def test_not_well_formed_xml() -> None:
    assert "not well-formed XML" in one_problem("<courseStructure><course>", bare=True)


def test_a_doctype_is_refused() -> None:
    xml = structure(au("au/1", url="https://x.example/a")).replace(
        "<courseStructure", "<!DOCTYPE x []><courseStructure", 1
    )
    assert "DOCTYPE" in one_problem(xml, bare=True)


def test_a_zip_without_cmi5_xml_at_its_root() -> None:
    data = zipped(None, {"course/cmi5.xml": b"<x/>", "course/index.html": b""})
    with pytest.raises(PackageError, match=r"no cmi5.xml at its root \(found course/cmi5.xml"):
        read_package(data, "package.zip")


def test_a_file_named_zip_that_is_not_one() -> None:
    with pytest.raises(PackageError, match=r"not-a-zip\.zip is not a ZIP file"):
        read_package(b"# A markdown file\n", "not-a-zip.zip")


def test_a_file_that_is_neither_zip_nor_xml() -> None:
    with pytest.raises(PackageError, match="is not a cmi5 package"):
        read_package(b"# LMS Test Package\n", "package.md")


def test_zip64_packages_are_read() -> None:
    package = read_package(zipped(structure(au("au/1")), zip64=True), "zip64.zip")
    assert next(package.structure.aus()).url == "index.html"


def test_a_thousand_aus() -> None:
    xml = structure(*(au(f"au/{n}", url=f"https://content.example/{n}.html") for n in range(1000)))
    assert len(list(read_package(xml.encode(), "cmi5.xml").structure.aus())) == 1000


# --- elements ------------------------------------------------------------------------------------


def test_the_root_element_and_its_namespace() -> None:
    xml = structure(au("au/1")).replace('xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"', "")
    assert "the root element must be <courseStructure> in the namespace" in one_problem(xml)


def test_required_elements() -> None:
    no_title = structure(au("au/1")).replace(
        '<title><langstring lang="en">Course</langstring><langstring lang="th">หลักสูตร</langstring></title>', "", 1
    )
    assert f'<course id="{EXAMPLE}/course">: <title> is required here, before <description>' in one_problem(no_title)
    no_description = structure(
        f'<au id="{EXAMPLE}/au/1"><title><langstring>U</langstring></title><url>index.html</url></au>'
    )
    assert f'<au id="{EXAMPLE}/au/1">: <description> is required here, before <url>' in one_problem(no_description)
    no_url = structure(f'<au id="{EXAMPLE}/au/1">{texts("U")}</au>')
    assert "<url> is required here" in one_problem(no_url)


def test_a_course_needs_an_au() -> None:
    assert "<au> or <block> is required here" in one_problem(structure())
    assert f'<block id="{EXAMPLE}/block/1">: <au> or <block> is required here' in one_problem(
        structure(block("block/1"))
    )


def test_elements_out_of_order() -> None:
    xml = structure(f'<au id="{EXAMPLE}/au/1"><url>index.html</url>{texts("U")}</au>')
    found = problems(xml)
    assert f'<au id="{EXAMPLE}/au/1">: <title> is required here, before <url>' in found[0]
    assert any(f'<title> in <au id="{EXAMPLE}/au/1">: not allowed here' in p for p in found), found


def test_unknown_elements_of_the_namespace() -> None:
    xml = structure(au("au/1", after_url="<launchParameter>x</launchParameter>"))
    assert f'<launchParameter> in <au id="{EXAMPLE}/au/1">: not allowed here' in one_problem(xml)


def test_extension_elements_need_a_namespace_of_their_own() -> None:
    assert "must be in a namespace of its own" in one_problem(structure(au("au/1", after_url='<vendor xmlns=""/>')))
    ok = structure(au("au/1", after_url='<v:data xmlns:v="https://vendor.example/ns">x</v:data>'))
    assert next(read_package(zipped(ok), "p.zip").structure.aus()).url == "index.html"


def test_attributes() -> None:
    assert "the attribute 'colour' is not allowed here" in one_problem(structure(au("au/1", attrs='colour="red"')))
    ok = structure(au("au/1", attrs='xmlns:v="https://vendor.example/ns" v:colour="red"'))
    assert next(read_package(zipped(ok), "p.zip").structure.aus()).url == "index.html"


def test_text_between_elements() -> None:
    xml = structure(au("au/1", before_url="stray words"))
    assert "text is not allowed between the elements" in one_problem(xml)


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "where"),
    [
        (structure(au("au/1"), course_id="w3id.org/xapi/cmi5/course"), "<course "),
        (structure(block("w3id.org/block", au("au/1")).replace(f"{EXAMPLE}/w3id.org", "w3id.org")), "<block "),
        (structure(f'<au id="example.org/au/1">{texts("U")}<url>index.html</url></au>'), "<au "),
        (
            structure(
                au("au/1"),
                objectives=OBJECTIVES.replace(f"{EXAMPLE}/objective/1", "objective-1"),
            ),
            "<objective ",
        ),
    ],
    ids=["course", "block", "au", "objective"],
)
def test_ids_are_iris(xml: str, where: str) -> None:
    found = [p for p in problems(xml) if "is not an IRI" in p]
    assert found and where in found[0], problems(xml)


def test_ids_are_required() -> None:
    xml = structure(f"<au>{texts('U')}<url>index.html</url></au>")
    assert "<au>: the id attribute is required" in one_problem(xml)


@pytest.mark.parametrize(
    "xml",
    [
        structure(block("block/1", au("au/1")), block("block/1", au("au/2"))),
        structure(au("au/1"), au("au/1")),
        structure(
            au("au/1"), objectives=OBJECTIVES.replace("</objective></objectives>", "</objective>") + OBJECTIVES[12:]
        ),
        structure(block("au/1", au("au/1"))),
    ],
    ids=["block", "au", "objective", "across kinds"],
)
def test_ids_are_unique(xml: str) -> None:
    assert any("is already used by the" in p and "ids must be unique" in p for p in problems(xml)), problems(xml)


# --- AU attributes ---------------------------------------------------------------------------------


def test_move_on_values() -> None:
    for value in ("NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed"):
        read_package(zipped(structure(au("au/1", attrs=f'moveOn="{value}"'))), "p.zip")
    assert "moveOn 'Sometimes' is not one of NotApplicable, Passed" in one_problem(
        structure(au("au/1", attrs='moveOn="Sometimes"'))
    )


def test_launch_method_values() -> None:
    read_package(zipped(structure(au("au/1", attrs='launchMethod="OwnWindow"'))), "p.zip")
    assert "launchMethod 'NewWindow' is not one of AnyWindow, OwnWindow" in one_problem(
        structure(au("au/1", attrs='launchMethod="NewWindow"'))
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("high", "masteryScore 'high' is not a decimal number"),
        ("1e-1", "masteryScore '1e-1' is not a decimal number"),
        ("1.5", "masteryScore 1.5 is outside 0 to 1"),
        ("-0.1", "masteryScore -0.1 is outside 0 to 1"),
        ("0.12345", "masteryScore 0.12345 has more than 4 decimal places"),
    ],
)
def test_mastery_score_range(value: str, message: str) -> None:
    assert message in one_problem(structure(au("au/1", attrs=f'masteryScore="{value}"')))


@pytest.mark.parametrize("value", ["0", "1", "1.0", ".5", "0.8500"])
def test_mastery_scores_accepted(value: str) -> None:
    unit = next(read_package(zipped(structure(au("au/1", attrs=f'masteryScore="{value}"'))), "p.zip").structure.aus())
    assert unit.mastery_score == Decimal(value)


# --- AU URLs -------------------------------------------------------------------------------------------


def test_url_must_be_a_url() -> None:
    assert "'http://example.com index.html' is not a valid URL" in one_problem(
        structure(au("au/1", url="http://example.com index.html")), bare=True
    )
    assert "has no host" in one_problem(structure(au("au/1", url="https:///index.html")), bare=True)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "file:///etc/passwd"]
)
def test_url_is_http_https_or_relative(url: str) -> None:
    assert "an AU's URL is http, https or relative to the package root" in one_problem(structure(au("au/1", url=url)))


def test_url_query_must_not_use_launch_parameters() -> None:
    xml = structure(au("au/1", url="index.html?endpoint=http://example.org/lrs&amp;x=1"))
    assert "uses endpoint, which the LMS adds at launch (cmi5 8.1)" in one_problem(xml)


@pytest.mark.parametrize("url", ["index.html", "path/1/index.html", "index.html?abc=def", "/index.html"])
def test_a_bare_cmi5_xml_needs_full_urls(url: str) -> None:
    assert "needs full URLs (cmi5 14.2)" in one_problem(structure(au("au/1", url=url)), bare=True)


def test_relative_urls_point_into_the_zip() -> None:
    xml = structure(au("au/1", url="not-found.html"))
    assert "'not-found.html' refers to not-found.html, which is not in the package (cmi5 14.1)" in one_problem(xml)
    assert "points outside the package" in one_problem(structure(au("au/1", url="../index.html")))
    assert "neither a full URL nor relative" in one_problem(structure(au("au/1", url="/index.html")))
    nested = structure(au("au/1", url="unit%201/start.html?x=1"))
    assert next(read_package(zipped(nested, {"unit 1/start.html": b""}), "p.zip").structure.aus()).url


def test_absolute_urls_in_a_zip_are_allowed() -> None:
    xml = structure(au("au/1"), au("au/2", url="https://content.example/unit2.html"))
    assert len(list(read_package(zipped(xml), "p.zip").structure.aus())) == 2


# --- langstrings and objectives ----------------------------------------------------------------------


def test_langstrings() -> None:
    assert "lang 'not a tag' is not a language tag" in one_problem(
        structure(au("au/1")).replace('<langstring lang="en">Course', '<langstring lang="not a tag">Course', 1)
    )
    empty_title = structure(au("au/1")).replace('<title><langstring lang="en">Course</langstring>', "<title>", 1)
    empty_title = empty_title.replace('<langstring lang="th">หลักสูตร</langstring></title>', "</title>", 1)
    assert "<langstring> is required here" in one_problem(empty_title)
    nested = structure(au("au/1")).replace(">Course<", "><b>Course</b><", 1)
    assert "a langstring holds text only" in one_problem(nested)


def test_objective_references_resolve() -> None:
    reference = f'<objectives><objective idref="{EXAMPLE}/objective/2"/></objectives>'
    xml = structure(au("au/1", before_url=reference), objectives=OBJECTIVES)
    assert f"the objective '{EXAMPLE}/objective/2' is not one of the course's <objectives>" in one_problem(xml)
    fine = structure(
        block("block/1", au("au/1"), objectives=reference.replace("/2", "/1")),
        objectives=OBJECTIVES,
    )
    assert read_package(zipped(fine), "p.zip").structure.children[0].objectives == [f"{EXAMPLE}/objective/1"]


def test_objectives_need_title_and_description() -> None:
    xml = structure(
        au("au/1"), objectives=OBJECTIVES.replace('<title><langstring lang="en">Objective</langstring></title>', "")
    )
    assert "an objective needs exactly one <title>" in one_problem(xml)


def test_every_problem_is_reported_with_its_line() -> None:
    xml = structure(
        au("au/1", attrs='moveOn="Never"'),
        au("au/1", url="missing.html", attrs='masteryScore="2"'),
        course_id="no-scheme",
    )
    found = problems(xml)
    assert len(found) == 5, found
    assert all(p.startswith("line ") for p in found)
