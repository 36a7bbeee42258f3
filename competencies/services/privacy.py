"""Competencies' part of *My data* (academy.privacy): evidence, self-assessments, attainment, standing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import select

from academy.db import db
from academy.privacy import DataSubject, ExportTable, exportable_columns, register_export_table
from competencies.models import (
    Attainment,
    Competency,
    Evidence,
    EvidenceSource,
    Framework,
    Standing,
    TrainingYear,
)


def _competency_columns(code: str, name_th: str, name_en: str, framework: str) -> dict[str, Any]:
    return {"framework": framework, "competency_code": code, "competency_th": name_th, "competency_en": name_en}


def _evidence(subject: DataSubject, source: EvidenceSource | None) -> Iterator[dict[str, Any]]:
    query = (
        select(Evidence, Competency.code, Competency.name_th, Competency.name_en, Framework.code)
        .join(Competency, Competency.id == Evidence.competency_id)
        .join(Framework, Framework.id == Competency.framework_id)
        .where(Evidence.person_id == subject.person_id)
        .order_by(Evidence.id)
        .execution_options(yield_per=500)
    )
    if source is not None:
        query = query.where(Evidence.source == source)
    for evidence, code, name_th, name_en, framework in db.session.execute(query):
        yield {**_competency_columns(code, name_th, name_en, framework), **exportable_columns(evidence)}


def evidence_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    return _evidence(subject, None)


def self_assessment_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    return _evidence(subject, EvidenceSource.SELF_ASSESSMENT)


def attainment_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = (
        select(Attainment, Competency.code, Competency.name_th, Competency.name_en, Framework.code)
        .join(Competency, Competency.id == Attainment.competency_id)
        .join(Framework, Framework.id == Competency.framework_id)
        .where(Attainment.person_id == subject.person_id)
        .order_by(Framework.code, Competency.code)
    )
    for attainment, code, name_th, name_en, framework in db.session.execute(query):
        yield {**_competency_columns(code, name_th, name_en, framework), **exportable_columns(attainment)}


def standing_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    standing = db.session.get(Standing, subject.person_id)
    years = db.session.scalars(
        select(TrainingYear.fiscal_year)
        .where(TrainingYear.person_id == subject.person_id)
        .order_by(TrainingYear.fiscal_year)
    ).all()
    yield {
        "meets_all_requirements": standing.meets_all if standing else None,
        "updated_at": standing.updated_at if standing else None,
        "trained_fiscal_years": list(years),
    }


def register_export_tables(app: Flask) -> None:
    for table in (
        ExportTable(
            "evidence",
            evidence_rows,
            "Every piece of evidence of your competencies (from courses, providers, self-assessment).",
            "หลักฐานสมรรถนะทั้งหมดของท่าน (จากหลักสูตร ผู้ให้บริการ และการประเมินตนเอง)",
        ),
        ExportTable(
            "self_assessments",
            self_assessment_rows,
            "Your self-assessments (also in evidence).",
            "ผลการประเมินตนเองของท่าน (อยู่ใน evidence ด้วย)",
        ),
        ExportTable(
            "attainment",
            attainment_rows,
            "Your current level in each competency.",
            "ระดับสมรรถนะปัจจุบันของท่านในแต่ละด้าน",
        ),
        ExportTable(
            "standing",
            standing_rows,
            "Whether you meet your role profile's requirements, and the fiscal years (BE) you were trained in.",
            "ท่านผ่านเกณฑ์ของกลุ่มบทบาทหรือไม่ และปีงบประมาณ (พ.ศ.) ที่ท่านได้รับการพัฒนา",
        ),
    ):
        register_export_table(app, table)
