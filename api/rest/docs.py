"""``/api/docs``: the API's documentation page, Swagger UI served from our own assets."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint(
    "rest_docs",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
    url_prefix="/api/docs",
)


@bp.get("")
def docs() -> ResponseReturnValue:
    return make_response(render_template("api_rest/docs.html"))
