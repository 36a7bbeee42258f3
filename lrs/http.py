"""The xAPI view of an HTTP request: method, parameters, headers and body, after the
1.0.3 alternate request syntax (a form POST standing for another method) is unfolded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from flask import Request

from academy.inputs import json_problem
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
        return None if text is None else parse_json_param(text, name)


def parse_json_param(text: str, name: str) -> object:
    """Return the JSON value of the parameter `name`; raise XapiError unless it is JSON nested within limits."""
    try:
        value = json.loads(text)
    except ValueError:
        raise XapiError(f"the {name} parameter is not valid JSON") from None
    except RecursionError:
        raise XapiError(f"the {name} parameter is nested too deeply") from None
    problem = json_problem(value, name)
    if problem is not None:
        raise XapiError(f"the {name} parameter: {problem}")
    return value


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
        try:
            form_text = request.get_data().decode("utf-8")
        except UnicodeDecodeError as error:
            raise XapiError(f"the form is not valid UTF-8 (byte {error.start})") from None
        form = _single_values(parse_qs(form_text, keep_blank_values=True), "form")
        for key, value in form.items():
            # The content is the body, where NUL may be data; a NUL in the query string was
            # refused before the request got here (academy.inputs).
            if "\x00" in key or ("\x00" in value and key != "content"):
                raise XapiError(f"the form field {key.replace(chr(0), '')} contains a NUL character")
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
