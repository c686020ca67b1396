"""Release charts (matplotlib, Agg backend), each saved as PNG and SVG: headline raw vs seasonally adjusted,
contributions by section, division ranking, and provinces as a tile-grid map of Vietnam coloured by yoy
(tile coordinates from ``iip.reference.provinces()``: tile_row, tile_col; no external map tiles).
Suppressed cells are drawn grey and labelled 'c'. Growth labels use GSO's rounding (``fmt_growth``)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from iip.reference.rounding import fmt_growth  # noqa: E402
from iip.release.data import ReleaseData  # noqa: E402

T = {"vi": {"head": "IIP toàn ngành (2020 = 100)", "raw": "Chỉ số gốc", "sa": "Đã điều chỉnh mùa vụ",
            "nosa": "Chưa có chuỗi điều chỉnh mùa vụ (iip sa)", "yoy": "So với cùng kỳ (%)",
            "head_yoy": "IIP toàn ngành so với cùng kỳ năm trước (%), số liệu công bố", "contrib": "Đóng góp vào tăng trưởng so với cùng kỳ "
            "(điểm %)", "rank": "Tăng trưởng so với cùng kỳ theo ngành cấp II (%)", "map": "IIP theo địa phương: "
            "so với cùng kỳ (%)"},
     "en": {"head": "Total IIP (2020 = 100)", "raw": "Raw", "sa": "Seasonally adjusted",
            "nosa": "No seasonally adjusted series stored (iip sa)", "yoy": "Year on year (%)",
            "head_yoy": "Total IIP, year on year (%), as published", "contrib": "Contributions to yoy growth (points)",
            "rank": "Year-on-year growth by division (%)", "map": "IIP by province: year on year (%)"}}


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        fig.savefig(p, dpi=120, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        paths.append(p)
    plt.close(fig)
    return paths


def headline(d: ReleaseData, out: Path, lang: str) -> list[Path]:
    """Compiled: TOTAL's index with the stored seasonally adjusted series; published: TOTAL's yoy as known."""
    t = T[lang]
    h = d.history[d.history["code"] == "TOTAL"] if not d.history.empty else d.history
    fig, ax = plt.subplots(figsize=(8, 3.5))
    if "index" in h:
        ax.plot(h["period"], h["index"], marker="o", ms=3, label=t["raw"])
        if "sa" in h and h["sa"].notna().any():
            ax.plot(h["period"], h["sa"], lw=2, label=t["sa"])
        else:
            ax.text(0.01, 0.02, t["nosa"], transform=ax.transAxes, fontsize=8, color="grey")
        ax.set_title(t["head"])
    elif "yoy" in h:
        ax.plot(h["period"], h["yoy"] - 100, marker="o", ms=3, label=t["yoy"])
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(t["head_yoy"])
    ax.set_xticks(range(0, len(h), 3))
    ax.set_xticklabels(h["period"].iloc[::3], rotation=45, fontsize=8)
    ax.legend(fontsize=8)
    return _save(fig, out, f"headline_{lang}")


def contributions(d: ReleaseData, out: Path, lang: str) -> list[Path]:
    """Bar chart of each section's contribution to the national yoy change, in percentage points
    (none for published releases: GSO publishes no contributions)."""
    t = T[lang]
    n = d.national[d.national["level"] == "section"]
    if n["contrib_total_yoy"].isna().all():
        return []   # published releases: GSO publishes no contributions
    fig, ax = plt.subplots(figsize=(6, 3))
    vals = n["contrib_total_yoy"].fillna(0.0)
    ax.barh(n[f"name_{lang}"].str.slice(0, 40), vals, color=np.where(vals >= 0, "#2b8cbe", "#e34a33"))
    for i, s in enumerate(n["obs_status"]):
        if s == "c" or pd.isna(n["contrib_total_yoy"].iloc[i]):
            ax.text(0, i, " c", va="center", color="grey")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(t["contrib"])
    return _save(fig, out, f"contributions_{lang}")


def ranking(d: ReleaseData, out: Path, lang: str) -> list[Path]:
    """Divisions ranked by yoy growth (yoy - 100); confidential ones grey."""
    t = T[lang]
    dv = d.national[(d.national["level"] == "division")].copy()
    dv["g"] = dv["yoy"] - 100
    dv = dv.sort_values("g", na_position="first")
    fig, ax = plt.subplots(figsize=(7, max(3, 0.22 * len(dv))))
    g = dv["g"].fillna(0.0)
    ax.barh(dv[f"name_{lang}"].str.slice(0, 45), g, color=np.where(dv["g"].isna(), "lightgrey",
                                                                     np.where(g >= 0, "#2b8cbe", "#e34a33")))
    ax.axvline(0, color="black", lw=0.8)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(t["rank"])
    return _save(fig, out, f"divisions_{lang}")


def tile_map(d: ReleaseData, out: Path, lang: str) -> list[Path]:
    """The province areas of the release's geography (63 or 34, with their own tile coordinates) coloured by yoy."""
    t, p = T[lang], d.provinces
    r, c = p["tile_row"].astype(int), p["tile_col"].astype(int)
    fig, ax = plt.subplots(figsize=(5, 9))
    g = (p["yoy"].astype(float) - 100).to_numpy()
    lim = np.nanmax(np.abs(g)) if np.isfinite(g).any() else 1.0
    lim = lim if lim > 0 else 1.0
    cmap = plt.get_cmap("RdBu")
    for i in range(len(p)):
        ok = np.isfinite(g[i]) and p["obs_status"].iloc[i] != "c"
        color = cmap(0.5 + 0.5 * g[i] / lim) if ok else "lightgrey"
        ax.add_patch(plt.Rectangle((c.iloc[i], -r.iloc[i]), 0.95, 0.95, color=color))
        label = p["code"].iloc[i] + "\n" + (fmt_growth(p["yoy"].iloc[i], lang=lang) if ok else "c")
        ax.text(c.iloc[i] + 0.47, -r.iloc[i] + 0.47, label, ha="center", va="center", fontsize=5)
    ax.set_xlim(c.min() - 0.2, c.max() + 1.2)
    ax.set_ylim(-r.max() - 0.2, -r.min() + 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(t["map"], fontsize=9)
    return _save(fig, out, f"provinces_{lang}")


def draw_all(d: ReleaseData, out: Path, langs: list[str]) -> list[Path]:
    """Every chart of a release in each language (headline, contributions, ranking, province map)."""
    paths = []
    for lang in langs:
        paths += headline(d, out, lang) + contributions(d, out, lang) + ranking(d, out, lang)
        if not d.provinces.empty:
            paths += tile_map(d, out, lang)
    return paths
