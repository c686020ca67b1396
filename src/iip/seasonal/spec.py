"""X-13ARIMA-SEATS spec text, built by small pure functions (no I/O).

X-13 reads spec lines of at most 132 characters, so every data list is wrapped. User regressors are
written with ``usertype=holiday`` for Tet (so X-13 puts their effect in the holiday/calendar
component and REMOVES it from the adjusted series) and ``usertype=td`` for working days.
Method page: docs/methods/seasonal.md.
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from iip.errors import MethodError, OptionError

#: save= tables asked for in a full adjustment (see x13.TABLES for their meaning)
X11_SAVE = ("d8", "d10", "d11", "d12", "d13", "d16", "d18")
REG_SAVE = ("hol", "td", "otl")
MAX_LINE = 100


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _wrap(items: Sequence[str], indent: str = "    ") -> str:
    return "\n".join(textwrap.wrap(" ".join(items), MAX_LINE, initial_indent=indent, subsequent_indent=indent))


def _x13_date(p: pd.Period) -> str:
    return f"{p.year}.{p.month:02d}"


def _quote(text: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9 _.,:/()+-]", "_", text)[:70]
    return f'"{clean}"'


def series_block(values: Sequence[float], start: pd.Period, *, title: str, span_end: pd.Period | None = None) -> str:
    """``series{}``: the data, its start (YYYY.MM) and period 12."""
    data = _wrap([_fmt(v) for v in values])
    return (f"series{{\n  title={_quote(title)}\n  start={_x13_date(start)}\n  period=12\n"
            f"  data=(\n{data}\n  )\n}}\n")


def transform_block(function: str) -> str:
    """``transform{}``: function auto (AICc test log vs none), log or none."""
    if function not in ("auto", "log", "none"):
        raise OptionError(f"transform must be auto, log or none, not {function!r}", option="transform")
    return f"transform{{ function={function} }}\n"


def regression_block(regressors: pd.DataFrame, *, usertypes: Sequence[str], variables: Sequence[str] = ("lpyear",),
                     save: Sequence[str] = REG_SAVE) -> str:
    """``regression{}`` with built-in ``variables`` and the user regressors given inline.

    ``regressors``: columns = user regressor names (<= 16 chars), monthly PeriodIndex.
    ``usertypes``: X-13 user types, one per column (holiday, td, user, ...).
    """
    if len(usertypes) != regressors.shape[1]:
        raise MethodError(f"one X-13 usertype per regressor column: {len(usertypes)} types for "
                          f"{regressors.shape[1]} columns")
    lines = ["regression{"]
    if variables:
        lines.append(f"  variables=({' '.join(variables)})")
    if regressors.shape[1]:
        lines.append(f"  user=({' '.join(regressors.columns)})")
        lines.append(f"  usertype=({' '.join(usertypes)})")
        lines.append(f"  start={_x13_date(regressors.index[0])}")
        rows = [" ".join(_fmt(v) for v in row) for row in regressors.to_numpy()]
        lines.append("  data=(\n" + "\n".join("    " + r for r in rows) + "\n  )")
    if save:
        lines.append(f"  save=({' '.join(save)})")
    lines.append("}")
    return "\n".join(lines) + "\n"


def arima_block(model: str | None) -> str:
    """``arima{ model=... }`` for a fixed model, or ``automdl{}`` (TRAMO-style selection) when None."""
    if model is None:
        return "automdl{ }\n"
    return f"arima{{ model={model} }}\n"


def outlier_block(types: Sequence[str] = ("ao", "ls", "tc")) -> str:
    """``outlier{}``: automatic detection of the given outlier types (default critical value)."""
    return f"outlier{{ types=({' '.join(types)}) }}\n" if types else ""


def forecast_block(maxlead: int, *, probability: float = 0.95) -> str:
    """``forecast{}``: ``maxlead`` months ahead with ``probability`` intervals, saved as table fct."""
    return f"forecast{{ maxlead={maxlead} probability={probability} save=(fct) }}\n"


def x11_block(save: Sequence[str] = X11_SAVE) -> str:
    """``x11{}``: X-11 filters (automatic seasonal filter), mode follows the transform."""
    return f"x11{{ save=({' '.join(save)}) }}\n"


def diagnostics_blocks(*, start: pd.Period, n_obs: int) -> str:
    """Sliding spans (X-13 skips them, with a note, when the series is too short) and a revision history of
    the adjusted series over (at most) its last 24 months; X-13 needs 5 years before the history starts, so
    the history is asked for only when at least 12 months remain after those 5 years."""
    text = "slidingspans{ }\n"
    first = max(60, n_obs - 24)
    if first <= n_obs - 12:
        text += f"history{{ estimates=(sadj sadjchng) start={_x13_date(start + first)} }}\n"
    return text


@dataclass(frozen=True)
class SpecOptions:
    """What goes into one spec (all keyword options of adjust)."""
    transform: str = "auto"
    model: str | None = None          # None = automdl; e.g. "(0 1 1)(0 1 1)"
    outliers: tuple[str, ...] = ("ao", "ls", "tc")
    leap_year: bool = True
    maxlead: int = 24
    x11: bool = True
    diagnostics: bool = True
    usertypes: dict[str, str] = field(default_factory=lambda: {"tet_before": "holiday", "tet_after": "holiday",
                                                                "workdays": "td"})


def build_spec(values: Sequence[float], start: pd.Period, regressors: pd.DataFrame, *, title: str,
               options: SpecOptions = SpecOptions()) -> str:
    """The whole spec text for one run."""
    variables = ("lpyear",) if options.leap_year else ()
    usertypes = [options.usertypes.get(c, "user") for c in regressors.columns]
    text = series_block(values, start, title=title)
    text += transform_block(options.transform)
    text += regression_block(regressors, usertypes=usertypes, variables=variables,
                             save=REG_SAVE if options.x11 else ())
    text += arima_block(options.model)
    text += outlier_block(options.outliers)
    text += "estimate{ }\n"
    if options.x11:
        text += "check{ save=(acf) }\n"
    if options.maxlead:
        text += forecast_block(options.maxlead)
    if options.x11:
        text += x11_block()
        if options.diagnostics:
            text += diagnostics_blocks(start=start, n_obs=len(values))
    return text
