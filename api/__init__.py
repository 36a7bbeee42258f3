"""The REST API (OpenAPI), HR-data sync, and the GDX provider feed and push."""
