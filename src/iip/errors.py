"""One family of domain errors. The CLI turns them into one clear sentence and a non-zero exit;
the web layer into one JSON error shape."""
from __future__ import annotations


class IIPError(Exception):
    """Base class of every error a user can cause (bad input, missing data, bad option)."""


class ValidationError(IIPError):
    """Input rejected by a validation rule.

    ``problems`` is a list of dicts with keys file, row, field, rule, message; ``str()`` lists them.
    Row numbers are 1-based data rows as a spreadsheet shows them (header = row 1, first record = row 2).
    """

    def __init__(self, problems: list[dict], *, file: str | None = None, limit: int = 20):
        self.problems = problems
        self.file = file
        lines = []
        for p in problems[:limit]:
            where = ", ".join(
                f"{k} {p[k]}" for k in ("file", "row", "field") if p.get(k) not in (None, "")
            )
            lines.append(f"{where}: {p.get('message') or p.get('rule')}")
        more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
        head = f"{len(problems)} problem(s) in {file}" if file else f"{len(problems)} problem(s)"
        super().__init__(head + ":\n" + "\n".join("  " + s for s in lines) + more)


class NotFoundError(IIPError):
    """Asked for something the store does not hold."""
