"""The release workbook in GSO's layout (xlsxwriter): title rows, a units line, merged header cells
("Tháng 7 năm 2023 so với tháng 6 năm 2023 (%)"), bold totals, number format 0.00, 'c' for suppressed cells.
Values are written already rounded with ``gso_round(x, 2)`` so the workbook shows what GSO would print."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from iip.release.data import ReleaseData
from iip.reference.rounding import TABLE_DECIMALS, gso_round

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def headers(period: str) -> dict[str, str]:
    """GSO's column headers for the month ``period``."""
    y, m = int(period[:4]), int(period[5:])
    py, pm = (y, m - 1) if m > 1 else (y - 1, 12)
    return {"prev_yoy": f"Tháng {pm} năm {py} (chính thức) so với cùng kỳ năm trước (%)",
            "prev_month": f"Thực hiện tháng {pm} năm {py}",
            "mom": f"Tháng {m} năm {y} so với tháng {pm} năm {py} (%)",
            "yoy": f"Tháng {m} năm {y} so với cùng kỳ năm trước (%)",
            "ytd": f"{m} tháng năm {y} so với cùng kỳ năm trước (%)",
            "q_yoy": f"Quý {ROMAN[(m + 2) // 3]} năm {y} so với cùng kỳ năm trước (%)",
            "contrib_total_yoy": f"Đóng góp vào tăng trưởng tháng {m} năm {y} (điểm %)"}


class _Book:
    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
        f = self.wb.add_format
        self.title = f({"bold": True, "font_size": 12})
        self.unit = f({"italic": True, "align": "right"})
        self.head = f({"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "border": 1})
        self.num = f({"num_format": "0.00"})
        self.num_b = f({"num_format": "0.00", "bold": True})
        self.text = f({})
        self.text_b = f({"bold": True})
        self.text_i = f({"indent": 1})
        self.c = f({"align": "right"})
        self.c_b = f({"align": "right", "bold": True})

    def sheet(self, name: str, title: str, unit: str, cols: list[tuple[str, str]], rows: pd.DataFrame, *,
              label: str, bold: pd.Series | None = None, indent: pd.Series | None = None) -> None:
        """One GSO table: title (row 1), units line (row 2), one merged two-row header, then the rows."""
        ws = self.wb.add_worksheet(name)
        ws.write(0, 0, title, self.title)
        ws.merge_range(1, 0, 1, len(cols), unit, self.unit)
        ws.merge_range(2, 0, 3, 0, "", self.head)
        for j, (_, text) in enumerate(cols, 1):
            ws.merge_range(2, j, 3, j, text, self.head)
        ws.set_row(2, 30)
        ws.set_column(0, 0, 55)
        ws.set_column(1, len(cols), 18)
        for i, (_, r) in enumerate(rows.iterrows(), 4):
            b = bool(bold.iloc[i - 4]) if bold is not None else False
            ind = bool(indent.iloc[i - 4]) if indent is not None else False
            ws.write(i, 0, r[label], self.text_b if b else (self.text_i if ind else self.text))
            for j, (col, _) in enumerate(cols, 1):
                v = r.get(col)
                if isinstance(v, str):
                    ws.write(i, j, v, self.text)
                elif r.get("mfg_status" if col.startswith("mfg_") else "obs_status") == "c":
                    ws.write(i, j, "c", self.c_b if b else self.c)
                elif v is None or pd.isna(v):
                    ws.write_blank(i, j, None)
                else:
                    ws.write_number(i, j, gso_round(float(v), TABLE_DECIMALS), self.num_b if b else self.num)
        ws.freeze_panes(4, 1)


def write_workbook(d: ReleaseData, path: Path) -> Path:
    """Write the release workbook: IIP, quarter (at quarter ends), products, consumption and inventory,
    provinces (compiled data)."""
    h = headers(d.period)
    y, m = int(d.period[:4]), int(d.period[5:])
    b = _Book(path)
    nat = d.national.merge(d.quarter, on="code", how="left") if not d.quarter.empty else d.national
    cols = [("prev_yoy", h["prev_yoy"])] if nat.get("prev_yoy", pd.Series(dtype=float)).notna().any() else []
    cols += [("mom", h["mom"]), ("yoy", h["yoy"])] + ([("ytd", h["ytd"])] if m > 1 else [])
    if not d.quarter.empty:
        cols.append(("q_yoy", h["q_yoy"]))
    if nat["contrib_total_yoy"].notna().any():
        cols.append(("contrib_total_yoy", h["contrib_total_yoy"]))
    b.sheet("IIP", f"Chỉ số sản xuất công nghiệp tháng {m} năm {y}", "Đơn vị tính: %", cols, nat,
            label="name_vi", bold=nat["level"].isin(["total", "section"]), indent=nat["level"] == "division")
    if not d.products.empty:
        pr = d.products.assign(label=d.products["name_vi"])
        est = "Ước tính tháng" if d.source == "published" else "Tháng"
        pcols = [("prev_month", h["prev_month"])] if pr.get("prev_month", pd.Series(dtype=float)).notna().any() \
            else []
        pcols = [("unit", "Đơn vị tính"), *pcols, ("month", f"{est} {m} năm {y}"),
                 ("ytd", f"Cộng dồn {m} tháng năm {y}"), ("yoy", h["yoy"]), ("ytd_yoy", h["ytd"])]
        b.sheet("San pham", f"Sản lượng một số sản phẩm công nghiệp chủ yếu tháng {m} năm {y}", "", pcols, pr,
                label="label")
    for key, title in (("consumption", "Chỉ số tiêu thụ"), ("inventory", "Chỉ số tồn kho")):
        t = getattr(d, key)
        if t.empty:
            continue
        ccols = [("mom", h["mom"]), ("yoy", h["yoy"])] if key == "inventory" else \
            [("yoy", h["yoy"])] + ([("ytd", h["ytd"])] if m > 1 else [])
        b.sheet("Tieu thu" if key == "consumption" else "Ton kho",
                f"{title} ngành công nghiệp chế biến, chế tạo tháng {m} năm {y}", "Đơn vị tính: %", ccols, t,
                label="name_vi", bold=t["level"] == "section", indent=t["level"] == "division")
    if not d.provinces.empty:
        pv = d.provinces
        b.sheet("Dia phuong", f"Chỉ số sản xuất công nghiệp tháng {m} năm {y} phân theo địa phương",
                "Đơn vị tính: %", [("yoy", h["yoy"])] + ([("ytd", h["ytd"])] if m > 1 else [])
                + [("mfg_yoy", f"Chế biến, chế tạo: {h['yoy']}")] + ([("mfg_ytd", f"Chế biến, chế tạo: {h['ytd']}")]
                                                                      if m > 1 else []), pv,
                label="name_vi")
    b.wb.close()
    return path
