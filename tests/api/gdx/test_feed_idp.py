"""The GDX feed's development-plan figures: the figures service's counts, small ones withheld, no names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from academy.db import db
from academy.org.models import PersonnelGroup
from competencies.idp.models import IdpState
from competencies.idp.services.figures import idp_group_totals
from competencies.idp.services.workflow import add_goal, create_idp
from competencies.models import Framework
from tests.api.gdx.test_feed import by_code, feed
from tests.support.competencies import competency
from tests.support.gdx import FISCAL_YEAR, IT_LINE, Government


def test_idp_figures_are_published_when_large_and_withheld_when_small(
    gdx_get: Callable[..., Any], government: Government, standard: Framework
) -> None:
    own_it = [p for p in government.people if p.agency_id == government.big.id and p.position_line.code == IT_LINE]
    division_it = [
        p for p in government.people if p.agency_id == government.big_division.id and p.position_line.code == IT_LINE
    ]
    # 71001's own IT people: 6 agreed plans; its division 7100101: 2 (a small count, to be withheld).
    for person in own_it[:6] + division_it[:2]:
        idp = create_idp(person, FISCAL_YEAR, None, None)
        add_goal(idp, competency(standard, "DL-01"), 1, None, None)
        idp.state = IdpState.AGREED
    db.session.flush()  # the feed's request reads through its own session

    published = by_code(feed(gdx_get, population="it"))
    totals = idp_group_totals(FISCAL_YEAR, [government.ministry])
    ids = {
        government.ministry.code: government.ministry.id,
        "71001": government.big.id,
        "7100101": government.big_division.id,
        "71002": government.other.id,
    }
    division = published["7100101"]
    assert division["idp"]["agreed"] is None and "idp_agreed" in division["suppressed_figures"]
    shown = 0
    for code, record in published.items():
        if record["idp"]["agreed"] is not None:
            assert record["idp"]["agreed"] == totals[ids[code]][PersonnelGroup.IT].agreed
            shown += 1
        else:
            assert "idp_agreed" in record["suppressed_figures"]
    assert shown >= 2  # the ministry (8) and department 71002 (0) at least
    assert published["71"]["idp"]["agreed"] == 8
    text = str(published)
    assert all(p.first_name_th not in text for p in government.people)
