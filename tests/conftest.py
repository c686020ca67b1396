"""Shared fixtures. Tests that need the real files in ../shared skip with a clear message when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IIP_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"../shared not found at {SHARED}: real GSO/IMF files are not on this machine")
    return SHARED


@pytest.fixture()
def db(tmp_path) -> Path:
    """A fresh store path in a temporary folder."""
    return tmp_path / "test.duckdb"
