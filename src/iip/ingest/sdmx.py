"""IMF NSDP SDMX-ML 2.1 structure-specific messages (e.g. IIPVNM-2024q3.xml) -> tidy levels.

The message carries no structure, so it is read directly with ElementTree: every ``Series`` element's
attributes (DATA_DOMAIN, REF_AREA, INDICATOR, COUNTERPART_AREA, FREQ, BASE_PER, UNIT_MULT) and its
``Obs`` (TIME_PERIOD, OBS_VALUE). INDICATOR ``AIP_ISIC4_IX`` is the total IIP, ``AIP_ISIC4_<X>_IX`` ISIC
section X; values are index levels (BASE_PER = 100) scaled by 10**UNIT_MULT.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from iip.errors import IIPError
from iip.ingest.published import FIG_COLS, write_figures
from iip.store import next_id, sha256, transaction

SOURCE = "IMF-NSDP"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def node_of(indicator: str) -> str | None:
    """AIP_ISIC4_IX -> TOTAL; AIP_ISIC4_C_IX -> C; other indicators -> None."""
    m = re.fullmatch(r"AIP_ISIC4(?:_([A-Z]))?_IX", indicator or "")
    if not m:
        return None
    return m.group(1) or "TOTAL"


def read_sdmx(path: str | Path) -> pd.DataFrame:
    """Observations of an SDMX-ML 2.1 structure-specific file: one row per series x period with the
    series attributes as columns plus node, period, value (scaled by UNIT_MULT), release (Prepared month)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise IIPError(f"{path.name}: not a readable SDMX-ML file ({exc})") from None
    prepared = next((e.text for e in root.iter() if _local(e.tag) == "Prepared"), None) or ""
    rows = []
    for s in root.iter():
        if _local(s.tag) != "Series":
            continue
        attrs = dict(s.attrib)
        mult = int(attrs.get("UNIT_MULT", "0") or 0)
        for o in s:
            if _local(o.tag) != "Obs" or o.get("OBS_VALUE") in (None, "", "NaN"):
                continue
            rows.append({**attrs, "period": o.get("TIME_PERIOD"), "value": float(o.get("OBS_VALUE")) * 10 ** mult})
    if not rows:
        raise IIPError(f"{path.name}: no Series/Obs found (is this an SDMX-ML 2.1 structure-specific message?)")
    df = pd.DataFrame(rows)
    df["node"] = df["INDICATOR"].map(node_of)
    df["release"] = prepared[:7] if re.match(r"\d{4}-\d{2}", prepared) else df["period"].max()
    return df


def import_sdmx(con, path: str | Path) -> dict:
    """Store the IIP levels of an IMF file as published figures (indicator production, measure level,
    source IMF-NSDP); unchanged files are a no-op. Returns {'status', 'figures', 'skipped'}."""
    path = Path(path)
    digest = sha256(path)
    if con.execute("SELECT 1 FROM published_files WHERE sha256 = ?", [digest]).fetchone():
        return {"status": "unchanged", "figures": 0, "skipped": 0}
    df = read_sdmx(path)
    keep = df[df["node"].notna() & df.get("FREQ", "M").eq("M")]
    figs = pd.DataFrame({
        "source": SOURCE, "release": keep["release"], "indicator": "production", "area": keep["REF_AREA"],
        "node": keep["node"], "label": keep["INDICATOR"], "period": keep["period"], "measure": "level",
        "status": "actual", "value": keep["value"], "unit": "index " + keep.get("BASE_PER", "").astype(str) + "=100",
        "sheet": None, "cell": None, "table_kind": "sdmx"})[FIG_COLS]
    with transaction(con):
        fid = next_id(con, "published_file_seq")
        con.execute("INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen,"
                    " cells_mapped, warnings) VALUES (?,?,?,?,?,?,?,?,0)",
                    [fid, SOURCE, path.name, digest, figs["release"].iloc[0], len(figs), len(df), len(figs)])
        write_figures(con, fid, figs)
    return {"status": "imported", "figures": len(figs), "skipped": len(df) - len(figs)}
