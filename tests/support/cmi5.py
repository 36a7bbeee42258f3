"""cmi5 helpers: course structures, packages, and what an enrolment has recorded."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from academy.db import db
from courses.cmi5.models import AssignableUnit
from courses.cmi5.package import NS
from courses.cmi5.services.importer import structure_of
from courses.models import Course, Enrolment

EXAMPLE = "https://publisher.example/cmi5"


def texts(name: str, thai: str | None = None) -> str:
    th = f'<langstring lang="th">{thai}</langstring>' if thai else ""
    return (
        f'<title><langstring lang="en">{name}</langstring>{th}</title>'
        f'<description><langstring lang="en">About {name}</langstring></description>'
    )


def au(ident: str = "au/1", url: str = "index.html", attrs: str = "", before_url: str = "", after_url: str = "") -> str:
    """An <au>; ids without a scheme are put under the example publisher's IRI."""
    ident = ident if ":" in ident else f"{EXAMPLE}/{ident}"
    name = "Unit " + ident.rsplit("/", 1)[-1]
    return f'<au id="{ident}" {attrs}>{texts(name)}{before_url}<url>{url}</url>{after_url}</au>'


def block(ident: str, *members: str, objectives: str = "") -> str:
    ident = ident if ":" in ident else f"{EXAMPLE}/{ident}"
    return f'<block id="{ident}">{texts("Block " + ident.rsplit("/", 1)[-1])}{objectives}{"".join(members)}</block>'


def structure(*members: str, course_id: str = f"{EXAMPLE}/course", objectives: str = "", namespaces: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<courseStructure xmlns="{NS}"{namespaces}>'
        f'<course id="{course_id}">{texts("Course", "หลักสูตร")}</course>{objectives}{"".join(members)}'
        "</courseStructure>"
    )


def zipped(xml: str | None, files: dict[str, bytes] | None = None, *, zip64: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = dict(files if files is not None else {"index.html": b"<!doctype html><title>AU</title>"})
        if xml is not None:
            entries = {"cmi5.xml": xml.encode(), **entries}
        for name, content in entries.items():
            with archive.open(name, "w", force_zip64=zip64) as entry:
                entry.write(content)
    return buffer.getvalue()


def aus_of(course: Course) -> list[AssignableUnit]:
    return structure_of(course)[1]


def statements_of(enrolment: Enrolment) -> list[dict[str, Any]]:
    """The registration's statements in the order stored."""
    from sqlalchemy import select

    from lrs.models import Statement

    rows = db.session.scalars(
        select(Statement).where(Statement.registration == enrolment.registration).order_by(Statement.pk)
    )
    return [row.payload for row in rows]


def verbs_of(enrolment: Enrolment) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements_of(enrolment)]
