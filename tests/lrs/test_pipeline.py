"""The pipeline's registry: projections see whole batches in order, and rebuild-projections runs their rebuilds."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from academy.db import db
from academy.org.models import Agency, Person
from lrs import StoredBatch, XapiVersion, register_projection, store_statements
from lrs.pipeline import Projection
from tests.support.lrs import statement

AUTHORITY = {"objectType": "Agent", "mbox": "mailto:provider@example.go.th"}
FIRST = "https://academy.test/activities/first"
FOLLOW_UP = "https://academy.test/activities/follow-up"


@pytest.fixture
def register(app: Flask) -> Iterator[Callable[..., Projection]]:
    """Register projections for one test only."""
    added: list[Projection] = []

    def add(*args: object, **kwargs: object) -> Projection:
        projection = register_projection(app, *args, **kwargs)  # type: ignore[arg-type]
        added.append(projection)
        return projection

    yield add
    for projection in added:
        app.extensions["lrs.projections"].remove(projection)


def activities(batch: StoredBatch) -> list[str]:
    return [s["object"]["id"] for s in batch.statements]


def test_a_batch_stored_by_a_projection_is_handed_out_after_the_current_batch(
    register: Callable[..., Projection],
) -> None:
    seen: list[tuple[str, list[str]]] = []

    def issuing(batch: StoredBatch) -> None:
        seen.append(("issuing", activities(batch)))
        if activities(batch) == [FIRST]:  # as cmi5 issues `satisfied`, or the player `completed`
            store_statements(
                statement(object={"objectType": "Activity", "id": FOLLOW_UP}),
                version=XapiVersion.V1,
                authority=AUTHORITY,
            )

    def watching(batch: StoredBatch) -> None:
        seen.append(("watching", activities(batch)))

    register("issuing", issuing, None)
    register("watching", watching, None)

    first = statement(object={"objectType": "Activity", "id": FIRST})
    store_statements(first, version=XapiVersion.V1, authority=AUTHORITY)

    assert seen == [
        ("issuing", [FIRST]),
        ("watching", [FIRST]),
        ("issuing", [FOLLOW_UP]),
        ("watching", [FOLLOW_UP]),
    ]
    # Nothing is left queued: the next batch is handed out at once.
    seen.clear()
    store_statements(statement(), version=XapiVersion.V1, authority=AUTHORITY)
    assert [name for name, _ in seen] == ["issuing", "watching"]


def test_rebuild_projections_runs_every_registered_rebuild_in_order(
    app: Flask, register: Callable[..., Projection]
) -> None:
    ran: list[str] = []

    def rebuild_of(name: str, count: int) -> Callable[[Callable[[int], None] | None], int]:
        def rebuild(progress: Callable[[int], None] | None) -> int:
            ran.append(name)
            if progress:
                progress(count)
            return count

        return rebuild

    register("first_test", lambda batch: None, rebuild_of("first_test", 3), label="first things")
    register("second_test", lambda batch: None, rebuild_of("second_test", 4), size=lambda: 4, unit="things")

    result = app.test_cli_runner().invoke(args=["academy", "rebuild-projections"])

    assert result.exit_code == 0, result.output
    assert ran == ["first_test", "second_test"]
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("rebuilt: ")
    # The domains' rebuilds run first (they registered first), then these, in their order.
    assert summary.index("enrolments replayed") < summary.index("evidence rows") < summary.index("3 first things")
    assert summary.endswith("3 first things, 4 second_test")


def test_the_batch_lock_holds_the_locks_of_its_people(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    """lock_batch_people holds the projection lock of every registered actor's person (PostgreSQL) and knows it
    holds them (lock_people takes none again); people_by_key answers with those people."""
    from sqlalchemy import text

    from academy.ifi import agent_key
    from academy.org.models import IdentifierKind
    from academy.org.services import add_identifier
    from academy.projections import PERSON_LOCK_SPACE, lock_people
    from lrs import Writer
    from lrs.pipeline import lock_batch_people, people_by_key

    agency = make_agency()
    first, second = make_person(agency), make_person(agency)
    add_identifier(first, IdentifierKind.MBOX, "mailto:first@example.go.th")
    add_identifier(second, IdentifierKind.MBOX, "mailto:second@example.go.th")
    db.session.flush()
    actors = ["first@example.go.th", "second@example.go.th", "stranger@example.go.th"]
    batch = StoredBatch(
        [statement(actor={"objectType": "Agent", "mbox": f"mailto:{mbox}"}) for mbox in actors],
        [],
        Writer(None, True, False, None),
    )
    lock_batch_people(batch)
    key = {mbox: agent_key({"mbox": f"mailto:{mbox}"}) for mbox in actors}
    assert people_by_key(batch) == {key[actors[0]]: first.id, key[actors[1]]: second.id}
    if db.session.get_bind().dialect.name != "postgresql":
        return
    held = set(
        db.session.scalars(
            text(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :space"
                " AND pid = pg_backend_pid() AND granted"
            ),
            {"space": PERSON_LOCK_SPACE},
        )
    )
    assert {first.id, second.id} <= {int(i) for i in held}
    assert lock_people([first.id, second.id]) is False  # held already
