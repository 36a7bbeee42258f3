"""Business rules of the skill standard; the portal, the API and the GDX feed all call these.

- frameworks: loading, seeding and reading frameworks, profiles and requirements
- evidence: the LRS subscriber that turns statements into evidence, and attainment
- coverage: a person's gaps, populations, coverage and the reports' breakdowns of it
"""
