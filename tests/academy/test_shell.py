"""The application shell: configuration, health check, security headers, dates, language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from academy import create_app
from academy.auth.models import Role, User
from academy.config import ConfigError, Settings
from academy.dates import current_fiscal_year, fiscal_year_bounds, fiscal_year_of, format_be_date, parse_date, today
from academy.org.models import Agency, Person
from tests.support.app import make_settings


def test_production_requires_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="ACADEMY_SECRET_KEY"):
        Settings.from_environ({"ACADEMY_ENV": "production"})


PRODUCTION = {
    "ACADEMY_ENV": "production",
    "ACADEMY_SECRET_KEY": "q3J5-vR8mZ1pL0sK7tY2wX9cB4nH6fD-aE",
    "ACADEMY_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    "ACADEMY_BASE_URL": "https://academy.go.th",
    "ACADEMY_IDENTITY_KEY": "t7Kc-2wQ9xLm4Rb8Zp1vN6yH3sJ0fG5-dU",
}


def test_production_gets_secure_cookies_by_default() -> None:
    settings = Settings.from_environ(PRODUCTION)
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "is required"),
        ("   \t  ", "is required"),
        ("x" * 31, "at least 32 bytes"),
        (" " * 20 + "short-key" + " " * 20, "at least 32 bytes"),
        ("development-only-not-secret", "public development key"),
        ("test-secret-key", "public development key"),
    ],
)
def test_production_refuses_blank_short_and_public_keys(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_environ({**PRODUCTION, "ACADEMY_SECRET_KEY": key})


@pytest.mark.parametrize("storage", ["memory://", "", "  "])
def test_production_refuses_a_per_process_rate_limit_store(storage: str) -> None:
    with pytest.raises(ConfigError, match="ACADEMY_RATELIMIT_STORAGE_URI"):
        Settings.from_environ({**PRODUCTION, "ACADEMY_RATELIMIT_STORAGE_URI": storage})
    without = {name: value for name, value in PRODUCTION.items() if name != "ACADEMY_RATELIMIT_STORAGE_URI"}
    with pytest.raises(ConfigError, match="ACADEMY_RATELIMIT_STORAGE_URI"):
        Settings.from_environ(without)


def test_development_generates_a_key_under_instance_and_reuses_it(tmp_path: Path) -> None:
    first = Settings.from_environ({}, instance_dir=tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first.secret_key and len(first.secret_key) >= 48
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert Settings.from_environ({"ACADEMY_ENV": "development"}, instance_dir=tmp_path).secret_key == first.secret_key
    # Another checkout (another instance/) gets another key: no key is shared by default.
    other = Settings.from_environ({}, instance_dir=tmp_path / "other")
    assert other.secret_key != first.secret_key


def test_testing_without_a_key_writes_nothing(tmp_path: Path) -> None:
    settings = Settings.from_environ({"ACADEMY_ENV": "testing"}, instance_dir=tmp_path)
    assert len(settings.secret_key) >= 48 and not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("count", ["-1", "x", "11"])
def test_a_bad_proxy_count_is_refused(count: str) -> None:
    with pytest.raises(ConfigError, match="ACADEMY_PROXY_COUNT"):
        Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_PROXY_COUNT": count})


@pytest.mark.own_database
@pytest.mark.parametrize(("count", "seen"), [("", "10.0.0.1"), ("0", "10.0.0.1"), ("1", "203.0.113.7")])
def test_x_forwarded_for_is_trusted_only_from_the_configured_proxies(count: str, seen: str) -> None:
    app = create_app(settings=make_settings("sqlite://", ACADEMY_PROXY_COUNT=count))

    @app.get("/_address")
    def address() -> str:
        return request.remote_addr or ""

    client = app.test_client()
    # A client behind the proxy claims an address; the proxy (10.0.0.1) appends the one it saw.
    headers = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7"}
    assert client.get("/_address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == seen


def test_production_requires_a_base_url() -> None:
    # Learners' xAPI identities and cmi5 launch URLs are made of it: a guess would break them silently.
    with pytest.raises(ConfigError, match="ACADEMY_BASE_URL"):
        Settings.from_environ({name: value for name, value in PRODUCTION.items() if name != "ACADEMY_BASE_URL"})


@pytest.mark.parametrize(
    ("environ", "base_url"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"FLASK_RUN_PORT": "5001"}, "http://127.0.0.1:5001"),
        ({"ACADEMY_ENV": "testing", "FLASK_RUN_PORT": "8080"}, "http://127.0.0.1:8080"),
        ({"FLASK_RUN_PORT": "5001", "ACADEMY_BASE_URL": "https://dev.example.go.th/"}, "https://dev.example.go.th"),
    ],
)
def test_the_development_base_url_follows_the_port(environ: dict[str, str], base_url: str) -> None:
    assert Settings.from_environ(environ).base_url == base_url


def test_a_port_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ConfigError, match="FLASK_RUN_PORT"):
        Settings.from_environ({"FLASK_RUN_PORT": "50o1"})


def test_the_sqlite_busy_timeout_is_a_setting() -> None:
    assert Settings.from_environ({}).flask_config()["ACADEMY_SQLITE_BUSY_TIMEOUT"] == 10.0
    assert Settings.from_environ({"ACADEMY_SQLITE_BUSY_TIMEOUT": "2.5"}).sqlite_busy_timeout == 2.5
    with pytest.raises(ConfigError, match="ACADEMY_SQLITE_BUSY_TIMEOUT"):
        Settings.from_environ({"ACADEMY_SQLITE_BUSY_TIMEOUT": "0"})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="ACADEMY_ENV"):
        Settings.from_environ({"ACADEMY_ENV": "staging"})


def test_default_database_is_sqlite_under_instance(tmp_path: Path) -> None:
    settings = Settings.from_environ({}, instance_dir=tmp_path)
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("instance/academy.sqlite3")
    assert settings.default_locale == "th"


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.own_database
def test_healthz_answers_503_when_the_database_is_unreachable() -> None:
    # A PostgreSQL URL on a port where nothing listens: creating the app must not connect.
    broken = create_app(settings=make_settings("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    # A signed-in browser's cookie (its session is looked up in the database) changes nothing.
    browser = broken.test_client()
    browser.set_cookie("session", "A" * 43)
    response = browser.get("/healthz")
    assert response.status_code == 503 and "Set-Cookie" not in response.headers


def test_security_headers_are_sent(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_session_cookie_is_http_only(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2025, 9, 30), 2568), (date(2025, 10, 1), 2569), (date(2026, 9, 30), 2569), (date(2026, 10, 1), 2570)],
)
def test_fiscal_year_is_named_by_the_be_year_in_which_it_ends(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of(day) == fiscal_year


def test_fiscal_year_2569_runs_october_to_september() -> None:
    assert fiscal_year_bounds(2569) == (date(2025, 10, 1), date(2026, 9, 30))


def test_thai_dates_show_buddhist_era_years() -> None:
    assert format_be_date(date(2026, 11, 22), "th") == "22 พฤศจิกายน 2569"
    assert format_be_date(date(2026, 11, 22), "en") == "22 November 2026"


@pytest.mark.parametrize("text", ["2025-10-01", "2568-10-01", "01/10/2568", "01/10/2025"])
def test_parse_date_reads_ce_and_be_years(text: str) -> None:
    assert parse_date(text) == date(2025, 10, 1)


def test_pages_are_thai_by_default_and_english_by_switch(client: FlaskClient) -> None:
    assert "เข้าสู่ระบบ" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "เข้าสู่ระบบ" not in page


def test_language_switch_does_not_redirect_off_site(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_a_learner_sees_their_position_and_profile_with_be_dates(
    client: FlaskClient,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    person = make_person(make_agency(), line="K-COMP", level="K2")
    login(make_user(Role.LEARNER, person=person))
    page = client.get("/").get_data(as_text=True)
    assert "นักวิชาการคอมพิวเตอร์ชำนาญการ" in page
    assert person.agency.name_th in page
    assert f"ปีงบประมาณ {current_fiscal_year()}" in page
    assert str(today().year + 543) in page


def test_migrations_match_the_models() -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from academy.extensions import db

    # The test's own connection: on SQLite a second one would wait for the test's write lock.
    from lrs.partitions import include_name

    context = MigrationContext.configure(db.session.connection(), opts={"include_name": include_name})
    assert compare_metadata(context, db.metadata) == []


def test_timestamps_show_in_bangkok_time_with_be_dates() -> None:
    from datetime import UTC, datetime

    from academy.dates import format_be_datetime

    moment = datetime(2026, 9, 30, 20, 30, tzinfo=UTC)  # 03:30 on 1 October in Bangkok
    assert format_be_datetime(moment, "th") == "1 ต.ค. 2569 03:30:00"
    assert format_be_datetime(moment.replace(tzinfo=None), "en") == "1 Oct 2026 03:30:00"


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:Somchai@Example.GO.TH"}, "mbox:mailto:somchai@example.go.th"),
        (
            {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"},
            "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
        ),
        ({"openid": "https://openid.example.com/A"}, "openid:https://openid.example.com/A"),
        ({"account": {"name": "a b", "homePage": "https://x.example"}}, "account:https://x.example a b"),
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}, None),
    ],
)
def test_one_canonical_key_per_xapi_identifier(agent: dict[str, object], key: str | None) -> None:
    from academy.ifi import agent_key

    assert agent_key(agent) == key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACADEMY_PROXY_COUNT", "²"),
        ("ACADEMY_SESSION_HOURS", "١٢"),
        ("FLASK_RUN_PORT", "5²"),
        ("ACADEMY_GDX_CONCURRENCY", "³"),
        ("ACADEMY_GDX_PUSH_AT", "0²:00"),
    ],
)
def test_a_setting_with_digits_int_cannot_read_is_a_settings_error(name: str, value: str) -> None:
    # str.isdigit() admits "²" (int() refuses it) and int() reads Arabic-Indic digits: neither is a setting.
    with pytest.raises(ConfigError, match=name):
        Settings.from_environ({"ACADEMY_ENV": "testing", name: value})
