"""Queries behind the API and the dashboard: plain functions (connection + validated options in, frames or
dicts out). Routers call these; no SQL lives in route handlers."""
