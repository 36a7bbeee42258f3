"""REST API helpers: the agency tree, the type of the api fixture, bearer headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.test import TestResponse

from academy.org.models import Agency

Api = Callable[..., TestResponse]


@dataclass(frozen=True)
class Tree:
    """Two ministries: A (with a department and a division beneath it) and B (with a department)."""

    ministry_a: Agency
    department_a: Agency
    division_a: Agency
    ministry_b: Agency
    department_b: Agency


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
