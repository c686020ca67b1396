"""Read-side queries on compiled indices: the month's headline in GSO's shape (used by the CLI, releases and the
dashboard), and which months are provisional.

A month is **provisional** while less than :data:`PROVISIONAL_BELOW` (80%) of the national base-year weight has
reported it (the coverage of production, VN, TOTAL: ``index_coverage``): its figures rest mostly on imputed
values and will move when the late reports arrive. :func:`month_status` decides it, for every reader: a
provisional month is never the default month of ``iip show``, the dashboard or a release
(:func:`latest_period`), and ``iip release`` refuses it unless asked (``--provisional``).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from iip import reference
from iip.errors import IIPError, NotFoundError, OptionError
from iip.measures import COVERAGE, KEY, direction_counts, period_growth
from iip.reference import province_areas, section_of
from iip.reference.periods import period_freq
from iip.store import scalar
from iip.validation import INDICATOR_QUANTITY

INDICATORS = tuple(INDICATOR_QUANTITY)
LANGS = ("vi", "en")
#: Columns of ``iip export indices``: the standard ones, then (``--extra``) two more contributions, then coverage.
EXPORT_COLUMNS = [*KEY, "index", "mom", "yoy", "ytd", "contrib_yoy"]
EXPORT_EXTRA = ["contrib_ytd", "contrib_total_yoy"]

#: A month whose national reported coverage is below this share of base-year weight is provisional.
PROVISIONAL_BELOW = 0.80


def month_status(con: duckdb.DuckDBPyConnection, indicator: str = "production") -> pd.DataFrame:
    """Every compiled month of ``indicator`` with the national coverage (shares of base-year weight reported
    and imputed; NULL when the compile recorded none) and whether it is provisional (reported share below
    :data:`PROVISIONAL_BELOW`). Ordered by period."""
    df = con.execute("""SELECT period, coverage_reported AS reported, coverage_imputed AS imputed
        FROM indices_where(indicator_is := ?, area_is := 'VN', node_is := 'TOTAL') ORDER BY period""",
                     [indicator]).df()
    df["provisional"] = (df["reported"] < PROVISIONAL_BELOW).fillna(False).astype(bool)
    return df


def latest_period(con: duckdb.DuckDBPyConnection, indicator: str = "production", *,
                  provisional: bool = False) -> str:
    """The latest compiled month that is not provisional (``provisional=True``: the latest compiled month)."""
    st = month_status(con, indicator)
    if st.empty:
        raise NotFoundError("no compiled indices in the store: run `iip compile` first")
    final = st if provisional else st[~st["provisional"]]
    if final.empty:
        raise NotFoundError(f"every compiled month is provisional (less than {PROVISIONAL_BELOW:.0%} of the weight "
                            "reported): ask for one with --period")
    return str(final["period"].iloc[-1])


def is_provisional(con: duckdb.DuckDBPyConnection, period: str) -> bool:
    """Whether ``period`` (a month) is provisional (:func:`month_status`)."""
    st = month_status(con)
    row = st[st["period"] == period]
    return bool(len(row) and row["provisional"].iloc[0])


def national_coverage(con: duckdb.DuckDBPyConnection, period: str) -> tuple[float | None, float | None]:
    """(reported, imputed) shares of the national base-year weight in ``period`` (None when not recorded)."""
    st = month_status(con)
    row = st[st["period"] == period]
    if row.empty or pd.isna(row["reported"].iloc[0]):
        return None, None
    return float(row["reported"].iloc[0]), float(row["imputed"].iloc[0])


def check_view(*, area: str = "VN", node: str = "TOTAL", indicator: str = "production", lang: str = "vi",
               levels: tuple[str, ...] = ("total", "section", "division")) -> None:
    """The options of a table view (``iip show``): an OptionError naming the option and what it accepts."""
    if indicator not in INDICATORS:
        raise OptionError.choice("--indicator", indicator, INDICATORS)
    if lang not in LANGS:
        raise OptionError.choice("--lang", lang, LANGS)
    if area not in reference.area_codes():
        raise OptionError(f"--area must be VN, a region code (RRD, NMM, NCC, CH, SE, MRD), a 2-digit GSO province "
                          f"code or N + the code of a province merged in 2025, not {area!r}", option="--area")
    t = reference.vsic()
    if node not in set(t.loc[t["level"].isin(levels), "code"]):
        raise OptionError(f"--node must be TOTAL, a section B..E or a 2-digit VSIC 2018 division of sections B-E, "
                          f"not {node!r}", option="--node")


def export_path(out: Path, option: str = "--out") -> Path:
    """``out`` checked as an export file: .csv or .parquet (an OptionError naming ``option`` otherwise)."""
    if Path(out).suffix.lower() not in (".csv", ".parquet"):
        raise OptionError(f"{option} must end in .csv or .parquet, not {Path(out).name!r}", option=option)
    return Path(out)


def export_indices(con: duckdb.DuckDBPyConnection, out: Path, *, extra: bool = False) -> int:
    """Write every compiled index to ``out`` (.csv or .parquet): EXPORT_COLUMNS, with ``extra`` EXPORT_EXTRA,
    then the coverage columns; written to ``out``.part and renamed, so a failure never leaves a half-written file
    under the final name. Returns the rows written."""
    cols = EXPORT_COLUMNS + (EXPORT_EXTRA if extra else []) + list(COVERAGE)
    out = export_path(out)
    if not scalar(con, "SELECT count(*) FROM index_cells"):
        raise NotFoundError("no compiled indices in the store: run `iip compile` first")
    sel = ", ".join(f'"{c}"' for c in cols)
    q = f"SELECT {sel} FROM indices ORDER BY indicator, area, node, period"
    tmp = out.with_name(out.name + ".part")
    fmt = "(FORMAT csv, HEADER true)" if out.suffix.lower() == ".csv" else "(FORMAT parquet)"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        n = scalar(con, f"COPY ({q}) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' {fmt}")
        tmp.replace(out)
    except (OSError, duckdb.IOException, duckdb.PermissionException) as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise IIPError(f"cannot write {out}: {getattr(exc, 'strerror', None) or str(exc).splitlines()[0]}") \
            from None
    return int(n)


def node_names(lang: str = "vi") -> dict[str, str]:
    """VSIC node code -> its name in ``lang`` (vi | en)."""
    t = reference.vsic()
    return dict(zip(t["code"], t["name_vi" if lang == "vi" else "name_en"]))




def gso_order(codes: pd.Series, levels: pd.Series) -> pd.Series:
    """Sort key of GSO's tables: TOTAL, then each section followed by its divisions."""
    def key(code, level):
        if level == "total":
            return "0"
        if level == "section":
            return "1" + code
        return "1" + section_of(code) + code
    return pd.Series([key(c, lv) for c, lv in zip(codes, levels)], index=codes.index)


