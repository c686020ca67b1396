"""The tables of a monthly release, read from the store: compiled indices with disclosure control applied, or GSO's
published figures as of a vintage (:mod:`iip.release.published`). Everything the workbook, narrative, charts and
SDMX show comes from here, and every figure keeps its source and vintage (:data:`FIGURES`, ``provenance``).

Tables (pandas, one row per node / product / province; growth in GSO's 100-based form):

* ``national``: TOTAL, sections, divisions (GSO order) -- index, mom, yoy, ytd, contrib_total_yoy, contrib_ytd,
  obs_status; published releases add prev_yoy (the previous month's yoy as the release revises it);
* ``quarter``: the quarter's yoy by node at quarter ends, else empty;
* ``products``: main products -- unit, quantity in the month (and the previous month's, published), Jan..month
  quantity, yoy and ytd_yoy;
* ``consumption``, ``inventory``: manufacturing's consumption (mom, yoy, ytd) and inventory (mom, yoy) indices;
* ``provinces``: the province areas of the month's geography (63 before July 2025, 34 from, by
  ``iip.reference.province_table``): TOTAL yoy and ytd, manufacturing (C) mfg_yoy and mfg_ytd -- compiled only;
* ``labour``: the labour-usage index (mom, yoy) of TOTAL, sections and ownership where the store has it;
* ``ownership``: each ownership's contribution (points) to TOTAL's yoy and ytd (``iip.compile.ownership``);
* ``history``: national levels over the last 25 months (compiled: TOTAL, sections and divisions, with the stored
  seasonal adjustment of TOTAL; published: TOTAL's yoy as known at the release).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip import measures, reference
from iip.errors import IIPError, MethodError, NotFoundError, OptionError
from iip.reference.periods import month, month_add, month_of_year, period_of_month
from iip.summary import province_diffusion, tree_rows

SOURCES = ("compiled", "published")
TABLES = ("national", "quarter", "products", "consumption", "inventory", "provinces", "labour", "ownership",
          "history")
#: Per table: its key column and, per value column, the figure it holds: (measure, period) with period 0 = the
#: release month, -1 = the month before, "Q" = the quarter ending in the month. ``history`` is long (a period
#: column) and handled apart.
FIGURES: dict[str, tuple[str, dict[str, tuple[str, int | str]]]] = {
    "national": ("code", {"index": ("index", 0), "prev_yoy": ("yoy", -1), "mom": ("mom", 0), "yoy": ("yoy", 0),
                          "ytd": ("ytd", 0), "contrib_total_yoy": ("contrib_total_yoy", 0),
                          "contrib_ytd": ("contrib_ytd", 0)}),
    "quarter": ("code", {"q_yoy": ("yoy", "Q")}),
    "products": ("product_code", {"prev_month": ("level", -1), "month": ("level", 0), "ytd": ("ytd_level", 0),
                                  "yoy": ("yoy", 0), "ytd_yoy": ("ytd", 0)}),
    "consumption": ("code", {"mom": ("mom", 0), "yoy": ("yoy", 0), "ytd": ("ytd", 0)}),
    "inventory": ("code", {"mom": ("mom", 0), "yoy": ("yoy", 0)}),
    "provinces": ("code", {"yoy": ("yoy", 0), "ytd": ("ytd", 0), "mfg_yoy": ("mfg_yoy", 0),
                           "mfg_ytd": ("mfg_ytd", 0)}),
    "labour": ("code", {"mom": ("mom", 0), "yoy": ("yoy", 0)}),
    "ownership": ("code", {"contrib_yoy": ("contrib_yoy", 0), "contrib_ytd": ("contrib_ytd", 0)}),
}
PROVENANCE = ["table", "code", "column", "source", "vintage", "figure_status"]
LABOUR_COLUMNS = ["code", "dimension", "mom", "yoy"]
OWNERSHIP_COLUMNS = ["code", "contrib_yoy", "contrib_ytd", "obs_status"]


def empty(columns: list[str]) -> pd.DataFrame:
    """A table with ``columns`` and no rows (what the store does not hold)."""
    return pd.DataFrame(columns=columns)


@dataclass
class ReleaseData:
    """Everything a release states for one month: national tables, quarter, products, companion indices,
    provinces, history, labour, ownership, each figure's provenance (source, vintage), coverage and notes."""
    period: str
    source: str                    # the release's source option: compiled | published
    national: pd.DataFrame
    quarter: pd.DataFrame
    products: pd.DataFrame
    consumption: pd.DataFrame
    inventory: pd.DataFrame
    provinces: pd.DataFrame
    history: pd.DataFrame
    labour: pd.DataFrame = field(default_factory=lambda: empty(LABOUR_COLUMNS))
    ownership: pd.DataFrame = field(default_factory=lambda: empty(OWNERSHIP_COLUMNS))
    #: per figure (table, code, column): source (compiled | GSO), vintage, figure_status (estimate | actual |
    #: compiled); figures without a row take ``figure_source`` / ``vintage`` / "compiled"
    provenance: pd.DataFrame = field(default_factory=lambda: empty(PROVENANCE))
    figure_source: str = "compiled"
    vintage: str = ""
    as_of: dt.date | None = None
    diffusion: dict[str, dict] = field(default_factory=dict)   # measure -> summary.province_diffusion(...)
    sa_run: int | None = None
    notes: list[str] = field(default_factory=list)
    #: (reported, imputed) shares of the national base-year weight; ``provisional``: released before enough
    #: reports arrived (iip.summary.month_status), said in the text.
    coverage: tuple[float | None, float | None] = (None, None)
    provisional: bool = False

    def tables(self) -> dict[str, pd.DataFrame]:
        """The release's tables by name (:data:`TABLES`)."""
        return {k: getattr(self, k) for k in TABLES}


