"""SDMX-ML data messages (e.g. IMF NSDP's IIPVNM-2024q3.xml, structure-specific SDMX-ML 2.1) -> tidy observations:
the package's one SDMX reader, built on sdmx1 (``sdmx.read_sdmx``), used by ``iip import sdmx`` and by the
seasonal verification (``iip.seasonal.verify``).

The IMF message carries no structure, so sdmx1 reads every series attribute (DATA_DOMAIN, REF_AREA, INDICATOR,
COUNTERPART_AREA, FREQ, BASE_PER, UNIT_MULT) as a key value. INDICATOR ``AIP_ISIC4_IX`` is the total IIP,
``AIP_ISIC4_<X>_IX`` ISIC section X; values are index levels (BASE_PER = 100) scaled by 10**UNIT_MULT.

Every observation is checked before anything is stored, and a file with a problem is refused whole, each
problem naming the element (series key, TIME_PERIOD, attribute): a value that is not a number or not finite
(NaN or INF without an OBS_STATUS saying why), a period that is not a period of the series' frequency (a month
YYYY-MM between 1990 and the current month for FREQ=M), the same series and period twice. An observation
without OBS_VALUE, or NaN with an OBS_STATUS (missing, confidential), is a missing observation: skipped.
"""
from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd

from iip.errors import IIPError, OptionError, Problem, ValidationError
from iip.ingest.published import FIG_COLS, write_figures
from iip.reference.periods import PERIOD_PATTERNS, month
from iip.store import next_id, sha256, transaction

SOURCE = "IMF-NSDP"
#: SDMX FREQ code -> the period pattern of iip.reference.periods (A = annual).
FREQ_PATTERN = {"M": "M", "Q": "Q", "A": "Y", "H": "H", "S": "H"}


def node_of(indicator: str) -> str | None:
    """AIP_ISIC4_IX -> TOTAL; AIP_ISIC4_C_IX -> C; other indicators -> None."""
    m = re.fullmatch(r"AIP_ISIC4(?:_([A-Z]))?_IX", indicator or "")
    if not m:
        return None
    return m.group(1) or "TOTAL"


def _message(path: Path):
    """The sdmx1 DataMessage of a file; an IIPError naming the file when it is not SDMX-ML data."""
    import sdmx

    level = logging.getLogger("sdmx").level
    logging.getLogger("sdmx").setLevel(logging.ERROR)     # 'got no structure=' is expected for IMF files
    try:
        msg = sdmx.read_sdmx(path)
    except Exception as exc:  # sdmx1 raises many types (XMLParseError, AssertionError, RuntimeError ...)
        raise IIPError(f"{path.name}: not a readable SDMX-ML data message ({type(exc).__name__}: {exc})") from None
    finally:
        logging.getLogger("sdmx").setLevel(level)
    if not getattr(msg, "data", None):
        raise IIPError(f"{path.name}: no data set found (is this an SDMX-ML data message?)")
    return msg


def _period_problem(period: str, freq: str) -> str | None:
    """Why TIME_PERIOD is not a period of the series' frequency (None when it is)."""
    if freq == "M":
        try:
            month(period, option="TIME_PERIOD")
        except OptionError as exc:
            return str(exc)
        return None
    pattern = PERIOD_PATTERNS.get(FREQ_PATTERN.get(freq, ""))
    if pattern and not re.match(pattern, period):
        return f"TIME_PERIOD {period!r} is not a period of frequency {freq}"
    return None


def _value(text: object, status: str | None) -> tuple[float | None, str | None]:
    """(value, problem): None for a missing observation; a problem for text that is not a finite number."""
    if text is None or str(text).strip() == "":
        return None, None
    try:
        x = float(str(text))
    except ValueError:
        return None, f"OBS_VALUE {text!r} is not a number"
    if math.isnan(x) and status:
        return None, None
    if not math.isfinite(x):
        return None, f"OBS_VALUE {text!r} is not a finite number (and no OBS_STATUS says why)"
    return x, None


