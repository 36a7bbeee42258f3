"""The LRS's part of erasure: every agent of the person replaced, signatures that carry them dropped."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from academy.db import db
from academy.ifi import agent_key
from academy.org.events import ErasedPerson
from lrs.models import Agent, Attachment, Statement, StatementAgent, ref_of_agent
from lrs.privacy import erase_agent, replace_agents
from tests.lrs.test_attachments_api import post_signed, sign, signed_statement
from tests.support.lrs import Xapi, statement

LEAVER = {"objectType": "Agent", "name": "Leaver Name", "mbox": "mailto:leaver@example.go.th"}
OTHER = {"objectType": "Agent", "name": "Other", "mbox": "mailto:other@example.go.th"}
PSEUDONYM = {"objectType": "Agent", "account": {"homePage": "https://academy.test", "name": "erased-0123"}}
FORMER = frozenset({"mbox:mailto:leaver@example.go.th"})


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def erased() -> ErasedPerson:
    return ErasedPerson(
        person_id=0,
        user_id=None,
        former_keys=FORMER,
        pseudonym_agent=PSEUDONYM,
        pseudonym_key="account:https://academy.test erased-0123",
    )


def test_every_place_an_agent_can_be_is_replaced_and_nothing_else() -> None:
    group = {"objectType": "Group", "name": "Cohort", "member": [LEAVER, OTHER]}
    value = {
        "actor": LEAVER,
        "object": {
            "objectType": "SubStatement",
            "actor": group,
            "object": LEAVER,
            "context": {"instructor": LEAVER, "team": group},
        },
        "context": {
            "instructor": OTHER,
            "contextAgents": [{"objectType": "contextAgent", "agent": LEAVER}],
            "contextGroups": [{"objectType": "contextGroup", "group": group}],
            "extensions": {"https://example.org/x": {"mbox": "not an address"}},
        },
        "authority": {"objectType": "Group", "member": [LEAVER, OTHER]},
        "result": {"response": "kept"},
    }
    replaced = replace_agents(value, FORMER, PSEUDONYM)
    text = json.dumps(replaced)
    assert "leaver@example.go.th" not in text and "Leaver Name" not in text
    assert replaced["actor"] == PSEUDONYM and replaced["object"]["object"] == PSEUDONYM
    assert replaced["object"]["actor"]["member"] == [PSEUDONYM, OTHER]
    assert replaced["object"]["actor"]["name"] == "Cohort"  # the group is not the person
    assert replaced["context"]["instructor"] == OTHER
    assert replaced["context"]["contextAgents"][0] == {"objectType": "contextAgent", "agent": PSEUDONYM}
    assert replaced["authority"]["member"] == [PSEUDONYM, OTHER]
    assert replaced["context"]["extensions"] == value["context"]["extensions"]
    assert replaced["result"] == {"response": "kept"}
    assert value["actor"] == LEAVER  # a copy: the input is untouched


def test_erasure_rewrites_statements_and_index_rows_and_drops_the_persons_signatures(
    xapi: Xapi, signing_key: rsa.RSAPrivateKey
) -> None:
    mine, theirs = signed_statement(), signed_statement()
    mine["actor"], theirs["actor"] = LEAVER, OTHER
    mine_jws, theirs_jws = sign(mine, signing_key), sign(theirs, signing_key)
    assert post_signed(xapi, mine, mine_jws).status_code == 200
    assert post_signed(xapi, theirs, theirs_jws).status_code == 200
    plain = statement(actor=OTHER, context={"instructor": LEAVER})
    [plain_id] = xapi("POST", "/xapi/statements", json_body=plain).get_json()

    counts = erase_agent(erased())

    assert counts == {"statements_rewritten": 2, "lrs_documents_removed": 0, "signatures_removed": 1}
    rows = {row.id: row for row in db.session.scalars(select(Statement))}
    rewritten = rows[uuid.UUID(mine["id"])]
    assert rewritten.payload["actor"] == PSEUDONYM and "attachments" not in rewritten.payload
    assert rewritten.actor_key == agent_key(PSEUDONYM) and rewritten.has_attachments is False
    assert rows[uuid.UUID(plain_id)].payload["context"]["instructor"] == PSEUDONYM
    assert rows[uuid.UUID(theirs["id"])].payload["attachments"]  # another person's signature stays
    stored = {a.sha2: a.content for a in db.session.scalars(select(Attachment))}
    assert mine_jws not in stored.values() and theirs_jws in stored.values()
    keys = set(db.session.scalars(select(Agent.agent_key).join(StatementAgent, StatementAgent.agent_ref == Agent.id)))
    assert "mbox:mailto:leaver@example.go.th" not in keys and agent_key(PSEUDONYM) in keys
    direct = db.session.scalars(
        select(StatementAgent.statement_pk).where(
            StatementAgent.agent_ref == ref_of_agent(agent_key(PSEUDONYM)), StatementAgent.direct.is_(True)
        )
    ).all()
    assert direct == [rewritten.pk]
    # The rewritten entries carry their statements' verbs, as the write path's do.
    entry_verbs = db.session.execute(
        select(StatementAgent.verb_ref, Statement.verb_ref).join(Statement, Statement.pk == StatementAgent.statement_pk)
    ).all()
    assert entry_verbs and all(entry == statement for entry, statement in entry_verbs)


def test_a_person_with_no_statements_changes_nothing(xapi: Xapi) -> None:
    [kept] = xapi("POST", "/xapi/statements", json_body=statement(actor=OTHER)).get_json()
    before: dict[str, Any] = db.session.scalar(select(Statement.payload).where(Statement.id == uuid.UUID(kept)))
    assert erase_agent(erased())["statements_rewritten"] == 0
    db.session.expire_all()
    assert db.session.scalar(select(Statement.payload).where(Statement.id == uuid.UUID(kept))) == before
