"""Dashboard pages (server-rendered Jinja2). The overview, provinces map and province pages draw their charts
on the server (``html_charts``: in the HTML, no script); the interactive pages draw theirs with the local
plotly.min.js (``charts``).

Every page takes ``?lang=vi|en`` (remembered in a cookie). Data comes from the service layer only.
"""

from __future__ import annotations

from typing import Literal, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from iip.errors import NotFoundError
from iip.web import charts
from iip.web import html_charts as hc
from iip.web.deps import get_cache, get_con, get_lang
from iip.web.i18n import translator
from iip.web.models import Indicator, Kind, Measure
from iip.web.pages_common import render
from iip.web.services import meta as meta_svc
from iip.web.services import overview as ov
from iip.web.services import products as prod_svc
from iip.web.services import published as pub_svc
from iip.web.services import releases as rel_svc
from iip.web.services import series as series_svc
from iip.web.services import targets as tgt_svc
from iip.web.services.common import is_province, records, split_list

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _choices(lang: str) -> dict:
    """Options of the forms: areas and nodes with names in the page's language."""
    areas = [(a["code"], f"{a['code']} {a[f'name_{lang}']}", a["level"]) for a in meta_svc.areas()]
    nodes = [(n["code"], f"{n['code']} {n[f'name_{lang}']}", n["level"]) for n in meta_svc.nodes()]
    return {"area_choices": areas, "node_choices": nodes}


def _overview_charts(data: dict, t, lang: str, *, provinces: bool) -> dict:
    """The server-rendered charts of the overview and province pages (html_charts: no Plotly)."""
    period = data["period"]

    def node_link(r):
        """Link to the series explorer for the row's node."""
        return f"/series?area={data['area']}&node={r['node']}&measure=yoy"

    figs = {
        "history": hc.history(data["history"], chart_id="chart-history", title=t("trend_chart"), lang=lang,
                              index_label=t("index"), yoy_label=t("yoy")),
        "ranking": hc.bars(data["ranking"], chart_id="chart-ranking", title=t("division_ranking"),
                           measure="yoy", lang=lang, href=node_link, empty=t("no_data")),
    }
    if not provinces:
        return figs
    figs["contrib"] = hc.bars(data["contributions"], chart_id="chart-contrib", title=t("contributions"),
                              measure="contrib_total_yoy", points=True, lang=lang, href=node_link,
                              empty=t("no_data"))
    prov = data.get("provinces") or []
    if prov:
        def prov_link(r):
            """Link to the row's province page."""
            return f"/provinces/{r['area']}?period={period}"

        shown = [p for p in prov if p.get("yoy") is not None or p.get("obs_status") == "c"]  # not: no data
        ranked = sorted(shown, key=lambda p: (p.get("yoy") is None, -(p.get("yoy") or 0)))
        figs["provinces"] = hc.bars(ranked, chart_id="chart-provinces", title=t("provinces_ranked"),
                                    measure="yoy", lang=lang, code_key="area", href=prov_link,
                                    suppressed=t("suppressed"), empty=t("no_data"))
        figs["map"] = hc.tile_map(prov, chart_id="chart-map", title=f"{t('map_title')} — {period}", measure="yoy",
                                  lang=lang, href=prov_link, suppressed=t("suppressed"), no_data=t("no_data"),
                                  show_names=data.get("units") == "34")
    return figs


