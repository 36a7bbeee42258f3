"""commit_on_success: a handler's work is committed on 2xx/3xx, rolled back on an exception or 4xx/5xx."""

from __future__ import annotations

import pytest
from flask import Flask, abort, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from academy.db import db
from academy.org.models import Agency, AgencyKind
from academy.org.services import create_agency
from academy.transactions import commit_on_success


def _add(code: str) -> None:
    create_agency(code=code, name_th=f"หน่วยงาน {code}", name_en=f"Agency {code}", kind=AgencyKind.MINISTRY)


def _stored(code: str) -> bool:
    # What the wrapper did not commit goes with this rollback.
    db.session.rollback()
    return db.session.scalar(select(Agency).where(Agency.code == code)) is not None


@pytest.mark.parametrize("answer", ["ok", "redirect"])
def test_a_2xx_or_3xx_answer_commits(app: Flask, answer: str) -> None:
    @commit_on_success
    def view() -> ResponseReturnValue:
        _add("91001")
        return "saved" if answer == "ok" else redirect("/done")

    with app.test_request_context():
        assert view().status_code in (200, 302)
        assert _stored("91001")


@pytest.mark.parametrize("status", [400, 404, 500])
def test_a_4xx_or_5xx_answer_rolls_back(app: Flask, status: int) -> None:
    @commit_on_success
    def view() -> ResponseReturnValue:
        _add("91002")
        return "refused", status

    with app.test_request_context():
        assert view().status_code == status
        assert not _stored("91002")


def test_an_abort_rolls_back(app: Flask) -> None:
    @commit_on_success
    def view() -> ResponseReturnValue:
        _add("91003")
        abort(403)

    with app.test_request_context():
        with pytest.raises(Exception, match="403"):
            view()
        assert not _stored("91003")


def test_an_exception_rolls_back(app: Flask) -> None:
    @commit_on_success
    def view() -> ResponseReturnValue:
        _add("91004")
        raise RuntimeError("boom")

    with app.test_request_context():
        with pytest.raises(RuntimeError):
            view()
        assert not _stored("91004")
