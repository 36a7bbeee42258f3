"""A realistic, deterministic demo government: agencies, position lines, people, accounts."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from academy.auth.models import Role
from academy.auth.services import create_user, get_user_by_email
from academy.db import db
from academy.org.identity import make_citizen_id
from academy.org.importer import ImportReport, import_people
from academy.org.models import Agency, AgencyKind, Person, PositionLevel, PositionLine, PositionType
from academy.org.national import (
    CIVIL_SERVICE,
    build_area_units,
    build_police,
    ensure_personnel_kinds,
    generate_national_people,
    kind_counts,
)
from academy.org.services import create_agency

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 2569

#: Common position lines (สายงาน): code, Thai, English, IT line?, position type.
POSITION_LINES: tuple[tuple[str, str, str, bool, str], ...] = (
    ("M-EXEC", "นักบริหาร", "Executive", False, "M"),
    ("D-MGT", "อำนวยการ", "Director", False, "D"),
    ("D-ICT", "อำนวยการเฉพาะด้าน (เทคโนโลยีสารสนเทศ)", "Director of Information Technology", True, "D"),
    ("K-COMP", "นักวิชาการคอมพิวเตอร์", "Computer Technical Officer", True, "K"),
    ("K-HR", "นักทรัพยากรบุคคล", "Human Resource Officer", False, "K"),
    ("K-PLAN", "นักวิเคราะห์นโยบายและแผน", "Policy and Plan Analyst", False, "K"),
    ("K-FIN", "นักวิชาการเงินและบัญชี", "Finance and Accounting Officer", False, "K"),
    ("K-LAW", "นิติกร", "Legal Officer", False, "K"),
    ("K-GEN", "นักจัดการงานทั่วไป", "General Administration Officer", False, "K"),
    ("K-STAT", "นักวิชาการสถิติ", "Statistician", False, "K"),
    ("K-AUDIT", "นักวิชาการตรวจสอบภายใน", "Internal Auditor", False, "K"),
    ("K-PR", "นักประชาสัมพันธ์", "Public Relations Officer", False, "K"),
    ("K-SUPPLY", "นักวิชาการพัสดุ", "Procurement Officer", False, "K"),
    ("K-ENG", "วิศวกร", "Engineer", False, "K"),
    ("K-NURSE", "พยาบาลวิชาชีพ", "Registered Nurse", False, "K"),
    ("K-TAX", "นักวิชาการภาษี", "Tax Technical Officer", False, "K"),
    ("K-AGRI", "นักวิชาการเกษตร", "Agricultural Technical Officer", False, "K"),
    ("K-ENV", "นักวิชาการสิ่งแวดล้อม", "Environmental Officer", False, "K"),
    ("O-COMP", "เจ้าพนักงานเครื่องคอมพิวเตอร์", "Computer Technician", True, "O"),
    ("O-ADMIN", "เจ้าพนักงานธุรการ", "Administrative Officer", False, "O"),
    ("O-FIN", "เจ้าพนักงานการเงินและบัญชี", "Finance and Accounting Clerk", False, "O"),
    ("O-SUPPLY", "เจ้าพนักงานพัสดุ", "Procurement Clerk", False, "O"),
    ("O-STAT", "เจ้าพนักงานสถิติ", "Statistics Officer", False, "O"),
    ("O-ELEC", "นายช่างไฟฟ้า", "Electrical Technician", False, "O"),
)

# How often each line and level appears among ordinary staff (IT lines ~12%).
_STAFF_LINES = (
    ("K-COMP", 7),
    ("O-COMP", 5),
    ("K-HR", 6),
    ("K-PLAN", 8),
    ("K-FIN", 7),
    ("K-LAW", 5),
    ("K-GEN", 12),
    ("K-STAT", 3),
    ("K-AUDIT", 2),
    ("K-PR", 3),
    ("K-SUPPLY", 4),
    ("K-ENG", 4),
    ("K-NURSE", 4),
    ("K-TAX", 3),
    ("K-AGRI", 3),
    ("K-ENV", 2),
    ("O-ADMIN", 12),
    ("O-FIN", 5),
    ("O-SUPPLY", 3),
    ("O-STAT", 1),
    ("O-ELEC", 1),
)
_LEVELS = {
    "K": (("K1", 30), ("K2", 38), ("K3", 22), ("K4", 8), ("K5", 2)),
    "O": (("O1", 35), ("O2", 35), ("O3", 25), ("O4", 5)),
}

HR_DEMO_DEPARTMENT_NAME = "สำนักงานสถิติแห่งชาติ"
#: How many people the demo HR officer's department has (of the default 5,000).
HR_DEMO_DEPARTMENT_PEOPLE = 350


def demo_citizen_id(serial: int) -> str:
    """The demo person's citizen ID (valid check digit, starting with 9): derived, never stored in clear."""
    return make_citizen_id(serial)


@dataclass
class DemoResult:
    agencies: int
    report: ImportReport
    accounts: list[tuple[str, str, str]]


