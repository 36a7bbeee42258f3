"""HR import of damaged files: NUL characters and cells too long to read are errors naming row and
column, the command line says so in one line without a traceback, nothing is stored, and an XLSX
cell is cut while unpacked so that a huge one costs no memory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from openpyxl import Workbook

from academy.org.importer import XLSX_CELL_BYTES, ImportFileError, _CappedXml, import_people, read_rows
from tests.academy.org.test_importer import HEADER, agency, people_count, row, run, write_csv
from tests.support.app import BASE_URL

__all__ = ["agency"]  # the fixture, imported for these tests


def assert_clean_failure(code: int, output: str, *expected: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output, output
    for text in expected:
        assert text in output, output


def test_a_nul_in_a_csv_cell_is_an_error_naming_row_and_column(app: Flask, agency: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nul.csv", [row("03003", "1"), row("03003", "2", first_name_th="สม\x00ชาย")])
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert not report.ok
    assert [str(error) for error in report.errors] == ["row 3, column first_name_th: contains a NUL character"]
    code, output = run(app, str(path))
    assert_clean_failure(code, output, "row 3, column first_name_th: contains a NUL character", "nothing was stored")
    assert people_count() == 0


def test_skip_invalid_skips_the_row_with_a_nul(app: Flask, agency: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nul.csv", [row("03003", "1"), row("03003", "2", email="a\x00@example.go.th")])
    report = import_people(read_rows(path), base_url=BASE_URL, skip_invalid=True)
    assert (report.created, report.invalid_rows) == (1, 1)


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        ("x" * 200_000, "first_name_th"),  # over csv's field limit on one line
        ('"' + "line\n" * 40_000 + '"', "first_name_th"),  # ... over many lines of a quoted cell
        ("y" * 3_000_000, "first_name_th"),  # a line longer than the reader holds at once
    ],
)
def test_a_csv_cell_too_long_to_read_is_named_by_row_and_column(
    app: Flask, agency: Any, tmp_path: Path, cell: str, column: str
) -> None:
    good = ",".join(row("03003", "1").values())
    bad = ",".join(row("03003", "2", first_name_th="CELL").values()).replace("CELL", cell)
    path = tmp_path / "long.csv"
    path.write_text(",".join(HEADER) + "\n" + good + "\n" + bad + "\n" + good.replace(",1,", ",3,") + "\n")
    with pytest.raises(ImportFileError, match=rf"row 3, column {column}: the cell is too long to read"):
        list(read_rows(path))
    code, output = run(app, str(path))
    assert_clean_failure(code, output, f"row 3, column {column}: the cell is too long to read")
    assert people_count() == 0


def test_a_long_cell_within_csv_limits_is_a_row_error(agency: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "long.csv", [row("03003", "1", last_name_th="ก" * 5000)])
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert [str(error) for error in report.errors] == ["row 2, column last_name_th: is longer than 100 characters"]


# --- XLSX ---------------------------------------------------------------------------------------------


def test_a_big_xlsx_cell_is_cut_while_read_and_reported(app: Flask, agency: Any, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(row("03003", "1", first_name_th="ก" * 3_000_000).values()))
    sheet.append(list(row("03003", "2").values()))
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    rows = list(read_rows(path))
    name = rows[0][1]["first_name_th"]
    assert 100 < len(name) <= XLSX_CELL_BYTES and set(name) == {"ก"}
    assert rows[1][1]["first_name_th"] == "สมชาย"
    code, output = run(app, str(path))
    assert_clean_failure(code, output, "row 2, column first_name_th: is longer than 100 characters")
    assert people_count() == 0


def shared_strings_workbook(path: Path, strings: list[str]) -> Path:
    """An XLSX whose one data row takes its cells from the shared string table, as Excel writes them."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    table = [*HEADER, *strings]
    cells = [f'<c t="s"><v>{index}</v></c>' for index in range(len(HEADER))]
    values = [f'<c t="s"><v>{len(HEADER) + index}</v></c>' for index in range(len(strings))]
    sst = "".join(f"<si><t>{text}</t></si>" for text in table)
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Target="xl/workbook.xml" '
        f'Type="{rel}/officeDocument"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{rel}/worksheet"/>'
        f'<Relationship Id="rId2" Target="sharedStrings.xml" Type="{rel}/sharedStrings"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>'
        f'<row r="1">{"".join(cells)}</row><row r="2">{"".join(values)}</row></sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{sst}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_a_big_shared_string_is_cut_while_read(agency: Any, tmp_path: Path) -> None:
    base = list(row("03003", "1").values())
    base[HEADER.index("last_name_th")] = "ข&amp;" * 1_000_000
    path = shared_strings_workbook(tmp_path / "shared.xlsx", base)
    [(number, values)] = list(read_rows(path))
    assert number == 2
    assert 100 < len(values["last_name_th"]) <= XLSX_CELL_BYTES
    assert values["last_name_th"].startswith("ข&ข&")
    assert values["first_name_th"] == "สมชาย" and values["position_level_code"] == "K2"
    report = import_people(iter([(number, values)]), base_url=BASE_URL)
    assert [str(error) for error in report.errors] == ["row 2, column last_name_th: is longer than 100 characters"]


class Trickle(io.RawIOBase):
    """A stream that hands out a few bytes at a time, as a decompressor may at any boundary."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece, self._data = self._data[: self._step], self._data[self._step :]
        buffer[: len(piece)] = piece
        return len(piece)


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 4093, 65536])
def test_the_cut_ends_on_whole_characters_and_entities_at_any_chunk_boundary(step: int) -> None:
    long_text = "aก&amp;ขค&#3585;" * 2000
    xml = f"<sst><si><t>{long_text}</t></si><si><r><t>two</t></r><r><t> runs</t></r></si></sst>".encode()
    capped = io.BufferedReader(_CappedXml(Trickle(xml, step))).read()
    root = ElementTree.fromstring(capped)  # well-formed, valid UTF-8
    first, second = ["".join(si.itertext()) for si in root]
    whole = "".join(ElementTree.fromstring(xml).find("si").itertext())  # type: ignore[union-attr]
    assert whole.startswith(first) and len(first.encode()) >= XLSX_CELL_BYTES // 3
    assert second == "two runs"
