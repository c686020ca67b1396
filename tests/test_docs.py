"""Checked docs: every command is in docs/cli.md; README opens with the two set-up commands."""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from cli_reference import walk  # noqa: E402

import typer.main  # noqa: E402

from iip.cli import app  # noqa: E402


def test_every_command_is_documented():
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p, _ in walk(typer.main.get_command(app)) if f"## iip {' '.join(p)}\n" not in text]
    assert not missing, f"undocumented commands (run python scripts/cli_reference.py): {missing}"


def test_readme_opens_with_install_and_test_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    assert "pip install" in blocks[0] and "iip demo" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (REPO / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci  # CI runs the README's test command
