"""The credentials' JSON: the issuer, an OpenBadgeCredential's achievement, a ClrCredential, the status list.

Every URL is made of ``ACADEMY_BASE_URL``: the issuer is ``<base>/credentials/issuer`` (its
controller document lists the verification methods, ``<issuer>#<key id>``), a status list is
``<base>/credentials/status/<n>``, a credential's verification page ``<base>/verify/<uuid>``.
"""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from credentials.jsonld import CLR_V2, DID_V1, MULTIKEY_V1, OB_V3, VC_V2
from credentials.multibase import base58_decode, base58_encode, encode_u
from credentials.services.signing import xsd_datetime

#: Bits in one revocation status list: 131,072 (16 KiB), the smallest the specification allows.
STATUS_LIST_SIZE = 131_072

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
#: VC 2.0's own type for a JSON Schema (the older 1EdTechJsonSchemaValidator2019 is in no context we use).
SCHEMA_TYPE = "JsonSchema"

ISSUER_NAME_TH = "สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล"
ISSUER_NAME_EN = "E-Workforce Academy"


def base_url() -> str:
    return str(current_app.config["ACADEMY_BASE_URL"]).rstrip("/")


def issuer_id() -> str:
    return f"{base_url()}/credentials/issuer"


def verification_method_id(key_id: str) -> str:
    return f"{issuer_id()}#{key_id}"


def status_list_url(number: int) -> str:
    return f"{base_url()}/credentials/status/{number}"


def verify_url(credential_id: uuid.UUID) -> str:
    return f"{base_url()}/verify/{credential_id}"


def short_url(credential_id: uuid.UUID) -> str:
    """A short URL of a credential's verification page (for print): ``<base>/v/<base58 of the uuid>``."""
    return f"{base_url()}/v/{base58_encode(credential_id.bytes)}"


def short_code_id(code: str) -> uuid.UUID | None:
    """The credential id of a short URL's code; None if it is not one."""
    try:
        raw = base58_decode(code)
    except ValueError:
        return None
    return uuid.UUID(bytes=raw) if len(raw) == 16 else None


def case_uri(identifier: uuid.UUID) -> str:
    """The CASE URI of a framework item, as ``flask academy case-export`` writes it."""
    return f"{base_url()}/case/uri/{identifier}"


def subject_id(public_id: uuid.UUID) -> str:
    """The holder, without the citizen ID or any name: the person's pseudonymous public id."""
    return f"urn:uuid:{public_id}"


def issuer_profile() -> dict[str, Any]:
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": f"{ISSUER_NAME_TH} ({ISSUER_NAME_EN})",
        "url": base_url(),
    }


def issuer_document(public_keys: dict[str, str]) -> dict[str, Any]:
    """The issuer's controller document: every key it has signed with, each a Multikey for assertions."""
    methods = [
        {
            "id": verification_method_id(key_id),
            "type": "Multikey",
            "controller": issuer_id(),
            "publicKeyMultibase": multibase,
        }
        for key_id, multibase in sorted(public_keys.items())
    ]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": issuer_id(),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def verification_method_document(key_id: str, multibase: str) -> dict[str, Any]:
    """One verification method on its own (what ``<issuer>#<key id>`` dereferences to)."""
    return {
        "@context": MULTIKEY_V1,
        "id": verification_method_id(key_id),
        "type": "Multikey",
        "controller": issuer_id(),
        "publicKeyMultibase": multibase,
    }


@dataclass(frozen=True)
class Alignment:
    """What an achievement is aligned to: a CASE item of a skill framework, at a level."""

    identifier: uuid.UUID
    code: str
    name: str
    framework: str
    level: int | None = None


@dataclass(frozen=True)
class Award:
    """One thing a person has earned, to stand in one OpenBadgeCredential."""

    person_id: int
    public_id: uuid.UUID
    source_key: str
    title_th: str
    title_en: str
    achieved_at: datetime
    achievement_id: str
    achievement_type: str  # OB 3.0 achievementType: Course, Competency
    description: str
    criteria: str
    alignments: tuple[Alignment, ...] = field(default=())
    level_name: str | None = None
    level_code: str | None = None
    hours: float | None = None


def status_entry(row_id: int) -> tuple[int, int, dict[str, Any]]:
    """The status list, bit and ``credentialStatus`` of the credential stored as row ``row_id``."""
    number, index = (row_id - 1) // STATUS_LIST_SIZE + 1, (row_id - 1) % STATUS_LIST_SIZE
    url = status_list_url(number)
    return (
        number,
        index,
        {
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": url,
        },
    )


def badge_document(award: Award, credential_id: uuid.UUID, row_id: int) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of an award."""
    achievement: dict[str, Any] = {
        "id": award.achievement_id,
        "type": ["Achievement"],
        "achievementType": award.achievement_type,
        "name": award.title_th,
        "description": award.description or award.title_en,
        "criteria": {"narrative": award.criteria},
        "inLanguage": "th",
    }
    if award.hours is not None:
        achievement["creditsAvailable"] = award.hours
    if award.alignments:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": alignment.name,
                "targetUrl": case_uri(alignment.identifier),
                "targetCode": alignment.code,
                "targetFramework": alignment.framework,
                "targetType": "CFItem",
                **({"targetDescription": f"level {alignment.level}"} if alignment.level is not None else {}),
            }
            for alignment in award.alignments
        ]
    result: dict[str, Any] = {"type": ["Result"], "status": "Completed"}
    if award.level_name is not None:
        description_id = f"{award.achievement_id}#result"
        level_id = f"{award.achievement_id}#level"
        achievement["resultDescription"] = [
            {
                "id": description_id,
                "type": ["ResultDescription"],
                "name": "Proficiency level",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": level_id,
                        "type": ["RubricCriterionLevel"],
                        "name": award.level_name,
                        "level": award.level_code,
                    }
                ],
            }
        ]
        result = {"type": ["Result"], "resultDescription": description_id, "achievedLevel": level_id}
    _number, _index, status = status_entry(row_id)
    return {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{award.title_th} / {award.title_en}",
        "description": award.title_en,
        "issuer": issuer_profile(),
        "validFrom": xsd_datetime(award.achieved_at),
        "credentialSubject": {
            "id": subject_id(award.public_id),
            "type": ["AchievementSubject"],
            "achievement": achievement,
            "result": [result],
        },
        "credentialStatus": status,
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_TYPE}],
    }


def clr_document(
    public_id: uuid.UUID,
    credentials: list[dict[str, Any]],
    credential_id: uuid.UUID,
    row_id: int,
    issued_at: datetime,
    name: str,
    partial: bool,
) -> dict[str, Any]:
    """The unsigned ClrCredential holding a person's OpenBadgeCredentials, each as issued."""
    _number, _index, status = status_entry(row_id)
    return {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": name,
        "issuer": issuer_profile(),
        "validFrom": xsd_datetime(issued_at),
        "partial": partial,
        "credentialSubject": {
            "id": subject_id(public_id),
            "type": ["ClrSubject"],
            "verifiableCredential": credentials,
        },
        "credentialStatus": status,
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_TYPE}],
    }


def encode_status_list(revoked_indexes: list[int]) -> str:
    """A revocation list's ``encodedList``: the bitstring (first bit = index 0), GZIP, multibase base64url."""
    bits = bytearray(STATUS_LIST_SIZE // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations give the same bytes.
    return encode_u(gzip.compress(bytes(bits), mtime=0))


def status_list_document(number: int, revoked_indexes: list[int], valid_from: datetime) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential of status list ``number``."""
    url = status_list_url(number)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(revoked_indexes),
        },
    }
