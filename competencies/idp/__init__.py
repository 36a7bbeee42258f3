"""Individual development plans (แผนพัฒนารายบุคคล): each official's yearly plan, agreed with their supervisor.

Pages: the official's plan (``/me/idp``), a plan (``/idp/<id>``), the supervisor's team (``/team``),
HR's list of an agency's plans. The figures HR reports, the API and the GDX feed read come from
``competencies.idp.services.figures``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the IDP pages and template helpers."""
    from competencies.idp import models as _models  # noqa: F401
    from competencies.idp.views import bp

    app.register_blueprint(bp)
