"""What the credentials' pages share: labels of the verifier's findings, the badge image of a credential."""

from __future__ import annotations

import io

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from academy.dates import format_be_date
from academy.i18n import localized
from credentials.models import IssuedCredential
from credentials.services.badge import badge_svg
from credentials.services.documents import ISSUER_NAME_EN, ISSUER_NAME_TH

FINDING_LABELS = {
    "valid": _l("The signature is valid: the academy issued this credential and it has not been changed."),
    "not_json": _l("This is not a credential: it is not a JSON object."),
    "not_credential": _l("This is not a verifiable credential."),
    "unknown_context": _l("The credential uses a JSON-LD context the academy does not know; it cannot be checked."),
    "no_proof": _l("The credential carries no proof (signature)."),
    "unsupported_proof": _l("The proof is not an eddsa-rdfc-2022 Data Integrity proof."),
    "wrong_purpose": _l("The proof is not for assertion."),
    "malformed_proof": _l("The proof is malformed."),
    "other_issuer": _l("The credential was not issued by this academy; it cannot be checked here."),
    "unknown_key": _l("The credential is signed with a key the academy never used."),
    "bad_signature": _l(
        "The document was changed after it was signed (or signed by another key): the signature does not match."
    ),
    "not_jsonld": _l("The credential is not valid JSON-LD."),
    "revoked": _l("The credential has been revoked."),
    "expired": _l("The credential has expired."),
    "not_yet_valid": _l("The credential is not valid yet."),
    "unknown_status": _l("The credential's status list is not one of the academy's."),
    "held_invalid": _l("A credential inside this record does not verify."),
}


def finding_label(code: str) -> str:
    return str(FINDING_LABELS.get(code, code))


def credential_badge(credential: IssuedCredential, locale: str) -> str:
    """The badge SVG of a stored credential, in Thai or English (whatever the page's language)."""
    with force_locale(locale):
        kind = _("Course completed") if credential.source_key.startswith(("course:", "activity:")) else _("Competency")
        if credential.kind.value == "clr":
            kind = _("Learning record")
        revoked = _("Revoked") if credential.revocation is not None else None
    return badge_svg(
        localized(credential.title_th, credential.title_en, locale),
        kind,
        format_be_date(credential.valid_from, locale),
        ISSUER_NAME_TH if locale == "th" else ISSUER_NAME_EN,
        seed=credential.source_key,
        revoked_text=revoked,
    )


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as SVG."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return buffer.getvalue().decode("utf-8")
