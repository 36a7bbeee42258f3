"""The digital skill standard: frameworks, role requirements, evidence, attainment, gaps, coverage."""
