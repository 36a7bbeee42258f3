"""Verifiable credentials: Open Badges 3.0 and CLR 2.0, signed (eddsa-rdfc-2022), revocable, verifiable."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register credentials: models, pages, commands, and the projection that issues and revokes."""
    from credentials import models as _models  # noqa: F401
