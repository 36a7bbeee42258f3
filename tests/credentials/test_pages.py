"""The holder's and the verifier's pages over HTTP: My credentials, downloads, share links, QR codes,
the public verification page, the status list and issuer documents, an administrator's revocation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, Person
from credentials.services.badge import unbake_svg
from credentials.services.holding import held_credentials
from credentials.services.verify import verify_credential
from tests.credentials.conftest import void_as_player
from tests.support.app import csrf_token
from tests.support.second_factor import sign_in

Login = Callable[[User], FlaskClient]


def test_my_credentials_lists_badges_and_downloads_json_baked_svg_qr_and_clr(
    complete_course: Callable[..., uuid.UUID], learner: Person, make_user: Callable[..., User], login: Login
) -> None:
    complete_course()
    client = login(make_user(Role.LEARNER, person=learner))
    page = client.get("/me/credentials")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    credentials = held_credentials(learner.id)
    assert all(str(c.credential_id) in html for c in credentials)
    assert "<svg" in html and "กฎหมายดิจิทัลเบื้องต้น" in html
    course = next(c for c in credentials if c.source_key == "course:DG101")

    download = client.get(f"/me/credentials/{course.credential_id}.json")
    assert download.status_code == 200 and download.get_data(as_text=True) == course.document
    english = client.get(f"/me/credentials/{course.credential_id}/badge.svg?lang=en").get_data(as_text=True)
    assert "Digital law basics" in english and "Course completed" in english and english.startswith("<svg")
    thai = client.get(f"/me/credentials/{course.credential_id}/badge.svg?lang=th").get_data(as_text=True)
    assert "เรียนจบหลักสูตร" in thai and "Course completed" not in thai
    baked = client.get(f"/me/credentials/{course.credential_id}/baked.svg")
    assert baked.mimetype == "image/svg+xml"
    credential = unbake_svg(baked.get_data(as_text=True))
    assert credential == json.loads(course.document) and verify_credential(credential).valid
    qr = client.get(f"/me/credentials/{course.credential_id}/qr.svg")
    assert qr.status_code == 200 and b"<svg" in qr.data

    clr = client.get("/me/credentials/clr.json")
    assert clr.status_code == 200
    document = clr.get_json()
    assert document["type"] == ["VerifiableCredential", "ClrCredential"]
    assert verify_credential(document).valid
    assert client.get("/me/credentials/clr.json?year=2569").status_code == 200  # March 2026 is in FY 2569
    assert client.get("/me/credentials/clr.json?year=2560").status_code == 404
    assert client.get("/me/credentials/clr.json?year=soon").status_code == 400


def test_another_persons_credentials_are_not_found(
    complete_course: Callable[..., uuid.UUID],
    learner: Person,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    complete_course()
    credential = held_credentials(learner.id)[0]
    client = login(make_user(Role.LEARNER, person=make_person(make_agency())))
    for path in ("{}.json", "{}/badge.svg", "{}/baked.svg", "{}/qr.svg"):
        assert client.get("/me/credentials/" + path.format(credential.credential_id)).status_code == 404
    token = csrf_token(client, "/me/credentials")
    response = client.post(
        f"/me/credentials/{credential.credential_id}/share", data={"csrf_token": token, "share_name": "1"}
    )
    assert response.status_code == 404
    assert client.get("/me/credentials/clr.json").status_code == 404
    assert FlaskClient(client.application).get("/me/credentials").status_code == 302  # sign in first


def test_the_share_link_verifies_without_signing_in_and_shows_the_name_only_when_shared(
    complete_course: Callable[..., uuid.UUID],
    learner: Person,
    make_user: Callable[..., User],
    login: Login,
    client: FlaskClient,
) -> None:
    statement_id = complete_course()
    credential = next(c for c in held_credentials(learner.id) if c.source_key == "course:DG101")
    db.session.commit()
    anonymous = client.application.test_client()
    page = anonymous.get(f"/verify/{credential.credential_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-finding="valid"' in html
    assert learner.first_name_th not in html
    assert anonymous.get(f"/verify/{credential.credential_id}/credential.json").data.decode() == credential.document
    assert anonymous.get(f"/verify/{uuid.uuid4()}").status_code == 404

    holder = login(make_user(Role.LEARNER, person=learner))
    token = csrf_token(holder, "/me/credentials")
    response = holder.post(
        f"/me/credentials/{credential.credential_id}/share", data={"csrf_token": token, "share_name": "1"}
    )
    assert response.status_code == 302
    assert learner.first_name_th in anonymous.get(f"/verify/{credential.credential_id}").get_data(as_text=True)

    void_as_player(statement_id)
    db.session.commit()
    html = anonymous.get(f"/verify/{credential.credential_id}").get_data(as_text=True)
    assert 'data-finding="revoked"' in html and 'data-finding="valid"' in html


def test_the_verification_page_checks_a_pasted_or_uploaded_credential_in_thai_and_english(
    complete_course: Callable[..., uuid.UUID], learner: Person, client: FlaskClient
) -> None:
    complete_course()
    credential = held_credentials(learner.id)[0]
    db.session.commit()
    form = client.get("/verify")
    assert form.status_code == 200
    token = csrf_token(client, "/verify")
    valid = client.post("/verify", data={"csrf_token": token, "credential": credential.document})
    assert 'data-finding="valid"' in valid.get_data(as_text=True)
    tampered = json.loads(credential.document)
    tampered["name"] = "Another name"
    from io import BytesIO

    upload = client.post(
        "/verify",
        data={"csrf_token": token, "credential": "", "file": (BytesIO(json.dumps(tampered).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    html = upload.get_data(as_text=True)
    assert 'data-finding="bad_signature"' in html
    client.get("/lang/en")
    english = client.post("/verify", data={"csrf_token": token, "credential": "[]"}).get_data(as_text=True)
    assert "This is not a credential" in english
    client.get("/lang/th")
    thai = client.post("/verify", data={"csrf_token": token, "credential": "[]"}).get_data(as_text=True)
    assert "This is not a credential" not in thai and 'data-finding="not_json"' in thai


def test_the_issuer_and_status_list_documents_are_served(
    complete_course: Callable[..., uuid.UUID], learner: Person, client: FlaskClient
) -> None:
    statement_id = complete_course()
    credential = held_credentials(learner.id)[0]
    issuer = client.get("/credentials/issuer").get_json()
    assert issuer["assertionMethod"] == [m["id"] for m in issuer["verificationMethod"]]
    assert json.loads(credential.document)["proof"]["verificationMethod"] in issuer["assertionMethod"]
    status = client.get("/credentials/status/1").get_json()
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    before = status["credentialSubject"]["encodedList"]
    void_as_player(statement_id)
    after = client.get("/credentials/status/1").get_json()["credentialSubject"]["encodedList"]
    assert after != before
    assert client.get("/credentials/status/99").status_code == 404


def test_an_administrator_revokes_with_a_reason_and_it_is_audited(
    complete_course: Callable[..., uuid.UUID], learner: Person, make_user: Callable[..., User], login: Login
) -> None:
    complete_course()
    credential = held_credentials(learner.id)[0]
    path = f"/admin/credentials/{credential.credential_id}/revoke"
    learner_client = login(make_user(Role.LEARNER, person=learner))
    token = csrf_token(learner_client, "/me/credentials")
    assert learner_client.post(path, data={"csrf_token": token, "reason": "no"}).status_code == 403

    admin = sign_in(learner_client.application.test_client(), make_user(Role.ADMIN))
    token = csrf_token(admin, f"/verify/{credential.credential_id}")
    assert admin.post(path, data={"csrf_token": token, "reason": ""}).status_code == 303
    assert verify_credential(credential.document).valid  # no reason, no revocation
    response = admin.post(path, data={"csrf_token": token, "reason": "Issued in error"})
    assert response.status_code == 303
    db.session.expire_all()
    result = verify_credential(credential.document)
    assert result.revoked and result.revocation_reason == "admin"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "credential.revoke"))
    assert entry is not None and entry.details["reason"] == "Issued in error"
    assert entry.target_id == str(credential.credential_id)


def test_the_transcript_pdf_carries_a_qr_code_and_a_short_url_to_its_verification_page(
    complete_course: Callable[..., uuid.UUID], learner: Person, make_user: Callable[..., User], login: Login
) -> None:
    import re
    import subprocess

    complete_course()
    client = login(make_user(Role.LEARNER, person=learner))
    response = client.get("/learn/transcript.pdf")
    assert response.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    match = re.search(r"https://academy\.test/v/([1-9A-HJ-NP-Za-km-z]+)", text)
    assert match, text
    followed = client.application.test_client().get(f"/v/{match.group(1)}")
    assert followed.status_code == 302
    page = client.application.test_client().get(followed.headers["Location"])
    assert 'data-finding="valid"' in page.get_data(as_text=True)
    assert client.application.test_client().get("/v/0OIl").status_code == 404


def test_once_the_holders_data_is_erased_the_credentials_are_revoked_forgotten_and_not_shared(
    complete_course: Callable[..., uuid.UUID], learner: Person, client: FlaskClient
) -> None:
    from academy.org.events import ErasedPerson, announce_person_erased

    complete_course()
    credential = next(c for c in held_credentials(learner.id) if c.source_key == "course:DG101")
    issued = credential.document
    with client.application.test_request_context():
        counts = announce_person_erased(
            ErasedPerson(learner.id, None, frozenset(), {"objectType": "Agent"}, "erased-key")
        )
    db.session.commit()
    assert counts["credentials_revoked"] >= 1 and counts["credentials_forgotten"] >= 1
    db.session.refresh(credential)
    assert credential.revocation is not None and str(learner.public_id) not in credential.document
    # Copies handed out earlier read as revoked: the status list still has the credential's bit.
    assert verify_credential(json.loads(issued)).revoked
    anonymous = client.application.test_client()
    assert anonymous.get(f"/verify/{credential.credential_id}").status_code == 404
    assert anonymous.get(f"/verify/{credential.credential_id}/credential.json").status_code == 404
