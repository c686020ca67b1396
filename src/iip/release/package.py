"""Write a release package as an immutable vintage: DIR/<period>/v<N>/ (never overwritten), recorded in store
table ``releases``, with a diff of the figures against the previous vintage of the same period and source.

Files: the workbook, narratives (vi/en, Markdown + HTML), facts.json, figures.csv (every figure of every
table: the content that vintages are compared on), charts (PNG + SVG), release.html, release.pdf (matplotlib
PdfPages: narrative + charts), SDMX-ML / SDMX-JSON / CSV, manifest.json (sha256 of each file), and for v2+
diff.csv / diff.md. Everything is written to a temporary folder first and renamed into place at the end.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from iip import summary
from iip.errors import ConflictError, IIPError
from iip.release import charts, data, excel, facts, narrative, sdmx_out
from iip.reference.rounding import TABLE_DECIMALS, fmt, gso_round
from iip.store import sha256, transaction

LANGS = ("vi", "en")


@dataclass
class Release:
    release_id: int
    period: str
    source: str
    vintage: int
    directory: Path
    files: list[str]
    content_hash: str
    changed: int | None  # figures changed against the previous vintage (None for v1)
    provisional: bool = False  # released before enough reports arrived (said in the text)


def figures(d: data.ReleaseData) -> pd.DataFrame:
    """Every figure of the release tables, long: table, code, measure, value (rounded as published), status."""
    rows = []
    for name, t in d.tables().items():
        if t.empty or name == "history":
            continue
        key = "product_code" if name == "products" else "code"
        for col in t.columns:
            if col in ("index", "mom", "yoy", "ytd", "q_yoy", "contrib_total_yoy", "contrib_ytd", "month", "ytd_yoy"):
                for k, v, s in zip(t[key], t[col], t.get("obs_status", pd.Series("", index=t.index))):
                    rows.append((name, k, col, gso_round(v, TABLE_DECIMALS), "c" if s == "c" else ""))
    return pd.DataFrame(rows, columns=["table", "code", "measure", "value", "status"])


def diff(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Figures that changed, appeared or disappeared between two vintages' figures.csv."""
    keys = ["table", "code", "measure"]
    m = old.merge(new, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    same = (m["value_old"].eq(m["value_new"]) | (m["value_old"].isna() & m["value_new"].isna())) & \
        m["status_old"].fillna("").eq(m["status_new"].fillna(""))
    out = m[~same | (m["_merge"] != "both")].drop(columns="_merge")
    out["change"] = out["value_new"] - out["value_old"]
    return out.reset_index(drop=True)


def _diff_md(dd: pd.DataFrame, prev: int, vintage: int) -> str:
    lines = [f"# Changes from v{prev} to v{vintage}", "", f"{len(dd)} figure(s) changed.", ""]
    if len(dd):
        lines += ["| table | code | measure | old | new | change |", "| --- | --- | --- | --- | --- | --- |"]
        for r in dd.itertuples():
            lines.append(f"| {r.table} | {r.code} | {r.measure} | {fmt(r.value_old, 2)} | {fmt(r.value_new, 2)} | "
                         f"{fmt(r.change, 2, sign=True)} |")
    return "\n".join(lines) + "\n"


def _page(d: data.ReleaseData, texts: dict[str, str], chart_files: list[Path]) -> str:
    nat = d.national
    rows = "".join(
        f"<tr class='{r.level}'><td>{html.escape(r.name_vi)}<br><small>{html.escape(r.name_en)}</small></td>"
        + "".join(f"<td>{'c' if r.obs_status == 'c' else fmt(getattr(r, c), 2)}</td>" for c in ("mom", "yoy", "ytd"))
        + "</tr>" for r in nat.itertuples())
    h = excel.headers(d.period)
    imgs = "".join(f"<figure><img src='charts/{p.name}' alt='{p.stem}'></figure>" for p in chart_files
                   if p.suffix == ".png")
    body = "".join(f"<section lang='{k}'>{narrative.to_html(v)}</section>" for k, v in texts.items())
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>IIP {d.period}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}td{{text-align:right;padding:2px 6px}}
td:first-child{{text-align:left}}tr.total,tr.section{{font-weight:bold}}img{{max-width:100%}}</style></head><body>
{body}<h2>IIP</h2><table><tr><th></th><th>{h['mom']}</th><th>{h['yoy']}</th><th>{h['ytd']}</th></tr>{rows}</table>
{imgs}<p><a href="iip_{d.period}.xlsx">Excel</a> · <a href="iip_{d.period}.sdmx.xml">SDMX-ML</a> ·
<a href="iip_{d.period}.sdmx.json">SDMX-JSON</a> · <a href="iip_{d.period}.csv">CSV</a></p></body></html>"""


def _pdf(texts: dict[str, str], chart_files: list[Path], path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path, metadata={"CreationDate": None}) as pdf:
        for text in texts.values():
            fig = plt.figure(figsize=(8.27, 11.69))
            body = "\n".join(textwrap.fill(p.replace("# ", "").strip("*"), 95) for p in text.split("\n\n"))
            fig.text(0.06, 0.96, body, va="top", fontsize=8, family="DejaVu Sans")
            pdf.savefig(fig)
            plt.close(fig)
        for p in chart_files:
            if p.suffix == ".png":
                fig = plt.figure(figsize=(8.27, 11.69))
                ax = fig.add_axes([0.05, 0.05, 0.9, 0.9])
                ax.imshow(plt.imread(p))
                ax.axis("off")
                pdf.savefig(fig)
                plt.close(fig)


def _sdmx(con, d: data.ReleaseData, out: Path, stamp: str) -> list[Path]:
    if d.source == "compiled":
        from iip import disclosure
        first = (pd.Period(d.period, "M") - 24).strftime("%Y-%m")
        rows = con.execute("""SELECT indicator, area, node, period, "index" FROM index_levels WHERE indicator =
            'production' AND area = 'VN' AND (node = 'TOTAL' OR length(node) <= 2) AND period BETWEEN ? AND ?""",
                           [first, d.period]).df()
        rows = disclosure.apply(con, rows)
        base = int(con.execute("SELECT max(base_year) FROM weights").fetchone()[0] or 2020)
    else:
        rows = d.history.assign(area="VN", node="TOTAL", obs_status="").rename(columns={"value": "index"})
        base = 2020
    s = sdmx_out.observations(rows, base_year=base, prepared=stamp)
    mid = f"IIP_VN_{d.period}"
    return [sdmx_out.write_xml(s, out / f"iip_{d.period}.sdmx.xml", message_id=mid, prepared=stamp),
            sdmx_out.write_json(s, out / f"iip_{d.period}.sdmx.json", message_id=mid, prepared=stamp),
            sdmx_out.write_csv(s, out / f"iip_{d.period}.csv")]


def _previous(con, period: str, source: str) -> tuple[int, int | None, str | None]:
    """(next vintage number for the period, previous vintage of the same source, its directory)."""
    n = con.execute("SELECT coalesce(max(vintage), 0) FROM releases WHERE period = ?", [period]).fetchone()[0]
    prev = con.execute("""SELECT vintage, directory FROM releases WHERE period = ? AND source = ?
                          ORDER BY vintage DESC LIMIT 1""", [period, source]).fetchone()
    return int(n) + 1, (prev[0] if prev else None), (prev[1] if prev else None)


def check_provisional(con: duckdb.DuckDBPyConnection, period: str, *, provisional: bool) -> bool:
    """Whether ``period`` is provisional (:func:`iip.summary.month_status`); a ConflictError when it is and the
    release was not asked for as provisional."""
    if not summary.is_provisional(con, period):
        return False
    if not provisional:
        rep, _ = summary.national_coverage(con, period)
        raise ConflictError(f"{period} is provisional: {rep:.0%} of the base-year weight has reported (below "
                            f"{summary.PROVISIONAL_BELOW:.0%}). Release it with --provisional (the text then says "
                            f"so), or wait for the late reports and compile again")
    return True


def write_release(con: duckdb.DuckDBPyConnection, period: str, out_dir: Path, *, source: str = "compiled",
                  langs: tuple[str, ...] = LANGS, provisional: bool = False) -> Release:
    """Build the release of ``period`` from ``source`` and write it as a new vintage under out_dir/<period>/.
    A provisional month (compiled) is refused unless ``provisional``; then the narrative says so."""
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        raise IIPError(f"--lang must be a comma-separated subset of vi,en, not {','.join(langs)!r}")
    is_prov = source == "compiled" and check_provisional(con, period, provisional=provisional)
    d = data.load(con, period, source=source)
    if source == "compiled":
        d.coverage, d.provisional = summary.national_coverage(con, period), is_prov
    vintage, prev, prev_dir = _previous(con, period, source)
    final = Path(out_dir) / period / f"v{vintage}"
    while final.exists():  # a folder left by another store: never overwrite, take the next number
        vintage += 1
        final = Path(out_dir) / period / f"v{vintage}"
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".v{vintage}-", dir=final.parent))
    try:
        changed = _write_files(con, d, tmp, langs, prev, prev_dir, vintage)
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        manifest = {f: sha256(tmp / f) for f in files}
        content = sha256((tmp / "figures.csv").read_bytes() + b"".join(
            (tmp / f"narrative_{x}.md").read_bytes() for x in langs))
        (tmp / "manifest.json").write_text(json.dumps({"period": period, "source": source, "vintage": vintage,
                                                       "content_hash": content, "files": manifest}, indent=1))
        files.append("manifest.json")
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run = con.execute("SELECT max(run_id) FROM index_cells").fetchone()[0] if source == "compiled" else None
    with transaction(con):
        rid = int(con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM releases").fetchone()[0])
        con.execute("""INSERT INTO releases (release_id, period, source, vintage, directory, files, content_hash,
                       compile_run_id, langs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [rid, period, source, vintage, str(final.resolve()), json.dumps(files), content, run,
                     ",".join(langs)])
    return Release(rid, period, source, vintage, final, files, content, changed, is_prov)


