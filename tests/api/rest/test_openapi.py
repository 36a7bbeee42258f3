"""The OpenAPI document and the documentation page."""

from __future__ import annotations

import re

import schemathesis
from flask import Flask
from flask.testing import FlaskClient

OPERATIONS = {
    "GET /api/v1/agencies",
    "GET /api/v1/agencies/{code}",
    "GET /api/v1/agencies/{code}/children",
    "GET /api/v1/people",
    "GET /api/v1/people/{public_id}",
    "POST /api/v1/people/bulk",
    "GET /api/v1/frameworks",
    "GET /api/v1/frameworks/{code}",
    "GET /api/v1/coverage",
    "GET /api/v1/courses",
    "GET /api/v1/courses/{code}",
}


def test_the_openapi_document_is_valid_and_describes_every_operation(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    schema.validate()  # against the OpenAPI 3.0 meta-schema
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert labels >= OPERATIONS
    raw = schema.raw_schema
    assert raw["openapi"].startswith("3.")
    assert raw["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert raw["security"] == [{"bearerAuth": []}]
    bulk = raw["paths"]["/api/v1/people/bulk"]["post"]
    assert "422" in bulk["responses"] and bulk["requestBody"]["required"] is True
    record = raw["components"]["schemas"]["PersonRecord"]
    assert {"agency_code", "employee_no", "first_name_th", "last_name_th"} <= set(record["required"])
    people = raw["paths"]["/api/v1/people"]["get"]
    assert {"page", "page_size", "q", "agency", "status", "group"} <= {p["name"] for p in people["parameters"]}


def test_the_document_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"


def test_the_documentation_page_uses_our_own_assets(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/vendor/swagger-ui/swagger-ui.css" in sources
    assert "/api/docs/static/api-docs.js" in sources
    assert not [source for source in sources if source.startswith(("http:", "https:", "//"))]
    assert 'data-spec-url="/api/openapi.json"' in page
    assert "<script>" not in page  # no inline script: the CSP forbids it
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = client.get("/api/docs/static/api-docs.js")
    script.close()
    assert script.status_code == 200


def test_each_operation_is_documented_under_its_resource_and_each_resource_is_described(app: Flask) -> None:
    raw = app.test_client().get("/api/openapi.json").get_json()
    described = {tag["name"]: tag["description"] for tag in raw["tags"]}
    for path, operations in raw["paths"].items():
        resource = path.split("/")[3]  # /api/v1/<resource>/...
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                assert operation["tags"] == [resource], path
                assert described[resource]


def test_pages_outside_the_api_keep_the_portals_html_error_page(client: FlaskClient) -> None:
    # flask-smorest registers an app-wide JSON error handler; the portal's must still answer.
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-resource")
    assert api.status_code == 404 and api.mimetype == "application/json"
    unauthenticated = client.get("/api/v1/people")
    assert unauthenticated.status_code == 401 and unauthenticated.get_json()["code"] == 401
