"""E-Workforce Academy: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from academy import inputs, replica
from academy.config import Settings
from academy.db import configure_sqlite
from academy.extensions import babel, csrf, db, limiter, login_manager, migrate
from academy.portal.views import register_error_pages

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
    _register_shell(app)
    _init_domains(app)
    # Last, so that no extension's app-wide handler (flask-smorest's JSON one) takes them over.
    register_error_pages(app)
    app.after_request(_security_headers)
    return app


def _init_domains(app: Flask) -> None:
    """The composition root: each domain registers its models, blueprints, commands, filters and projections.

    In order: the LRS hands each stored batch to the projections in the order they register
    (DESIGN.md, data flow 3): its own lock on the batch's people, then courses' enrolment
    progress and cmi5 satisfaction, then competencies' evidence.
    """
    import api.gdx
    import api.rest
    import competencies
    import courses
    import credentials
    import jobs
    import lrs

    lrs.init_app(app)
    courses.init_app(app)  # and courses.cmi5
    competencies.init_app(app)
    credentials.init_app(app)  # after competencies: issues and revokes from enrolments and attainment
    api.gdx.init_app(app)
    api.rest.init_app(app)
    jobs.init_app(app)


def select_locale() -> str:
    """The locale of this request: the user's switch, else their preference, else the default."""
    from flask import current_app, has_request_context

    if not has_request_context():  # a CLI command or a task: the platform's default
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
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
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    from academy import mail

    mail.init_app(app)

    from academy.auth.session_store import ServerSideSessionInterface, raise_if_unavailable

    app.session_interface = ServerSideSessionInterface()
    app.before_request(raise_if_unavailable)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    # Import the shell's models so that the user loader is complete; each domain's init_app imports its own.
    from academy.audit import models as _audit_models  # noqa: F401
    from academy.auth.models import User, signed_in_user_loading
    from academy.org import models as _org_models  # noqa: F401

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # Usually found without a query: the session's own lookup loaded the user (find_active_session).
        user = db.session.get(User, int(user_id), options=signed_in_user_loading())
        return user if user is not None and user.active else None


def _register_shell(app: Flask) -> None:
    """The shell's own pages and the ``flask academy`` group, to which each domain adds its commands."""
    from academy.audit.views import bp as audit_bp
    from academy.auth.views import bp as auth_bp
    from academy.cli import academy_cli
    from academy.org.views import bp as org_bp
    from academy.portal.views import bp as portal_bp

    for blueprint in (portal_bp, auth_bp, org_bp, audit_bp):
        app.register_blueprint(blueprint)
    from academy import privacy

    privacy.init_app(app)  # My data, corrections, erasure; domains add their tables in their init_app
    from academy.auth import oidc

    oidc.init_app(app)

    from academy import notifications

    notifications.init_app(app)  # the bell, the list, email choices; domains register their kinds
    app.cli.add_command(academy_cli)


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
