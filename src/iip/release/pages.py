"""The release's reading copies: ``release.html`` (text, main table, charts, links) and ``release.pdf`` written by
fpdf2 from the same HTML (text pages with real, selectable text in DejaVu Sans, then the charts), no browser."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib
from fpdf import FPDF

from iip.reference.rounding import TABLE_DECIMALS, fmt
from iip.release import excel, narrative
from iip.release.data import ReleaseData

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
         "BI": "DejaVuSans-BoldOblique.ttf"}


def _cell(r, col: str) -> str:
    return "c" if r.obs_status == "c" else fmt(getattr(r, col), TABLE_DECIMALS)


def national_table(d: ReleaseData) -> str:
    """The month's national table (TOTAL, sections, divisions: mom, yoy, ytd) as an HTML table."""
    h = excel.headers(d.period)
    rows = "".join(f"<tr class='{r.level}'><td>{html.escape(r.name_vi)}<br><small>{html.escape(r.name_en)}</small>"
                   f"</td>" + "".join(f"<td>{_cell(r, c)}</td>" for c in ("mom", "yoy", "ytd")) + "</tr>"
                   for r in d.national.itertuples())
    return (f"<table><tr><th></th><th>{html.escape(h['mom'])}</th><th>{html.escape(h['yoy'])}</th>"
            f"<th>{html.escape(h['ytd'])}</th></tr>{rows}</table>")


def page(d: ReleaseData, texts: dict[str, str], chart_files: list[Path]) -> str:
    """release.html: the narratives, the national table, the charts and links to the data files."""
    imgs = "".join(f"<figure><img src='charts/{p.name}' alt='{p.stem}'></figure>" for p in chart_files
                   if p.suffix == ".png")
    body = "".join(f"<section lang='{k}'>{narrative.to_html(v)}</section>" for k, v in texts.items())
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>IIP {d.period}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}td{{text-align:right;padding:2px 6px}}
td:first-child{{text-align:left}}tr.total,tr.section{{font-weight:bold}}img{{max-width:100%}}</style></head><body>
{body}<h2>IIP</h2>{national_table(d)}
{imgs}<p><a href="iip_{d.period}.xlsx">Excel</a> · <a href="iip_{d.period}.sdmx.xml">SDMX-ML</a> ·
<a href="iip_{d.period}.sdmx.json">SDMX-JSON</a> · <a href="iip_{d.period}.csv">SDMX-CSV</a> ·
<a href="figures.csv">figures.csv</a></p></body></html>"""


def write_pdf(texts: dict[str, str], chart_files: list[Path], path: Path, *, title: str) -> Path:
    """release.pdf (A4): each narrative rendered from its HTML by fpdf2 (flowing over as many pages as it needs),
    then one chart per page."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    for style, name in FONTS.items():
        pdf.add_font("DejaVu", style, str(FONT_DIR / name))
    pdf.set_font("DejaVu", size=10)
    for text in texts.values():
        pdf.add_page()
        pdf.write_html(narrative.to_html(text), font_family="DejaVu")
    for p in chart_files:
        if p.suffix == ".png":
            pdf.add_page()
            pdf.image(str(p), w=pdf.epw)
    pdf.output(str(path))
    return path