def figure_period(period: str, spec: int | str) -> str:
    """The period a table column refers to (:data:`FIGURES`): the month, the month before, or its quarter."""
    if spec == "Q":
        return period_of_month(period, "Q")
    return month_add(period, int(spec))


def _with_disclosure(con, df: pd.DataFrame) -> pd.DataFrame:
    from iip import disclosure
    return disclosure.apply(con, df)


def national_compiled(con, period: str, indicator: str = "production") -> pd.DataFrame:
    """TOTAL, sections and divisions of VN in ``period`` from the compiled store, in GSO's order, with
    disclosure control applied."""
    df = _with_disclosure(con, measures.indices(con, indicator=indicator, area="VN", period_from=period,
                                                period_to=period, columns=(*measures.KEY, *measures.MEASURES, "run_id")))
    if df.empty:
        raise NotFoundError(f"no compiled {indicator} indices for {period}: run `iip compile` (or pick a month the "
                            "store holds)")
    return tree_rows().merge(df.drop(columns=["indicator", "area", "period"]), left_on="code", right_on="node",
                             how="inner").drop(columns="node").reset_index(drop=True)


def quarter_compiled(con, period: str, national: pd.DataFrame) -> pd.DataFrame:
    """The quarter's yoy (sum of the 3 months over the same months a year earlier) at quarter ends."""
    m = int(period[5:])
    if m % 3:
        return pd.DataFrame(columns=["code", "q_yoy"])
    df = measures.levels(con, indicator="production", area="VN", period_from=month_add(period, -14),
                         period_to=period)
    q = measures.period_growth(df, freq="Q")
    q = q[q["period"] == figure_period(period, "Q")][["node", "yoy"]].rename(columns={"node": "code",
                                                                                      "yoy": "q_yoy"})
    from iip import disclosure

    table = disclosure.suppression_table(con, "production")
    hidden = table.loc[table["area"] == "VN", "node"]  # every node, not only the table's
    q.loc[q["code"].isin(hidden) | q["code"].isin(national.loc[national["obs_status"] == "c", "code"]),
          "q_yoy"] = np.nan
    return q.reset_index(drop=True)


