"""One family of domain errors and one shape for a problem found in input.

Every error a user can cause is an :class:`IIPError`; each subclass carries the HTTP status the web layer answers
with (``http_status``), so the CLI (one sentence, exit code 1) and the API (``{"ok": false, "error", "status"}``)
map errors in one place each. A problem found in an input (file, upload, JSON body, option) is a :class:`Problem`
naming where it is (file, sheet, cell or row, field) and which rule it breaks.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``row`` is the row a spreadsheet shows (header = row 1, first record = row 2; for Parquet and JSON the
    1-based record number); ``field`` the column, option or JSON path; ``rule`` a short stable name of the rule
    broken (``required``, ``numeric``, ``known_province``...); ``severity`` error (rejects) or warning (kept in
    the audit record).
    """

    message: str
    field: str | None = None
    rule: str = "invalid"
    row: int | None = None
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        """True for an error (the input is refused), False for a warning."""
        return self.severity == "error"

    def where(self) -> str:
        """'file F, sheet S, cell C, row R, field X' (the parts that are known)."""
        parts = [(k, getattr(self, k)) for k in ("file", "sheet", "cell", "row", "field")]
        return ", ".join(f"{k} {v}" for k, v in parts if v not in (None, ""))

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def at(self, **changes: Any) -> Problem:
        """The same problem with some locating fields changed (e.g. ``file=`` once the file name is known)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (API bodies, audit records); keys without a value are left out."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of severity error."""
    return [p for p in problems if p.is_error]


def warnings_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of severity warning."""
    return [p for p in problems if not p.is_error]


class IIPError(Exception):
    """Base class of every error a user can cause (bad input, missing data, bad option). HTTP 400."""

    http_status = 400


class ValidationError(IIPError):
    """Input rejected by validation rules (HTTP 422).

    ``problems``: the problems listed (at most what the check collected); ``total``: how many there were in all
    (a file with 31,965 bad rows lists the first ones and says 31,965). ``str()`` gives the count and the first
    ``limit`` problems, one per line.
    """

    http_status = 422

    def __init__(self, problems: list[Problem], *, file: str | None = None, total: int | None = None,
                 limit: int = 20):
        self.problems = list(problems)
        self.file = file
        self.total = max(total or 0, len(self.problems))
        lines = [f"  {p}" for p in self.problems[:limit]]
        shown = min(limit, len(self.problems))
        more = f"\n  ... and {self.total - shown:,} more" if self.total > shown else ""
        noun = "problem" if self.total == 1 else "problems"
        head = f"{self.total:,} {noun}" + (f" in {file}" if file else "")
        super().__init__(head + ":\n" + "\n".join(lines) + more)

    @classmethod
    def one(cls, message: str, **where: Any) -> ValidationError:
        """A validation error with a single problem (``where``: Problem's locating fields and ``rule``)."""
        return cls([Problem(message, **where)], file=where.get("file"))


class OptionError(IIPError):
    """A command option or request parameter has a value it does not accept (HTTP 422). The message names the
    option and what it accepts."""

    http_status = 422

    def __init__(self, message: str, *, option: str | None = None):
        self.option = option
        super().__init__(message)

    @classmethod
    def choice(cls, option: str, value: object, allowed: Iterable[str]) -> OptionError:
        """``option`` must be one of ``allowed``: the error naming the option, what it accepts and what it got."""
        return cls(f"{option} must be one of {' | '.join(allowed)}, not {str(value)!r}", option=option)


class NotFoundError(IIPError):
    """Asked for something the store does not hold (HTTP 404)."""

    http_status = 404


class AuthenticationError(IIPError):
    """Not signed in, or wrong credentials (HTTP 401)."""

    http_status = 401


class ForbiddenError(IIPError):
    """Signed in, but the role may not do this (HTTP 403)."""

    http_status = 403


class ConflictError(IIPError):
    """The request conflicts with the current state (already decided, locked period...) (HTTP 409)."""

    http_status = 409


class PayloadTooLargeError(IIPError):
    """A request body or file over its size limit (HTTP 413)."""

    http_status = 413


class TooManyRequestsError(IIPError):
    """Throttled (HTTP 429); ``retry_after`` seconds."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int = 1):
        self.retry_after = retry_after
        super().__init__(message)


class StoreError(IIPError):
    """The store cannot be opened or used: missing, locked by another process, newer schema (HTTP 503)."""

    http_status = 503


class MethodError(IIPError):
    """A statistical method could not produce a result for these data (no convergence, singular system...).
    The message says what failed and what to try (HTTP 500: not the reader's fault, but never a traceback)."""

    http_status = 500
