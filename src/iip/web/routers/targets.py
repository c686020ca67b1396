"""/api/targets: growth needed to reach an annual target and the probability of reaching it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from iip.web.deps import get_cache, get_con
from iip.web.models import ErrorOut, Indicator, TargetOut
from iip.web.services import targets as svc

router = APIRouter(
    prefix="/api/targets", tags=["targets"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)


@router.get("", response_model=TargetOut)
def targets(
    target: float = Query(..., description="annual growth target, percent (7.5 = +7.5%)"),
    year: int | None = Query(None, ge=2000, le=2100, description="default: the year being forecast"),
    area: str = Query("VN", max_length=3),
    node: str = Query("TOTAL", max_length=5),
    indicator: Indicator = Query("production"),
    con=Depends(get_con),
    cache=Depends(get_cache),
):
    """The growth needed in the remaining months of a year to reach ``target`` (stored forecasts)."""
    return {
        "ok": True,
        **svc.track(con, cache, year=year, target=target, area=area, node=node, indicator=indicator),
    }
