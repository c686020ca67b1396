"""Revision analysis of published figures: first publication -> latest publication, in growth terms.

A figure (source, indicator, area, node, period, measure) published in at least two releases is revised by

* an index (mom, yoy, ytd_yoy; GSO's 100-based form, growth g = index - 100): r = latest - first, in
  **percentage points** of growth (yoy 103.69 -> 102.34: g +3.69 % -> +2.34 %, r = -1.35 pp);
* a level (a product's quantity): r = 100 (latest / (first x u) - 1), in **percent**, where u is the unit
  change: when latest / first is within 25 % of a power of ten other than 1, or the printed unit changed and
  the ratio is nearest such a power (1000 when thousand tonnes became tonnes), the figure is reported as a unit
  change (``unit_change`` = u) and r is what remains after it.

Derived figures (a March year to date read off the first quarter) repeat their source and are left out.
Per series (source, indicator, area, node, measure): n figures revised at least once or confirmed,
mean r, mean |r|, max |r|, unit changes. See docs/methods/published.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.ingest.gso.figures import INDEX_MEASURES
from iip.reference.labels import label_key

KEY = ["source", "indicator", "area", "node", "measure"]
#: latest / first within this relative distance of 10**k (k != 0) is a unit change.
UNIT_TOLERANCE = 0.25
FIGURE_COLUMNS = [*KEY, "period", "vintages", "first_release", "first_status", "first_value", "latest_release",
                  "latest_status", "latest_value", "first_growth", "latest_growth", "revision", "revision_unit",
                  "unit_change"]


def unit_factor(ratio: np.ndarray | pd.Series, units_differ: np.ndarray | pd.Series | None = None) -> np.ndarray:
    """10**k (k != 0, the power of ten nearest to ``ratio`` = latest / first of a level) when the ratio is within
    UNIT_TOLERANCE of it or the printed units differ ('Nghìn cái' -> 'Cái'); else 1: 1002.4 -> 1000,
    0.00099 -> 0.001, 1.3 -> 1, 678 -> 1 (1000 when the units differ)."""
    r = np.asarray(ratio, dtype=float)
    differ = np.zeros(r.shape, bool) if units_differ is None else np.asarray(units_differ, bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.round(np.log10(r))
        power = 10.0 ** k
        near = (k != 0) & np.isfinite(k) & ((np.abs(r / power - 1) <= UNIT_TOLERANCE) | differ)
    return np.where(near, power, 1.0)


def figure_revisions(vintages: pd.DataFrame) -> pd.DataFrame:
    """vintages [source, indicator, area, node, period, measure, status, value, unit, release, vintage] -> one
    row per figure published in at least two releases (columns FIGURE_COLUMNS): first and latest publication
    (a figure printed twice in one release counts with its last value there), growth of indices (index - 100),
    the revision (pp for indices, % for levels; none for a level first published as 0) and the unit change of a
    level (its printed unit changed, or it moved by a power of ten)."""
    v = vintages[vintages["status"] != "derived"].sort_values([*KEY, "period", "release", "vintage"])
    v = v.groupby([*KEY, "period", "release"], sort=False, as_index=False).last()   # one value per release
    g = v.groupby([*KEY, "period"], sort=False)
    out = g.agg(vintages=("value", "size"), first_release=("release", "first"), first_status=("status", "first"),
                first_value=("value", "first"), first_unit=("unit", "first"), latest_release=("release", "last"),
                latest_status=("status", "last"), latest_value=("value", "last"),
                latest_unit=("unit", "last")).reset_index()
    out = out[out["vintages"] >= 2].reset_index(drop=True)
    index = out["measure"].isin(INDEX_MEASURES).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(out["first_value"] > 0, out["latest_value"] / out["first_value"], np.nan)
    differ = out["first_unit"].map(label_key) != out["latest_unit"].map(label_key)
    unit = np.where(index, 1.0, unit_factor(ratio, differ))
    out["first_growth"] = np.where(index, out["first_value"] - 100, np.nan)
    out["latest_growth"] = np.where(index, out["latest_value"] - 100, np.nan)
    out["revision"] = np.where(index, out["latest_value"] - out["first_value"], 100 * (ratio / unit - 1))
    out["revision_unit"] = np.where(index, "pp", "%")
    out["unit_change"] = np.where(unit != 1, unit, np.nan)
    return out[FIGURE_COLUMNS]


def revision_summary(revs: pd.DataFrame) -> pd.DataFrame:
    """Per series: n, mean_revision, mean_abs_revision, max_abs_revision (in the series' revision_unit: pp or %),
    unit_changes (levels reported as a unit change)."""
    g = revs.assign(abs_rev=revs["revision"].abs(), unit_changed=revs["unit_change"].notna()) \
        .groupby([*KEY, "revision_unit"])
    out = g.agg(n=("revision", "size"), mean_revision=("revision", "mean"), mean_abs_revision=("abs_rev", "mean"),
                max_abs_revision=("abs_rev", "max"), unit_changes=("unit_changed", "sum")).reset_index()
    return out.round({"mean_revision": 4, "mean_abs_revision": 4, "max_abs_revision": 4})
