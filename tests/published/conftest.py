from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_fixtures import make_all  # noqa: E402


@pytest.fixture()
def gso_files(tmp_path) -> list[Path]:
    """Two small generated GSO-layout releases (June, July 2023) and one broken file."""
    return make_all(tmp_path / "gso")
