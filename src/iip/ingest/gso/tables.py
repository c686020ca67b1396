"""Find GSO tables in a sheet by their content, not by the sheet's name.

A sheet is a list of rows (lists of cell values). A table is::

    title row      'N. Chỉ số sản xuất công nghiệp ...'   (sets the table's kind)
    header rows    cells above the first data row; a column's header is its cells joined top-down
    data rows      a text label (+ an optional unit column) and numbers

Label-only lines inside the data are joined to the next line when that line continues the label
(starts in lower case or with '('), e.g. 'Sản xuất sản phẩm điện tử, máy vi tính' + 'và sản phẩm quang học'.
A '(tiếp theo)' title starts a new block of the same table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from iip.ingest.gso.header import fold
from iip.reference.labels import label_key

KINDS = [  # (kind, pattern on the folded title, Vietnamese or English); first match wins
    ("consumption_inventory", (r"chi so tieu thu|chi so ton kho|tieu thu va ton kho|consumption and inventory"
                               r"|consumption index|inventory index")),
    ("labour_province", r"lao dong.*(dia phuong|tinh|thanh pho)|(labour|\blei\b).*provinc"),
    ("labour", r"chi so su dung lao dong|lao dong .*cong nghiep|su dung lao dong|labour employed index|\blei\b"),
    ("production_quarter", (r"chi so san xuat cong nghiep.*cac quy|chi so san xuat cong nghiep.*theo quy"
                            r"|(index of industrial production|\biip\b).*(every|each) quarter")),
    ("production", (r"chi so san xuat cong nghiep|chi so san xuat nganh cong nghiep|index of industrial production"
                    r"|\biip\b")),
    ("product", (r"san pham (chu yeu )?(cua )?(nganh )?cong nghiep|san pham cong nghiep chu yeu"
                 r"|(key|main) industrial products")),
]
NOT_TABLES = r"chi so gia|gia ban|gia san xuat|doanh nghiep|von dau tu|price index|enterprise|investment"
LABOUR = r"lao dong|labour|\blei\b"


@dataclass
class DataRow:
    """One labelled row of a GSO table: its label, unit and values by column."""
    row: int                     # 0-based row index in the sheet
    label: str
    label_col: int
    unit: str | None
    values: dict[int, float]     # column -> value


@dataclass
class Table:
    """One table found in a GSO sheet: its kind, title, header texts by column and data rows."""
    kind: str
    title: str
    title_row: int
    label_col: int = 0
    headers: dict[int, str] = field(default_factory=dict)   # column -> joined header text
    default_base: str = ""
    rows: list[DataRow] = field(default_factory=list)


def table_kind(title: str) -> str | None:
    """Kind of a table from its title text, or None when the text is not a table title we know."""
    t = fold(title)
    if re.search(NOT_TABLES, t) and not re.search(LABOUR, t):
        return None
    for kind, pat in KINDS:
        if re.search(pat, t):
            return kind
    return None


def to_number(v: object) -> float | None:
    """A cell as a float: numbers as they are, text like '103,5' or '103.5' parsed, else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().replace("\xa0", "")
    if re.fullmatch(r"-?\d+(?:[.,]\d+)?", s):
        return float(s.replace(",", "."))
    return None


def _text(v: object) -> str:
    """A cell as one line of text ('' for an empty cell); a whole float loses its '.0'."""
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(str(v).split())


def _is_title(row: list) -> str | None:
    """The kind of table a row is the title of: at most two text cells, the first in column A or B."""
    cells: list[tuple[int, str]] = []
    for j, c in enumerate(row):
        text = _text(c)
        if not text:
            continue
        if (not cells and j > 1) or len(cells) == 2:
            return None
        cells.append((j, text))
    return table_kind(cells[0][1]) if cells else None


def _label_col(row: list, col: int = 0) -> int | None:
    """The label column: the table title's column (0 in every GSO layout met), when it holds text."""
    if col < len(row) and _text(row[col]) and to_number(row[col]) is None:
        return col
    return None


def _header_text(v: object) -> str:
    """A header cell as text; an Excel date serial (e.g. 41642) becomes 'D/M/YYYY' as GSO typed it.

    GSO types '1/3/2014' (1 March); Excel in a US locale stores it as 3 January (serial 41642). A
    serial whose day is <= 12 is therefore read back as month/day, one with day > 12 as it is.
    """
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 20000 < v < 80000:
        import datetime as _dt
        d = _dt.date(1899, 12, 30) + _dt.timedelta(days=int(v))
        return f"{d.month}/{d.day}/{d.year}" if d.day <= 12 else f"{d.day}/{d.month}/{d.year}"
    return _text(v)


def _continues(text: str) -> bool:
    return bool(text) and (text[0].islower() or text[0] in "(;,")


