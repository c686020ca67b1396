"""Response models of the JSON API (separate from the storage tables)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Indicator = Literal["production", "consumption", "inventory"]
Measure = Literal["index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy"]
Kind = Literal["raw", "sa", "trend"]
Fmt = Literal["json", "csv"]


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    error: str = Field(description="What was wrong, in one sentence")
    status: int = Field(description="HTTP status code")


class SeriesItem(BaseModel):
    indicator: str
    area: str
    area_name: Optional[str] = None
    node: str
    node_name: Optional[str] = None
    kind: str
    measure: str
    periods: list[str]
    values: list[Optional[float]] = Field(description="GSO's 100-based form (103.69 = +3.69%); contributions "
                                          "in percentage points; null when missing or confidential")
    obs_status: list[Optional[str]] = Field(description="'c' = confidential (disclosure control), else null")


class SeriesOut(BaseModel):
    ok: Literal[True] = True
    indicator: str
    measure: str
    kinds: list[str]
    start: Optional[str] = Field(None, alias="from")
    end: Optional[str] = Field(None, alias="to")
    series: list[SeriesItem]
    model_config = ConfigDict(populate_by_name=True)


class NodeOut(BaseModel):
    code: str
    level: str
    parent: Optional[str] = None
    name_vi: str
    name_en: str


class AreaOut(NodeOut):
    tile_row: Optional[int] = None
    tile_col: Optional[int] = None


class ProductOut(BaseModel):
    product_code: str
    name_vi: Optional[str] = None
    name_en: Optional[str] = None
    unit: Optional[str] = None
    unit_en: Optional[str] = None
    vsic: Optional[str] = None
    main: Optional[bool] = None


class CoverageOut(BaseModel):
    indicator: str
    first: Optional[str] = None
    last: Optional[str] = None
    areas: int
    nodes: int


class MetaOut(BaseModel):
    ok: Literal[True] = True
    latest_period: Optional[str] = None
    indicators: list[CoverageOut]
    periods: list[str]
    areas_present: list[str]
    nodes: list[NodeOut]
    areas: list[AreaOut]
    products: list[ProductOut]


class ListOut(BaseModel):
    ok: Literal[True] = True
    count: int
    items: list[Any]


class ReleaseFile(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Optional[str] = None


class ReleaseOut(BaseModel):
    release_id: int
    period: str
    source: str
    vintage: int
    created_at: Optional[str] = None
    content_hash: Optional[str] = None
    compile_run_id: Optional[int] = None
    langs: Optional[str] = None
    files: list[ReleaseFile] = []


class ReleaseList(BaseModel):
    ok: Literal[True] = True
    count: int
    releases: list[ReleaseOut]


class ReleaseOne(BaseModel):
    ok: Literal[True] = True
    release: ReleaseOut


class ReleaseFiles(BaseModel):
    ok: Literal[True] = True
    release_id: int
    files: list[ReleaseFile]


class FileChange(BaseModel):
    name: str
    change: Literal["added", "removed", "changed", "unchanged"]


class ReleaseDiff(BaseModel):
    ok: Literal[True] = True
    release_id: int
    against: Optional[int] = None
    files: list[FileChange]
    figures: dict[str, list[dict[str, Any]]] = Field(default_factory=dict,
                                                     description="per CSV file: rows whose value changed")
    note: Optional[str] = None


class PublishedFigure(BaseModel):
    release: str
    source: str
    indicator: str
    area: str
    node: str
    label: Optional[str] = None
    period: str
    measure: str
    status: str
    value: Optional[float] = None
    unit: Optional[str] = None
    vintage: Optional[int] = None
    vintage_status: Optional[str] = None


class PublishedOut(BaseModel):
    ok: Literal[True] = True
    count: int
    vintages: bool
    figures: list[PublishedFigure]


class SaRunOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    run_id: int
    source: str
    indicator: str
    area: str
    node: str
    status: str
    message: Optional[str] = None
    model: Optional[str] = None
    transform: Optional[str] = None
    first_period: Optional[str] = None
    last_period: Optional[str] = None
    diagnostics: dict[str, Any] = {}


class SaList(BaseModel):
    ok: Literal[True] = True
    count: int
    runs: list[SaRunOut]


class SaRunDetail(BaseModel):
    ok: Literal[True] = True
    run: dict[str, Any]


class TargetOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    ok: Literal[True] = True
    indicator: str
    area: str
    node: str
    year: int
    target_pct: float
    months_observed: int
    last_observed: Optional[str] = None
    ytd_growth_pct: Optional[float] = None
    required_avg_yoy_pct: Optional[float] = None
    forecast_growth_pct: Optional[float] = None
    expected_growth_pct: Optional[float] = None
    growth_interval_90: list[float] = []
    probability: float
    run_id: int
