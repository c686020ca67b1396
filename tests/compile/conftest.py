"""Fixtures of the engine tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dataset import make_dataset  # noqa: E402


@pytest.fixture
def dataset():
    return make_dataset()
