"""Competency fixtures: the seeded standard and an aligned activity."""

from __future__ import annotations

import pytest

from academy.db import db
from competencies.models import Alignment, Competency, Framework
from competencies.services.frameworks import seed_standard
from lrs.clients import NewClient
from tests.support.competencies import ACTIVITY, competency


@pytest.fixture
def standard() -> Framework:
    return seed_standard()


@pytest.fixture
def aligned(standard: Framework, provider: NewClient) -> Competency:
    """An external course aligned with the first Digital Governance competency at level 2, granted to
    the provider whose credentials xapi() sends."""
    target = competency(standard, "DG-01")
    db.session.add(
        Alignment(activity_id=ACTIVITY, competency_id=target.id, level=2, owner_client_id=provider.client.id)
    )
    db.session.flush()
    return target
