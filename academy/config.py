"""Configuration, read once from ``ACADEMY_*`` environment variables."""

from __future__ import annotations

import os
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from academy.inputs import parse_int

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

#: Where development keeps the key it generated on its first run (never in the repository).
SECRET_KEY_FILE = "secret_key"
#: Production refuses a key shorter than this many bytes.
MIN_SECRET_KEY_BYTES = 32
#: Keys that have been public (this repository's old development key, the tests' and the docs'
#: examples): whoever knows one can sign a session, so production refuses them whatever their length.
KNOWN_DEVELOPMENT_KEYS = frozenset(
    {"development-only-not-secret", "test-secret-key", "change-me", "changeme", "secret", "dev", "development"}
)
#: Rate-limit stores that count in one process only: with several workers each counts on its own.
_PER_PROCESS_STORAGE = ("memory://", "")


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


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    value = parse_int(raw, low, high)
    if value is None:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return value


def _development_secret(instance_dir: Path) -> str:
    """The key under ``instance/``, generated at random on the first run and reused after."""
    path = instance_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Readable by its owner only; written once, so two processes starting together agree on the first.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip() or key
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


def _secret_key(env: Mapping[str, str], mode: str, instance_dir: Path) -> str:
    secret = env.get("ACADEMY_SECRET_KEY", "")
    if mode == "production":
        if not secret.strip():
            raise ConfigError("ACADEMY_SECRET_KEY is required when ACADEMY_ENV=production")
        if secret.strip() in KNOWN_DEVELOPMENT_KEYS:
            raise ConfigError("ACADEMY_SECRET_KEY is a public development key; generate one of your own")
        if len(secret.strip().encode("utf-8")) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(f"ACADEMY_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes in production")
        return secret
    if secret.strip():
        return secret
    if mode == "development":
        return _development_secret(instance_dir)
    # Testing without a key: one for this process only (nothing is written).
    return secrets.token_urlsafe(48)


def _development_base_url(env: Mapping[str, str]) -> str:
    """The address ``flask run`` serves on (its port from FLASK_RUN_PORT, as `make run PORT=...` sets it)."""
    port = env.get("FLASK_RUN_PORT", "").strip() or "5000"
    number = parse_int(port, 1, 65535)
    if number is None:
        raise ConfigError(f"FLASK_RUN_PORT must be a port number, not {port!r}")
    return f"http://127.0.0.1:{number}"


#: Seconds a kept build of the GDX feed serves new reads, outside tests (ACADEMY_GDX_FEED_MAX_AGE).
FEED_MAX_AGE = 300


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
    #: Bangkok time of the daily push (a beat schedule, jobs/), HH:MM.
    push_at: str = "02:00"
    token_idle_minutes: float = 60.0
    #: The contact the dataset's metadata names.
    maintainer_email: str = ""
    #: Seconds a kept build of the feed of every agency serves new reads (0: every read builds).
    feed_max_age: int = FEED_MAX_AGE

    @classmethod
    def from_environ(cls, env: Mapping[str, str], mode: str = "development") -> GdxSettings:
        push_at = env.get("ACADEMY_GDX_PUSH_AT", "02:00").strip()
        hours, _sep, minutes = push_at.partition(":")
        if parse_int(hours, 0, 23) is None or parse_int(minutes, 0, 59) is None:
            raise ConfigError(f"ACADEMY_GDX_PUSH_AT must be a Bangkok time HH:MM, not {push_at!r}")
        concurrency_text = env.get("ACADEMY_GDX_CONCURRENCY", "4").strip()
        concurrency_value = parse_int(concurrency_text, 1, 64)
        if concurrency_value is None:
            raise ConfigError(f"ACADEMY_GDX_CONCURRENCY must be a whole number from 1 to 64, not {concurrency_text!r}")
        concurrency = concurrency_value
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
            # Tests change data and read the feed again at once: there, every read builds.
            feed_max_age=_whole_number(
                env, "ACADEMY_GDX_FEED_MAX_AGE", 0 if mode == "testing" else FEED_MAX_AGE, 0, 24 * 3600
            ),
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
class Cmi5Settings:
    """cmi5 packages (courses/cmi5): where their files live, how large they may unpack, idle sessions."""

    #: Unpacked package files, one folder per package (course id).
    storage_dir: str = str(INSTANCE_DIR / "cmi5")
    #: A package's files together, and any one file, unpacked (MB); and the largest compression
    #: ratio (unpacked : packed) of the package and of any file over 1 MB: a ZIP bomb is refused.
    max_package_mb: float = 512.0
    max_file_mb: float = 256.0
    max_ratio: float = 100.0
    #: A session with no statement for this long is abandoned by ``academy cmi5-abandon-idle``.
    idle_hours: float = 24.0

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Cmi5Settings:
        return cls(
            storage_dir=env.get("ACADEMY_CMI5_STORAGE_DIR", "").strip() or cls.storage_dir,
            max_package_mb=_positive(env, "ACADEMY_CMI5_MAX_PACKAGE_MB", cls.max_package_mb),
            max_file_mb=_positive(env, "ACADEMY_CMI5_MAX_FILE_MB", cls.max_file_mb),
            max_ratio=_positive(env, "ACADEMY_CMI5_MAX_RATIO", cls.max_ratio),
            idle_hours=_positive(env, "ACADEMY_CMI5_IDLE_HOURS", cls.idle_hours),
        )

    def flask_config(self) -> dict[str, Any]:
        return {f"ACADEMY_CMI5_{name.upper()}": value for name, value in self.__dict__.items()}


