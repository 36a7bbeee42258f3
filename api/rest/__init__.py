"""The REST API for agencies' HR systems: OpenAPI 3 (flask-smorest), bearer tokens scoped to an agency."""
