"""One GSO workbook -> tidy published figures with provenance, warnings and coverage.

Pure with respect to the store: :func:`parse_file` reads a file and returns a :class:`Parsed`
(figures as dicts, warnings naming file/sheet/row, cells seen/mapped); writing is
``iip.ingest.published``'s job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from iip.errors import Problem
from iip.ingest.gso.figures import dedupe, derived_figures, impossible
from iip.ingest.gso.header import Header, fold, parse_header, title_month
from iip.ingest.gso.labels import SKIP, map_area, map_label, map_product
from iip.ingest.gso.tables import Table, find_tables, has_table_title
from iip.ingest.gso.workbook import WorkbookError, read_workbook
from iip.reference.geography import province_area, province_units
from iip.reference.periods import last_month, months_between

TABLE_INDICATOR = {"production": "production", "production_quarter": "production",
                   "labour": "labour", "labour_province": "labour", "product": "product_output"}
#: Tables of the index of industrial production itself: a workbook without one is reported "no IIP tables".
IIP_KINDS = ("production", "production_quarter")


@dataclass
class Parsed:
    """What one workbook gave: figures (dicts), warnings (text naming file, sheet, row or column), refused
    cells (impossible values, as problems naming file, sheet and cell), data cells seen and mapped."""
    file: str
    release: str | None
    figures: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    cells_seen: int = 0
    cells_mapped: int = 0
    tables: int = 0

    @property
    def has_iip_tables(self) -> bool:
        """True when a table of the production index (monthly or quarterly) gave at least one figure."""
        return any(f["table_kind"] in IIP_KINDS for f in self.figures)


def release_of(name: str) -> str | None:
    """Release month YYYY-MM from a GSO file name '2023-07-29-...' (None when absent)."""
    m = re.match(r"(\d{4})-(0[1-9]|1[0-2])", name)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def release_in_tables(tables: list[Table]) -> str | None:
    """Release month YYYY-MM read off the tables when the file name lacks it: the latest month a table title
    names ('Chỉ số sản xuất công nghiệp tháng 10 và 10 tháng năm 2025'), else the latest month a column header
    names with its year ('Ước tính tháng 6 năm 2010'); None when neither names one."""
    titled = [m for t in tables if (m := title_month(t.title))]
    if titled:
        return max(titled)
    headed = [last_month(h.period) for t in tables for text in t.headers.values()
              if re.search(r"\b(19|20)\d\d\b", text) and (h := parse_header(text, default_base=t.default_base))]
    return max(headed, default=None)


def col_letter(j: int) -> str:
    """Excel's column letters of 0-based column ``j`` (0 -> A, 26 -> AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s



def expand_periods(h: Header) -> list[tuple[str, str]]:
    """(period, measure) pairs stored for one column.

    A cumulation is stored at its last month (ytd_yoy / ytd_level at YYYY-MM). 'Năm Y' is also the
    annual figure: period YYYY, measure yoy (index) or level (quantity). '6 tháng' is also the first
    half: period YYYY-H1, measure yoy or level.
    """
    out = [(h.period, h.measure)]
    if h.measure in ("ytd_yoy", "ytd_level"):
        plain = "yoy" if h.measure == "ytd_yoy" else "level"
        if h.kind == "year" or (h.kind == "cum" and h.period.endswith("-12")):
            out.append((h.period[:4], plain))
        elif h.kind == "cum" and h.period.endswith("-06"):
            out.append((h.period[:4] + "-H1", plain))
    return out


@lru_cache(maxsize=4096)
def default_status(period: str, release: str | None) -> str:
    """Figures for the release's own month (or a period ending in it) are estimates; earlier ones actuals."""
    if release is None:
        return "estimate"
    return "estimate" if last_month(period) >= release else "actual"


def column_indicator(table: Table, header: str, previous: str | None) -> str | None:
    """production/consumption/inventory/labour/product_output of one column."""
    if table.kind != "consumption_inventory":
        return TABLE_INDICATOR.get(table.kind)
    t = fold(header)
    if "ton kho" in t or "inventory" in t:
        return "inventory"
    if "tieu thu" in t or "consumption" in t:
        return "consumption"
    return previous


def read_header(text: str, *, release: str | None, default_base: str, indicator: str) -> Header | None:
    """parse_header with the release's year; a year-less month after the release month is last year's."""
    year = int(release[:4]) if release else None
    h = parse_header(text, year=year, default_base=default_base, indicator=indicator)
    if h and release and year and not re.search(r"\d{4}", text) and last_month(h.period) > release:
        h = parse_header(text, year=year - 1, default_base=default_base, indicator=indicator)
    return h


def implausible(h: Header, release: str | None) -> str | None:
    """Why a header's period cannot belong to the release (None when it can): GSO's tables carry the
    release month and earlier months of the same year (at most 11 months back), never later ones.
    Catches typed years such as 'as of Sept. 1, 2019' in the September 2020 English workbook."""
    if not release:
        return None
    gap = months_between(last_month(h.period), release)
    if gap < 0:
        return f"period {h.period} is after the release {release}"
    if gap > 11:
        return f"period {h.period} is {gap} months before the release {release} (typo in the header?)"
    return None


