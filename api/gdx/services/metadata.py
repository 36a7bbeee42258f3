"""The GDX dataset's description in the Thai open-data catalogue's fields (data.go.th), Thai and English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.gdx.services.feed import (
    DATASET_CREATED,
    DATASET_ID,
    DATASET_VERSION,
    MINIMUM_CELL,
    POPULATION_DEFINITIONS,
    moment,
)
from competencies.models import Framework
from competencies.services.frameworks import areas_of

#: (field, type, Thai description, English description) of each record.
FIELDS: list[tuple[str, str, str, str]] = [
    ("agency_code", "string", "รหัสหน่วยงาน (รหัสหน่วยงานในระบบงบประมาณ)", "Agency code (budget-system code)"),
    ("agency_name_th", "string", "ชื่อหน่วยงานภาษาไทย", "Agency name in Thai"),
    ("agency_name_en", "string", "ชื่อหน่วยงานภาษาอังกฤษ", "Agency name in English"),
    ("agency_kind", "string", "ระดับหน่วยงาน: ministry, department, division", "ministry, department or division"),
    ("parent_code", "string|null", "รหัสหน่วยงานต้นสังกัด", "Code of the parent agency"),
    ("fiscal_year", "integer", "ปีงบประมาณ (พ.ศ.) 1 ต.ค. – 30 ก.ย.", "Fiscal year (Buddhist Era), 1 Oct – 30 Sep"),
    ("population", "string", "กลุ่มประชากรเป้าหมาย: it, all, non_it", "Target population: it, all, non_it"),
    ("population_definition_th", "string", "นิยามกลุ่มประชากรเป้าหมาย (ไทย)", "Definition of the population (Thai)"),
    ("population_definition_en", "string", "นิยามกลุ่มประชากรเป้าหมาย (อังกฤษ)", "Definition of the population"),
    (
        "suppressed",
        "boolean",
        "ไม่แสดงตัวเลขเพราะกลุ่มมีขนาดเล็กเกินไป (น้อยกว่า 5 คน)",
        "Figures withheld: the group is too small (fewer than 5 people)",
    ),
    (
        "headcount",
        "integer|null",
        "จำนวนบุคลากรในกลุ่มเป้าหมาย (รวมหน่วยงานในสังกัด)",
        "People in the population (with the units beneath)",
    ),
    (
        "trained",
        "integer|null",
        "จำนวนผู้ผ่านการอบรมหลักสูตรตามมาตรฐานอย่างน้อยหนึ่งหลักสูตรในปีงบประมาณ",
        "People who completed at least one standard-aligned course in the fiscal year",
    ),
    ("coverage_percent", "number|null", "ร้อยละการอบรม (trained / headcount)", "Training coverage, %"),
    (
        "attained",
        "integer|null",
        "จำนวนผู้มีทักษะครบทุกระดับที่ตำแหน่งกำหนด",
        "People meeting every level their role profile requires",
    ),
    ("attainment_percent", "number|null", "ร้อยละผู้มีทักษะตามเกณฑ์", "Competency attainment, %"),
    ("target_percent", "number", "ค่าเป้าหมายร้อยละของปีงบประมาณ", "Target of the fiscal year, %"),
    ("meets_target", "boolean|null", "ร้อยละการอบรมถึงค่าเป้าหมายหรือไม่", "Whether coverage reaches the target"),
    (
        "areas",
        "object|null",
        "รายด้านทักษะ: รหัสด้าน → จำนวนและร้อยละผู้มีทักษะครบตามเกณฑ์ของด้านนั้น",
        "Per skill area: area code -> people meeting the area's required levels, and their %",
    ),
    (
        "idp",
        "object",
        "แผนพัฒนารายบุคคล (IDP) ของปีงบประมาณ: จำนวนและร้อยละผู้ที่มีแผนซึ่งผู้บังคับบัญชาเห็นชอบแล้ว (agreed) "
        "และจำนวนผู้ที่บรรลุเป้าหมายครบทุกข้อ (all_goals_met); ไม่แสดงเมื่อเป็นกลุ่มเล็ก (idp_agreed, idp_all_goals_met)",
        "Individual development plans of the fiscal year: people whose plan their supervisor agreed (agreed, "
        "agreed_percent) and people who met every goal of it (all_goals_met); withheld when small "
        "(idp_agreed, idp_all_goals_met)",
    ),
    (
        "suppressed_figures",
        "array",
        "ตัวเลขที่ไม่แสดง (เป็น null) เพื่อไม่ให้ระบุกลุ่มคนจำนวน 1–4 คนได้ เช่น trained, attained, areas.DL "
        "(ร้อยละของตัวเลขนั้นไม่แสดงด้วย)",
        "Figures withheld (null) so that no group of 1–4 people can be told apart, e.g. trained, attained, "
        "areas.DL (their percentages are withheld too)",
    ),
    (
        "folded_units",
        "array",
        "รหัสหน่วยงานย่อยที่มีบุคลากรน้อยกว่า 5 คน ซึ่งนับรวมไว้ในระเบียนนี้",
        "Codes of small units (fewer than 5 people) whose counts are included in this record",
    ),
    ("as_of", "string", "เวลาที่คำนวณข้อมูล (ISO 8601, UTC)", "When the figures were computed (ISO 8601, UTC)"),
]


def dataset_metadata(
    *, base_url: str, framework: Framework, last_updated: datetime, maintainer_email: str | None
) -> dict[str, Any]:
    """The dataset's description in the Thai open-data catalogue's fields (data.go.th), Thai and English."""
    areas = areas_of(framework)
    return {
        "id": DATASET_ID,
        "name": DATASET_ID,
        "version": DATASET_VERSION,
        "title": {
            "th": "ร้อยละบุคลากรภาครัฐที่ได้รับการพัฒนาทักษะดิจิทัล จำแนกตามหน่วยงาน",
            "en": "Digital-skill training coverage of government personnel, by agency",
        },
        "notes": {
            "th": "จำนวนและร้อยละของบุคลากรในกลุ่มเป้าหมายที่ผ่านการอบรมหลักสูตรตามมาตรฐานทักษะดิจิทัล "
            "และที่มีทักษะครบตามเกณฑ์ของตำแหน่ง รายหน่วยงาน รายปีงบประมาณ ข้อมูลเป็นตัวเลขรวม ไม่มีข้อมูลส่วนบุคคล "
            "หน่วยงานที่มีบุคลากรน้อยกว่า 5 คนนับรวมไว้กับหน่วยงานต้นสังกัด "
            "และไม่แสดงจำนวนที่เป็น 1–4 คน (หรือขาดจากจำนวนบุคลากรทั้งหมด 1–4 คน) รวมทั้งตัวเลขที่ใช้คำนวณย้อนกลับได้",
            "en": "Number and share of the target population who completed a course aligned with the digital "
            "skill standard, and who meet every level their position requires, per agency and fiscal year. "
            "Aggregates only, no personal data; units with fewer than 5 people are counted in their parent, and "
            "counts of 1–4 people (or 1–4 short of the headcount) are withheld with any figure that would give them "
            "away.",
        },
        "owner_org": {"th": "สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล", "en": "E-Workforce Academy"},
        "maintainer": {"th": "ฝ่ายข้อมูลและระบบ สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล", "en": "Academy data team"},
        "maintainer_email": maintainer_email,
        "data_type": {"th": "ข้อมูลสถิติ", "en": "Statistical data"},
        "data_category": {"th": "ข้อมูลสาธารณะ", "en": "Public data"},
        "disclosure": {"th": "เปิดเผยได้ (ข้อมูลรวม ไม่มีข้อมูลส่วนบุคคล)", "en": "Open (aggregate, no personal data)"},
        "data_class_level": {"th": "เปิดเผย", "en": "Open"},
        "objective": {
            "th": ["แผนพัฒนารัฐบาลดิจิทัล", "การติดตามการพัฒนาทักษะดิจิทัลของบุคลากรภาครัฐ"],
            "en": ["Digital government development plan", "Monitoring digital-skill development of personnel"],
        },
        "update_frequency_unit": {"th": "วัน", "en": "day"},
        "update_frequency_interval": 1,
        "geo_coverage": {"th": "ประเทศ", "en": "Country"},
        "data_source": {
            "th": "ระบบทะเบียนบุคลากรของหน่วยงาน และคลังบันทึกการเรียนรู้ (xAPI LRS) ของสถาบัน",
            "en": "Agencies' HR records and the academy's xAPI Learning Record Store",
        },
        "data_format": ["JSON"],
        "data_language": ["th", "en"],
        "license_id": "Open Data Common",
        "license": {"th": "สัญญาอนุญาตให้ใช้ข้อมูลเปิดของภาครัฐ (Open Data Common)", "en": "Open Data Common"},
        "accessible_condition": {
            "th": "ผ่าน GDX: ขอ Token จาก /api/v1/gdx/auth/validate ด้วย Consumer-Key และ secret",
            "en": "Through GDX: a Token from /api/v1/gdx/auth/validate with the Consumer-Key and secret",
        },
        "url": f"{base_url}/api/v1/gdx/coverage",
        "tags": {
            "th": ["ทักษะดิจิทัล", "บุคลากรภาครัฐ", "การพัฒนาบุคลากร", "รัฐบาลดิจิทัล"],
            "en": ["digital skills", "civil service", "training", "digital government"],
        },
        "unit_of_measure": {"th": "คน, ร้อยละ", "en": "people, percent"},
        "disaggregate": {"th": ["หน่วยงาน", "ด้านทักษะ"], "en": ["agency", "skill area"]},
        "calculation_method": {
            "th": "ร้อยละการอบรม = ผู้ผ่านการอบรมในปีงบประมาณ ÷ จำนวนบุคลากรในกลุ่มเป้าหมาย × 100 "
            "(ตัวเลขของหน่วยงานรวมหน่วยงานในสังกัด)",
            "en": "coverage % = trained in the fiscal year / people in the population x 100 "
            "(an agency's figures include the units beneath it)",
        },
        "standard": {"th": framework.name_th, "en": framework.name_en, "code": framework.code},
        "skill_areas": [{"code": a.code, "name_th": a.name_th, "name_en": a.name_en} for a in areas],
        "populations": {p.value: {"th": th, "en": en} for p, (th, en) in POPULATION_DEFINITIONS.items()},
        "minimum_cell": MINIMUM_CELL,
        "created_date": DATASET_CREATED.isoformat(),
        "last_updated_date": moment(last_updated),
        "fields": [{"name": name, "type": kind, "description": {"th": th, "en": en}} for name, kind, th, en in FIELDS],
    }
