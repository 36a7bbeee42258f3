"""E-Workforce Academy: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from academy import inputs
from academy.config import Settings
from academy.db import configure_sqlite
from academy.extensions import babel, csrf, db, limiter, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR.parent / "migrations"
LOCALES = ("th", "en")


def create_app(config_override: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the application; nothing connects until a request or command needs it."""
    settings = settings or Settings.from_environ()
    app = Flask(__name__, instance_path=str(PACKAGE_DIR.parent / "instance"))
    app.config.from_mapping(settings.flask_config())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    if config_override:
        app.config.update(config_override)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = int(app.config.get("ACADEMY_PROXY_COUNT", 0))
    if proxies:
        # Trust X-Forwarded-For/-Proto only from the proxies we run; otherwise every user would
        # have the proxy's address (one rate limit for all), or anyone could pick their own.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    app.jinja_env.add_extension("jinja2.ext.do")
    inputs.init_app(app)  # first, so that its checks run before any other handler reads the request
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_statement_subscribers(app)
    app.after_request(_security_headers)
    return app


def select_locale() -> str:
    """The locale of this request: the user's switch, else their preference, else the default."""
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.preferred_locale in LOCALES:
        return str(current_user.preferred_locale)
    from flask import current_app

    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, busy_timeout=app.config["ACADEMY_SQLITE_BUSY_TIMEOUT"])
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from academy.auth.session_store import ServerSideSessionInterface, raise_if_unavailable

    app.session_interface = ServerSideSessionInterface()
    app.before_request(raise_if_unavailable)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    # Import models so that metadata and the user loader are complete.
    from academy.audit import models as _audit_models  # noqa: F401
    from academy.auth.models import User
    from academy.org import models as _org_models  # noqa: F401
    from api.gdx import models as _gdx_models  # noqa: F401
    from api.rest import models as _api_models  # noqa: F401
    from competencies import models as _competency_models  # noqa: F401
    from courses import models as _course_models  # noqa: F401
    from courses.cmi5 import models as _cmi5_models  # noqa: F401
    from lrs import models as _lrs_models  # noqa: F401

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None


def _register_blueprints(app: Flask) -> None:
    from academy.audit.views import bp as audit_bp
    from academy.auth.views import bp as auth_bp
    from academy.org.views import bp as org_bp
    from academy.portal.views import bp as portal_bp
    from competencies.reports.views import bp as reports_bp
    from competencies.views import bp as competencies_bp
    from courses.authoring_views import bp as course_admin_bp
    from courses.views import bp as courses_bp
    from lrs.admin import bp as lrs_admin_bp
    from lrs.views import bp as lrs_bp

    for blueprint in (portal_bp, auth_bp, org_bp, audit_bp, lrs_bp, lrs_admin_bp, competencies_bp, courses_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(reports_bp)  # HR reports, /reports
    # cmi5: the learner's units and launch, package files, the admins' import; the AU's fetch
    # URL is called by the AU's own page, with no session and so no CSRF token.
    from courses.cmi5.views import bp as cmi5_bp
    from courses.cmi5.views import fetch as cmi5_fetch

    app.register_blueprint(cmi5_bp)
    csrf.exempt(cmi5_fetch)
    app.register_blueprint(course_admin_bp)  # course authoring, /admin/courses
    # The LRS authenticates every request with client credentials, not a session cookie.
    csrf.exempt(lrs_bp)
    inputs.leave_body(app, lrs_bp.name)  # it reads the alternate syntax's form as the raw body
    # The GDX feed (/api/v1/gdx) authenticates with Consumer-Key and Token headers; its admin pages use CSRF.
    from api.gdx.admin import bp as gdx_admin_bp
    from api.gdx.views import bp as gdx_api_bp

    app.register_blueprint(gdx_api_bp)
    app.register_blueprint(gdx_admin_bp)
    csrf.exempt(gdx_api_bp)
    # The REST API (/api/v1, its OpenAPI document and pages); it exempts its token-authenticated blueprints.
    from api.rest.app import init_rest_api

    init_rest_api(app)


def _register_cli(app: Flask) -> None:
    from academy.cli import academy_cli
    from api.rest.cli import api_token_cli
    from lrs.cli import lrs_client_cli

    academy_cli.add_command(lrs_client_cli)
    academy_cli.add_command(api_token_cli)
    from courses.cmi5.cli import cmi5_abandon_idle_command

    academy_cli.add_command(cmi5_abandon_idle_command)
    from api.gdx.cli import commands as gdx_commands

    for command in gdx_commands:
        academy_cli.add_command(command)
    app.cli.add_command(academy_cli)


def _register_statement_subscribers(app: Flask) -> None:
    """The explicit list of what the LRS hands each stored batch to, in order (DESIGN.md, data flow 3)."""
    import competencies
    from academy.projections import lock_batch_people
    from competencies.services.evidence import record_statement_evidence
    from courses.cmi5.services.satisfaction import record_cmi5_statements
    from courses.cmi5.services.session import authenticate_session
    from courses.services.progress import record_course_progress
    from lrs.pipeline import register_subscriber
    from lrs.restrictions import register_authenticator

    # First the lock on the batch's people (academy.projections): no two batches project one person at once.
    for subscriber in (lock_batch_people, record_course_progress, record_cmi5_statements, record_statement_evidence):
        register_subscriber(app, subscriber)
    # cmi5 AU sessions: their one-time tokens are restricted LRS credentials.
    register_authenticator(app, authenticate_session)
    competencies.connect_org_events(app)  # org events (people, requirements changed) refresh standing


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        # Lessons may show https images and embed YouTube (no-cookie) or Vimeo players.
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
