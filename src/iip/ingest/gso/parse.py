"""One GSO workbook -> tidy published figures with provenance, warnings and coverage.

Pure with respect to the store: :func:`parse_file` reads a file and returns a :class:`Parsed`
(figures as dicts, warnings naming file/sheet/row, cells seen/mapped); writing is
``iip.ingest.published``'s job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from iip.ingest.gso.header import Header, fold, parse_header
from iip.ingest.gso.labels import SKIP, map_area, map_label, map_product
from iip.ingest.gso.tables import Table, find_tables, has_table_title
from iip.ingest.gso.workbook import WorkbookError, read_workbook
from iip.reference.periods import last_month, months_between

TABLE_INDICATOR = {"production": "production", "production_quarter": "production",
                   "labour": "labour", "labour_province": "labour", "product": "product_output"}


#: Characters that TCVN3 (ABC) font text shows when read as Latin-1 ('Thùc hiÖn', 'th¸ng', '§¬n vÞ');
#: they never occur in Vietnamese Unicode text.
TCVN3 = re.compile(r"[¨©ª«¬®¦§¸µ¶·¹»¼½¾×÷ÖÞ]")


@dataclass
class Parsed:
    file: str
    release: str | None
    figures: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cells_seen: int = 0
    cells_mapped: int = 0
    tables: int = 0


def release_of(name: str) -> str | None:
    """Release month YYYY-MM from a GSO file name '2023-07-29-...' (None when absent)."""
    m = re.match(r"(\d{4})-(\d{2})", name)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def col_letter(j: int) -> str:
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
    if len(TCVN3.findall(t.title + " ".join(t.headers.values()))) >= 3:
        out.warnings.append(f"{file} [{sheet}] row {t.title_row + 1}: table {t.title[:60]!r} is typed in the legacy "
                            "TCVN3 (ABC) font encoding, not Unicode; table skipped")
        return
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
        where = _code(t, r.label, unit, used)
        if where is None:
            out.warnings.append(f"{file} [{sheet}] row {r.row + 1}: unknown label {r.label!r} ({t.kind}); skipped")
            continue
        if where == SKIP:
            continue
        area, code = where
        used.add(code if area == "VN" else area)
        for j, v in r.values.items():
            if j in cols:
                out.cells_mapped += 1
                _append(out, cols[j], dict(file=file, release=release, sheet=sheet, cell=f"{col_letter(j)}{r.row + 1}",
                                           row_label=r.label, area=area, node=code, value=float(v),
                                           table_kind=t.kind), unit)


def _append(out: Parsed, col: tuple[str, Header], base: dict, unit: str | None) -> None:
    """One cell -> one figure per (period, measure) of :func:`expand_periods`."""
    ind, h = col
    for period, measure in expand_periods(h):
        out.figures.append(dict(base, indicator=ind, period=period, measure=measure,
                                status=h.status or default_status(period, base["release"]),
                                unit=unit if ind == "product_output" and measure in ("level", "ytd_level") else "%"))


def _code(t: Table, label: str, unit: str | None, used: set[str]):
    """(area, node) of a row, SKIP, or None (unknown). Products: ('VN', product code). Other tables:
    a VSIC label -> ('VN', code); a province or region -> (its code, 'TOTAL'); provincial tables try
    the province first."""
    if t.kind == "product":
        code = map_product(label, unit)
        return code if code in (None, SKIP) else ("VN", code)
    order = (map_area, map_label) if t.kind == "labour_province" else (map_label, map_area)
    for how in order:
        code = how(label, used=used)
        if code == SKIP:
            return SKIP
        if code is not None:
            return ("VN", code) if how is map_label else (code, "TOTAL")
    return None


def parse_file(path: str | Path) -> Parsed:
    """Parse every recognised table of one workbook. Raises WorkbookError for unreadable files."""
    path = Path(path)
    out = Parsed(file=path.name, release=release_of(path.name))
    sheets = read_workbook(path, keep=has_table_title)
    for name, rows in sheets:
        for t in find_tables(rows):
            if not t.rows:
                continue
            out.tables += 1
            parse_table(t, file=path.name, sheet=name, release=out.release, out=out)
    if out.tables == 0:
        out.warnings.append(f"{path.name}: no IIP table recognised (layout unknown)")
    out.figures = dedupe(out.figures, out.warnings)
    return out


def dedupe(figures: list[dict], warnings: list[str]) -> list[dict]:
    """One figure printed twice in one workbook (the national row of the provincial labour table repeats
    the national table) is kept once; two different values for one figure are both kept and warned."""
    seen: dict[tuple, dict] = {}
    out = []
    for f in figures:
        key = (f["indicator"], f["area"], f["node"], f["period"], f["measure"])
        first = seen.setdefault(key, f)
        if first is f:
            out.append(f)
        elif abs(first["value"] - f["value"]) > 1e-9:
            out.append(f)
            warnings.append(f"{f['file']} [{f['sheet']}] {f['cell']}: {'/'.join(key)} = {f['value']:g} but "
                            f"[{first['sheet']}] {first['cell']} = {first['value']:g}; both kept")
    return out


__all__ = ["Parsed", "WorkbookError", "parse_file", "release_of"]
