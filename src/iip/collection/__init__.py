"""Report collection: accounts and tokens, submissions with edit rules, versions and an audit log.

Every write goes through :func:`iip.collection.service.write_transaction` (one process-wide lock + one DuckDB
transaction), so concurrent submissions are serialised and all-or-nothing. See docs/collection.md.
"""