def tree_rows(levels=("total", "section", "division")) -> pd.DataFrame:
    """The VSIC rows of ``levels`` (code, level, parent, name_vi, name_en) in GSO's table order."""
    t = reference.vsic()
    t = t[t["level"].isin(levels)][["code", "level", "parent", "name_vi", "name_en"]]
    return t.assign(order=gso_order(t["code"], t["level"])).sort_values("order").drop(columns="order")


def headline_table(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", indicator: str = "production",
                   levels: tuple[str, ...] = ("total", "section", "division")) -> pd.DataFrame:
    """TOTAL, sections and divisions (GSO's table order) with index, mom, yoy, ytd, contributions and coverage
    (shares of the base-year weight reported and imputed), disclosure control applied (``obs_status`` 'c':
    values blank)."""
    from iip import disclosure

    df = con.execute("""SELECT indicator, area, node, "index", mom, yoy, ytd, contrib_yoy, contrib_total_yoy,
                               coverage_reported, coverage_imputed
                        FROM indices_where(indicator_is := ?, area_is := ?, period_from := ?, period_to := ?)""",
                     [indicator, area, period, period]).df()
    if df.empty:
        raise NotFoundError(f"no {indicator} indices for area {area} in {period}")
    df = disclosure.apply(con, df).drop(columns=["indicator", "area"])
    out = tree_rows(levels).merge(df, left_on="code", right_on="node", how="inner").drop(columns=["node"])
    return out.reset_index(drop=True)


