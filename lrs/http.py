"""The xAPI view of an HTTP request: method, parameters, headers and body, after the
1.0.3 alternate request syntax (a form POST standing for another method) is unfolded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from flask import Request

from lrs.errors import XapiError

#: Headers that the alternate syntax may carry as form fields.
_FORM_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}


@dataclass
class XapiRequest:
    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    alternate: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        return self.params.get(name)

    def json_param(self, name: str) -> object | None:
        text = self.params.get(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise XapiError(f"the {name} parameter is not valid JSON") from None


def _single_values(multi: Mapping[str, list[str]], where: str) -> dict[str, str]:
    values = {}
    for key, items in multi.items():
        if len(items) != 1:
            raise XapiError(f"the {key} parameter appears {len(items)} times in the {where}")
        values[key] = items[0]
    return values


def read_request(request: Request) -> XapiRequest:
    """Build the xAPI request, unfolding the alternate syntax (POST ?method=...)."""
    headers = {key.lower(): value for key, value in request.headers.items()}
    query = _single_values(parse_qs(request.query_string.decode("utf-8", "replace"), keep_blank_values=True), "query")
    if request.method == "POST" and "method" in query:
        if set(query) != {"method"}:
            raise XapiError("with the alternate request syntax the query string holds only the method parameter")
        method = query["method"].upper()
        if method not in {"GET", "PUT", "POST", "DELETE", "HEAD"}:
            raise XapiError(f"the alternate request syntax does not allow method {method}")
        form_type = (request.mimetype or "").lower()
        if form_type != "application/x-www-form-urlencoded":
            raise XapiError("the alternate request syntax needs Content-Type application/x-www-form-urlencoded")
        form = _single_values(parse_qs(request.get_data().decode("utf-8"), keep_blank_values=True), "form")
        params: dict[str, str] = {}
        for key, value in form.items():
            if key.lower() in _FORM_HEADERS:
                headers[key.lower()] = value
                continue
            if key != "content":
                params[key] = value
        body = form.get("content", "").encode("utf-8")
        # The outer Content-Type is the form's; the content's own comes as a form field.
        content_type = next((v for k, v in form.items() if k.lower() == "content-type"), "application/json")
        return XapiRequest(method, params, headers, body, content_type, alternate=True)
    return XapiRequest(request.method, query, headers, request.get_data(), headers.get("content-type", ""))
