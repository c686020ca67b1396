"""/api/series: compiled index series (raw, seasonally adjusted or trend), JSON or CSV."""

from __future__ import annotations

import csv
import io
import math

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from iip.web.deps import get_cache, get_con
from iip.web.models import ErrorOut, Fmt, Indicator, Kind, Measure, SeriesOut
from iip.web.services.cache import from_memory
from iip.web.services.common import split_list
from iip.web.services.meta import name_map
from iip.web.services.series import SeriesQuery, as_json, pieces

CSV_COLUMNS = ["indicator", "area", "node", "kind", "measure", "period", "value", "obs_status"]
router = APIRouter(
    prefix="/api/series", tags=["series"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)


def wants_csv(request: Request, fmt: str | None) -> bool:
    """Whether to answer CSV: ``format=csv``, or an Accept header asking for text/csv only."""
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


@router.get(
    "",
    response_model=SeriesOut,
    response_model_by_alias=True,
    summary="Index series; several areas / nodes / kinds compare in one call",
)
async def series(
    request: Request,
    indicator: Indicator = Query("production"),
    area: list[str] = Query(["VN"], description="VN, region or 2-digit province; repeat or comma-separate"),
    node: list[str] = Query(
        ["TOTAL"], description="TOTAL, section, division, group or class; repeat or comma-separate"
    ),
    measure: Measure = Query("index"),
    kind: list[Kind] = Query(["raw"], description="raw | sa | trend (repeatable)"),
    start: str | None = Query(
        None, alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="first month YYYY-MM"
    ),
    end: str | None = Query(
        None, alias="to", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="last month YYYY-MM"
    ),
    format: Fmt | None = Query(None, description="json (default) or csv; or send Accept: text/csv"),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """Index series (raw, sa, trend) of any areas x nodes, one measure; JSON or CSV; disclosure-controlled."""
    q = SeriesQuery(
        indicator=indicator,
        areas=tuple(split_list(area)),
        nodes=tuple(split_list(node)),
        measure=measure,
        kinds=tuple(dict.fromkeys(kind)),
        start=start,
        end=end,
    )
    ps = await from_memory(pieces, con, q, cache)      # answered on the event loop when the cache holds it
    if wants_csv(request, format):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for p in ps:
            keys = (p.indicator, p.area, p.node, p.kind, p.measure)
            for t, v, st in zip(p.periods.tolist(), p.values.tolist(), p.status.tolist()):
                w.writerow((*keys, t, "" if math.isnan(v) else f"{v:.6f}", st or ""))
        name = f"iip_{indicator}_{measure}.csv"
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    names = {"areas": name_map("areas", "en"), "nodes": name_map("nodes", "en")}
    return {
        "ok": True,
        "indicator": indicator,
        "measure": measure,
        "kinds": list(q.kinds),
        "from": start,
        "to": end,
        "series": as_json(ps, names),
    }