def province_diffusion(con: duckdb.DuckDBPyConnection, period: str, *, node: str = "TOTAL",
                       indicator: str = "production", measure: str = "yoy", units: str | None = None,
                       areas: list[str] | None = None) -> dict:
    """How many provinces rose / fell (``measure`` above / below 100) for ``node`` in ``period``, counting only
    figures that may be published (disclosure control applied): the 63 provinces before July 2025, the 34
    merged provinces (areas ``N<code>``) from then on (``units`` '63' | '34' overrides the date rule; ``areas``
    narrows the count to some of them, e.g. one region's).

    Returns {rose, fell, unchanged, published, confidential, provinces}: ``confidential`` = provinces without a
    published figure (suppressed, or nothing compiled: the two look the same to a reader), so that
    rose + fell + unchanged + confidential = provinces. The one count behind ``iip show``, the dashboard and
    the release text (:func:`diffusion_sentence`)."""
    from iip import disclosure

    areas = [a for a in (province_areas(period) if units is None else _unit_areas(units))
             if areas is None or a in areas]
    df = con.execute(f"""SELECT indicator, area, node, {measure} AS v
                         FROM indices_where(indicator_is := ?, node_is := ?, period_from := ?, period_to := ?)""",
                     [indicator, node, period, period]).df()
    df = disclosure.apply(con, df[df["area"].isin(areas)])
    shown = df[(df["obs_status"] != "c") & df["v"].notna()]
    return _diffusion(shown["v"], len(areas))


def _unit_areas(units: str) -> list[str]:
    """The province area codes of '63' (before July 2025) or '34' (from July 2025)."""
    from iip.reference import MERGER_PERIOD

    return province_areas("2025-06" if units == "63" else MERGER_PERIOD)


def _diffusion(values: pd.Series, provinces: int) -> dict:
    counts = direction_counts(values)
    return {**counts, "published": int(len(values)), "confidential": provinces - int(len(values)),
            "provinces": provinces}


def diffusion_sentence(d: dict, lang: str = "en") -> str:
    """"rose in 21 and fell in 22 of 63 provinces; 20 confidential" (vi: "tăng ở 21 và giảm ở 22 trong 63
    tỉnh, thành phố; 20 bảo mật") from :func:`province_diffusion`."""
    if lang == "vi":
        s = f"tăng ở {d['rose']} và giảm ở {d['fell']} trong {d['provinces']} tỉnh, thành phố"
        return s + (f"; {d['confidential']} bảo mật" if d["confidential"] else "")
    s = f"rose in {d['rose']} and fell in {d['fell']} of {d['provinces']} provinces"
    return s + (f"; {d['confidential']} confidential" if d["confidential"] else "")


def top_contributors(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", n: int = 5,
                     indicator: str = "production", lang: str = "vi") -> pd.DataFrame:
    """Divisions with the largest contributions (percentage points) to TOTAL's yoy growth, by absolute size
    (published divisions only: disclosure control applied)."""
    from iip import disclosure

    df = con.execute("""SELECT indicator, area, node, yoy, contrib_total_yoy
                        FROM indices_where(indicator_is := ?, area_is := ?, period_from := ?, period_to := ?)
                        WHERE length(node) = 2 AND contrib_total_yoy IS NOT NULL""",
                     [indicator, area, period, period]).df()
    df = disclosure.apply(con, df).dropna(subset=["contrib_total_yoy"]).drop(
        columns=["indicator", "area", "obs_status"])
    df = df.reindex(df["contrib_total_yoy"].abs().sort_values(ascending=False).index).head(n)
    names = node_names(lang)
    return df.assign(name=df["node"].map(names)).reset_index(drop=True)




def _levels_for(con, period: str, *, indicator: str, area: str | None = None, node: str | None = None
                ) -> pd.DataFrame:
    """Monthly levels of the year of ``period`` and the year before (what its growth needs)."""
    year = int(period[:4])
    where, args = ["indicator = ?", "period BETWEEN ? AND ?"], [indicator, f"{year - 1}-01", f"{year}-12"]
    for col, val in (("area", area), ("node", node)):
        if val is not None:
            where.append(f"{col} = ?")
            args.append(val)
    return con.execute(f"""SELECT indicator, area, node, period, "index" FROM index_levels
                           WHERE {' AND '.join(where)}""", args).df()


