"""Methods on published figures: level reconstruction, cross-source consistency, revisions.

Pure functions (DataFrame in, DataFrame out); the store I/O lives in ``iip.ingest.published``.
A package rather than one ``measures_published.py`` because the three methods are independent and
each has its own method page section (docs/methods/published.md).
"""
