"""CLI commands: collection (filled in by its stage)."""
from __future__ import annotations