def parse_table(t: Table, *, file: str, sheet: str, release: str | None, out: Parsed) -> None:
    """Append the figures of one table to ``out`` (warnings for unknown headers and labels)."""
    cols: dict[int, tuple[str, Header]] = {}
    ind = None
    for j, text in sorted(t.headers.items()):
        ind = column_indicator(t, text, ind)
        if t.kind == "product" and re.search(r"don vi tinh|^dvt|^unit$", fold(text)):
            continue
        if not any(j in r.values for r in t.rows):
            continue                              # a header over an empty column ('Đơn vị tính: %')
        h = read_header(text, release=release, default_base=t.default_base, indicator=ind or "production")
        if h is not None and ind != "product_output" and h.measure in ("level", "ytd_level"):
            h = None   # an index column must say what it is compared with
        if h is None or ind is None:
            out.warnings.append(f"{file} [{sheet}] column {col_letter(j)}: header not understood: {text!r}")
            continue
        why = implausible(h, release)
        if why:
            out.warnings.append(f"{file} [{sheet}] column {col_letter(j)}: {why}: {text!r}; column skipped")
            continue
        cols[j] = (ind, h)
    used: set[str] = set()
    unit = None
    for r in t.rows:
        if r.unit and r.unit.strip() not in ('"', "“", "”", "''", "-nt-"):
            unit = r.unit
        out.cells_seen += len(r.values)
        where = _code(t, r.label, unit, used, release)
        if where is None:
            if cols:
                out.warnings.append(f"{file} [{sheet}] row {r.row + 1}: unknown label {r.label!r} ({t.kind})"
                                    f"{_geography_hint(r.label, release)}; skipped")
            continue
        if where == SKIP:
            continue
        area, code = where
        used.add(code if area == "VN" else area)
        for j, v in r.values.items():
            if j not in cols:
                continue
            out.cells_mapped += 1
            cell = f"{col_letter(j)}{r.row + 1}"
            why = impossible(float(v), cols[j][1].measure)
            if why:
                out.refused.append(Problem(f"{cols[j][0]} {code} {cols[j][1].period} {cols[j][1].measure} = {v:g} "
                                           f"refused: {why}", file=file, sheet=sheet, cell=cell, field=r.label,
                                           rule="possible_value"))
                continue
            _append(out, cols[j], dict(file=file, release=release, sheet=sheet, cell=cell, row_label=r.label,
                                       area=area, node=code, value=float(v), table_kind=t.kind), unit)


def _append(out: Parsed, col: tuple[str, Header], base: dict, unit: str | None) -> None:
    """One cell -> one figure per (period, measure) of :func:`expand_periods`."""
    ind, h = col
    for period, measure in expand_periods(h):
        out.figures.append(dict(base, indicator=ind, period=period, measure=measure, derived_from=None,
                                status=h.status or default_status(period, base["release"]),
                                unit=unit if ind == "product_output" and measure in ("level", "ytd_level") else "%"))


def _code(t: Table, label: str, unit: str | None, used: set[str], release: str | None):
    """(area, node) of a row, SKIP, or None (unknown). Products: ('VN', product code). Other tables:
    a VSIC label -> ('VN', code); a province (in the geography of the release month) or a region ->
    (its code, 'TOTAL'); provincial tables try the province first."""
    if t.kind == "product":
        code = map_product(label, unit)
        return code if code in (None, SKIP) else ("VN", code)
    order = (map_area, map_label) if t.kind == "labour_province" else (map_label, map_area)
    for how in order:
        code = map_area(label, period=release) if how is map_area else map_label(label, used=used)
        if code == SKIP:
            return SKIP
        if code is not None:
            return ("VN", code) if how is map_label else (code, "TOTAL")
    return None


def _geography_hint(label: str, release: str | None) -> str:
    """Why a province name is unknown when it belongs to the other geography (63 vs 34 provinces)."""
    if not release or province_area(label, release) is not None:
        return ""
    other = "2025-06" if province_units(release) == "34" else "2025-07"
    if province_area(label, other) is None:
        return ""
    units = province_units(other)
    return f": a province of the {units}, not of the {province_units(release)} in force for {release}"


def parse_file(path: str | Path) -> Parsed:
    """Parse every recognised table of one workbook; add the year-to-date figures that equal printed ones
    (:func:`iip.ingest.gso.figures.derived_figures`). The release month comes from the file name
    ('2023-07-29-...') or, failing that, from the tables (:func:`release_in_tables`); without one nothing is
    parsed (``release`` None). Raises WorkbookError for unreadable files."""
    path = Path(path)
    tables = [(name, t) for name, rows in read_workbook(path, keep=has_table_title) for t in find_tables(rows)
              if t.rows]
    out = Parsed(file=path.name, release=release_of(path.name) or release_in_tables([t for _, t in tables]))
    if out.release is None:
        return out
    for name, t in tables:
        out.tables += 1
        parse_table(t, file=path.name, sheet=name, release=out.release, out=out)
    out.figures = dedupe(out.figures, out.warnings)
    out.figures += derived_figures(out.figures)
    return out


__all__ = ["Parsed", "WorkbookError", "parse_file", "release_of"]