def products_compiled(con, period: str) -> pd.DataFrame:
    """Main products' national output: month, Jan..month, and their yoy (100-based), from the reports
    (``summary.product_growth``: 'c' for fewer than 3 enterprises or a confidential class)."""
    from iip import reference
    from iip.summary import product_growth

    df = product_growth(con, period).drop(columns=["vsic"])
    cat = reference.products()
    main = cat[cat["main"]][["product_code", "name_vi", "name_en", "unit", "unit_en", "gso_order"]]
    out = main.merge(df, on="product_code", how="inner")
    if out.empty:  # a store whose product codes are not the catalogue's: take the store's products
        names = con.execute("SELECT product_code, name_vi, name_en, unit, unit AS unit_en FROM products").df()
        out = names.merge(df, on="product_code").nlargest(20, "enterprises").assign(gso_order=pd.NA)
    out = out.sort_values(["gso_order", "product_code"], na_position="last")
    return out.drop(columns=["enterprises"]).reset_index(drop=True)


def companion_compiled(con, period: str, indicator: str) -> pd.DataFrame:
    """Manufacturing (C) and its divisions of a companion indicator (consumption, inventory) in
    ``period``, with disclosure control applied."""
    nodes = ["C", *(f"{d:02d}" for d in range(10, 34))]
    df = _with_disclosure(con, measures.indices(con, indicator=indicator, area="VN", period_from=period,
                                                period_to=period, nodes=nodes))
    return tree_rows(("section", "division")).merge(df[["node", "index", "mom", "yoy", "ytd", "obs_status"]],
                                                    left_on="code", right_on="node").drop(columns="node"
                                                                                          ).reset_index(drop=True)


def provinces_compiled(con, period: str) -> pd.DataFrame:
    """TOTAL and manufacturing (C) yoy / ytd of every province area of ``period``'s geography."""
    areas = reference.province_table(period)
    df = _with_disclosure(con, measures.indices(con, indicator="production", period_from=period, period_to=period,
                                                areas=list(areas["area"]), nodes=["TOTAL", "C"]))
    tot = df[df["node"] == "TOTAL"][["area", "index", "yoy", "ytd", "obs_status"]]
    mfg = df[df["node"] == "C"][["area", "yoy", "ytd", "obs_status"]].rename(
        columns={"yoy": "mfg_yoy", "ytd": "mfg_ytd", "obs_status": "mfg_status"})
    out = areas.merge(tot, on="area").merge(mfg, on="area", how="left")
    out["mfg_status"] = out["mfg_status"].fillna("")
    return out.rename(columns={"area": "code"}).reset_index(drop=True)


def stored_adjustment(con, period: str, first: str, *, source: str) -> tuple[pd.DataFrame, int | None]:
    """The seasonal stage's stored adjustment of VN TOTAL (view ``sa_current``) for first..period and its run id;
    (empty, None) when none is stored. A release never runs X-13 itself."""
    try:
        sa = con.execute("""SELECT period, sa, run_id FROM sa_current WHERE indicator = 'production' AND area = 'VN'
                            AND node = 'TOTAL' AND source = ? AND period BETWEEN ? AND ? ORDER BY period""",
                         [source, first, period]).df()
    except duckdb.Error:
        return pd.DataFrame(columns=["period", "sa"]), None
    run = int(sa["run_id"].iloc[0]) if len(sa) else None
    return sa[["period", "sa"]], run


def history_compiled(con, period: str, months: int = 25) -> tuple[pd.DataFrame, int | None]:
    """National levels (TOTAL, sections, divisions) of the last ``months`` months, disclosure applied, with the
    stored seasonally adjusted TOTAL (``sa``; NaN when none is stored) and that adjustment's run id."""
    first = month_add(period, 1 - months)
    nodes = list(tree_rows()["code"])
    lv = _with_disclosure(con, measures.levels(con, indicator="production", area="VN", period_from=first,
                                               period_to=period, nodes=nodes))
    sa, run = stored_adjustment(con, period, first, source="compiled")
    h = lv.rename(columns={"node": "code"})[["code", "period", "index", "obs_status"]]
    h = h.merge(sa.assign(code="TOTAL"), on=["code", "period"], how="left")
    return h.sort_values(["code", "period"]).reset_index(drop=True), run


