"""/api/health: the server is up; how warm its cache of disclosure-controlled figures is."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from iip.web.deps import get_cache

router = APIRouter(prefix="/api/health", tags=["health"])


class HealthOut(BaseModel):
    """Answer of /api/health."""
    ok: Literal[True] = True
    ready: bool
    blocks: int
    loads: int
    token: list[Any] | None = None
    writer: dict[str, Any] | None = None


@router.get("", response_model=HealthOut)
def health(request: Request, cache=Depends(get_cache)):
    """The server is up; how warm its cache is; what the submission writer has done and how long each stage of a
    submission took inside it (:meth:`iip.collection.writer.SubmissionWriter.stats`)."""
    return {"ok": True, **cache.stats(), "writer": request.app.state.writer.stats()}
