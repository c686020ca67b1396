"""/api/sa: seasonal adjustment runs and their diagnostics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query

from iip.web.deps import get_cache, get_con
from iip.web.models import ErrorOut, Indicator, SaList, SaRunDetail
from iip.web.services import sa as svc

router = APIRouter(
    prefix="/api/sa",
    tags=["seasonal adjustment"],
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get("", response_model=SaList, summary="Latest run per series (or all runs) with diagnostics")
def runs(
    indicator: Indicator | None = None,
    area: str | None = Query(None, max_length=3),
    node: str | None = Query(None, max_length=5),
    source: str | None = Query(None, max_length=40),
    status: Literal["ok", "skipped", "failed"] | None = None,
    all_runs: bool = Query(False, alias="all", description="every run, not only the latest per series"),
    limit: int = Query(200, ge=1, le=5000),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """Seasonal adjustment runs (summary), confidential cells' diagnostics withheld."""
    items = svc.runs(
        con,
        cache,
        indicator=indicator,
        area=area,
        node=node,
        source=source,
        status=status,
        latest=not all_runs,
        limit=limit,
    )
    return {"ok": True, "count": len(items), "runs": items}


@router.get("/runs/{run_id}", response_model=SaRunDetail, summary="One run: report, spec, series, forecasts")
def run(run_id: int = Path(..., ge=1), con=Depends(get_con), cache=Depends(get_cache)):
    """One seasonal adjustment run in full (disclosure-controlled)."""
    return {"ok": True, "run": svc.run(con, cache, run_id)}
