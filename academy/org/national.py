"""The demo at national scale: every kind of state personnel, not only ordinary civil servants.

About 3 million people work for the Thai state; some 400,000 of them are ordinary civil
servants (ข้าราชการพลเรือนสามัญ, the position types M, D, K and O of the Civil Service Act).
The others are teachers, police and military officers, local government officials,
government employees (พนักงานราชการ), permanent and temporary employees. Each such kind is
a position type of its own here, with its own levels (each implying a role level of the
digital skill standard) and position lines: a person's kind is their level's type, so
no column is added. The shares below are approximate (rounded from the public headcounts
of recent years); the split inside each kind is illustrative, as in the small demo.

Teachers, police, military and local officials work in many field units: each department
they belong to gets area units (one per ~1,500 people of its expected headcount), so the
national tree has a few thousand agencies. Local government organisations (7,850 in the
country) are grouped into such units beneath the Department of Local Administration.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from academy.db import db
from academy.org.models import Agency, AgencyKind, PositionLevel, PositionLine, PositionType, RoleLevel
from academy.org.services import create_agency

#: The kinds of personnel beyond ordinary civil servants: type code, Thai, English,
#: levels (code, Thai, English, role level, weight), lines (code, Thai, English, IT?, weight).
PERSONNEL_KINDS: tuple[
    tuple[
        str,
        str,
        str,
        tuple[tuple[str, str, str, RoleLevel, int], ...],
        tuple[tuple[str, str, str, bool, int], ...],
    ],
    ...,
] = (
    (
        "T",
        "ข้าราชการครูและบุคลากรทางการศึกษา",
        "Teachers and educational personnel",
        (
            ("T1", "ครูผู้ช่วย", "Assistant teacher", RoleLevel.OPERATIONAL, 12),
            ("T2", "ครู", "Teacher", RoleLevel.OPERATIONAL, 25),
            ("T3", "ชำนาญการ", "Professional", RoleLevel.OPERATIONAL, 33),
            ("T4", "ชำนาญการพิเศษ", "Senior professional", RoleLevel.OPERATIONAL, 26),
            ("T5", "เชี่ยวชาญ", "Expert", RoleLevel.SUPERVISOR, 3),
            ("T6", "เชี่ยวชาญพิเศษ", "Senior expert", RoleLevel.EXECUTIVE, 1),
        ),
        (
            ("T-TEACH", "ครู", "Teacher", False, 90),
            ("T-DIR", "ผู้อำนวยการสถานศึกษา", "School director", False, 6),
            ("T-SUP", "ศึกษานิเทศก์", "Education supervisor", False, 2),
            ("T-COMP", "นักวิชาการคอมพิวเตอร์ (บุคลากรทางการศึกษา)", "Computer officer (education)", True, 2),
        ),
    ),
    (
        "P",
        "ข้าราชการตำรวจ",
        "Police officers",
        (
            ("P1", "ชั้นประทวน", "Non-commissioned officer", RoleLevel.OPERATIONAL, 62),
            ("P2", "สัญญาบัตรชั้นต้น", "Junior commissioned officer", RoleLevel.OPERATIONAL, 25),
            ("P3", "สารวัตรถึงผู้กำกับการ", "Inspector to superintendent", RoleLevel.SUPERVISOR, 12),
            ("P4", "ผู้บังคับการขึ้นไป", "Commander and above", RoleLevel.EXECUTIVE, 1),
        ),
        (
            ("P-PATROL", "งานป้องกันปราบปราม", "Crime suppression", False, 50),
            ("P-INVEST", "งานสอบสวน", "Investigation", False, 20),
            ("P-TRAFFIC", "งานจราจร", "Traffic", False, 12),
            ("P-ADMIN", "งานอำนวยการ", "Administration", False, 15),
            ("P-ICT", "งานเทคโนโลยีสารสนเทศและการสื่อสาร", "Information and communication technology", True, 3),
        ),
    ),
    (
        "W",
        "ข้าราชการทหาร",
        "Military officers",
        (
            ("W1", "ชั้นประทวน", "Non-commissioned officer", RoleLevel.OPERATIONAL, 65),
            ("W2", "สัญญาบัตรชั้นต้น", "Junior commissioned officer", RoleLevel.OPERATIONAL, 22),
            ("W3", "สัญญาบัตรชั้นกลาง", "Field officer", RoleLevel.SUPERVISOR, 12),
            ("W4", "ชั้นนายพล", "General officer", RoleLevel.EXECUTIVE, 1),
        ),
        (
            ("W-COMBAT", "เหล่าทหารรบ", "Combat arms", False, 55),
            ("W-SUPPORT", "เหล่าทหารบริการ", "Combat service support", False, 35),
            ("W-SIGNAL", "ทหารสื่อสารและไซเบอร์", "Signals and cyber", True, 5),
            ("W-MED", "ทหารแพทย์", "Medical corps", False, 5),
        ),
    ),
    (
        "L",
        "ข้าราชการและพนักงานส่วนท้องถิ่น",
        "Local government officials",
        (
            ("L1", "ปฏิบัติงาน", "Operational", RoleLevel.OPERATIONAL, 40),
            ("L2", "ปฏิบัติการ", "Practitioner", RoleLevel.OPERATIONAL, 30),
            ("L3", "ชำนาญการ", "Professional", RoleLevel.OPERATIONAL, 20),
            ("L4", "อำนวยการท้องถิ่น", "Local director", RoleLevel.SUPERVISOR, 8),
            ("L5", "บริหารท้องถิ่น", "Local executive", RoleLevel.EXECUTIVE, 2),
        ),
        (
            ("L-GEN", "นักจัดการงานทั่วไป", "General administration officer", False, 30),
            ("L-FIN", "นักวิชาการเงินและบัญชี", "Finance and accounting officer", False, 15),
            ("L-ENG", "นายช่างโยธา", "Civil works technician", False, 15),
            ("L-HEALTH", "นักวิชาการสาธารณสุข", "Public health officer", False, 12),
            ("L-EDU", "ครูผู้ดูแลเด็ก", "Child care teacher", False, 15),
            ("L-PLAN", "นักวิเคราะห์นโยบายและแผน", "Policy and plan analyst", False, 9),
            ("L-COMP", "นักวิชาการคอมพิวเตอร์", "Computer technical officer", True, 4),
        ),
    ),
    (
        "G",
        "พนักงานราชการ",
        "Government employees",
        (
            ("G1", "กลุ่มงานบริการ", "Service group", RoleLevel.OPERATIONAL, 25),
            ("G2", "กลุ่มงานเทคนิค", "Technical group", RoleLevel.OPERATIONAL, 25),
            ("G3", "กลุ่มงานบริหารทั่วไป", "General administration group", RoleLevel.OPERATIONAL, 30),
            ("G4", "กลุ่มงานวิชาชีพเฉพาะ", "Professional group", RoleLevel.OPERATIONAL, 18),
            ("G5", "กลุ่มงานเชี่ยวชาญเฉพาะ", "Specialist group", RoleLevel.SUPERVISOR, 2),
        ),
        (
            ("G-ADMIN", "เจ้าหน้าที่บริหารงานทั่วไป", "General administration staff", False, 45),
            ("G-ANALYST", "นักวิเคราะห์นโยบายและแผน", "Policy and plan analyst", False, 15),
            ("G-TECH", "เจ้าหน้าที่เทคนิค", "Technical staff", False, 30),
            ("G-COMP", "นักวิชาการคอมพิวเตอร์", "Computer technical officer", True, 10),
        ),
    ),
    (
        "E",
        "ลูกจ้างประจำ",
        "Permanent employees",
        (
            ("E1", "กลุ่มงานบริการพื้นฐาน", "Basic service group", RoleLevel.OPERATIONAL, 45),
            ("E2", "กลุ่มงานสนับสนุน", "Support group", RoleLevel.OPERATIONAL, 30),
            ("E3", "กลุ่มงานช่าง", "Craft group", RoleLevel.OPERATIONAL, 20),
            ("E4", "กลุ่มงานเทคนิคพิเศษ", "Special technical group", RoleLevel.OPERATIONAL, 5),
        ),
        (
            ("E-DRIVER", "พนักงานขับรถยนต์", "Driver", False, 35),
            ("E-CLERK", "พนักงานธุรการ", "Clerk", False, 35),
            ("E-CRAFT", "ช่างไฟฟ้าและเครื่องกล", "Electrical and mechanical craftsman", False, 27),
            ("E-COMP", "พนักงานเครื่องคอมพิวเตอร์", "Computer operator", True, 3),
        ),
    ),
    (
        "C",
        "ลูกจ้างชั่วคราวและพนักงานกระทรวง",
        "Temporary and ministry employees",
        (
            ("C1", "ลูกจ้างชั่วคราว", "Temporary employee", RoleLevel.OPERATIONAL, 55),
            ("C2", "พนักงานกระทรวง", "Ministry employee", RoleLevel.OPERATIONAL, 45),
        ),
        (
            ("C-GEN", "เจ้าหน้าที่ทั่วไป", "General staff", False, 55),
            ("C-HEALTH", "เจ้าพนักงานสาธารณสุข", "Public health staff", False, 38),
            ("C-COMP", "เจ้าหน้าที่คอมพิวเตอร์", "Computer staff", True, 7),
        ),
    ),
)

#: Of 3,000,000: each kind's share (per 3,000) and where its people work: English names of
#: departments (with weights) or None for every department, weighted as the civil service is.
CIVIL_SERVICE = "civil"
NATIONAL_MIX: tuple[tuple[str, int, tuple[tuple[str, int], ...] | None], ...] = (
    (CIVIL_SERVICE, 400, None),
    (
        "T",
        450,
        (
            ("Office of the Basic Education Commission", 85),
            ("Office of the Vocational Education Commission", 10),
            ("Department of Learning Encouragement", 5),
        ),
    ),
    ("P", 210, (("Metropolitan Police Bureau", 20), ("Provincial Police", 70), ("Central Investigation Bureau", 10))),
    (
        "W",
        300,
        (
            ("Royal Thai Army", 55),
            ("Royal Thai Navy", 18),
            ("Royal Thai Air Force", 15),
            ("Royal Thai Armed Forces Headquarters", 9),
            ("Office of the Permanent Secretary for Defence", 3),
        ),
    ),
    ("L", 650, (("Department of Local Administration", 1),)),
    ("G", 150, None),
    ("E", 100, None),
    (
        "C",
        740,
        (
            ("Office of the Permanent Secretary, Ministry of Public Health", 50),
            ("Department of Medical Services", 5),
            ("Office of the Permanent Secretary, Ministry of Education", 10),
            ("Office of the Permanent Secretary, Ministry of Interior", 10),
            ("Department of Highways", 5),
            ("Royal Irrigation Department", 5),
            ("Department of Provincial Administration", 15),
        ),
    ),
)
NATIONAL_TOTAL = sum(share for _kind, share, _where in NATIONAL_MIX)  # per 3,000

#: The Royal Thai Police sits under no ministry: a root of the tree of its own, with three commands.
POLICE_ROOT = ("25", "สำนักงานตำรวจแห่งชาติ", "Royal Thai Police")
POLICE_COMMANDS = (
    ("25001", "กองบัญชาการตำรวจนครบาล", "Metropolitan Police Bureau"),
    ("25002", "ตำรวจภูธร", "Provincial Police"),
    ("25003", "กองบัญชาการตำรวจสอบสวนกลาง", "Central Investigation Bureau"),
)
#: One field unit per this many people a department is expected to have (area offices, stations...).
PEOPLE_PER_AREA_UNIT = 1500
#: Kinds whose people mostly work in field units rather than in the head office's divisions.
FIELD_KINDS = frozenset({"T", "P", "W", "L"})


def ensure_personnel_kinds() -> None:
    """Add the position types, levels and lines of the other kinds of personnel that are missing (idempotent)."""
    session = db.session
    types = {t.code: t for t in session.scalars(select(PositionType))}
    levels = set(session.scalars(select(PositionLevel.code)))
    lines = set(session.scalars(select(PositionLine.code)))
    for order, (type_code, name_th, name_en, kind_levels, kind_lines) in enumerate(PERSONNEL_KINDS, start=10):
        kind_type = types.get(type_code)
        if kind_type is None:
            kind_type = PositionType(code=type_code, name_th=name_th, name_en=name_en, sort_order=order)
            session.add(kind_type)
            session.flush()
        for index, (code, level_th, level_en, role_level, _weight) in enumerate(kind_levels):
            if code not in levels:
                session.add(
                    PositionLevel(
                        code=code,
                        position_type_id=kind_type.id,
                        name_th=level_th,
                        name_en=level_en,
                        sort_order=order * 10 + index,
                        role_level=role_level,
                    )
                )
        for code, line_th, line_en, is_it, _weight in kind_lines:
            if code not in lines:
                session.add(
                    PositionLine(
                        code=code, name_th=line_th, name_en=line_en, is_it=is_it, position_type_id=kind_type.id
                    )
                )
    session.flush()


def kind_counts(total: int) -> dict[str, int]:
    """How many people of each kind a national demo of ``total`` people has (they add up to ``total``)."""
    counts = {kind: total * share // NATIONAL_TOTAL for kind, share, _where in NATIONAL_MIX}
    counts[CIVIL_SERVICE] += total - sum(counts.values())
    return counts


def build_police() -> list[Agency]:
    """The Royal Thai Police and its commands; return the commands (departments of the tree)."""
    root = create_agency(code=POLICE_ROOT[0], name_th=POLICE_ROOT[1], name_en=POLICE_ROOT[2], kind=AgencyKind.MINISTRY)
    return [
        create_agency(code=code, name_th=name_th, name_en=name_en, kind=AgencyKind.DEPARTMENT, parent=root)
        for code, name_th, name_en in POLICE_COMMANDS
    ]


@dataclass
class _Picker:
    """Weighted choices with the cumulative weights worked out once (millions of draws)."""

    items: list[str]
    cumulative: list[float]

    @classmethod
    def of(cls, pairs: list[tuple[str, float]]) -> _Picker:
        items = [item for item, _weight in pairs]
        return cls(items, list(itertools.accumulate(weight for _item, weight in pairs)))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _places(
    departments: list[Agency], weights: dict[str, float], where: tuple[tuple[str, int], ...] | None
) -> list[tuple[str, float]]:
    """(department code, weight) of where a kind works: the named departments, or every civil-service one."""
    if where is None:
        return list(weights.items())
    by_name = {d.name_en: d.code for d in departments}
    return [(by_name[name], weight) for name, weight in where]


def build_area_units(departments: list[Agency], weights: dict[str, float], total: int) -> dict[str, list[str]]:
    """Field units beneath the departments (one per ~1,500 expected people); return each one's unit codes.

    ``weights``: the civil-service departments' relative sizes (department code -> weight).
    """
    counts = kind_counts(total)
    expected = dict.fromkeys((d.code for d in departments), 0.0)
    for kind, _share, where in NATIONAL_MIX:
        places = _places(departments, weights, None if kind == CIVIL_SERVICE else where)
        place_total = sum(w for _code, w in places)
        for code, weight in places:
            expected[code] += counts[kind] * weight / place_total
    field: dict[str, list[str]] = {}
    for dept in departments:
        units = int(expected[dept.code] // PEOPLE_PER_AREA_UNIT)
        field[dept.code] = [
            create_agency(
                code=f"{dept.code}{number:03d}",
                name_th=f"{dept.name_th} หน่วยพื้นที่ {number - 100}",
                name_en=f"{dept.name_en}, area unit {number - 100}",
                kind=AgencyKind.DIVISION,
                parent=dept,
            ).code
            for number in range(101, 101 + units)
        ]
    return field


def generate_national_people(
    rng: random.Random,
    departments: list[Agency],
    weights: dict[str, float],
    field: dict[str, list[str]],
    total: int,
) -> Iterator[tuple[str, str, str]]:
    """Yield (agency code, line code, level code) for every person who is not an ordinary civil servant."""
    offices = {d.code: [d.code, *(c.code for c in d.children if len(c.code) == len(d.code) + 2)] for d in departments}
    kinds = {code: (levels, lines) for code, _th, _en, levels, lines in PERSONNEL_KINDS}
    counts = kind_counts(total)
    for kind, _share, where in NATIONAL_MIX:
        if kind == CIVIL_SERVICE:
            continue
        places = _Picker.of(_places(departments, weights, where))
        levels, lines = kinds[kind]
        level_picker = _Picker.of([(code, weight) for code, _th, _en, _role, weight in levels])
        line_picker = _Picker.of([(code, weight) for code, _th, _en, _it, weight in lines])
        in_field = kind in FIELD_KINDS
        for _ in range(counts[kind]):
            dept = places.pick(rng)
            units = field[dept] if in_field and field[dept] and rng.random() < 0.9 else offices[dept]
            yield rng.choice(units), line_picker.pick(rng), level_picker.pick(rng)
