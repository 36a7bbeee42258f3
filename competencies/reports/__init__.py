"""HR competency reports: an agency's coverage against the target, its units, profiles, areas,
its people, and the academy-wide ranking; on pages and as CSV, XLSX and PDF.

- services: each report as a ``Report`` (titled tables with chart hints), from the figures
  of ``competencies.services.coverage`` (coverage is computed there, and only there)
- exports: a ``Report`` as CSV, XLSX (with native charts) or PDF
- permissions: who may see which report
- views: the pages and export downloads
"""
