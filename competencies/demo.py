"""Demo learning: the standard, aligned provider courses, and completions sent through the LRS."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from academy.dates import current_fiscal_year, fiscal_year_bounds, today
from academy.db import db
from academy.org.models import Person, PersonnelGroup, PersonStatus
from competencies.models import Alignment, Framework
from competencies.services.frameworks import seed_standard
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


def activity_iri(slug: str) -> str:
    return f"{PROVIDER}/courses/{slug}"


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
    db.session.flush()
    return _send_completions(framework, provider, base_url, random.Random(seed), progress)


def _send_completions(
    framework: Framework,
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
        select(Person.id, Person.email, Person.personnel_group)
        .where(Person.status == PersonStatus.ACTIVE)
        .order_by(Person.id)
    ).all()
    statements = []
    for _person_id, email, group in people:
        # About half of the IT group and a fifth of the others completed something this year.
        if not email or rng.random() > (0.5 if group is PersonnelGroup.IT else 0.2):
            continue
        for slug, th, en, _code, _level in rng.sample(COURSES, k=rng.randint(1, 3)):
            moment = datetime.combine(start + timedelta(days=rng.randrange(span)), time(9), UTC)
            statements.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
                    "object": {
                        "objectType": "Activity",
                        "id": activity_iri(slug),
                        "definition": {
                            "name": {"th-TH": th, "en-US": en},
                            "type": "http://adlnet.gov/expapi/activities/course",
                        },
                    },
                    "result": {"completion": True, "success": True},
                    "timestamp": moment.isoformat().replace("+00:00", "Z"),
                }
            )
    for first in range(0, len(statements), BATCH):
        batch = statements[first : first + BATCH]
        store_statements(batch, version=XapiVersion.V1, authority=authority, client=provider)
        if progress:
            progress(len(batch))
    return len(statements)
