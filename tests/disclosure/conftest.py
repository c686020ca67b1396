"""Fixtures of the disclosure tests: see tests/conftest.py (demo_store, merged_store)."""
