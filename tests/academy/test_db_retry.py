"""retry_transaction: a lost race (deadlock, serialisation failure) is run again; other errors are not."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from academy.db import is_transient, retry_transaction


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _error(sqlstate: str) -> DBAPIError:
    return DBAPIError("INSERT ...", {}, _Orig(sqlstate))


@pytest.mark.parametrize(("sqlstate", "transient"), [("40P01", True), ("40001", True), ("23505", False)])
def test_transient_errors_are_the_lost_races(sqlstate: str, transient: bool) -> None:
    assert is_transient(_error(sqlstate)) is transient


def test_a_deadlock_is_run_again_until_it_succeeds(app: object) -> None:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _error("40P01")
        return "stored"

    assert retry_transaction(work, base_delay=0) == "stored"
    assert len(calls) == 3


def test_a_constraint_violation_is_not_retried(app: object) -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        raise _error("23505")

    with pytest.raises(DBAPIError):
        retry_transaction(work, base_delay=0)
    assert len(calls) == 1


def test_the_last_failure_is_raised_after_the_attempts(app: object) -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        raise _error("40001")

    with pytest.raises(DBAPIError):
        retry_transaction(work, attempts=4, base_delay=0)
    assert len(calls) == 4
