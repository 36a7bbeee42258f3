"""Configuration, read once from ``ACADEMY_*`` environment variables."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

#: Used only when ACADEMY_ENV=development and no key is given; never in production.
_DEVELOPMENT_SECRET = "development-only-not-secret"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, not {raw!r}")
    return value


def _development_base_url(env: Mapping[str, str]) -> str:
    """The address ``flask run`` serves on (its port from FLASK_RUN_PORT, as `make run PORT=...` sets it)."""
    port = env.get("FLASK_RUN_PORT", "").strip() or "5000"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"FLASK_RUN_PORT must be a port number, not {port!r}")
    return f"http://127.0.0.1:{int(port)}"


@dataclass(frozen=True)
class GdxSettings:
    """The GDX feed and push (api/gdx): our account at GDX and how patiently to deliver."""

    ingest_url: str = ""
    #: Our account at GDX: a Consumer-Key and either a fixed Token, or the secret (and
    #: agent id) that the validate URL exchanges for one. Never in the repository.
    consumer_key: str = ""
    token: str = ""
    validate_url: str = ""
    consumer_secret: str = ""
    agent_id: str = ""
    timeout: float = 10.0
    retry_base: float = 2.0
    retry_max: float = 900.0
    #: Requests to GDX in flight at once.
    concurrency: int = 4
    #: Bangkok time of the daily push (gdx-schedule), HH:MM.
    push_at: str = "02:00"
    token_idle_minutes: float = 60.0
    #: The contact the dataset's metadata names.
    maintainer_email: str = ""

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> GdxSettings:
        push_at = env.get("ACADEMY_GDX_PUSH_AT", "02:00").strip()
        hours, _sep, minutes = push_at.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ConfigError(f"ACADEMY_GDX_PUSH_AT must be a Bangkok time HH:MM, not {push_at!r}")
        concurrency_text = env.get("ACADEMY_GDX_CONCURRENCY", "4").strip()
        if not concurrency_text.isdigit() or not 1 <= int(concurrency_text) <= 64:
            raise ConfigError(f"ACADEMY_GDX_CONCURRENCY must be a whole number from 1 to 64, not {concurrency_text!r}")
        concurrency = int(concurrency_text)
        return cls(
            ingest_url=env.get("ACADEMY_GDX_INGEST_URL", "").strip(),
            consumer_key=env.get("ACADEMY_GDX_CONSUMER_KEY", "").strip(),
            token=env.get("ACADEMY_GDX_TOKEN", "").strip(),
            validate_url=env.get("ACADEMY_GDX_VALIDATE_URL", "").strip(),
            consumer_secret=env.get("ACADEMY_GDX_CONSUMER_SECRET", "").strip(),
            agent_id=env.get("ACADEMY_GDX_AGENT_ID", "").strip(),
            timeout=_positive(env, "ACADEMY_GDX_TIMEOUT", 10.0),
            retry_base=_positive(env, "ACADEMY_GDX_RETRY_BASE", 2.0),
            retry_max=_positive(env, "ACADEMY_GDX_RETRY_MAX", 900.0),
            concurrency=concurrency,
            push_at=f"{int(hours):02d}:{int(minutes):02d}",
            token_idle_minutes=_positive(env, "ACADEMY_GDX_TOKEN_IDLE_MINUTES", 60.0),
            maintainer_email=env.get("ACADEMY_GDX_MAINTAINER_EMAIL", "").strip(),
        )

    def flask_config(self) -> dict[str, Any]:
        return {f"ACADEMY_GDX_{name.upper()}": value for name, value in self.__dict__.items()}

    @classmethod
    def from_flask_config(cls, config: Mapping[str, Any]) -> GdxSettings:
        """The settings back from an app's config (what ``flask_config`` put there, or a test's override)."""
        keys = {item.name: f"ACADEMY_GDX_{item.name.upper()}" for item in fields(cls)}
        return cls(**{name: config[key] for name, key in keys.items() if key in config})

    def push_problems(self) -> list[str]:
        """What is missing before the push can send anything (empty when ready)."""
        found = []
        if urllib.parse.urlsplit(self.ingest_url).scheme not in {"http", "https"}:
            found.append("ACADEMY_GDX_INGEST_URL must be an http(s) URL")
        if not self.consumer_key:
            found.append("ACADEMY_GDX_CONSUMER_KEY is not set")
        if not self.token and not (self.validate_url and self.consumer_secret):
            found.append("set ACADEMY_GDX_TOKEN, or ACADEMY_GDX_VALIDATE_URL and ACADEMY_GDX_CONSUMER_SECRET")
        return found


@dataclass(frozen=True)
class Settings:
    """Every setting the platform reads, with its environment variable in the docs."""

    env: str = "development"
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    default_locale: str = "th"
    ratelimit_storage_uri: str = "memory://"
    login_rate_limit: str = "10 per minute"
    api_rate_limit: str = "600 per minute"
    secure_cookies: bool = False
    demo_password: str = "demo1234"
    #: Seconds a SQLite transaction waits for the write lock before giving up (503).
    sqlite_busy_timeout: float = 10.0
    gdx: GdxSettings = field(default_factory=GdxSettings)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment (``os.environ`` by default)."""
        env = dict(os.environ if environ is None else environ)
        mode = env.get("ACADEMY_ENV", "development").strip().lower()
        if mode not in {"development", "production", "testing"}:
            raise ConfigError(f"ACADEMY_ENV must be development, production or testing, not {mode!r}")
        secret = env.get("ACADEMY_SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise ConfigError("ACADEMY_SECRET_KEY is required when ACADEMY_ENV=production")
            secret = _DEVELOPMENT_SECRET
        base_url = env.get("ACADEMY_BASE_URL", "").strip().rstrip("/")
        if not base_url:
            if mode == "production":
                # Learners' xAPI identities and cmi5 launch URLs are made of it: no guessing.
                raise ConfigError("ACADEMY_BASE_URL (the public URL) is required when ACADEMY_ENV=production")
            base_url = _development_base_url(env)
        database_url = env.get("ACADEMY_DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'academy.sqlite3'}"
        locale = env.get("ACADEMY_DEFAULT_LOCALE", "th")
        if locale not in {"th", "en"}:
            raise ConfigError(f"ACADEMY_DEFAULT_LOCALE must be th or en, not {locale!r}")
        return cls(
            env=mode,
            database_url=database_url,
            secret_key=secret,
            base_url=base_url,
            default_locale=locale,
            ratelimit_storage_uri=env.get("ACADEMY_RATELIMIT_STORAGE_URI", "memory://"),
            login_rate_limit=env.get("ACADEMY_LOGIN_RATE_LIMIT", "10 per minute"),
            api_rate_limit=env.get("ACADEMY_API_RATE_LIMIT", "600 per minute"),
            secure_cookies=_flag(env.get("ACADEMY_SECURE_COOKIES"), default=mode == "production"),
            sqlite_busy_timeout=_positive(env, "ACADEMY_SQLITE_BUSY_TIMEOUT", 10.0),
            gdx=GdxSettings.from_environ(env),
        )

    def flask_config(self) -> dict[str, Any]:
        """Return the Flask and extension settings derived from these settings."""
        return {
            "ACADEMY_ENV": self.env,
            "ACADEMY_BASE_URL": self.base_url,
            "ACADEMY_DEMO_PASSWORD": self.demo_password,
            "ACADEMY_LOGIN_RATE_LIMIT": self.login_rate_limit,
            "ACADEMY_API_RATE_LIMIT": self.api_rate_limit,
            "ACADEMY_SQLITE_BUSY_TIMEOUT": self.sqlite_busy_timeout,
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "testing",
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": "Asia/Bangkok",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_HEADERS_ENABLED": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "WTF_CSRF_TIME_LIMIT": None,
            "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
            **self.gdx.flask_config(),
            **self.extra,
        }
