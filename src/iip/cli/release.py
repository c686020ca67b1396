"""CLI commands: release (filled in by its stage)."""
from __future__ import annotations
