"""Store-backed drivers of the published-figure methods (read the store, call the pure methods, write)."""
from __future__ import annotations

import pandas as pd

from iip.published.consistency import compare_growth, discontinuities
from iip.published.levels import reconstruct_levels, rereference
from iip.published.revisions import figure_revisions, revision_summary
from iip.store import transaction

NODES = r"^(TOTAL|[B-E]|[0-9]{2})$"


def latest_gso(con, measures: tuple[str, ...]) -> pd.DataFrame:
    """Latest GSO production figures (area VN, TOTAL/sections/divisions, monthly periods)."""
    q = ",".join("?" * len(measures))
    return con.execute(f"""SELECT node, period, measure, value FROM published_latest
        WHERE source = 'GSO' AND indicator = 'production' AND area = 'VN' AND measure IN ({q})
          AND regexp_matches(node, '{NODES}') AND regexp_matches(period, '^[0-9]{{4}}-[0-9]{{2}}$')""",
                       list(measures)).df()


def gso_figures(con) -> int:
    """How many GSO published figures the store holds."""
    return int(con.execute("SELECT count(*) FROM published_figures WHERE source = 'GSO'").fetchone()[0])


def gso_levels(con, *, reference_year: int = 2020) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Least-squares level series of every GSO node (latest mom/yoy) and ALL residuals
    [node, period, measure, published, fitted, residual]."""
    obs = latest_gso(con, ("mom", "yoy"))
    frames, res_all = [], []
    for node, g in obs.groupby("node"):
        lv, res = reconstruct_levels(g, reference_year=reference_year)
        frames.append(lv.assign(source="GSO", indicator="production", area="VN", node=node))
        res_all.append(res.assign(node=node))
    cols = ["node", "period", "measure", "published", "fitted", "residual"]
    res = pd.concat(res_all)[cols] if res_all else pd.DataFrame(columns=cols)
    return frames, res.reset_index(drop=True)


def level_disagreements(con, *, reference_year: int = 2020, tolerance: float = 1.0) -> pd.DataFrame:
    """Published figures the reconstructed levels cannot reproduce: |published - fitted| > tolerance
    (index points), largest first. Read-only."""
    _, res = gso_levels(con, reference_year=reference_year)
    bad = res[res["residual"].abs() > tolerance]
    return bad.reindex(bad["residual"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def build_levels(con, *, reference_year: int = 2020, tolerance: float = 1.0) -> pd.DataFrame:
    """Reconstruct GSO level series (source GSO) and re-reference IMF levels (source IMF-NSDP) to
    ``reference_year`` = 100; replace ``published_levels``. Returns residuals with |residual| > tolerance."""
    frames, res = gso_levels(con, reference_year=reference_year)
    imf = con.execute("""SELECT area, node, period, value FROM published_latest
                         WHERE source = 'IMF-NSDP' AND measure = 'level'""").df()
    for (area, node), g in imf.groupby(["area", "node"]):
        frames.append(rereference(g[["period", "value"]], year=reference_year)
                      .assign(source="IMF-NSDP", indicator="production", area=area, node=node))
    cols = ["source", "indicator", "area", "node", "period", "value"]
    levels = pd.concat(frames)[cols] if frames else pd.DataFrame(columns=cols)  # noqa: F841
    with transaction(con):
        con.execute("DELETE FROM published_levels")
        con.execute("INSERT INTO published_levels SELECT * FROM levels WHERE value IS NOT NULL AND isfinite(value)")
    return res[res["residual"].abs() > tolerance].reset_index(drop=True)


def check_consistency(con, *, tolerance: float = 5.0, min_run: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comparison, discontinuities): mom and yoy implied by the SDMX levels vs GSO's latest published mom and
    yoy; every run, dated from the first month of its step (iip.published.consistency)."""
    imf = con.execute("""SELECT node, period, value FROM published_latest
                         WHERE source = 'IMF-NSDP' AND measure = 'level' AND area = 'VN'""").df()
    gso = latest_gso(con, ("mom", "yoy"))
    cmp = compare_growth(imf, gso, tolerance=tolerance)
    return cmp, discontinuities(cmp, min_run=min_run, tolerance=tolerance)


def revisions(con, *, indicator: str | None = None, node: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-figure revisions, per-series summary), first publication -> latest, in growth terms
    (iip.published.revisions), optionally for one indicator and/or node. Read by the one service function
    behind `iip revisions`, `iip export revisions` and the web's revisions view and API."""
    v = con.execute("""SELECT source, indicator, area, node, period, measure, vintage_status AS status, value,
                              unit, release, vintage FROM published_vintages
                       WHERE (? IS NULL OR indicator = ?) AND (? IS NULL OR node = ?)""",
                    [indicator, indicator, node, node]).df()
    revs = figure_revisions(v)
    return revs, revision_summary(revs)
