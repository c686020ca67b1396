"""Every public function, method and class of the package says what it does (a docstring)."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "iip"


def _undocumented(tree: ast.AST, path: Path, prefix: str = "") -> list[str]:
    out = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                out.append(f"{path.relative_to(SRC)}:{node.lineno} {prefix}{node.name}")
            if isinstance(node, ast.ClassDef):
                out += _undocumented(node, path, f"{node.name}.")
    return out


def test_public_functions_have_docstrings():
    missing = [m for p in sorted(SRC.rglob("*.py")) for m in _undocumented(ast.parse(p.read_text()), p)]
    assert missing == [], missing


def test_the_check_sees_a_missing_docstring():
    tree = ast.parse("def shown(x):\n    return x\n\ndef _hidden():\n    pass\n\nclass C:\n    def m(self):\n"
                     "        '''Doc.'''\n")
    assert _undocumented(tree, SRC / "x.py") == ["x.py:1 shown", "x.py:7 C"]
