"""The GDX settings (the daily push itself is a beat schedule: tests/jobs/test_celery_app.py)."""

from __future__ import annotations

import pytest

from academy.config import ConfigError, GdxSettings


def test_gdx_settings_come_from_the_environment_and_are_checked() -> None:
    settings = GdxSettings.from_environ(
        {"ACADEMY_GDX_INGEST_URL": " https://gdx.example/ingest ", "ACADEMY_GDX_PUSH_AT": "3:5"}
    )
    assert settings.ingest_url == "https://gdx.example/ingest" and settings.push_at == "03:05"
    assert settings.flask_config()["ACADEMY_GDX_TOKEN_IDLE_MINUTES"] == 60.0
    for name, value in (
        ("ACADEMY_GDX_PUSH_AT", "noon"),
        ("ACADEMY_GDX_TIMEOUT", "0"),
        ("ACADEMY_GDX_TIMEOUT", "soon"),
        ("ACADEMY_GDX_CONCURRENCY", "0"),
    ):
        with pytest.raises(ConfigError, match=name):
            GdxSettings.from_environ({name: value})
