"""Verification on real data: the IMF SDMX file of Vietnam's IIP (docs/seasonal-verification.md).

``python -m iip.seasonal.verify [XML] [--png docs/img/seasonal-verification.png]`` adjusts every series in
the file with and without the Tet regressor and prints the figures quoted in the verification page.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from lxml import etree

from iip.errors import IIPError
from iip.seasonal.adjust import SAResult, adjust, tet_left

DEFAULT_XML = Path(__file__).resolve().parents[3].parent / "shared/data/imf-nsdp/IIPVNM-2024q3.xml"
TOTAL = "AIP_ISIC4_IX"


def read_imf_sdmx(path: str | Path) -> dict[str, pd.DataFrame]:
    """SDMX-ML 2.1 structure-specific data -> {INDICATOR: DataFrame(period, value)} for monthly index series.

    Checks each series' attributes: FREQ must be M and UNIT_MULT 0 (values as published, 2015 = 100).
    """
    tree = etree.parse(str(path))
    out: dict[str, pd.DataFrame] = {}
    for series in tree.iter("{*}Series", "Series"):
        a = series.attrib
        if a.get("FREQ") != "M" or a.get("UNIT_MULT", "0") != "0":
            raise IIPError(f"{path}: series {a.get('INDICATOR')} is not a monthly series in units "
                           f"(FREQ={a.get('FREQ')}, UNIT_MULT={a.get('UNIT_MULT')})")
        rows = [(o.get("TIME_PERIOD"), float(o.get("OBS_VALUE"))) for o in series.iter("{*}Obs", "Obs")]
        df = pd.DataFrame(rows, columns=["period", "value"]).sort_values("period", ignore_index=True)
        df.attrs = dict(a)
        out[a["INDICATOR"]] = df
    return out


def janfeb_outliers(report: dict) -> list[str]:
    """Labels of outliers dated January or February."""
    return [o["label"] for o in report["outliers"] if o["period"] and o["period"][5:] in ("01", "02")]


def compare(df: pd.DataFrame, name: str) -> tuple[dict, SAResult, SAResult]:
    """Adjust with and without Tet; the figures of one row of the verification table."""
    with_tet = adjust(df, name=name)
    no_tet = adjust(df, name=name, tet=False)
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


def chart(df: pd.DataFrame, with_tet: SAResult, no_tet: SAResult, png: str | Path) -> None:
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
    ax.set_title("Vietnam IIP (2015 = 100, IMF NSDP): Tet dates dotted")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("xml", nargs="?", default=str(DEFAULT_XML))
    ap.add_argument("--png", default=None)
    args = ap.parse_args(argv)
    rows = []
    for ind, df in read_imf_sdmx(args.xml).items():
        row, w, n = compare(df, ind)
        rows.append(row)
        if ind == TOTAL and args.png:
            chart(df, w, n, args.png)
    print(json.dumps(rows, indent=1, default=float))


if __name__ == "__main__":
    main()