def _write_files(con, d: data.ReleaseData, out: Path, langs, prev, prev_dir, vintage) -> int | None:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    fs = facts.facts(d)
    (out / "facts.json").write_text(json.dumps(fs, ensure_ascii=False, indent=1), encoding="utf-8")
    texts = {x: narrative.render(fs, d, x) for x in langs}
    for x, t in texts.items():
        (out / f"narrative_{x}.md").write_text(t, encoding="utf-8")
        (out / f"narrative_{x}.html").write_text(f"<!doctype html><meta charset='utf-8'>{narrative.to_html(t)}",
                                                 encoding="utf-8")
    figs = figures(d)
    figs.to_csv(out / "figures.csv", index=False)
    excel.write_workbook(d, out / f"iip_{d.period}.xlsx")
    (out / "charts").mkdir()
    chart_files = charts.draw_all(d, out / "charts", list(langs))
    _sdmx(con, d, out, stamp)
    (out / "release.html").write_text(_page(d, texts, chart_files), encoding="utf-8")
    _pdf(texts, chart_files, out / "release.pdf")
    if d.notes:
        (out / "notes.txt").write_text("\n".join(d.notes) + "\n", encoding="utf-8")
    if prev is None:
        return None
    old = pd.read_csv(Path(prev_dir) / "figures.csv", dtype={"code": str}, keep_default_na=False,
                      na_values=[""])
    old["status"] = old["status"].fillna("")
    dd = diff(old, figs)
    dd.to_csv(out / "diff.csv", index=False)
    (out / "diff.md").write_text(_diff_md(dd, prev, vintage), encoding="utf-8")
    return len(dd)


def list_releases(con: duckdb.DuckDBPyConnection, period: str | None = None) -> pd.DataFrame:
    q = "SELECT release_id, period, source, vintage, created_at, directory, content_hash FROM releases"
    return con.execute(q + (" WHERE period = ?" if period else "") + " ORDER BY period, vintage",
                       [period] if period else []).df()
