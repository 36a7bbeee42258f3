"""Course documents that would break the database or Python's readers are refused with an error line,
storing nothing: NUL characters, deep nesting, numbers too long to read or too large to store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.db import db
from competencies.models import Framework
from competencies.services.frameworks import seed_standard
from courses.models import Course
from courses.services.exchange import ExchangeError, import_course_text

MINIMAL = """
code: {code}
title_th: สุขอนามัยไซเบอร์
title_en: Cyber hygiene
provider: E-Workforce Academy
format: online
hours: 2
modules:
  - title_th: รหัสผ่าน
    lessons:
      - title_th: รหัสผ่านที่ดี
        minutes: {minutes}
"""


@pytest.fixture(autouse=True)
def framework() -> Framework:
    return seed_standard()


def course_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Course)) or 0


def refused(text: str, fmt: str | None, message: str) -> None:
    with pytest.raises(ExchangeError) as error:
        import_course_text(text, fmt)  # type: ignore[arg-type]
    assert message in str(error.value)
    assert course_count() == 0


def test_the_minimal_document_imports() -> None:
    import_course_text(MINIMAL.format(code="CS-701", minutes=10), "yaml")
    assert course_count() == 1


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('{"code": "CS-\\u0000701", "title_th": "x"}', "json"),
        ('code: "CS-\\0701"\ntitle_th: x\n', "yaml"),
    ],
)
def test_a_nul_in_a_code_is_refused_naming_the_field(text: str, fmt: str) -> None:
    refused(text, fmt, "code: contains a NUL character")


def test_a_nul_in_a_lesson_names_its_path() -> None:
    text = MINIMAL.format(code="CS-701", minutes=10).replace("รหัสผ่านที่ดี", '"ดี\\0"')
    refused(text, "yaml", "modules[0].lessons[0].title_th: contains a NUL character")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('{"code": "X", "modules": ' + "[" * 5000 + "]" * 5000 + "}", "json"),
        ("code: X\nmodules: " + "[" * 5000 + "]" * 5000 + "\n", "yaml"),
        ('{"code": "X", "modules": ' + "[" * 200 + "]" * 200 + "}", "json"),
    ],
)
def test_a_deeply_nested_document_is_refused(text: str, fmt: str) -> None:
    refused(text, fmt, "nest")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_number_too_long_to_read_is_refused(fmt: str) -> None:
    digits = "9" * 5000
    text = f'{{"code": "X", "hours": {digits}}}' if fmt == "json" else f"code: X\nhours: {digits}\n"
    refused(text, fmt, "not valid")


@pytest.mark.parametrize(("field", "value"), [("position", 10**400), ("position", -(2**63))])
def test_a_whole_number_too_large_to_store_is_refused(field: str, value: int) -> None:
    text = MINIMAL.format(code="CS-701", minutes=10) + f"        {field}: {value}\n"
    text = text.replace("        minutes: 10\n        minutes", "        minutes")
    refused(text, "yaml", f"modules[0].lessons[0].{field}: must be a whole number")