def load_data(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Agency))


def ensure_position_lines() -> None:
    """Add the common position lines that are missing (idempotent)."""
    types = {t.code: t.id for t in db.session.scalars(select(PositionType))}
    known = set(db.session.scalars(select(PositionLine.code)))
    for code, name_th, name_en, is_it, type_code in POSITION_LINES:
        if code not in known:
            db.session.add(
                PositionLine(
                    code=code, name_th=name_th, name_en=name_en, is_it=is_it, position_type_id=types[type_code]
                )
            )
    db.session.flush()


def build_agencies(rng: random.Random) -> list[Agency]:
    """Create the ministries, their departments and a few divisions each; return the departments."""
    government = load_data("government.json")
    divisions = load_data("names.json")["division_names"]
    departments = []
    for ministry_data in government["ministries"]:
        ministry = create_agency(
            code=ministry_data["code"],
            name_th=ministry_data["name_th"],
            name_en=ministry_data["name_en"],
            kind=AgencyKind.MINISTRY,
        )
        for department_data in ministry_data["departments"]:
            department = create_agency(
                code=department_data["code"],
                name_th=department_data["name_th"],
                name_en=department_data["name_en"],
                kind=AgencyKind.DEPARTMENT,
                parent=ministry,
            )
            departments.append(department)
            for number, division in enumerate(rng.sample(divisions, k=rng.randint(3, 6)), start=1):
                create_agency(
                    code=f"{department.code}{number:02d}",
                    name_th=division["th"],
                    name_en=division["en"],
                    kind=AgencyKind.DIVISION,
                    parent=department,
                )
    return departments


def department_weights(rng: random.Random, departments: list[Agency], count: int) -> list[float]:
    """How many civil servants each department has, relatively (the demo HR officer's one a real size)."""
    weights = [rng.uniform(0.3, 3.0) for _ in departments]
    # The demo HR officer's department is a real one's size: a few hundred people (at most a fifth of them).
    hr_department = next((i for i, d in enumerate(departments) if d.name_th == HR_DEMO_DEPARTMENT_NAME), None)
    if hr_department is not None:
        share = min(0.2, HR_DEMO_DEPARTMENT_PEOPLE / max(count, 1))
        others = sum(weights) - weights[hr_department]
        weights[hr_department] = share * others / (1 - share)
    return weights


#: Where a person works and in what position: agency code, line code, level code, CIO?
Placement = tuple[str, str, str, bool]


def _civil_placements(
    rng: random.Random, departments: list[Agency], count: int, weights: list[float]
) -> Iterator[Placement]:
    """Ordinary civil servants: a leader per department and division, everyone else from the staff mix."""
    units = {dept.code: [dept.code, *(child.code for child in dept.children)] for dept in departments}
    lines, line_weights = zip(*_STAFF_LINES, strict=True)
    line_type = {code: type_code for code, _th, _en, _it, type_code in POSITION_LINES}
    # Each department is headed by one executive (M2), with deputies (M1), one of them the CIO,
    # and a director (D1) per division; everyone else is drawn from the staff mix.
    leaders: list[tuple[Agency, str, str, bool]] = []
    for dept in departments:
        leaders.append((dept, "M-EXEC", "M2", False))
        leaders.append((dept, "M-EXEC", "M1", True))
        leaders.append((dept, "M-EXEC", "M1", False))
        for child in dept.children:
            leaders.append((child, "D-ICT" if "เทคโนโลยี" in child.name_th else "D-MGT", "D1", False))
    if count < 2 * len(leaders):
        leaders = []  # a small demo is all staff
    for number in range(count):
        if number < len(leaders):
            agency, line, level, is_cio = leaders[number]
            yield agency.code, line, level, is_cio
        else:
            dept = rng.choices(departments, weights)[0]
            agency_code = rng.choice(units[dept.code])
            line = rng.choices(lines, line_weights)[0]
            levels, level_weights = zip(*_LEVELS[line_type[line]], strict=True)
            yield agency_code, line, rng.choices(levels, level_weights)[0], False


def _person_rows(rng: random.Random, placements: Iterable[Placement]) -> Iterator[tuple[int, dict[str, str]]]:
    """An import row (numbered as in a file with a header) for each placement: names, email, citizen ID..."""
    names = load_data("names.json")
    titles = {sex: [t for t in names["titles"] if t["sex"] == sex] for sex in ("f", "m")}
    for number, (agency_code, line, level, is_cio) in enumerate(placements):
        serial = number + 1
        female = rng.random() < 0.55
        first = rng.choice(names["first_names_female" if female else "first_names_male"])
        last = rng.choice(names["last_names"])
        title = rng.choice(titles["f" if female else "m"])
        start = rng.randint(1990, 2025)
        yield (
            number + 2,
            {
                "agency_code": agency_code,
                "employee_no": f"{serial:07d}",
                "title_th": title["th"],
                "first_name_th": first["th"],
                "last_name_th": last["th"],
                "title_en": title["en"],
                "first_name_en": first["en"],
                "last_name_en": last["en"],
                "email": f"{first['en'].lower()}.{last['en'][:1].lower()}{serial}@{agency_code[:5]}.demo.go.th",
                "position_line_code": line,
                "position_level_code": level,
                "is_cio": "yes" if is_cio else "no",
                "status": "active" if rng.random() < 0.97 else "inactive",
                "start_date": f"{start}-{rng.randint(1, 12):02d}-01",
                # Made from the serial, so that the local ThaID provider can name the same people.
                "citizen_id": demo_citizen_id(serial),
            },
        )


