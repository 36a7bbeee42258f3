"""What both formats share: the error, the CASE vocabulary, the column limits, and the Thai block in free text."""

from __future__ import annotations

import re

from competencies.models import FrameworkStatus


class ExchangeError(ValueError):
    """A package or CSV that cannot be imported (or a framework that cannot be exported); the message says where."""


AREA_TYPE = "Competency Area"
COMPETENCY_TYPE = "Competency"
CORE_KEYWORD = "core"
OPTIONAL_KEYWORD = "optional"
PROFICIENT_FEEDBACK = "Proficient"
QUALITY_SEPARATOR = " – "
THAI_TAG = "[th] "
CODE_TAG = "[code] "
CSV_COLUMNS = ("code", "parent_code", "name_th", "name_en", "description_th", "description_en", "is_core")

ADOPTION_STATUS = {
    FrameworkStatus.DRAFT: "Draft",
    FrameworkStatus.ACTIVE: "Adopted",
    FrameworkStatus.RETIRED: "Deprecated",
}

_THAI_LINE = re.compile(r"^\[th\] ", re.MULTILINE)
_CODE_LINE = re.compile(r"^\[code\] (.*)$", re.MULTILINE)
_TRUE = frozenset({"1", "true", "yes", "y", "core", "ใช่"})
_FALSE = frozenset({"0", "false", "no", "n", "optional", "ไม่", "ไม่ใช่"})

CODE_LENGTH = 50
VERSION_LENGTH = 20
NAME_LENGTH = 255
LEVEL_CODE_LENGTH = 20


# --- Thai block -------------------------------------------------------------------------------------------


def _with_thai(english: str, name_th: str, description_th: str, where: str) -> str:
    """Append the tagged Thai block to an English text."""
    if "\n" in name_th or "\r" in name_th:
        raise ExchangeError(f"{where}: name_th has a line break, which the CASE export cannot carry")
    if _THAI_LINE.search(english):
        raise ExchangeError(f"{where}: a line of the English text begins with {THAI_TAG.strip()!r}")
    block = THAI_TAG + name_th + (f"\n{description_th}" if description_th else "")
    return f"{english}\n\n{block}" if english else block


def _split_thai(text: str) -> tuple[str, tuple[str, str] | None]:
    """Split a text into its English part and its Thai (name, description), if it has the block."""
    match = _THAI_LINE.search(text)
    if match is None:
        return text, None
    name, _, description = text[match.end() :].partition("\n")
    return text[: match.start()].removesuffix("\n\n"), (name, description)
