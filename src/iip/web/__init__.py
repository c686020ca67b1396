"""REST API and browser dashboard (FastAPI + Jinja2 + Plotly.js served locally). See docs/web.md.

``create_app(db_path)`` builds the application; ``iip serve`` runs it with uvicorn.
"""

from __future__ import annotations


def create_app(*args, **kwargs):
    """The web application on the store at ``db_path`` (see iip.web.app.create_app)."""
    from iip.web.app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