def period_table(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", indicator: str = "production",
                 levels: tuple[str, ...] = ("total", "section", "division")) -> pd.DataFrame:
    """A quarter, half-year or year in GSO's table order: index = mean of its months, yoy = 100 x sum of its
    months / sum of the same months a year earlier (``measures.period_growth``; every month required)."""
    df = period_growth(_levels_for(con, period, indicator=indicator, area=area), freq=period_freq(period))
    df = df[df["period"] == period]
    if df.empty:
        raise NotFoundError(f"no complete {period} (and the same period a year earlier) of {indicator} indices "
                            f"for area {area}")
    out = tree_rows(levels).merge(df[["node", "index", "yoy"]], left_on="code", right_on="node", how="inner")
    return out.drop(columns=["node"]).reset_index(drop=True)


def period_province_diffusion(con: duckdb.DuckDBPyConnection, period: str, *, node: str = "TOTAL",
                              indicator: str = "production") -> dict:
    """Provinces up / down over a quarter, half-year or year (the period's yoy above / below 100), published
    figures only: the same counts and rule as :func:`province_diffusion`."""
    from iip import disclosure

    areas = province_areas(period)
    df = period_growth(_levels_for(con, period, indicator=indicator, node=node), freq=period_freq(period))
    df = disclosure.apply(con, df[(df["period"] == period) & df["area"].isin(areas)])
    shown = df[(df["obs_status"] != "c") & df["yoy"].notna()]
    return _diffusion(shown["yoy"], len(areas))


def division_diffusion(table: pd.DataFrame, measure: str = "yoy") -> dict:
    """Divisions up / down in a table of :func:`headline_table` or :func:`period_table` (``measure`` vs 100)."""
    d = table[table["level"] == "division"]
    return {**direction_counts(d[measure]), "divisions": int(d[measure].notna().sum())}


def product_growth(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Each product's national output from the reports: the month, January..month, and their yoy (100-based):
    yoy = 100 x q(month) / q(same month a year earlier), ytd_yoy likewise on the January..month sums.

    Disclosure: a product made by fewer than 3 reporting enterprises in the month, or whose class is
    confidential at national level (its products' figures would give the class index back), is 'c' with its
    figures blank. Columns: product_code, vsic, month, ytd, yoy, ytd_yoy, enterprises, obs_status."""
    from iip import disclosure
    from iip.disclosure.rules import MIN_COUNT

    y = period[:4]
    prev = f"{int(y) - 1}{period[4:]}"
    df = con.execute("""
        SELECT product_code, vsic, month, ytd, growth(month, month_prev) AS yoy, growth(ytd, ytd_prev) AS ytd_yoy,
               enterprises FROM (
        SELECT r.product_code, p.vsic,
            sum(produced) FILTER (WHERE period = ?) AS month,
            sum(produced) FILTER (WHERE period = ?) AS month_prev,
            sum(produced) FILTER (WHERE period BETWEEN ? AND ?) AS ytd,
            sum(produced) FILTER (WHERE period BETWEEN ? AND ?) AS ytd_prev,
            count(DISTINCT enterprise_id) FILTER (WHERE period = ? AND status = 'R') AS enterprises
        FROM reports r JOIN products p USING (product_code) GROUP BY ALL)""",
                     [period, prev, f"{y}-01", period, f"{int(y) - 1}-01", prev, period]).df()
    table = disclosure.suppression_table(con, "production")   # the products' produced quantities
    hidden_classes = set(table.loc[table["area"] == "VN", "node"])
    hide = (df["enterprises"] < MIN_COUNT) | df["vsic"].isin(hidden_classes)
    df["obs_status"] = np.where(hide, "c", "")
    df.loc[hide, ["month", "ytd", "yoy", "ytd_yoy"]] = np.nan
    return df.sort_values("product_code").reset_index(drop=True)