def observations(path: str | Path) -> pd.DataFrame:
    """Observations of an SDMX-ML data message: one row per series x period with the series key values as columns
    plus ``period``, ``value`` (scaled by 10**UNIT_MULT), ``obs_status`` and ``release`` (the month the message was
    prepared). Raises ValidationError listing every bad observation (see the module doc)."""
    path = Path(path)
    msg = _message(path)
    prepared = getattr(msg.header, "prepared", None)
    rows, problems, seen = [], [], set()
    for ds in msg.data:
        for key, obs in ds.series.items():
            attrs = {k: str(v.value) for k, v in key.values.items()}
            attrs.update({k: str(v.value) for k, v in (key.attrib or {}).items()})
            name = "Series " + ", ".join(f"{k}={v}" for k, v in attrs.items())
            mult = int(attrs.get("UNIT_MULT") or 0)
            for o in obs:
                period = str(o.dimension.values["TIME_PERIOD"].value) if o.dimension else ""
                status = next((str(v.value) for k, v in o.attached_attribute.items() if k == "OBS_STATUS"), None)
                where = f"{name} / Obs TIME_PERIOD={period}"
                bad = _period_problem(period, attrs.get("FREQ", "M"))
                value, why = _value(o.value, status)
                for rule, text in (("period", bad), ("finite_number", why)):
                    if text:
                        problems.append(Problem(text, file=path.name, field=where, rule=rule))
                if (name, period) in seen:
                    problems.append(Problem("the same series and period appear twice", file=path.name, field=where,
                                            rule="unique"))
                seen.add((name, period))
                if value is not None and not bad and not why:
                    rows.append({**attrs, "period": period, "value": value * 10 ** mult, "obs_status": status})
    if problems:
        raise ValidationError(problems, file=path.name)
    if not rows:
        raise IIPError(f"{path.name}: no observations found (is this an SDMX-ML data message?)")
    df = pd.DataFrame(rows)
    df["release"] = prepared.strftime("%Y-%m") if prepared is not None else df["period"].max()
    return df


def monthly_levels(path: str | Path) -> dict[str, pd.DataFrame]:
    """{INDICATOR: DataFrame(period, value)} of the monthly index series of an SDMX file (IMF NSDP), values as
    published; each series' key values are kept in ``df.attrs``. Series that are not FREQ=M with UNIT_MULT=0
    are refused (an IIPError naming the series)."""
    df = observations(path)
    out: dict[str, pd.DataFrame] = {}
    for ind, g in df.groupby("INDICATOR", sort=False):
        attrs = g.drop(columns=["period", "value", "obs_status", "release"]).iloc[0].to_dict()
        if attrs.get("FREQ") != "M" or str(attrs.get("UNIT_MULT", "0")) != "0":
            raise IIPError(f"{Path(path).name}: series {ind} is not a monthly series in units "
                           f"(FREQ={attrs.get('FREQ')}, UNIT_MULT={attrs.get('UNIT_MULT')})")
        s = g[["period", "value"]].sort_values("period", ignore_index=True)
        s.attrs = attrs
        out[str(ind)] = s
    return out


def import_sdmx(con, path: str | Path) -> dict:
    """Store the IIP levels of an IMF file as published figures (indicator production, measure level,
    source IMF-NSDP); unchanged files are a no-op; a file with bad observations is refused whole (nothing
    written). Returns {'status', 'figures', 'skipped'}."""
    path = Path(path)
    digest = sha256(path)
    if con.execute("SELECT 1 FROM published_files WHERE sha256 = ?", [digest]).fetchone():
        return {"status": "unchanged", "figures": 0, "skipped": 0}
    df = observations(path)
    df["node"] = df["INDICATOR"].map(node_of) if "INDICATOR" in df else None
    keep = df[df["node"].notna() & df.get("FREQ", pd.Series("M", index=df.index)).eq("M")]
    base = keep["BASE_PER"].astype(str) if "BASE_PER" in keep else pd.Series("?", index=keep.index)
    figs = pd.DataFrame({
        "source": SOURCE, "release": keep["release"], "indicator": "production", "area": keep["REF_AREA"],
        "node": keep["node"], "label": keep["INDICATOR"], "period": keep["period"], "measure": "level",
        "status": "actual", "value": keep["value"], "unit": "index " + base + "=100",
        "sheet": None, "cell": None, "table_kind": "sdmx"})[FIG_COLS]
    with transaction(con):
        fid = next_id(con, "published_file_seq")
        con.execute("INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen,"
                    " cells_mapped, warnings, outcome, refused) VALUES (?,?,?,?,?,?,?,?,0,'imported',0)",
                    [fid, SOURCE, path.name, digest, df["release"].iloc[0], len(figs), len(df), len(figs)])
        write_figures(con, fid, figs)
    return {"status": "imported", "figures": len(figs), "skipped": len(df) - len(figs)}
