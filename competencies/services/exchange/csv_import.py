"""A Moodle-style CSV in: its rows read into a plan and stored."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from os import PathLike

from competencies.models import Framework, FrameworkStatus
from competencies.services.exchange.document import (
    _FALSE,
    _TRUE,
    CODE_LENGTH,
    NAME_LENGTH,
    VERSION_LENGTH,
    ExchangeError,
)
from competencies.services.exchange.storing import _check_framework_is_new, _create, _Node, _Plan, _tree


def read_framework_csv(path: str | PathLike[str]) -> Iterator[dict[str, str]]:
    """Read a framework CSV (UTF-8, a BOM allowed): one dict per row, keyed by the trimmed header."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield {
                    key.strip(): (value if isinstance(value, str) else "")
                    for key, value in row.items()
                    if isinstance(key, str)
                }
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except csv.Error as exc:
        raise ExchangeError(f"{path}: {exc}") from None


def _flag(value: str, where: str) -> bool | None:
    word = value.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ExchangeError(f"{where}: {value!r} is not a yes/no value (1/0, true/false, yes/no, core/optional)")


def import_framework_csv(
    rows: Iterable[Mapping[str, str | None]], *, code: str, version: str, name_th: str, name_en: str
) -> Framework:
    """Create a framework from CSV rows (one per area or competency, any order), all or nothing.

    Columns: code, parent_code (empty for an area), name_th, name_en, description_th, description_en,
    is_core (empty: the parent's, or not core for an area). Row numbers count the header as row 1.
    """
    for name, value, limit in (
        ("code", code, CODE_LENGTH),
        ("version", version, VERSION_LENGTH),
        ("name_th", name_th, NAME_LENGTH),
        ("name_en", name_en, NAME_LENGTH),
    ):
        if not value.strip() or len(value) > limit:
            raise ExchangeError(f"the framework's {name} must be 1 to {limit} characters")
    nodes: list[_Node] = []
    by_code: dict[str, _Node] = {}
    for index, row in enumerate(rows):
        number = index + 2

        def cell(column: str, row: Mapping[str, str | None] = row, number: int = number) -> str:
            if column not in row and column in ("code", "name_th", "name_en"):
                raise ExchangeError(f"row {number}: there is no {column} column")
            return (row.get(column) or "").strip()

        if not any((value or "").strip() for value in row.values()):
            continue  # a blank line
        item_code = cell("code")
        if not item_code:
            raise ExchangeError(f"row {number}, column code: a code is required")
        if len(item_code) > CODE_LENGTH:
            raise ExchangeError(f"row {number}, column code: {item_code} is longer than {CODE_LENGTH} characters")
        if item_code in by_code:
            raise ExchangeError(
                f"row {number}, column code: duplicate code {item_code} (also {by_code[item_code].where})"
            )
        names = {}
        for column in ("name_th", "name_en"):
            names[column] = cell(column)
            if not names[column]:
                raise ExchangeError(f"row {number}, column {column}: a name is required")
        node = _Node(
            key=item_code,
            where=f"row {number}",
            code=item_code,
            name_th=names["name_th"],
            name_en=names["name_en"],
            description_th=cell("description_th"),
            description_en=cell("description_en"),
            is_core=_flag(cell("is_core"), f"row {number}, column is_core"),
            parent=cell("parent_code") or None,
            position=index,
        )
        nodes.append(node)
        by_code[item_code] = node
    if not nodes:
        raise ExchangeError("the CSV has no rows")
    for node in nodes:
        if node.parent is not None and node.parent not in by_code:
            raise ExchangeError(f"{node.where}, column parent_code: no row has code {node.parent}")
    ordered = _tree(nodes, ", column parent_code")
    plan = _Plan(
        code=code.strip(),
        version=version.strip(),
        name_th=name_th.strip(),
        name_en=name_en.strip(),
        description_th="",
        description_en="",
        status=FrameworkStatus.DRAFT,
        identifier=None,
        nodes=ordered,
        levels=[],
    )
    _check_framework_is_new(plan)
    return _create(plan)
