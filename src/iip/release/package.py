"""Write a release package as an immutable vintage: DIR/<period>/v<N>/ (never overwritten), recorded in store
table ``releases``, with a diff of the figures against the previous vintage of the same period and source.

Files: the workbook, narratives (vi/en, Markdown + HTML), facts.json, figures.csv (every figure of every
table with its source and vintage: the content that vintages are compared on), charts (PNG + SVG), release.html,
release.pdf (fpdf2: narrative + charts), SDMX-ML / SDMX-JSON / SDMX-CSV, notes.txt, manifest.json (sha256 of each
file), and for v2+ diff.csv / diff.md. Everything is written to a temporary folder first and renamed into place at
the end.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from iip import summary
from iip.errors import ConflictError, OptionError
from iip.release import charts, data, excel, facts, narrative, pages, sdmx_out
from iip.reference.rounding import TABLE_DECIMALS, fmt, gso_round
from iip.store import sha256, transaction

LANGS = ("vi", "en")


@dataclass
class Release:
    """One written release: its id, month, source, vintage, folder, files and content hash."""
    release_id: int
    period: str
    source: str
    vintage: int
    directory: Path
    files: list[str]
    content_hash: str
    changed: int | None  # figures changed against the previous vintage (None for v1)
    provisional: bool = False  # released before enough reports arrived (said in the text)


FIGURE_COLUMNS = ["table", "code", "period", "measure", "value", "status", "source", "vintage", "figure_status"]
KEY = ["table", "code", "period", "measure"]


def figures(d: data.ReleaseData) -> pd.DataFrame:
    """Every figure of the release tables, long (:data:`FIGURE_COLUMNS`): table, code, period and measure
    (``data.FIGURES``), the value rounded as published (two decimals, half up), status 'c' for confidential, and
    its source (compiled | GSO), vintage (the compile run, or the GSO workbook's release month) and figure status
    (estimate | actual | compiled). Empty cells are no figure and have no row."""
    prov = {(t, c, k): (s, v, f) for t, c, k, s, v, f in d.provenance[data.PROVENANCE].itertuples(index=False)}
    default = (d.figure_source, d.vintage, "compiled")
    rows = []
    for name, (key, spec) in data.FIGURES.items():
        t = getattr(d, name)
        for col, (measure, per) in spec.items():
            if t.empty or col not in t:
                continue
            status = t.get("mfg_status" if col.startswith("mfg_") else "obs_status",
                           pd.Series("", index=t.index)).fillna("")
            period = data.figure_period(d.period, per)
            for code, v, st in zip(t[key], t[col], status):
                if pd.isna(v) and st != "c":
                    continue
                rows.append((name, code, period, measure, gso_round(v, TABLE_DECIMALS), "c" if st == "c" else "",
                             *prov.get((name, code, col), default)))
    h = d.history
    for measure in ("index", "sa", "yoy"):
        if measure not in h:
            continue
        for r in h.dropna(subset=[measure]).itertuples(index=False):
            src = (d.figure_source, getattr(r, "vintage", d.vintage), getattr(r, "figure_status", "compiled"))
            if measure == "sa":
                src = ("compiled" if d.source == "compiled" else d.figure_source, f"sa run {d.sa_run}", "adjusted")
            rows.append(("history", r.code, r.period, measure, gso_round(getattr(r, measure), TABLE_DECIMALS),
                         "c" if r.obs_status == "c" else "", *src))
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def read_figures(path: Path) -> pd.DataFrame:
    """A vintage's figures.csv as written by :func:`figures` (codes and periods as text, empty status '')."""
    df = pd.read_csv(path, dtype={"code": str, "period": str, "vintage": str}, keep_default_na=False,
                     na_values={"value": [""]})
    return df.assign(status=df["status"].astype(str).replace("nan", ""))


def diff(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Figures that changed (value or status), appeared or disappeared between two vintages' figures.csv, keyed
    on table, code, period and measure; ``change`` = new - old."""
    m = old.merge(new, on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True)
    same = (m["value_old"].eq(m["value_new"]) | (m["value_old"].isna() & m["value_new"].isna())) & \
        m["status_old"].fillna("").eq(m["status_new"].fillna(""))
    out = m[~same | (m["_merge"] != "both")].drop(columns="_merge")
    out["change"] = out["value_new"] - out["value_old"]
    return out.reset_index(drop=True)


def _diff_md(dd: pd.DataFrame, prev: int, vintage: int) -> str:
    lines = [f"# Changes from v{prev} to v{vintage}", "", f"{len(dd)} figure(s) changed.", ""]
    if len(dd):
        lines += ["| table | code | period | measure | old | new | change |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in dd.itertuples():
            lines.append(f"| {r.table} | {r.code} | {r.period} | {r.measure} | {fmt(r.value_old, 2)} | "
                         f"{fmt(r.value_new, 2)} | {fmt(r.change, 2, sign=True)} |")
    return "\n".join(lines) + "\n"


def _base_year(con, d: data.ReleaseData) -> int | None:
    """The reference year (= 100) of a compiled release's index levels; None for published releases."""
    if d.source != "compiled":
        return None
    ref = con.execute("SELECT reference_year FROM compile_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    base = con.execute("SELECT max(base_year) FROM weights").fetchone()
    return int((ref and ref[0]) or (base and base[0]) or 2020)


def _sdmx(con, d: data.ReleaseData, figs: pd.DataFrame, out: Path, stamp: dt.datetime) -> list[Path]:
    ds = sdmx_out.dataset(sdmx_out.observations(figs), base_year=_base_year(con, d))
    mid = f"IIP_VN_{d.period}"
    return [sdmx_out.write_xml(ds, out / f"iip_{d.period}.sdmx.xml", message_id=mid, prepared=stamp),
            sdmx_out.write_json(ds, out / f"iip_{d.period}.sdmx.json", message_id=mid, prepared=stamp),
            sdmx_out.write_csv(ds, out / f"iip_{d.period}.csv")]


def _scalar(con, sql: str, args: list | None = None):
    row = con.execute(sql, args or []).fetchone()
    return row[0] if row else None


def _previous(con, period: str, source: str) -> tuple[int, int | None, str | None]:
    """(next vintage number for the period, previous vintage of the same source, its directory)."""
    n = _scalar(con, "SELECT coalesce(max(vintage), 0) FROM releases WHERE period = ?", [period])
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
                  langs: tuple[str, ...] = LANGS, as_of: dt.date | None = None, provisional: bool = False
                  ) -> Release:
    """Build the release of ``period`` from ``source`` (published: as of ``as_of``, default the month's own
    workbook) and write it as a new vintage under out_dir/<period>/. A provisional month (compiled) is refused
    unless ``provisional``; then the narrative says so."""
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        raise OptionError(f"--lang must be a comma-separated subset of vi,en, not {','.join(langs)!r}",
                          option="--lang")
    is_prov = source == "compiled" and check_provisional(con, period, provisional=provisional)
    d = data.load(con, period, source=source, as_of=as_of)
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
        (tmp / "manifest.json").write_text(json.dumps({
            "period": period, "source": source, "vintage": vintage, "as_of": as_of.isoformat() if as_of else None,
            "figures_vintage": d.vintage, "sa_run_id": d.sa_run, "content_hash": content, "files": manifest},
            indent=1))
        files.append("manifest.json")
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    run = _scalar(con, "SELECT max(run_id) FROM index_cells") if source == "compiled" else None
    with transaction(con):
        rid = int(_scalar(con, "SELECT coalesce(max(release_id), 0) + 1 FROM releases"))
        con.execute("""INSERT INTO releases (release_id, period, source, vintage, directory, files, content_hash,
                       compile_run_id, langs, as_of, sa_run_id, figures_vintage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                       ?, ?)""",
                    [rid, period, source, vintage, str(final.resolve()), json.dumps(files), content, run,
                     ",".join(langs), as_of, d.sa_run, d.vintage])
    return Release(rid, period, source, vintage, final, files, content, changed, is_prov)


def _write_files(con, d: data.ReleaseData, out: Path, langs, prev, prev_dir, vintage) -> int | None:
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
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
    _sdmx(con, d, figs, out, stamp)
    (out / "release.html").write_text(pages.page(d, texts, chart_files), encoding="utf-8")
    pages.write_pdf(texts, chart_files, out / "release.pdf", title=f"IIP {d.period}")
    (out / "notes.txt").write_text("\n".join(d.notes) + "\n", encoding="utf-8")
    if prev is None:
        return None
    dd = diff(read_figures(Path(prev_dir) / "figures.csv"), figs)
    dd.to_csv(out / "diff.csv", index=False)
    (out / "diff.md").write_text(_diff_md(dd, prev, vintage), encoding="utf-8")
    return len(dd)


def list_releases(con: duckdb.DuckDBPyConnection, period: str | None = None) -> pd.DataFrame:
    """The release vintages recorded in the store (all, or one month's), oldest first."""
    q = ("SELECT release_id, period, source, vintage, created_at, as_of, directory, content_hash FROM releases")
    return con.execute(q + (" WHERE period = ?" if period else "") + " ORDER BY period, vintage",
                       [period] if period else []).df()
