"""The local test provider of `make run`: its configuration, with the demo people as its accounts.

Development only. The provider needs the citizen IDs in clear, which the platform never keeps:
the demo derives each person's ID from their employee number (academy.org.demo.demo_citizen_id),
and only people whose stored hash matches that derived ID are written out, so that no real
person's record can ever appear here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import select

from academy.auth.models import User
from academy.db import db
from academy.org.demo import demo_citizen_id
from academy.org.identity import citizen_id_hash
from academy.org.models import Person, PersonStatus

DEV_CLIENT_ID = "academy-dev"
DEV_CLIENT_SECRET = "academy-dev-not-secret"
DEV_API_KEY = "academy-dev-api-key"
#: How many demo people besides the demo learner can sign in at the local provider.
EXTRA_PEOPLE = 20


def _demo_id(person: Person) -> str | None:
    if not person.employee_no.isdigit():
        return None
    candidate = demo_citizen_id(int(person.employee_no))
    if person.citizen_id_hash is None and (person.email or "").endswith(".demo.go.th"):
        person.citizen_id_hash = citizen_id_hash(candidate)  # a demo database made before citizen IDs
    return candidate if person.citizen_id_hash == citizen_id_hash(candidate) else None


def _account(person: Person, citizen_id: str, password: str) -> dict[str, Any]:
    return {
        "password": password,
        "pid": citizen_id,
        "citizen_id": citizen_id,
        "given_name": person.first_name_th,
        "family_name": person.last_name_th,
        "email": person.email,
    }


def provider_config(base_url: str, port: int, password: str) -> dict[str, Any]:
    """The JSON scripts/dev_oidc_provider.mjs reads: one client (this platform) and the demo people."""
    accounts: dict[str, dict[str, Any]] = {}
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.go.th"))
    if learner is not None and learner.person is not None and (cid := _demo_id(learner.person)):
        accounts["learner"] = _account(learner.person, cid, password)
    people = db.session.scalars(
        select(Person).where(Person.status == PersonStatus.ACTIVE).order_by(Person.id).limit(EXTRA_PEOPLE)
    )
    for person in people:
        if cid := _demo_id(person):
            accounts.setdefault(person.employee_no, _account(person, cid, password))
    return {
        "port": port,
        "name": "ThaID (ทดสอบในเครื่อง / local test)",
        "id_claim": "pid",
        "clients": [
            {
                "client_id": DEV_CLIENT_ID,
                "client_secret": DEV_CLIENT_SECRET,
                "redirect_uris": [f"{base_url}/login/oidc/thaid/callback"],
                "post_logout_redirect_uris": [f"{base_url}/login"],
            }
        ],
        "token_headers": {"x-imauth-apikey": DEV_API_KEY},
        "accounts": accounts,
    }


@click.command("dev-oidc-provider")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", default=5010, show_default=True, type=click.IntRange(1, 65535))
def dev_oidc_provider_command(out: Path, port: int) -> None:
    """Write the local ThaID test provider's configuration (development only), with the demo people."""
    if current_app.config["ACADEMY_ENV"] != "development":
        raise click.ClickException("the local test provider is for development only (ACADEMY_ENV=development)")
    config = provider_config(current_app.config["ACADEMY_BASE_URL"], port, current_app.config["ACADEMY_DEMO_PASSWORD"])
    db.session.commit()  # hashes given to an older demo database's people
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    out.chmod(0o600)
    click.echo(
        f"dev-oidc-provider: {len(config['accounts'])} demo people at http://127.0.0.1:{port} "
        f"(sign in as 'learner', password {current_app.config['ACADEMY_DEMO_PASSWORD']})"
    )
