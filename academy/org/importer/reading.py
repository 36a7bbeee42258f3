"""Reading an import file, CSV or XLSX, a row at a time with every line, cell and XML tag bounded."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from academy.org.importer.columns import _HEADER_LOOKUP, COLUMNS, ImportFileError

#: The most of a cell's text an XLSX file is read for, in bytes of UTF-8: past every column's
#: max_length, so that a cell cut here is still reported as too long, and memory stays bounded.
XLSX_CELL_BYTES = 4096
#: The longest XML tag read from an XLSX part (a cell's tag with its attributes is far shorter).
_XLSX_TAG_BYTES = 65536
#: The longest CSV line read at once, in characters; a longer one is reported, not held.
_CSV_LINE_CHARS = 1 << 20


def template_csv() -> str:
    """The downloadable template: a header row, an example row, and a row describing each column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.name for column in COLUMNS])
    writer.writerow([column.example for column in COLUMNS])
    return out.getvalue()


def _canonical_header(header: Iterable[object]) -> list[str]:
    names = []
    for position, raw in enumerate(header, start=1):
        text = str(raw or "").strip().lstrip("\ufeff").lower()
        if text not in _HEADER_LOOKUP:
            raise ImportFileError(f"column {position} has an unknown header {text!r}")
        names.append(_HEADER_LOOKUP[text])
    missing = [column.name for column in COLUMNS if column.required and column.name not in names]
    if missing:
        raise ImportFileError(f"required columns are missing: {', '.join(missing)}")
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ImportFileError(f"columns appear twice: {', '.join(sorted(duplicated))}")
    return names


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (spreadsheet row number, {column: text}) for each data row of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path)
    elif suffix == ".xlsx":
        yield from _read_xlsx(path)
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")


class _CellTooLong(Exception):
    """A CSV line longer than the reader holds at once."""


class _CsvLines:
    """The lines of a CSV file for csv.reader, each at most _CSV_LINE_CHARS long, and those of the current record."""

    def __init__(self, handle: io.TextIOBase) -> None:
        self._handle = handle
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._handle.readline(_CSV_LINE_CHARS)
        if not line:
            raise StopIteration
        self.record.append(line)
        if len(line) == _CSV_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _CellTooLong
        return line


