"""/api/releases: releases, one release, its files, its vintages and what changed between vintages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse

from iip.web.deps import get_con
from iip.web.models import ErrorOut, ReleaseDiff, ReleaseFiles, ReleaseList, ReleaseOne
from iip.web.services import releases as svc

router = APIRouter(
    prefix="/api/releases", tags=["releases"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)
RID = Path(..., ge=1, description="release_id")


@router.get("", response_model=ReleaseList)
def list_releases(
    period: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    source: str | None = Query(None, max_length=40),
    con=Depends(get_con),
):
    """Every release vintage, optionally of one month."""
    items = svc.list_releases(con, period=period, source=source)
    return {"ok": True, "count": len(items), "releases": items}


@router.get("/{release_id}", response_model=ReleaseOne)
def one(release_id: int = RID, con=Depends(get_con)):
    """One release vintage."""
    return {"ok": True, "release": svc.get_release(con, release_id)}


@router.get("/{release_id}/files", response_model=ReleaseFiles)
def files(release_id: int = RID, con=Depends(get_con)):
    """The files of a release, with their hashes."""
    return {"ok": True, "release_id": release_id, "files": svc.get_release(con, release_id)["files"]}


@router.get("/{release_id}/files/{name:path}", summary="One file of a release package (as written)",
            response_class=FileResponse)
def file(release_id: int = RID, name: str = Path(..., description="a file name the release lists"),
         con=Depends(get_con)):
    """Download one file of the release: a file the release lists, from its own directory only."""
    p = svc.file_path(con, release_id, name)
    return FileResponse(p, filename=p.name)


@router.get("/{release_id}/vintages", response_model=ReleaseList)
def vintages(release_id: int = RID, con=Depends(get_con)):
    """Every vintage of the same month and source."""
    items = svc.vintages(con, release_id)
    return {"ok": True, "count": len(items), "releases": items}


@router.get("/{release_id}/diff", response_model=ReleaseDiff)
def diff(
    release_id: int = RID,
    against: int | None = Query(None, ge=1, description="other release_id (default: the previous vintage)"),
    con=Depends(get_con),
):
    """What changed between a release and another vintage of it."""
    return {"ok": True, **svc.diff(con, release_id, against)}
