"""Demo learning: the standard, aligned provider courses, and completions sent through the LRS.

Each department trains a share of its people this fiscal year (30–70% of the IT group, less of
the others), so coverage differs between agencies as it does in life; some of those trained also
finished the provider's full programme for their role profile, aligned with every requirement of
the profile, so they meet it (attainment is not zero).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from academy.dates import current_fiscal_year, fiscal_year_bounds, today
from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup, PersonStatus, RoleLevel
from competencies.models import Alignment
from competencies.services.frameworks import default_profiles, requirements_of, seed_standard
from lrs import LrsClient, XapiVersion, authority_of, create_client, store_statements

PROVIDER = "https://learn.tdga.example.go.th"
#: Courses of a demo provider: (slug, Thai title, English title, competency code, level).
COURSES = (
    ("digital-literacy-101", "ทักษะดิจิทัลพื้นฐานสำหรับข้าราชการ", "Digital basics for civil servants", "DL-01", 2),
    ("online-collaboration", "การทำงานร่วมกันออนไลน์", "Working together online", "DL-02", 2),
    ("digital-gov-law", "กฎหมายรัฐบาลดิจิทัล", "Digital government law", "DG-01", 2),
    ("pdpa-for-officers", "พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคลสำหรับเจ้าหน้าที่รัฐ", "PDPA for public officers", "DG-02", 2),
    ("digital-leadership", "ภาวะผู้นำดิจิทัล", "Digital leadership", "DLS-01", 3),
    ("cloud-first", "การใช้บริการคลาวด์ภาครัฐ", "Government cloud services", "DT-01", 2),
    ("service-design", "การออกแบบบริการภาครัฐที่ยึดผู้ใช้เป็นศูนย์กลาง", "User-centred service design", "DS-01", 2),
    ("data-governance", "ธรรมาภิบาลข้อมูลภาครัฐ", "Government data governance", "DU-01", 2),
    ("cyber-hygiene", "สุขอนามัยไซเบอร์", "Cyber hygiene", "CS-01", 2),
)
BATCH = 500
#: Share of a department's trained people who also finished their profile's full programme.
PROGRAMME_SHARE = 0.4
#: The share of each department's IT group trained this year is drawn between these; Non-IT: half.
IT_TRAINED = (0.3, 0.7)


def activity_iri(slug: str) -> str:
    return f"{PROVIDER}/courses/{slug}"


def programme_iri(profile_code: str) -> str:
    return f"{PROVIDER}/programmes/{profile_code}"


Programme = tuple[str, str, str]  # activity IRI, Thai name, English name


def build_learning(base_url: str, progress: Callable[[int], None] | None = None, seed: int = 2569) -> int:
    """Seed the standard and the aligned courses, and send this fiscal year's completions; return their count."""
    framework = seed_standard()
    codes = {c.code: c for c in framework.competencies}
    # The provider's statements count only for the alignments granted to it (README, Trust model).
    provider = create_client("TDGA Learning (demo provider)", ["statements/write"]).client
    for slug, _th, _en, code, level in COURSES:
        if code in codes:
            db.session.add(
                Alignment(
                    activity_id=activity_iri(slug),
                    competency_id=codes[code].id,
                    level=level,
                    owner_client_id=provider.id,
                )
            )
    programmes: dict[tuple[PersonnelGroup, RoleLevel], Programme] = {}
    for profile in default_profiles(framework):
        iri = programme_iri(profile.code)
        for competency_id, level in requirements_of(profile).items():
            db.session.add(
                Alignment(activity_id=iri, competency_id=competency_id, level=level, owner_client_id=provider.id)
            )
        programmes[(profile.personnel_group, profile.role_level)] = (
            iri,
            f"หลักสูตรพัฒนาทักษะดิจิทัลครบตามมาตรฐาน: {profile.name_th}",
            f"Full digital skills programme: {profile.name_en}",
        )
    db.session.flush()
    return _send_completions(programmes, provider, base_url, random.Random(seed), progress)


def _completion(rng: random.Random, email: str, iri: str, th: str, en: str, moment: datetime) -> dict[str, object]:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": iri,
            "definition": {"name": {"th-TH": th, "en-US": en}, "type": "http://adlnet.gov/expapi/activities/course"},
        },
        "result": {"completion": True, "success": True},
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
    }


def _moment(rng: random.Random, start: date, span: int) -> datetime:
    return datetime.combine(start + timedelta(days=rng.randrange(span)), time(9), UTC)


def _send_completions(
    programmes: dict[tuple[PersonnelGroup, RoleLevel], Programme],
    provider: LrsClient,
    base_url: str,
    rng: random.Random,
    progress: Callable[[int], None] | None,
) -> int:
    start, end = fiscal_year_bounds(current_fiscal_year())
    end = min(end, today())
    span = max((end - start).days, 1)
    authority = authority_of(provider, base_url)
    people = db.session.execute(
        select(Person.id, Person.email, Person.personnel_group, Person.role_level, Agency.path)
        .join(Agency, Agency.id == Person.agency_id)
        .where(Person.status == PersonStatus.ACTIVE)
        .order_by(Person.id)
    ).all()
    # Each department's IT group (and, at half the rate, its other people) has a share trained this
    # year drawn from IT_TRAINED; exactly that share is picked, so each agency's coverage lands in range.
    groups: dict[tuple[str, bool], list[tuple[str, PersonnelGroup, RoleLevel]]] = {}
    for _person_id, email, group, level, path in people:
        if email:
            department = "/".join(path.split("/")[:2])  # divisions count with their department
            groups.setdefault((department, group is PersonnelGroup.IT), []).append((email, group, level))
    rates: dict[str, float] = {}
    carry: dict[tuple[str, bool], float] = {}
    statements = []
    for (department, is_it), members in groups.items():
        if department not in rates:
            rates[department] = rng.uniform(*IT_TRAINED)
        low, high = (IT_TRAINED[0], IT_TRAINED[1]) if is_it else (IT_TRAINED[0] / 2, IT_TRAINED[1] / 2)
        rate = rates[department] if is_it else rates[department] / 2
        count = len(members)
        # What rounding leaves over is carried to the ministry's next department, so a ministry of
        # small departments (one or two IT officers each) still lands near its departments' rates.
        ministry = (department.split("/")[0], is_it)
        wanted = rate * count + carry.get(ministry, 0.0)
        picked = max(0, min(count, round(wanted)))
        if math.ceil(low * count) <= math.floor(high * count):
            picked = min(max(picked, math.ceil(low * count)), math.floor(high * count))
        carry[ministry] = wanted - picked
        for email, group, level in rng.sample(members, k=picked):
            for slug, th, en, _code, _level in rng.sample(COURSES, k=rng.randint(1, 3)):
                statements.append(_completion(rng, email, activity_iri(slug), th, en, _moment(rng, start, span)))
            programme = programmes.get((group, level))
            if programme is not None and rng.random() < PROGRAMME_SHARE:
                statements.append(_completion(rng, email, *programme, _moment(rng, start, span)))
    for first in range(0, len(statements), BATCH):
        batch = statements[first : first + BATCH]
        store_statements(batch, version=XapiVersion.V1, authority=authority, client=provider)
        if progress:
            progress(len(batch))
    return len(statements)
