"""Response models of the JSON API (separate from the storage tables)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from iip.errors import Problem

Indicator = Literal["production", "consumption", "inventory"]
Measure = Literal["index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy"]
Kind = Literal["raw", "sa", "trend"]
Fmt = Literal["json", "csv"]


class ErrorOut(BaseModel):
    """The one error shape of the API."""
    ok: Literal[False] = False
    error: str = Field(description="What was wrong, in one sentence")
    status: int = Field(description="HTTP status code")


class SeriesItem(BaseModel):
    """One series: keys, names and aligned periods / values / statuses."""
    indicator: str
    area: str
    area_name: str | None = None
    node: str
    node_name: str | None = None
    kind: str
    measure: str
    periods: list[str]
    values: list[float | None] = Field(
        description="GSO's 100-based form (103.69 = +3.69%); contributions "
        "in percentage points; null when missing or confidential"
    )
    obs_status: list[str | None] = Field(description="'c' = confidential (disclosure control), else null")
    coverage_reported: list[float | None] | None = Field(
        None, description="kind raw: share of the base-year weight that reported each month (0..1)")
    coverage_imputed: list[float | None] | None = Field(
        None, description="kind raw: share of the base-year weight that was imputed each month (0..1)")


class SeriesOut(BaseModel):
    """Answer of /api/series."""
    ok: Literal[True] = True
    indicator: str
    measure: str
    kinds: list[str]
    start: str | None = Field(None, alias="from")
    end: str | None = Field(None, alias="to")
    series: list[SeriesItem]
    model_config = ConfigDict(populate_by_name=True)


class NodeOut(BaseModel):
    """A VSIC node with its names."""
    code: str
    level: str
    parent: str | None = None
    name_vi: str
    name_en: str


class AreaOut(NodeOut):
    """An area (VN, region, province, merged province) with its names and map tile."""
    tile_row: int | None = None
    tile_col: int | None = None


class ProductOut(BaseModel):
    """A product of the catalogue."""
    product_code: str
    name_vi: str | None = None
    name_en: str | None = None
    unit: str | None = None
    unit_en: str | None = None
    vsic: str | None = None
    main: bool | None = None


class CoverageOut(BaseModel):
    """First and last compiled month of an indicator."""
    indicator: str
    first: str | None = None
    last: str | None = None
    areas: int
    nodes: int


class MetaOut(BaseModel):
    """Answer of /api/meta: reference lists and the store's coverage."""
    ok: Literal[True] = True
    latest_period: str | None = None
    latest_final_period: str | None = Field(None, description="latest month that is not provisional")
    provisional_periods: list[str] = Field([], description="months with less than 80% of the weight reported")
    indicators: list[CoverageOut]
    periods: list[str]
    areas_present: list[str]
    nodes: list[NodeOut]
    areas: list[AreaOut]
    products: list[ProductOut]


class ListOut(BaseModel):
    """One reference list."""
    ok: Literal[True] = True
    count: int
    items: list[Any]


class ReleaseFile(BaseModel):
    """One file of a release package."""
    model_config = ConfigDict(extra="allow")
    name: str | None = None


class ReleaseOut(BaseModel):
    """One release vintage."""
    release_id: int
    period: str
    source: str
    vintage: int
    created_at: str | None = None
    content_hash: str | None = None
    compile_run_id: int | None = None
    langs: str | None = None
    files: list[ReleaseFile] = []


class ReleaseList(BaseModel):
    """Answer listing releases."""
    ok: Literal[True] = True
    count: int
    releases: list[ReleaseOut]


class ReleaseOne(BaseModel):
    """Answer with one release."""
    ok: Literal[True] = True
    release: ReleaseOut


class ReleaseFiles(BaseModel):
    """Answer with a release's files."""
    ok: Literal[True] = True
    release_id: int
    files: list[ReleaseFile]


class FileChange(BaseModel):
    """How one file changed between two vintages."""
    name: str
    change: Literal["added", "removed", "changed", "unchanged"]


class ReleaseDiff(BaseModel):
    """What changed between two vintages of a release."""
    ok: Literal[True] = True
    release_id: int
    against: int | None = None
    files: list[FileChange]
    figures: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict, description="per CSV file: rows whose value changed"
    )
    note: str | None = None


class PublishedFigure(BaseModel):
    """One published (GSO / IMF) figure with its vintage and provenance."""
    release: str
    source: str
    indicator: str
    area: str
    node: str
    label: str | None = None
    period: str
    measure: str
    status: str
    value: float | None = None
    unit: str | None = None
    vintage: int | None = None
    vintage_status: str | None = None


class PublishedOut(BaseModel):
    """Answer of /api/published."""
    ok: Literal[True] = True
    count: int
    vintages: bool
    as_of: str | None = None
    figures: list[PublishedFigure]


class SaRunOut(BaseModel):
    """One seasonal adjustment run (summary)."""
    model_config = ConfigDict(extra="allow")
    run_id: int
    source: str
    indicator: str
    area: str
    node: str
    status: str
    message: str | None = None
    model: str | None = None
    transform: str | None = None
    first_period: str | None = None
    last_period: str | None = None
    diagnostics: dict[str, Any] = {}


class SaList(BaseModel):
    """Answer listing seasonal adjustment runs."""
    ok: Literal[True] = True
    count: int
    runs: list[SaRunOut]


class SaRunDetail(BaseModel):
    """One seasonal adjustment run in full."""
    ok: Literal[True] = True
    run: dict[str, Any]


class TargetOut(BaseModel):
    """Answer of /api/targets: the growth needed in the remaining months to reach a target."""
    model_config = ConfigDict(extra="allow")
    ok: Literal[True] = True
    indicator: str
    area: str
    node: str
    year: int
    target_pct: float
    months_observed: int
    last_observed: str | None = None
    ytd_growth_pct: float | None = None
    required_avg_yoy_pct: float | None = None
    forecast_growth_pct: float | None = None
    expected_growth_pct: float | None = None
    growth_interval_90: list[float] = []
    probability: float
    run_id: int



class ProblemsErrorOut(ErrorOut):
    """A 422 of the collection API: the problems found (iip.errors.Problem), and whether they are only warnings
    to confirm."""

    problems: list[Problem] | None = None
    needs_confirmation: bool | None = Field(
        None, description="true when every problem is a warning: resubmit with a comment to confirm"
    )
