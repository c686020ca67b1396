"""Verification on real data: the IMF SDMX file of Vietnam's IIP and the level series rebuilt from GSO's
workbooks (docs/seasonal-verification.md).

``python -m iip.seasonal.verify [XML] [--png docs/img/seasonal-verification.png]`` adjusts every series in
the IMF file with and without the Tet regressor and prints the figures quoted in the verification page;
``python -m iip.seasonal.verify --store STORE [--png ...]`` does the same for the store's
``published_levels`` (source GSO: TOTAL, sections B-E and a few big divisions, from 2012-01 on).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import cast

import pandas as pd

from iip.errors import IIPError
from iip.ingest.sdmx import monthly_levels
from iip.seasonal.adjust import SAResult, adjust, tet_left

DEFAULT_XML = Path(__file__).resolve().parents[3].parent / "shared/data/imf-nsdp/IIPVNM-2024q3.xml"
TOTAL = "AIP_ISIC4_IX"
STORE_NODES = ("TOTAL", "B", "C", "D", "E", "10", "14", "15", "26")
STORE_START = "2012-01"   # first year with a full twelve months of GSO mom and yoy behind every level


def read_store_levels(path: str | Path, *, source: str = "GSO", nodes: tuple[str, ...] = STORE_NODES,
                      start: str | None = STORE_START, end: str | None = None) -> dict[str, pd.DataFrame]:
    """A store's ``published_levels`` (indicator production, area VN) -> {node: DataFrame(period, value)}.

    The store is opened read-only; periods outside [start, end] are dropped. A node missing from the
    store is an error naming the store, source and node.
    """
    import duckdb

    p = Path(path)
    if not p.is_file():
        raise IIPError(f"{p}: store not found")
    con = duckdb.connect(str(p), read_only=True)
    try:
        df = con.execute("""SELECT node, period, value FROM published_levels
            WHERE source = ? AND indicator = 'production' AND area = 'VN'
              AND period >= coalesce(?, '0000') AND period <= coalesce(?, '9999') ORDER BY node, period""",
                         [source, start, end]).df()
    except duckdb.CatalogException as exc:
        raise IIPError(f"{p}: no published_levels table (import the GSO workbooks first): {exc}") from None
    finally:
        con.close()
    out: dict[str, pd.DataFrame] = {}
    for node in nodes:
        g = df[df["node"] == node]
        if g.empty:
            raise IIPError(f"{p}: published_levels has no {source} series for node {node}")
        out[node] = g[["period", "value"]].reset_index(drop=True)
    return out


def janfeb_outliers(report: dict) -> list[str]:
    """Labels of outliers dated January or February."""
    return [o["label"] for o in report["outliers"] if o["period"] and o["period"][5:] in ("01", "02")]


def compare(df: pd.DataFrame, name: str) -> tuple[dict, SAResult, SAResult]:
    """Adjust with and without Tet; the figures of one row of the verification table."""
    with_tet = cast(SAResult, adjust(df, name=name))            # a result, not spec text (spec_only is off)
    no_tet = cast(SAResult, adjust(df, name=name, tet=False))
    rep = with_tet.report
    b, a = rep["tet"]["before_days"], rep["tet"]["after_days"]
    left_no = tet_left(no_tet.series, before=b, after=a)
    d = rep["diagnostics"]
    row = {"series": name, "model": f"{rep['model']['arima']} {rep['model']['transform']}", "window": f"{b}/{a}",
           "t_before": rep["tet"]["t_before"], "t_after": rep["tet"]["t_after"],
           "chi2": (rep["tet"]["joint_chi2"] or {}).get("chi2"),
           "aicc": rep["model"]["aicc"], "aicc_no_tet": no_tet.report["model"]["aicc"],
           "janfeb_outliers_no_tet": janfeb_outliers(no_tet.report), "janfeb_outliers_tet": janfeb_outliers(rep),
           "raw_tet_p": d["tet_left"]["raw"]["p"], "sa_tet_p": d["tet_left"]["sa"]["p"],
           "sa_no_tet_p": left_no["sa"]["p"], "qs_sa_p": (d["qs"].get("qssadj") or {}).get("p"),
           "F_resid_p_pct": (d["f_tests"]["F_residual_d11"] or {}).get("p"), "Q": d["m_q"]["Q"],
           "M7": d["m_q"]["M7"]}
    return row, with_tet, no_tet


def chart(df: pd.DataFrame, with_tet: SAResult, no_tet: SAResult, png: str | Path, *,
          title: str = "Vietnam IIP (2015 = 100, IMF NSDP): Tet dates dotted") -> None:
    """Raw series, adjusted with the Tet regressor and adjusted without it; Tet months marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from iip.seasonal.regressors import tet_date

    idx = pd.PeriodIndex(df["period"], freq="M").to_timestamp()
    fig, ax = plt.subplots(figsize=(11, 5), dpi=110)
    ax.plot(idx, df["value"], color="0.6", lw=1, label="published index (raw)")
    ax.plot(idx, no_tet.series["sa"], color="tab:red", lw=1.2, label="X-13 without Tet regressor")
    ax.plot(idx, with_tet.series["sa"], color="tab:blue", lw=1.8, label="X-13 with Tet regressor (iip sa)")
    for y in range(idx[0].year, idx[-1].year + 1):
        t = pd.Timestamp(tet_date(y))
        if idx[0] <= t <= idx[-1] + pd.offsets.MonthEnd(0):
            ax.axvline(t, color="tab:orange", lw=0.8, ls=":")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Command line of the verification (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("xml", nargs="?", default=None, help=f"IMF SDMX file (default {DEFAULT_XML} unless --store)")
    ap.add_argument("--store", default=None, help="store whose published_levels to verify (read-only)")
    ap.add_argument("--source", default="GSO", help="published_levels source (default GSO)")
    ap.add_argument("--nodes", default=",".join(STORE_NODES), help="comma-separated nodes of the store")
    ap.add_argument("--start", default=STORE_START, help="first period taken from the store")
    ap.add_argument("--png", default=None, help="chart of the total: raw, sa, adjusted without Tet")
    args = ap.parse_args(argv)
    if args.store and args.xml:
        ap.error("give either an IMF SDMX file or --store, not both")
    try:
        if args.store:
            series = read_store_levels(args.store, source=args.source, nodes=tuple(args.nodes.split(",")),
                                       start=args.start)
            total = "TOTAL"
            title = f"Vietnam IIP (2020 = 100, rebuilt from {args.source}'s workbooks): Tet dates dotted"
        else:
            series, total, title = monthly_levels(args.xml or DEFAULT_XML), TOTAL, None
        rows = []
        for ind, df in series.items():
            row, w, n = compare(df, ind)
            rows.append(row)
            if ind == total and args.png:
                chart(df, w, n, args.png, **({"title": title} if title else {}))
    except IIPError as exc:
        raise SystemExit(f"Error: {exc}") from None
    print(json.dumps(rows, indent=1, default=float))

if __name__ == "__main__":
    main()
