"""The digital skill standard: frameworks, role requirements, evidence, attainment, gaps, coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def connect_org_events(app: Flask) -> None:
    """Refresh standing, for this app, when people or the requirements of their profiles change."""
    # Imported here: the package's modules import the shell (academy.projections), which imports
    # competencies.models; importing the services when the package loads would close that circle.
    from competencies.events import connect_org_events as connect

    connect(app)
