"""The GDX provider feed (coverage per agency, aggregate only) and the push to GDX's ingest."""
