"""Importing a cmi5 package into a course of blocks and AUs, its files stored for serving."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from academy.db import db
from courses.cmi5.models import AssignableUnit, Block, Cmi5Course, LaunchMethod, MoveOn, PackageFile, pick_language
from courses.cmi5.package import AuSpec, BlockSpec, Limits, Package, PackageError, read_package
from courses.cmi5.storage import write_package_files
from courses.models import Course, CourseFormat, CourseKind, CourseStatus
from courses.services.activities import course_iri_for

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")


@dataclass(frozen=True)
class ImportOptions:
    code: str
    provider: str = "E-Workforce Academy"
    hours: Decimal = Decimal("1")
    status: CourseStatus = CourseStatus.DRAFT
    #: Learners may open its AUs in Browse mode too.
    allow_browse: bool = False


def import_package(data: bytes, filename: str, options: ImportOptions) -> Course:
    """Validate the package and add its course (kind cmi5) with blocks, AUs and files; flushes.

    The files are unpacked to the storage folder (courses/cmi5/storage.py). Raises PackageError
    listing every problem; the caller rolls back, and no file is left on disk then.
    """
    problems = _option_problems(options)
    if problems:
        raise PackageError(problems)
    package = read_package(data, filename, Limits.from_config(current_app.config))
    return _store(package, options)


def _option_problems(options: ImportOptions) -> list[str]:
    problems = []
    if not _CODE.fullmatch(options.code):
        problems.append(
            f"course code {options.code!r}: 1 to 50 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    elif db.session.scalar(select(func.count()).select_from(Course).where(Course.code == options.code)):
        problems.append(f"course code {options.code!r} is already used by another course")
    if not options.provider.strip():
        problems.append("a provider is required")
    if not Decimal("0") < options.hours < Decimal("10000"):
        problems.append(f"hours {options.hours} must be more than 0 and less than 10,000")
    return problems


def _language_of(texts: dict[str, str]) -> str:
    langs = [lang.lower().split("-")[0] for lang in texts if lang]
    return "th" if "th" in langs else (langs[0][:10] if langs else "en")


def _store(package: Package, options: ImportOptions) -> Course:
    structure = package.structure
    activity_iri = course_iri_for(options.code)
    if activity_iri == structure.id:
        raise PackageError(
            [f"the course id {structure.id!r} is the IRI this platform gives course {options.code}: use another code"]
        )
    course = Course(
        code=options.code,
        title_th=pick_language(structure.title, "th")[:500],
        title_en=pick_language(structure.title, "en")[:500],
        description_th=pick_language(structure.description, "th"),
        description_en=pick_language(structure.description, "en"),
        provider=options.provider.strip()[:255],
        format=CourseFormat.ONLINE,
        kind=CourseKind.CMI5,
        hours=options.hours,
        language=_language_of(structure.title),
        status=options.status,
        activity_iri=activity_iri,
    )
    db.session.add(course)
    db.session.flush()
    db.session.add(
        Cmi5Course(
            course_id=course.id,
            publisher_id=structure.id,
            package_name=package.name[:255],
            title=structure.title,
            description=structure.description,
            objectives=[{"id": o.id, "title": o.title, "description": o.description} for o in structure.objectives],
            allow_browse=options.allow_browse,
        )
    )
    position = 0

    def add(nodes: list[BlockSpec | AuSpec], parent: Block | None) -> None:
        nonlocal position
        for node in nodes:
            position += 1
            key = uuid.uuid4()
            if isinstance(node, BlockSpec):
                block = Block(
                    course_id=course.id,
                    parent_id=parent.id if parent else None,
                    position=position,
                    publisher_id=node.id,
                    activity_iri=f"{activity_iri}/cmi5/blocks/{key}",
                    title=node.title,
                    description=node.description,
                    objectives=node.objectives,
                )
                db.session.add(block)
                db.session.flush()
                add(node.children, block)
            else:
                db.session.add(
                    AssignableUnit(
                        key=key,
                        course_id=course.id,
                        block_id=parent.id if parent else None,
                        position=position,
                        publisher_id=node.id,
                        activity_iri=f"{activity_iri}/cmi5/aus/{key}",
                        title=node.title,
                        description=node.description,
                        objectives=node.objectives,
                        url=node.url,
                        launch_method=LaunchMethod(node.launch_method),
                        move_on=MoveOn(node.move_on),
                        mastery_score=node.mastery_score,
                        launch_parameters=node.launch_parameters,
                        entitlement_key=node.entitlement_key,
                        activity_type=node.activity_type,
                    )
                )

    add(structure.children, None)
    rows = {
        path: PackageFile(course_id=course.id, path=path, content_type=Package.content_type(path), size=info.file_size)
        for path, info in sorted(package.files.items())
    }
    db.session.add_all(rows.values())
    db.session.flush()
    if rows:
        write_package_files(course.id, package, rows)
        db.session.flush()
    return course


def structure_of(course: Course) -> tuple[list[Block], list[AssignableUnit]]:
    """The course's blocks and AUs, each in document order."""
    blocks = list(db.session.scalars(select(Block).where(Block.course_id == course.id).order_by(Block.position)))
    aus = list(
        db.session.scalars(
            select(AssignableUnit).where(AssignableUnit.course_id == course.id).order_by(AssignableUnit.position)
        )
    )
    return blocks, aus


def members_by_parent(blocks: list[Block], aus: list[AssignableUnit]) -> dict[int | None, list[Block | AssignableUnit]]:
    """Each block's members (and the course's, under None) in document order."""
    nodes: list[Block | AssignableUnit] = [*blocks, *aus]
    members: dict[int | None, list[Block | AssignableUnit]] = {}
    for node in sorted(nodes, key=lambda n: n.position):
        parent = node.parent_id if isinstance(node, Block) else node.block_id
        members.setdefault(parent, []).append(node)
    return members


def get_au(course: Course, key: uuid.UUID) -> AssignableUnit | None:
    return db.session.scalar(
        select(AssignableUnit).where(AssignableUnit.course_id == course.id, AssignableUnit.key == key)
    )


def get_file(course: Course, path: str) -> PackageFile | None:
    return db.session.scalar(select(PackageFile).where(PackageFile.course_id == course.id, PackageFile.path == path))