#: The identity key of development and tests: fixed, public, refused in production.
DEVELOPMENT_IDENTITY_KEY = "development-identity-key-not-secret"
#: The claim that carries the citizen ID, by provider name, when ACADEMY_OIDC_<NAME>_ID_CLAIM is not set.
_KNOWN_ID_CLAIMS = {"thaid": "pid", "digitalid": "citizen_id"}
_KNOWN_SCOPES = {
    "thaid": "openid pid given_name family_name",
    "digitalid": "openid citizen_id given_name family_name",
}
_OIDC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _identity_key(env: Mapping[str, str], mode: str) -> str:
    """The key of the citizen-ID hashes (academy/org/identity.py): changing it means re-importing people."""
    key = env.get("ACADEMY_IDENTITY_KEY", "").strip()
    if mode == "production":
        if not key:
            raise ConfigError("ACADEMY_IDENTITY_KEY is required when ACADEMY_ENV=production")
        if key == DEVELOPMENT_IDENTITY_KEY or key in KNOWN_DEVELOPMENT_KEYS:
            raise ConfigError("ACADEMY_IDENTITY_KEY is a public development key; generate one of your own")
        if len(key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(f"ACADEMY_IDENTITY_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes in production")
    return key or DEVELOPMENT_IDENTITY_KEY


def _words(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", text.strip()) if part)


@dataclass(frozen=True)
class OidcProviderSettings:
    """One OpenID Connect provider (academy/auth/oidc), from ``ACADEMY_OIDC_<NAME>_*``."""

    name: str
    #: The issuer; its discovery document is <issuer>/.well-known/openid-configuration.
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: tuple[str, ...] = ("openid",)
    #: The claim carrying the 13-digit citizen ID ("pid" for ThaID, "citizen_id" for DGA Digital ID);
    #: empty for a provider whose people are matched by their email (then email_domains is required).
    id_claim: str = ""
    label_th: str = ""
    label_en: str = ""
    #: Extra headers of the token request (ThaID asks for an API key), "Name: value" pairs.
    token_headers: tuple[tuple[str, str], ...] = ()
    #: The email domains whose people this provider may sign in (matched by the email claim).
    email_domains: tuple[str, ...] = ()
    #: ``amr`` or ``acr`` values by which the provider says it used a second factor.
    mfa_amr: tuple[str, ...] = ()
    #: Seconds to wait for the provider (discovery, token, keys).
    timeout: float = 10.0
    #: Endpoints given by hand, for a provider without a discovery document (then authorize_url,
    #: token_url and jwks_uri are all required); empty: read from the discovery document.
    authorize_url: str = ""
    token_url: str = ""
    jwks_uri: str = ""
    userinfo_url: str = ""
    end_session_url: str = ""

    @classmethod
    def from_environ(cls, env: Mapping[str, str], name: str) -> OidcProviderSettings:
        prefix = f"ACADEMY_OIDC_{name.upper()}_"

        def get(key: str, default: str = "") -> str:
            return env.get(prefix + key, default).strip()

        issuer = get("ISSUER").rstrip("/")
        if urllib.parse.urlsplit(issuer).scheme not in {"http", "https"}:
            raise ConfigError(f"{prefix}ISSUER must be the provider's http(s) issuer URL, not {issuer!r}")
        if not get("CLIENT_ID"):
            raise ConfigError(f"{prefix}CLIENT_ID is required")
        headers = []
        for pair in filter(None, (part.strip() for part in get("TOKEN_HEADERS").split(";"))):
            header, sep, value = pair.partition(":")
            if not sep or not header.strip():
                raise ConfigError(f"{prefix}TOKEN_HEADERS must be 'Name: value' pairs separated by ';'")
            headers.append((header.strip(), value.strip()))
        scopes = _words(get("SCOPES") or _KNOWN_SCOPES.get(name, "openid email"))
        if "openid" not in scopes:
            scopes = ("openid", *scopes)
        id_claim = get("ID_CLAIM", _KNOWN_ID_CLAIMS.get(name, ""))
        domains = tuple(domain.lower().lstrip("@") for domain in _words(get("EMAIL_DOMAINS")))
        if not id_claim and not domains:
            raise ConfigError(f"{prefix}ID_CLAIM or {prefix}EMAIL_DOMAINS is required: how are people matched?")
        endpoints = {key: get(key.upper()) for key in ("authorize_url", "token_url", "jwks_uri")}
        if any(endpoints.values()) and not all(endpoints.values()):
            raise ConfigError(f"{prefix}AUTHORIZE_URL, {prefix}TOKEN_URL and {prefix}JWKS_URI go together")
        label = name.replace("_", " ").title() if name not in {"thaid", "digitalid"} else ""
        return cls(
            name=name,
            issuer=issuer,
            client_id=get("CLIENT_ID"),
            client_secret=get("CLIENT_SECRET"),
            scopes=scopes,
            id_claim=id_claim,
            label_th=get("LABEL_TH") or {"thaid": "ThaID", "digitalid": "DGA Digital ID"}.get(name, label),
            label_en=get("LABEL_EN") or {"thaid": "ThaID", "digitalid": "DGA Digital ID"}.get(name, label),
            token_headers=tuple(headers),
            email_domains=domains,
            mfa_amr=_words(get("MFA_AMR")),
            timeout=_positive(env, prefix + "TIMEOUT", 10.0),
            userinfo_url=get("USERINFO_URL"),
            end_session_url=get("END_SESSION_URL"),
            **endpoints,
        )

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def _oidc_providers(env: Mapping[str, str]) -> tuple[OidcProviderSettings, ...]:
    names = [name.lower() for name in _words(env.get("ACADEMY_OIDC_PROVIDERS", ""))]
    for name in names:
        if not _OIDC_NAME.match(name):
            raise ConfigError(f"ACADEMY_OIDC_PROVIDERS: {name!r} is not a name (a-z, 0-9, _; 32 at most)")
    if len(set(names)) != len(names):
        raise ConfigError("ACADEMY_OIDC_PROVIDERS names a provider twice")
    return tuple(OidcProviderSettings.from_environ(env, name) for name in names)


@dataclass(frozen=True)
class MailSettings:
    """Outgoing email (academy.mail): the SMTP server and the sender; none in development means the log."""

    server: str = ""
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str = ""
    password: str = ""
    sender: str = "E-Workforce Academy <no-reply@localhost>"
    timeout: float = 10.0

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> MailSettings:
        use_tls = _flag(env.get("ACADEMY_MAIL_USE_TLS"))
        use_ssl = _flag(env.get("ACADEMY_MAIL_USE_SSL"))
        if use_tls and use_ssl:
            raise ConfigError("set ACADEMY_MAIL_USE_TLS (STARTTLS) or ACADEMY_MAIL_USE_SSL (implicit TLS), not both")
        return cls(
            server=env.get("ACADEMY_MAIL_SERVER", "").strip(),
            port=_whole_number(env, "ACADEMY_MAIL_PORT", 465 if use_ssl else (587 if use_tls else 25), 1, 65535),
            use_tls=use_tls,
            use_ssl=use_ssl,
            username=env.get("ACADEMY_MAIL_USERNAME", "").strip(),
            password=env.get("ACADEMY_MAIL_PASSWORD", ""),
            sender=env.get("ACADEMY_MAIL_SENDER", "").strip() or cls.sender,
            timeout=_positive(env, "ACADEMY_MAIL_TIMEOUT", cls.timeout),
        )

    def flask_config(self, mode: str) -> dict[str, Any]:
        """Flask-Mailman's settings; without a server: the log in development, memory in tests, localhost:25 else."""
        if self.server:
            backend = "smtp"
        elif mode == "development":
            backend = "academy.mail.LogEmailBackend"
        elif mode == "testing":
            backend = "locmem"
        else:
            backend = "smtp"
        return {
            "MAIL_BACKEND": backend,
            "MAIL_SERVER": self.server or "localhost",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": self.use_tls,
            "MAIL_USE_SSL": self.use_ssl,
            "MAIL_USERNAME": self.username or None,
            "MAIL_PASSWORD": self.password or None,
            "MAIL_DEFAULT_SENDER": self.sender,
            "MAIL_TIMEOUT": self.timeout,
        }


@dataclass(frozen=True)
class JobsSettings:
    """Background work (jobs/): the Celery broker, where job files live, how long download links last."""

    #: The embedded default needs nothing installed: kombu's SQLAlchemy transport on a SQLite
    #: file beside the database (one machine only, README). Production: redis://host:6379/0
    #: (or amqp://user:password@host:5672//).
    broker_url: str = f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.sqlite3'}"
    #: Celery's own result store: none by default, the job table is what users see.
    result_backend: str = ""
    #: Redis: seconds before a message a worker took and never acknowledged (the worker died)
    #: is delivered again. Longer than any task's run, or a running task is delivered twice
    #: (which the job lock turns into a wait, not a second run).
    visibility_timeout: float = 3600.0
    #: Redis: a prefix for every key the broker uses (several platforms, or tests, on one server).
    key_prefix: str = ""
    #: The queue the tasks go to and the workers read (several platforms on one RabbitMQ).
    queue: str = "academy"
    #: Uploaded files, results to download and (on SQLite) progress of running jobs.
    storage_dir: str = str(INSTANCE_DIR / "jobs")
    #: How long a download link works, in minutes.
    download_minutes: float = 60.0
    #: A running job whose worker has said nothing for this long is sent to the workers again.
    stale_seconds: float = 300.0
    #: The largest import file the upload page accepts, in MB (the rest of the site keeps 64 MB).
    max_upload_mb: float = 512.0
    #: Report exports above this many people are queued as jobs; smaller ones answer at once.
    export_threshold: int = 5000
    #: Retries of a job whose cause may pass (database, SMTP, GDX away), and the first pause
    #: (seconds; doubling each time, with jitter, up to 10 minutes) before the first retry.
    max_retries: int = 12
    retry_base_seconds: float = 2.0
    #: Finished jobs' files (results, uploads) older than this many days are deleted by beat.
    keep_days: int = 14
    #: Diagnostics and tests: beat sends a no-op job every this many seconds, on the clock's
    #: multiples (every beat at the same moments), one per slot; 0: off.
    probe_seconds: int = 0
    #: The hourly notifications job makes the due rows, then hands the mailing to this many
    #: partition jobs (user id modulo N) that the workers take side by side; 1: it mails them itself.
    notification_partitions: int = 1

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> JobsSettings:
        return cls(
            broker_url=env.get("ACADEMY_CELERY_BROKER_URL", "").strip() or cls.broker_url,
            result_backend=env.get("ACADEMY_CELERY_RESULT_BACKEND", "").strip(),
            visibility_timeout=_positive(env, "ACADEMY_CELERY_VISIBILITY_TIMEOUT", cls.visibility_timeout),
            key_prefix=env.get("ACADEMY_CELERY_KEY_PREFIX", "").strip(),
            queue=env.get("ACADEMY_CELERY_QUEUE", "").strip() or cls.queue,
            storage_dir=env.get("ACADEMY_JOBS_STORAGE_DIR", "").strip() or cls.storage_dir,
            download_minutes=_positive(env, "ACADEMY_JOBS_DOWNLOAD_MINUTES", cls.download_minutes),
            stale_seconds=_positive(env, "ACADEMY_JOBS_STALE_SECONDS", cls.stale_seconds),
            max_upload_mb=_positive(env, "ACADEMY_JOBS_MAX_UPLOAD_MB", cls.max_upload_mb),
            export_threshold=_whole_number(env, "ACADEMY_JOBS_EXPORT_THRESHOLD", cls.export_threshold, 0, 10**9),
            max_retries=_whole_number(env, "ACADEMY_JOBS_MAX_RETRIES", cls.max_retries, 0, 100),
            retry_base_seconds=_positive(env, "ACADEMY_JOBS_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            keep_days=_whole_number(env, "ACADEMY_JOBS_KEEP_DAYS", cls.keep_days, 1, 36500),
            probe_seconds=_whole_number(env, "ACADEMY_JOBS_PROBE_SECONDS", cls.probe_seconds, 0, 86400),
            notification_partitions=_whole_number(
                env, "ACADEMY_JOBS_NOTIFICATION_PARTITIONS", cls.notification_partitions, 1, 256
            ),
        )

    def flask_config(self) -> dict[str, Any]:
        celery = {"broker_url", "result_backend", "visibility_timeout", "key_prefix", "queue"}
        return {
            f"ACADEMY_{'CELERY' if name in celery else 'JOBS'}_{name.upper()}": value
            for name, value in self.__dict__.items()
        }


@dataclass(frozen=True)
class Settings:
    """Every setting the platform reads, with its environment variable in the docs."""

    env: str = "development"
    database_url: str = ""
    #: A streaming replica for reports, exports, the GDX feed and REST reads (academy.replica).
    database_replica_url: str = ""
    #: A caller who wrote within this many seconds reads from the primary (read-your-own-writes).
    replica_sticky_seconds: int = 5
    #: While the replica is further behind than this (seconds), everyone reads from the primary.
    replica_max_lag_seconds: int = 5
    #: *My data* of a person with more statements than this is prepared as a background job.
    my_data_job_threshold: int = 2000
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    default_locale: str = "th"
    ratelimit_storage_uri: str = "memory://"
    ratelimit_key_prefix: str = "academy"
    #: Failed sign-ins allowed from one address at one account, and at one account from anywhere.
    login_rate_limit: str = "10 per minute"
    login_account_rate_limit: str = "30 per minute"
    api_rate_limit: str = "600 per minute"
    #: "Forgot password" requests from one address, and for one email.
    password_reset_rate_limit: str = "5 per 15 minutes"
    #: Wrong second-factor codes allowed per user (a TOTP code is 1 in a million).
    second_factor_rate_limit: str = "5 per 5 minutes; 20 per day"
    secure_cookies: bool = False
    demo_password: str = "demo-academy-2569"
    #: How many proxies in front of the app set X-Forwarded-For/-Proto (0: trust none).
    proxy_count: int = 0
    #: A signed-in session without remember-me ends after this many hours, with it after the days.
    session_hours: int = 12
    remember_days: int = 30
    #: Admins and HR officers are signed out after this many idle minutes.
    privileged_idle_minutes: int = 30
    #: How long a form's CSRF token is accepted, in seconds.
    csrf_time_limit: int = 7200
    #: Seconds a SQLite transaction waits for the write lock before giving up (503).
    sqlite_busy_timeout: float = 10.0
    gdx: GdxSettings = field(default_factory=GdxSettings)
    cmi5: Cmi5Settings = field(default_factory=Cmi5Settings)
    mail: MailSettings = field(default_factory=MailSettings)
    #: The key of the citizen-ID hashes (HMAC-SHA-256); required in production.
    identity_key: str = DEVELOPMENT_IDENTITY_KEY
    #: The OpenID Connect providers people may sign in with, in the order their buttons appear.
    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    jobs: JobsSettings = field(default_factory=JobsSettings)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, instance_dir: Path = INSTANCE_DIR) -> Settings:
        """Build settings from the environment (``os.environ`` by default)."""
        env = dict(os.environ if environ is None else environ)
        mode = env.get("ACADEMY_ENV", "development").strip().lower()
        if mode not in {"development", "production", "testing"}:
            raise ConfigError(f"ACADEMY_ENV must be development, production or testing, not {mode!r}")
        secret = _secret_key(env, mode, instance_dir)
        storage = env.get("ACADEMY_RATELIMIT_STORAGE_URI", "memory://").strip()
        if mode == "production" and storage in _PER_PROCESS_STORAGE:
            # Each gunicorn worker would count on its own: the limits would multiply by the workers.
            raise ConfigError(
                "ACADEMY_RATELIMIT_STORAGE_URI must be a shared store (redis://host:6379) in production, not memory://"
            )
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
            database_replica_url=env.get("ACADEMY_DATABASE_REPLICA_URL", "").strip(),
            replica_sticky_seconds=_whole_number(env, "ACADEMY_REPLICA_STICKY_SECONDS", 5, 0, 3600),
            replica_max_lag_seconds=_whole_number(env, "ACADEMY_REPLICA_MAX_LAG_SECONDS", 5, 0, 3600),
            my_data_job_threshold=_whole_number(env, "ACADEMY_MY_DATA_JOB_THRESHOLD", 2000, 0, 10**9),
            secret_key=secret,
            base_url=base_url,
            default_locale=locale,
            ratelimit_storage_uri=storage or "memory://",
            ratelimit_key_prefix=env.get("ACADEMY_RATELIMIT_KEY_PREFIX", "academy").strip(),
            login_rate_limit=env.get("ACADEMY_LOGIN_RATE_LIMIT", "10 per minute"),
            login_account_rate_limit=env.get("ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT", "30 per minute"),
            api_rate_limit=env.get("ACADEMY_API_RATE_LIMIT", "600 per minute"),
            password_reset_rate_limit=env.get("ACADEMY_PASSWORD_RESET_RATE_LIMIT", "").strip()
            or cls.password_reset_rate_limit,
            second_factor_rate_limit=env.get("ACADEMY_SECOND_FACTOR_RATE_LIMIT", "").strip()
            or cls.second_factor_rate_limit,
            secure_cookies=_flag(env.get("ACADEMY_SECURE_COOKIES"), default=mode == "production"),
            proxy_count=_whole_number(env, "ACADEMY_PROXY_COUNT", 0, 0, 10),
            session_hours=_whole_number(env, "ACADEMY_SESSION_HOURS", 12, 1, 24 * 7),
            remember_days=_whole_number(env, "ACADEMY_REMEMBER_DAYS", 30, 1, 90),
            privileged_idle_minutes=_whole_number(env, "ACADEMY_PRIVILEGED_IDLE_MINUTES", 30, 1, 24 * 60),
            csrf_time_limit=_whole_number(env, "ACADEMY_CSRF_TIME_LIMIT", 7200, 60, 7 * 24 * 3600),
            sqlite_busy_timeout=_positive(env, "ACADEMY_SQLITE_BUSY_TIMEOUT", 10.0),
            gdx=GdxSettings.from_environ(env, mode),
            cmi5=Cmi5Settings.from_environ(env),
            mail=MailSettings.from_environ(env),
            identity_key=_identity_key(env, mode),
            oidc_providers=_oidc_providers(env),
            jobs=JobsSettings.from_environ(env),
        )

    def flask_config(self) -> dict[str, Any]:
        """Return the Flask and extension settings derived from these settings."""
        return {
            "ACADEMY_ENV": self.env,
            "ACADEMY_BASE_URL": self.base_url,
            "ACADEMY_DEMO_PASSWORD": self.demo_password,
            "ACADEMY_LOGIN_RATE_LIMIT": self.login_rate_limit,
            "ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT": self.login_account_rate_limit,
            "ACADEMY_PROXY_COUNT": self.proxy_count,
            "ACADEMY_SESSION_HOURS": self.session_hours,
            "ACADEMY_REMEMBER_DAYS": self.remember_days,
            "ACADEMY_PRIVILEGED_IDLE_MINUTES": self.privileged_idle_minutes,
            "ACADEMY_API_RATE_LIMIT": self.api_rate_limit,
            "ACADEMY_PASSWORD_RESET_RATE_LIMIT": self.password_reset_rate_limit,
            "ACADEMY_SECOND_FACTOR_RATE_LIMIT": self.second_factor_rate_limit,
            "ACADEMY_SQLITE_BUSY_TIMEOUT": self.sqlite_busy_timeout,
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "testing",
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "ACADEMY_DATABASE_REPLICA_URL": self.database_replica_url,
            "ACADEMY_REPLICA_STICKY_SECONDS": self.replica_sticky_seconds,
            "ACADEMY_REPLICA_MAX_LAG_SECONDS": self.replica_max_lag_seconds,
            "ACADEMY_MY_DATA_JOB_THRESHOLD": self.my_data_job_threshold,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": "Asia/Bangkok",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_KEY_PREFIX": self.ratelimit_key_prefix,
            "RATELIMIT_HEADERS_ENABLED": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_NAME": "academy_remember",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "WTF_CSRF_TIME_LIMIT": self.csrf_time_limit,
            "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
            "ACADEMY_IDENTITY_KEY": self.identity_key,
            "ACADEMY_OIDC_PROVIDERS": self.oidc_providers,
            **self.gdx.flask_config(),
            **self.cmi5.flask_config(),
            **self.mail.flask_config(self.env),
            **self.jobs.flask_config(),
            **self.extra,
        }
