"""Write docs/cli.md, the command reference, from the commands' own help (run after changing a command).

    python scripts/cli_reference.py
tests/test_docs.py fails when a command is missing from docs/cli.md.
"""
from __future__ import annotations

from pathlib import Path

import typer.main

from iip.cli import app


def walk(cmd, path=()):
    """Yield (command path, click command) for every leaf command."""
    subs = getattr(cmd, "commands", None)
    if subs:
        for name in sorted(subs):
            yield from walk(subs[name], path + (name,))
    else:
        yield path, cmd


def markdown() -> str:
    root = typer.main.get_command(app)
    out = ["# Command reference", "", "Generated from the commands' help by `python scripts/cli_reference.py`.",
           "Global option: `--db PATH` (default `./iip.duckdb`, or `$IIP_DB`) before the command.", ""]
    for path, cmd in walk(root):
        out += [f"## iip {' '.join(path)}", "", (cmd.help or "").strip(), ""]
        rows = []
        for p in cmd.params:
            names = ", ".join(p.opts) if p.param_type_name == "option" else p.name.upper()
            text = (getattr(p, 'help', '') or '').strip().replace('|', '\\|')
            rows.append(f"| `{names}` | {text} |")
        if rows:
            out += ["| parameter | help |", "| --- | --- |", *rows, ""]
    return "\n".join(out)


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target}")
