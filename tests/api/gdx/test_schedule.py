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


def test_the_feed_max_age_is_five_minutes_but_0_in_tests_and_checked() -> None:
    assert GdxSettings.from_environ({}).feed_max_age == 300
    assert GdxSettings.from_environ({}, "production").feed_max_age == 300
    assert GdxSettings.from_environ({}, "testing").feed_max_age == 0  # tests change data and read again at once
    assert GdxSettings.from_environ({"ACADEMY_GDX_FEED_MAX_AGE": "60"}, "testing").feed_max_age == 60
    for value in ("-1", "soon", "86401"):
        with pytest.raises(ConfigError, match="ACADEMY_GDX_FEED_MAX_AGE"):
            GdxSettings.from_environ({"ACADEMY_GDX_FEED_MAX_AGE": value})
