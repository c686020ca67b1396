"""/api/published: official GSO / IMF figures as imported, latest vintage or every vintage."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from iip.reference import periods
from iip.web.deps import get_con
from iip.web.models import ErrorOut, ListOut, PublishedOut
from iip.web.services import published as svc
from iip.web.services.common import records, split_list

router = APIRouter(prefix="/api/published", tags=["published"], responses={422: {"model": ErrorOut}})
MONTHISH = r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$"


@router.get("", response_model=PublishedOut)
def published(
    source: list[str] = Query([]),
    indicator: list[str] = Query([]),
    area: list[str] = Query([]),
    node: list[str] = Query([]),
    measure: list[str] = Query([]),
    release: list[str] = Query([]),
    start: str | None = Query(None, alias="from", pattern=MONTHISH),
    end: str | None = Query(None, alias="to", pattern=MONTHISH),
    vintages: bool = Query(False, description="every vintage instead of the latest"),
    as_of: str | None = Query(
        None, description="YYYY-MM-DD: the figures as known on that date (a release month counts as known from the "
        "first day of the next month)"
    ),
    con=Depends(get_con),
):
    df = svc.figures(
        con,
        vintages=vintages,
        as_of=periods.date(as_of, option="as_of") if as_of else None,
        source=split_list(source),
        indicator=split_list(indicator),
        area=split_list(area),
        node=split_list(node),
        measure=split_list(measure),
        release=split_list(release),
        start=start,
        end=end,
    )
    return {"ok": True, "count": len(df), "vintages": vintages, "as_of": as_of, "figures": records(df)}


@router.get("/files", response_model=ListOut, summary="Imported release files")
def files(con=Depends(get_con)):
    items = records(svc.summary(con))
    return {"ok": True, "count": len(items), "items": items}


@router.get("/revisions", response_model=ListOut,
            summary="Figures revised between their first and latest release, largest first (pp of growth for "
                    "indices, % for product levels; unit changes apart), with names")
def revisions(
    limit: int = Query(200, ge=1, le=5000),
    lang: str = Query("en", pattern="^(vi|en)$"),
    indicator: str | None = Query(None),
    node: str | None = Query(None),
    con=Depends(get_con),
):
    items = records(svc.revisions(con, limit=limit, lang=lang, indicator=indicator, node=node))
    return {"ok": True, "count": len(items), "items": items}