def _longest_cell(text: str, header: list[str]) -> tuple[str, int]:
    """Return the column and length of the longest cell in the raw text of a CSV record."""
    lengths = [0]
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            lengths.append(0)
        else:
            lengths[-1] += 1
    index = max(range(len(lengths)), key=lengths.__getitem__)
    return (header[index] if index < len(header) else f"{index + 1}"), lengths[index]


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = _CsvLines(handle)
        reader = csv.reader(lines)
        try:
            header = _canonical_header(next(reader))
        except StopIteration:
            raise ImportFileError(f"{path.name} is empty") from None
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} is not UTF-8 text") from None
        except (csv.Error, _CellTooLong):
            raise ImportFileError(f"{path.name}: the header row is too long to be a header") from None
        number = 1
        try:
            while True:
                number += 1
                lines.record.clear()
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                if not any(cell.strip() for cell in cells):
                    continue
                yield number, _row_dict(header, cells, number)
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} is not UTF-8 text (near row {number})") from None
        except (csv.Error, _CellTooLong) as error:
            # csv gives up on a cell over its field limit (131,072 characters); past that, where the
            # record ends is not known, so the file is refused here rather than misread.
            column, length = _longest_cell("".join(lines.record), header)
            if isinstance(error, csv.Error) and "field limit" not in str(error):
                raise ImportFileError(f"row {number}: {error}") from None
            raise ImportFileError(
                f"row {number}, column {column}: the cell is too long to read ({length:,} characters or more)"
            ) from None


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl.reader.excel import ExcelReader

    try:
        # load_workbook(read_only=True), with an archive whose cell texts are cut while unpacked.
        reader = ExcelReader(path, read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = _CappedXlsxArchive(path)
        reader.read()
        workbook = reader.wb
    except _XmlTagTooLong:
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook: an XML tag is too long") from None
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook: {error}") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        number = 1
        while True:
            try:
                values = next(rows)
            except StopIteration:
                if number == 1:
                    raise ImportFileError(f"{path.name} is empty") from None
                return
            except ImportFileError:
                raise
            except Exception as error:  # a damaged sheet shows only as its rows are read
                raise ImportFileError(f"{path.name}: row {number + 1} cannot be read: {error}") from None
            number += 1
            if number == 2:
                header = _canonical_header(cell for cell in values if cell is not None)
                continue
            cells = [_cell_text(value) for value in values]
            if not any(cells):
                continue
            yield number - 1, _row_dict(header, cells, number - 1)
    finally:
        workbook.close()


class _XmlTagTooLong(Exception):
    """An XLSX part has a tag longer than _XLSX_TAG_BYTES."""


def _missing_continuation_bytes(tail: bytes) -> int:
    """Return how many bytes the last UTF-8 character of `tail` still lacks."""
    trailing = 0
    while trailing < min(len(tail), 3) and 0x80 <= tail[-1 - trailing] < 0xC0:
        trailing += 1
    if trailing == len(tail):
        return 0
    lead = tail[-1 - trailing]
    size = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF8 else 1
    return max(size - 1 - trailing, 0)


class _CappedXml(io.RawIOBase):
    """An XML part of an XLSX file, read as a stream that keeps at most XLSX_CELL_BYTES of text per cell.

    The text of a cell (``<c>``) or of a shared string (``<si>``) past the cap is dropped as it is
    unpacked, ending on whole characters and entities, so a 300 MB cell costs no more memory
    than a short one and still reads as longer than any column allows.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._pending = b""
        self._in_tag = False
        self._tag = bytearray()
        self._used = 0  # bytes of text kept in the current cell
        self._tail = b""  # the last bytes of text kept, to finish a character that is cut
        self._need = 0  # continuation bytes still owed to a character that is cut
        self._entity_open = False  # the kept text ends inside an entity (&amp;)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            data = self._raw.read(65536)
            if not data:
                if self._in_tag:
                    self._pending, self._in_tag = bytes(self._tag), False
                    continue
                return 0
            self._pending = self._filter(data)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _filter(self, data: bytes) -> bytes:
        out = bytearray()
        position, length = 0, len(data)
        while position < length:
            if self._in_tag:
                end = data.find(b">", position)
                self._tag += data[position:] if end < 0 else data[position : end + 1]
                if len(self._tag) > _XLSX_TAG_BYTES:
                    raise _XmlTagTooLong
                if end < 0:
                    break
                out += self._tag
                self._start_tag(bytes(self._tag))
                self._tag.clear()
                self._in_tag = False
                position = end + 1
            else:
                end = data.find(b"<", position)
                stop = length if end < 0 else end
                out += self._text(data[position:stop])
                if end < 0:
                    break
                self._in_tag = True
                position = end
        return bytes(out)

    def _start_tag(self, tag: bytes) -> None:
        parts = tag[1:].lstrip(b"/").split(b">")[0].split()
        name = parts[0].rstrip(b"/") if parts else b""
        if name.rsplit(b":", 1)[-1] in (b"c", b"si"):
            self._used, self._tail, self._need, self._entity_open = 0, b"", 0, False

    def _keep(self, text: bytes) -> bytes:
        self._tail = (self._tail + text)[-4:]
        amp, semi = text.rfind(b"&"), text.rfind(b";")
        if amp > semi:
            self._entity_open = True
        elif semi > amp:
            self._entity_open = False
        return text

    def _text(self, text: bytes) -> bytes:
        room = XLSX_CELL_BYTES - self._used
        if len(text) <= room:
            self._used += len(text)
            return self._keep(text)
        kept = b""
        if room > 0:
            kept = self._keep(text[:room])
            self._used = XLSX_CELL_BYTES
            self._need = _missing_continuation_bytes(self._tail)
            text = text[room:]
        # Past the cap: only what completes the last character and entity kept.
        if self._need:
            kept += text[: self._need]
            taken = min(self._need, len(text))
            self._need -= taken
            text = text[taken:]
        if self._entity_open and not self._need:
            semi = text.find(b";")
            kept += text if semi < 0 else text[: semi + 1]
            self._entity_open = semi < 0
        return kept


class _CappedXlsxArchive(zipfile.ZipFile):
    """The XLSX archive, whose shared strings and worksheets are read through _CappedXml."""

    def open(self, name: Any, mode: Any = "r", pwd: bytes | None = None, **kwargs: Any) -> Any:
        member = super().open(name, mode, pwd, **kwargs)
        filename = (name.filename if isinstance(name, zipfile.ZipInfo) else str(name)).lower()
        if mode == "r" and filename.endswith(".xml") and ("sharedstrings" in filename or "/worksheets/" in filename):
            return io.BufferedReader(_CappedXml(member))
        return member


def _row_dict(header: list[str], cells: list[str], number: int) -> dict[str, str]:
    extra = [cell for cell in cells[len(header) :] if cell.strip()]
    if extra:
        raise ImportFileError(f"row {number} has more cells than the header has columns")
    return {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}


def count_rows(path: Path) -> int | None:
    """A quick estimate of the number of data rows, for a progress bar."""
    if path.suffix.lower() == ".csv":
        # Counted a block at a time: a line of any length costs no more memory than a short one.
        lines = 0
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
        return max(lines - 1, 0)
    return None