def labour_compiled(con, period: str) -> pd.DataFrame:
    """The labour-usage index of ``period`` (table ``labour_index``, the latest computation): TOTAL, sections and
    ownership; empty when ``iip labour`` has not been run for the month."""
    try:
        df = con.execute("""SELECT dimension, code, mom, yoy FROM labour_index WHERE period = ? AND dimension IN
                            ('total', 'section', 'ownership')
                            QUALIFY computed_at = max(computed_at) OVER ()""", [period]).df()
    except duckdb.Error:
        return empty(LABOUR_COLUMNS)
    return df[LABOUR_COLUMNS]


def ownership_compiled(con, period: str, notes: list[str]) -> pd.DataFrame:
    """Each ownership's contribution to TOTAL's growth; withheld (with a note) when an ownership has fewer
    enterprises reporting than the disclosure rule's minimum (the others would then reveal it)."""
    from iip.compile.ownership import ownership_contributions
    from iip.disclosure import MIN_COUNT

    try:
        df = ownership_contributions(con, period)
    except (NotFoundError, MethodError) as exc:
        notes.append(f"ownership contributions not computed: {exc}")
        return empty(OWNERSHIP_COLUMNS)
    n = con.execute("""SELECT g.ownership, count(DISTINCT r.enterprise_id) FROM reports r JOIN register g
                       USING (enterprise_id) WHERE r.period = ? AND r.status = 'R' GROUP BY 1""", [period]).fetchall()
    few = [o for o, k in n if k < MIN_COUNT]
    status = "c" if few else ""
    if few:
        notes.append(f"ownership contributions withheld: fewer than {MIN_COUNT} enterprises report in "
                     f"{', '.join(sorted(map(str, few)))}")
        df[["contrib_yoy", "contrib_ytd"]] = np.nan
    return df.rename(columns={"ownership": "code"})[["code", "contrib_yoy", "contrib_ytd"]].assign(obs_status=status)


def diffusion(con, period: str) -> dict[str, dict]:
    """Provinces up / down (``summary.province_diffusion``): the month's yoy, and the ytd from February."""
    out = {"yoy": province_diffusion(con, period, measure="yoy")}
    if month_of_year(period) > 1:
        out["ytd"] = province_diffusion(con, period, measure="ytd")
    return out


def load_compiled(con: duckdb.DuckDBPyConnection, period: str) -> ReleaseData:
    """Every table of a compiled release; audit blocks disclosure control could not settle go to its notes."""
    from iip import disclosure

    nat = national_compiled(con, period)
    run = int(nat["run_id"].dropna().max()) if nat["run_id"].notna().any() else None
    hist, sa_run = history_compiled(con, period)
    notes = [f"compiled data: compile run {run}",
             f"seasonally adjusted TOTAL: stored adjustment, run {sa_run}" if sa_run is not None else
             "seasonally adjusted TOTAL: none stored for this period (run `iip sa --all`); the release does not "
             "run X-13 itself"]
    notes += [f"disclosure control: {u}" for u in disclosure.unsettled(con)]
    return ReleaseData(period, "compiled", nat.drop(columns="run_id"), quarter_compiled(con, period, nat),
                       products_compiled(con, period), companion_compiled(con, period, "consumption"),
                       companion_compiled(con, period, "inventory"), provinces_compiled(con, period), hist,
                       labour=labour_compiled(con, period), ownership=ownership_compiled(con, period, notes),
                       vintage=f"compile run {run}", diffusion=diffusion(con, period), sa_run=sa_run, notes=notes)


def load(con: duckdb.DuckDBPyConnection, period: str, *, source: str = "compiled",
         as_of: dt.date | None = None) -> ReleaseData:
    """All release tables for ``period`` from ``source`` (compiled | published; ``as_of``: published figures as
    known on that date, docs/methods/release.md)."""
    month(period, option="--period")
    if source == "compiled":
        if as_of is not None:
            raise OptionError("--as-of applies to --source published (the store keeps one compiled vintage: the "
                              "release's compile run is recorded instead)", option="--as-of")
        return load_compiled(con, period)
    if source == "published":
        from iip.release.published import load_published
        return load_published(con, period, as_of=as_of)
    raise IIPError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