@router.get("/")
def overview_page(
    request: Request,
    period: str | None = Query(None, pattern=MONTH),
    indicator: Indicator = "production",
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """The month at a glance: headline, sections, rankings, contributions, provinces map."""
    t = translator(lang)
    data = ov.overview(con, cache, period=period, indicator=indicator, lang=lang)
    figs = _overview_charts(data, t, lang, provinces=True)
    periods = meta_svc.coverage(con)["periods"]
    return render(
        request,
        "overview.html",
        {"d": data, "figs": figs, "periods": periods[::-1][:60], "indicator": indicator, "plotly": False},
        lang=lang,
    )


@router.get("/series")
def series_page(
    request: Request,
    indicator: Indicator = "production",
    area: list[str] = Query(["VN"]),
    node: list[str] = Query(["TOTAL"]),
    measure: Measure = "index",
    kind: list[Kind] = Query(["raw"]),
    start: str | None = Query(None, alias="from", description="YYYY-MM; empty = from the first month"),
    end: str | None = Query(None, alias="to", description="YYYY-MM; empty = to the last month"),
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """The series explorer: any areas x nodes x kinds, one measure; the form's empty From / To mean the whole
    range; a ticked adjustment that is not stored is said, not silently replaced by raw data."""
    t = translator(lang)
    start, end = (start or "").strip() or None, (end or "").strip() or None
    q = series_svc.SeriesQuery(
        indicator=indicator,
        areas=tuple(split_list(area)),
        nodes=tuple(split_list(node)),
        measure=measure,
        kinds=tuple(dict.fromkeys(kind)),
        start=start,
        end=end,
    )
    names = {"areas": meta_svc.name_map("areas", lang), "nodes": meta_svc.name_map("nodes", lang)}
    missing = series_svc.missing_adjustment(con, q, cache)
    try:
        groups = series_svc.as_json(series_svc.pieces(con, q, cache), names)
    except NotFoundError:
        if not missing:
            raise
        groups = []
    for g in groups:
        g["label"] = f"{g['area']} · {g['node']} {charts.shorten(str(g['node_name'] or ''), 30)} · {t(g['kind'])}"
    fig = charts.lines(groups, title=f"{t(indicator)} — {t(measure)}", lang=lang)
    query = request.url.query
    params = [
        ("indicator", indicator),
        ("measure", measure),
        *[("area", a) for a in q.areas],
        *[("node", n) for n in q.nodes],
        *[("kind", k) for k in q.kinds],
    ]
    params += [("from", start)] if start else []
    params += [("to", end)] if end else []
    from urllib.parse import urlencode

    api = "/api/series?" + urlencode(params)
    return render(
        request,
        "series.html",
        {
            "fig": fig,
            "q": q,
            "groups": groups,
            "no_adjustment": missing,
            "api": api,
            "query": query,
            "measures": list(get_args(Measure)),
            "kinds": list(get_args(Kind)),
            **_choices(lang),
        },
        lang=lang,
    )


@router.get("/provinces")
def provinces_page(
    request: Request,
    period: str | None = Query(None, pattern=MONTH),
    indicator: Indicator = "production",
    node: str = Query("TOTAL", max_length=5),
    units: Literal["63", "34"] | None = Query(None, description="63 provinces or the 34 merged on 1 July 2025"),
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """Growth by province (63, or the 34 merged provinces from July 2025) as a tile map and a table."""
    from iip.web.services.common import check_nodes

    t = translator(lang)
    check_nodes([node])
    period = ov.resolve_period(con, period)
    shown, available = ov.map_units(con, period, indicator, units, cache)
    prov_df = ov.provinces_month(con, cache, period, node=node, indicator=indicator, lang=lang, units=shown)
    prov = records(prov_df)
    cov = meta_svc.coverage(con)

    def prov_link(r):
        """Link to the row's province page."""
        return f"/provinces/{r['area']}?period={period}"

    fig = hc.tile_map(prov, chart_id="chart-map", title=f"{t('map_title')} — {period}", measure="yoy", lang=lang,
                      href=prov_link, suppressed=t("suppressed"), no_data=t("no_data"), show_names=shown == "34")
    note = None
    if not available:
        note = t("no_merged").format(period=period, last=cov["latest_period"], merger=ov.MERGER_PERIOD)
    return render(
        request,
        "provinces.html",
        {
            "fig": fig,
            "rows": prov,
            "period": period,
            "node": node,
            "indicator": indicator,
            "units": shown,
            "available": available,
            "note": note,
            "diff": ov.diffusion(con, period, prov_df, node=node, indicator=indicator, units=shown, lang=lang),
            "periods": cov["periods"][::-1][:60],
            "plotly": False,
            **_choices(lang),
        },
        lang=lang,
    )


@router.get("/provinces/{code}")
def province_page(
    request: Request,
    code: str,
    period: str | None = Query(None, pattern=MONTH),
    indicator: Indicator = "production",
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """One province: its headline, divisions and history; links across the 2025 merger."""
    t = translator(lang)
    if not (is_province(code) or ov.is_merged(code)) or code not in meta_svc.name_map("areas", lang):
        raise NotFoundError(f"no province with GSO code {code!r} (63 provinces: 2 digits; 34 merged: N + 2 digits)")
    data = ov.overview(con, cache, period=period, area=code, indicator=indicator, lang=lang)
    figs = _overview_charts(data, t, lang, provinces=False)
    links = ov.merger_links(con, cache, code, data["period"], indicator=indicator, lang=lang)
    units = "34" if ov.is_merged(code) else "63"
    return render(request, "province.html", {"d": data, "figs": figs, "code": code, "units": units,
                                             "links": links, "plotly": False}, lang=lang)


@router.get("/products")
def products_page(
    request: Request,
    period: str | None = Query(None, pattern=MONTH),
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """Each product's own growth on a year earlier (not its class's), and the latest figures GSO published."""
    t = translator(lang)
    period = ov.resolve_period(con, period)
    rows = prod_svc.month(con, period, lang=lang)
    shown = [r for r in rows if r.get("yoy") is not None]
    main = [r for r in shown if r.get("main")] or shown
    fig = charts.growth_bars(
        [r | {"node": r["product_code"]} for r in sorted(main, key=lambda r: -r["yoy"])][:40],
        measure="yoy",
        title=f"{t('product_growth')} — {period}",
        lang=lang,
    )
    return render(
        request,
        "products.html",
        {"rows": rows, "fig": fig, "period": period, "published": prod_svc.published(con)},
        lang=lang,
    )


@router.get("/releases")
def releases_page(
    request: Request, lang: str = Depends(get_lang), con=Depends(get_con), cache=Depends(get_cache)
):
    """Releases, revisions of published figures and compile runs."""
    t = translator(lang)
    revs = records(pub_svc.revisions(con, limit=50, lang=lang))
    fig = None
    if revs:
        top = revs[:20]
        fig = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "x": [r["revision"] for r in top],
                    "y": [f"{r['node_name']}, {r['area_name']}: {r['measure']} {r['period']} ({r['revision_unit']})"
                          for r in top],
                }
            ],
            "layout": {
                "title": {"text": t("revisions_chart")},
                "height": 120 + 22 * len(top),
                "separators": ",." if lang == "vi" else ".,",
                "yaxis": {"autorange": "reversed", "automargin": True},
                "margin": {"l": 10, "t": 40},
            },
        }
    return render(
        request,
        "releases.html",
        {
            "releases": rel_svc.list_releases(con),
            "revisions": revs,
            "fig": fig,
            "runs": rel_svc.compile_runs(con),
            "files": records(pub_svc.summary(con)),
            "plotly": fig is not None,
        },
        lang=lang,
    )


@router.get("/releases/{release_id}")
def release_page(
    request: Request,
    release_id: int,
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """One release vintage: its files (linked), its other vintages and what changed."""
    rel = rel_svc.get_release(con, release_id)
    return render(
        request,
        "release.html",
        {"r": rel, "vintages": rel_svc.vintages(con, release_id), "diff": rel_svc.diff(con, release_id)},
        lang=lang,
    )


@router.get("/targets")
def targets_page(
    request: Request,
    target: float = 8.0,
    year: int | None = Query(None, ge=2000, le=2100),
    area: str = Query("VN", max_length=3),
    node: str = Query("TOTAL", max_length=5),
    indicator: Indicator = "production",
    lang: str = Depends(get_lang),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """Target tracker: the growth needed in the remaining months to reach a yearly target."""
    t = translator(lang)
    res, message = None, None
    try:
        res = tgt_svc.track(con, cache, year=year, target=target, area=area, node=node, indicator=indicator)
    except tgt_svc.NotAdjustedError:   # translated: the page's language, not the log's
        message = t("no_sa")
    except NotFoundError as exc:
        message = str(exc)
    fig = (
        charts.target_chart(res, lang=lang, labels={k: t(k) for k in ("observed", "forecast", "needed_path")})
        if res
        else None
    )
    return render(
        request,
        "targets.html",
        {
            "res": res,
            "fig": fig,
            "message": message,
            "target": target,
            "year": year,
            "area": area,
            "node": node,
            "indicator": indicator,
            **_choices(lang),
        },
        lang=lang,
    )