def generate_people(rng: random.Random, departments: list[Agency], count: int) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield import rows for ``count`` ordinary civil servants spread over the departments and their divisions."""
    weights = department_weights(rng, departments, count)
    yield from _person_rows(rng, _civil_placements(rng, departments, count, weights))


def generate_national(
    rng: random.Random, departments: list[Agency], count: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """Create the national tree's police and field units, then yield import rows for ``count`` state personnel.

    About 400,000 of every 3,000,000 are ordinary civil servants, drawn as in the small demo; the
    others are teachers, police, military and local officials, government, permanent and temporary
    employees (academy.org.national). The agencies are made before the first row is yielded.
    """
    civil = kind_counts(count)[CIVIL_SERVICE]
    weights = department_weights(rng, departments, civil)
    everywhere = departments + build_police()
    sizes = dict(zip((d.code for d in departments), weights, strict=True))
    field = build_area_units(everywhere, sizes, count)
    others = generate_national_people(rng, everywhere, sizes, field, count)
    placements = itertools.chain(
        _civil_placements(rng, departments, civil, weights),
        ((code, line, level, False) for code, line, level in others),
    )
    yield from _person_rows(rng, placements)


def build_demo(
    *,
    people: int,
    base_url: str,
    password: str | None,
    progress: Callable[[int], None] | None = None,
    national: bool = False,
) -> DemoResult:
    """Build the demo government; with a password, also the three demo accounts.

    ``national``: every kind of state personnel (about 400,000 ordinary civil servants in
    3,000,000), the Royal Thai Police and field units; otherwise ordinary civil servants only.
    """
    rng = random.Random(SEED)
    ensure_position_lines()
    if national:
        ensure_personnel_kinds()
    departments = build_agencies(rng)
    rows = generate_national(rng, departments, people) if national else generate_people(rng, departments, people)
    if national:
        # The national generator makes its agencies before its first row; the importer must see them.
        first = next(rows, None)
        rows = itertools.chain([first] if first else [], rows)
    report = import_people(
        rows,
        base_url=base_url,
        progress=progress,
        new_public_id=lambda: uuid.UUID(int=rng.getrandbits(128), version=4),
    )
    if not report.ok:
        raise RuntimeError(f"demo data did not import: {report.errors[:3]}")
    accounts = _create_demo_accounts(departments, password) if password else []
    return DemoResult(agencies=len(db.session.scalars(select(Agency.id)).all()), report=report, accounts=accounts)


def _department_of(agency: Agency) -> Agency:
    while agency.kind is AgencyKind.DIVISION and agency.parent is not None:
        agency = agency.parent
    return agency


def _pick_demo_learner(departments: list[Agency]) -> Person | None:
    """An IT officer (นักวิชาการคอมพิวเตอร์ชำนาญการ), preferably of the National Statistical Office."""
    preferred = next((d for d in departments if d.name_th == HR_DEMO_DEPARTMENT_NAME), departments[0])
    it_officer = (
        select(Person)
        .join(Person.position_line)
        .join(Person.position_level)
        .join(Person.agency)
        .where(PositionLine.code == "K-COMP", PositionLevel.code == "K2")
        .order_by(Person.id)
        .limit(1)
    )
    return (
        db.session.scalar(it_officer.where(Agency.path.startswith(preferred.path)))
        or db.session.scalar(it_officer)
        or db.session.scalar(select(Person).order_by(Person.id).limit(1))
    )


def _create_demo_accounts(departments: list[Agency], password: str) -> list[tuple[str, str, str]]:
    learner = _pick_demo_learner(departments)
    # The HR officer serves the learner's department, so that the two demos meet.
    hr_department = _department_of(learner.agency) if learner else departments[0]
    specs = [
        ("learner@demo.go.th", "Learner", [Role.LEARNER], [], learner),
        ("hr@demo.go.th", f"HR officer, {hr_department.name_en}", [Role.HR_OFFICER], [hr_department], None),
        ("admin@demo.go.th", "Academy admin", [Role.ADMIN], [], None),
    ]
    accounts = []
    for email, display_name, roles, agencies, person in specs:
        if get_user_by_email(email) is None:
            create_user(
                email=email, password=password, display_name=display_name, roles=roles, agencies=agencies, person=person
            )
        accounts.append((email, password, display_name))
    return accounts
