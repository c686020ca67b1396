"""/api/meta: nodes, areas and products with Vietnamese and English names, and the store's coverage."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from iip.web.deps import get_con
from iip.web.models import ErrorOut, ListOut, MetaOut
from iip.web.services import meta as svc

router = APIRouter(prefix="/api/meta", tags=["meta"], responses={422: {"model": ErrorOut}})


@router.get("", response_model=MetaOut, summary="Everything: reference lists and coverage")
def meta(con=Depends(get_con)):
    """Everything: reference lists and the store's coverage."""
    return {"ok": True, **svc.meta(con)}


@router.get("/{kind}", response_model=ListOut, summary="One reference list: nodes, areas or products")
def meta_list(kind: Literal["nodes", "areas", "products"]):
    """One reference list: nodes, areas or products."""
    items = {"nodes": svc.nodes, "areas": svc.areas, "products": svc.products}[kind]()
    return {"ok": True, "count": len(items), "items": list(items)}