def find_tables(rows: list[list]) -> list[Table]:
    """All tables of a sheet, each with its column headers and data rows (see module doc)."""
    tables: list[Table] = []
    cur: Table | None = None
    hdr: list[list] = []
    in_data = False
    pending: tuple[int, str] | None = None
    for i, row in enumerate(rows):
        row = list(row)
        kind = _is_title(row)
        if kind and cur is not None and not in_data and _subheading(row, cur):
            kind = None          # 'Chỉ số tiêu thụ' above some columns: a header line, not a new table
        if kind:
            lcol = 0 if _text(row[0]) else 1
            cur = Table(kind=kind, title=_text(row[lcol]), title_row=i, label_col=lcol)
            tables.append(cur)
            hdr, in_data, pending = [], False, None
            continue
        if cur is not None and not in_data and not any(_text(c) for h in hdr for c in h) and _title_continues(row, cur):
            cur.title += " " + _text(row[cur.label_col])   # '15. Chỉ số ...' / 'phân theo địa phương'
            cur.kind = _continued_kind(cur)
            continue
        if cur is None:
            continue
        lc = _label_col(row, cur.label_col)
        if lc is None and in_data and len(_text(row[cur.label_col + 1]) if len(row) > cur.label_col + 1 else "") > 3:
            lc = _label_col(row, cur.label_col + 1)      # an indented sub-row ('Chia ra:' | 'Thép tròn ...')
        nums = {j: v for j, c in enumerate(row) if lc is not None and j > lc and (v := to_number(c)) is not None}
        if lc is not None and nums and not _looks_like_years(nums, in_data):
            if not in_data:
                _set_headers(cur, hdr, width=max(nums))
                in_data = True
            label = _text(row[lc])
            if pending and (_continues(label) or pending[0] == i - 1 and label[:1].islower()):
                label = pending[1] + " " + label
            pending = None
            texts = [_text(row[j]) for j in range(lc + 1, len(row)) if _text(row[j]) and to_number(row[j]) is None]
            if texts and not label_key(label):     # 'Trong đó:' | 'Bia hơi' | ... : the label ran into the next cell
                label = label + " " + texts.pop(0)
            unit = texts[0] if texts else None
            cur.rows.append(DataRow(i, label, lc, unit, nums))
        elif in_data and lc is not None and _continues(_text(row[lc])) and cur.rows and cur.rows[-1].row == i - 1 \
                and re.search(r"(\bvà|,|;)$", cur.rows[-1].label):
            cur.rows[-1].label += " " + _text(row[lc])    # '... thiết bị phân phối và' / 'điều khiển điện'
        elif in_data and lc is not None:
            text = _text(row[lc])
            pending = (i, (pending[1] + " " + text) if pending and _continues(text) else text)
        elif not in_data:
            hdr.append(row)
        elif not any(_text(c) for c in row):
            continue
        else:   # header-like line after data: a new header block of the same table
            hdr, in_data = [row], False
    return tables


def _subheading(row: list, t: Table) -> bool:
    """A title-like line inside a table's header block: it does not start in the title's column."""
    first = next(j for j, c in enumerate(row) if _text(c))
    return first > t.label_col


def _title_continues(row: list, t: Table) -> bool:
    """The line right under a title holding one text cell in the title's column and nothing else."""
    cells = [(j, _text(c)) for j, c in enumerate(row) if _text(c)]
    return len(cells) == 1 and cells[0][0] == t.label_col and to_number(row[t.label_col]) is None \
        and not re.search(r"don vi|^%$|unit", fold(cells[0][1]))


def _continued_kind(t: Table) -> str:
    """Kind after a title continuation ('... phân theo địa phương' makes a labour table provincial)."""
    k = table_kind(t.title)
    return k if k and (t.kind, k) in {("labour", "labour_province"), ("production", "production_quarter")} else t.kind


def _looks_like_years(nums: dict[int, float], in_data: bool) -> bool:
    """Header lines sometimes carry years as numbers (2012) or column numbers (1, 2, 3)."""
    vals = list(nums.values())
    if in_data:
        return False
    return all(1990 <= v <= 2100 and v == int(v) for v in vals) or vals == list(range(1, len(vals) + 1))


def _set_headers(t: Table, hdr: list[list], *, width: int = 0) -> None:
    """Join each column's header cells top-down; a lone 'So với ...' line applies to all columns."""
    cols: dict[int, list[str]] = {}
    for row in hdr:
        cells = [(j, _header_text(c)) for j, c in enumerate(row) if j > t.label_col and _text(c)]
        cells = _spread(cells, width)
        if len(cells) == 1 and "so voi" in fold(cells[0][1]) and not re.search(
                r"thang|qu[yi]|nam \d", fold(cells[0][1]).partition("so voi")[0]):
            t.default_base = cells[0][1]
            continue
        for j, c in cells:
            cols.setdefault(j, []).append(c)
    t.headers = {j: " ".join(v) for j, v in cols.items()}


def _spread(cells: list[tuple[int, str]], width: int) -> list[tuple[int, str]]:
    """A comparison phrase over merged cells ('So với cùng kỳ năm trước (%)' above two columns) is copied
    to the empty cells on its right, up to the next filled cell of the line (or the last data column)."""
    out = []
    for k, (j, text) in enumerate(cells):
        out.append((j, text))
        f = fold(text)
        if len(cells) > 1 and re.search(r"so voi|compared?|versus", f) and not re.search(
                r"thang|qu[yi]|nam \d|\d{4}|month|quarter", re.split(r"so voi|compared?|versus", f)[0]):
            stop = cells[k + 1][0] if k + 1 < len(cells) else width + 1
            out += [(jj, text) for jj in range(j + 1, stop)]
    return out


def has_table_title(head_rows: list[list]) -> bool:
    """True when one of a sheet's first rows is the title of a table this importer knows."""
    return any(_is_title(list(r)) for r in head_rows)
