"""CLI commands: published figures (GSO workbooks, IMF SDMX), levels, consistency, revisions."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer
from rich.console import Console
from rich.table import Table

from iip.cli import app, check_app, db, export_app, import_app

console = Console()


def _con(*, create: bool = False):
    """The store: only an import may create it (every other command needs one that exists)."""
    from iip.store import connect
    return connect(db(), create=create)


@import_app.command("gso")
def import_gso_cmd(paths: List[Path] = typer.Argument(..., help="GSO workbooks (.xls/.xlsx) or folders."),
                   report: bool = typer.Option(False, "--report", help="Print coverage (cells mapped / seen) per file."),
                   workers: int = typer.Option(0, "--workers", help="Parallel parsers (default: 2)."),
                   levels: bool = typer.Option(True, "--levels/--no-levels", help="Rebuild published_levels after.")):
    """Import GSO monthly workbooks: every table found by content, every vintage kept."""
    from iip.ingest.published import expand_paths, import_gso
    from iip.published.run import build_levels
    con = _con(create=True)
    files = expand_paths(paths)
    from rich.progress import Progress
    with Progress(console=console, transient=True) as prog:
        task = prog.add_task("importing", total=len(files))
        results = import_gso(con, files, workers=workers or None, progress=lambda r: prog.advance(task))
    from iip.ingest.published import STATUSES
    failed = [r for r in results if r.status == "failed"]
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning[/] {w}", highlight=False)
        for p in r.refused:
            console.print(f"[red]refused[/] {p}", highlight=False)
    for r in results:
        if r.status == "no IIP tables":
            console.print(f"[cyan]no IIP tables[/] {r.message}", highlight=False)
    for r in failed:
        console.print(f"[red]failed[/] {r.message}", highlight=False)
    if report:
        t = Table("file", "status", "figures", "cells mapped", "cells seen", "coverage", "warnings", "refused")
        for r in results:
            cov = f"{100 * r.coverage:.1f}%" if r.coverage is not None else "-"
            t.add_row(r.file, r.status, str(r.figures), str(r.cells_mapped), str(r.cells_seen), cov, str(len(r.warnings)),
                      str(len(r.refused)))
        console.print(t)
    n = {s: sum(r.status == s for r in results) for s in STATUSES}
    console.print(", ".join(f"{n[s]} {s}" for s in STATUSES) + f"; {sum(r.figures for r in results)} figures, "
                  f"{sum(len(r.refused) for r in results)} impossible values refused")
    if levels and (n["imported"] or n["no IIP tables"]):
        build_levels(con)
    if failed:
        raise typer.Exit(1)


@import_app.command("sdmx")
def import_sdmx_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="IMF NSDP SDMX-ML 2.1 file.")):
    """Import IMF NSDP SDMX levels (source IMF-NSDP)."""
    from iip.ingest.sdmx import import_sdmx
    from iip.published.run import build_levels
    con = _con(create=True)
    res = import_sdmx(con, file)
    if res["status"] == "imported":
        build_levels(con)
    console.print(f"{file.name}: {res['status']}, {res['figures']} figures")


@export_app.command("published")
def export_published_cmd(out: Path = typer.Option(..., "--out", help="CSV file to write."),
                         latest: bool = typer.Option(False, "--latest", help="Only the newest vintage of each figure."),
                         as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: only what was known on that "
                                                   "date, the newest vintage of each figure (a release month counts "
                                                   "as known from the first day of the next month)."),
                         provenance: bool = typer.Option(False, "--provenance", help="Add sheet, cell, vintage columns.")):
    """Export published figures (every vintage): release,source,indicator,area,node,label,period,measure,
    status,value,unit (source = the workbook's file name)."""
    from iip.published.vintages import export_frame
    from iip.reference.periods import date
    when = date(as_of, option="--as-of") if as_of else None
    df = export_frame(_con(), latest=latest, as_of=when, provenance=provenance)
    df.to_csv(out, index=False)
    console.print(f"{len(df)} rows -> {out}" + (f" (as known on {when.isoformat()})" if when else ""))


def _lang(lang: str) -> str:
    from iip.errors import OptionError
    if lang not in ("vi", "en"):
        raise OptionError(f"--lang must be vi or en, not {lang!r}", option="--lang")
    return lang


@export_app.command("revisions")
def export_revisions_cmd(out: Path = typer.Option(..., "--out", help="CSV file to write."),
                         figures: bool = typer.Option(False, "--figures", help="One row per revised figure instead of per series."),
                         node: str = typer.Option(None, "--node", help="Only this node (TOTAL, B, 10, COAL ...)."),
                         indicator: str = typer.Option(None, "--indicator", help="Only this indicator (default: all)."),
                         lang: str = typer.Option("en", "--lang", help="Language of the names: vi or en.")):
    """Export revision statistics (first -> latest publication; pp of growth for indices, % for product levels,
    unit changes apart): the tables `iip revisions` prints, with names."""
    from iip.web.services.published import revision_summary, revisions
    con = _con()
    df = (revisions(con, limit=None, lang=_lang(lang), indicator=indicator, node=node) if figures
          else revision_summary(con, lang=_lang(lang), indicator=indicator, node=node))
    df.to_csv(out, index=False)
    console.print(f"{len(df)} rows -> {out}")


def _revision_text(r) -> str:
    """'+1.25 pp' / '-3.10 %' / '-3.10 % after a unit change ×1000'."""
    text = f"{r.revision:+.2f} {r.revision_unit}" if r.revision == r.revision else "-"
    if r.unit_change == r.unit_change:
        text += f" after a unit change ×{r.unit_change:g}"
    return text


@app.command("revisions")
def revisions_cmd(node: str = typer.Option(None, "--node", help="Only this node (TOTAL, B, 10 ...)."),
                  indicator: str = typer.Option("production", "--indicator"),
                  top: int = typer.Option(10, "--top", help="Largest revised figures to list (0: none)."),
                  lang: str = typer.Option("en", "--lang", help="Language of the names: vi or en.")):
    """Revisions from first to latest publication: per series the mean, mean absolute and largest revision
    (percentage points of growth for indices, percent for product levels), then the largest revised figures
    (the rows of the web's revisions view; `iip export revisions` writes them)."""
    from iip.web.services.published import revision_summary, revisions
    con = _con()
    s = revision_summary(con, lang=_lang(lang), indicator=indicator, node=node)
    t = Table("indicator", "area", "series", "measure", "n", "mean revision", "mean |revision|", "max |revision|",
              "unit changes")
    for r in s.itertuples():
        u = r.revision_unit
        t.add_row(r.indicator, r.area_name, r.node_name, r.measure, str(r.n), f"{r.mean_revision:+.3f} {u}",
                  f"{r.mean_abs_revision:.3f} {u}", f"{r.max_abs_revision:.3f} {u}", str(int(r.unit_changes)))
    console.print(t)
    if top:
        figs = revisions(con, limit=top, lang=lang, indicator=indicator, node=node)
        t = Table("area", "series", "period", "measure", "first (release)", "latest (release)", "revision")
        for r in figs.itertuples():
            t.add_row(r.area_name, r.node_name, r.period, r.measure, f"{r.first_value:g} ({r.first_release})",
                      f"{r.latest_value:g} ({r.latest_release})", _revision_text(r))
        console.print(f"Largest revisions ({len(figs)}):")
        console.print(t)


def _print_levels(bad, tolerance: float, top: int) -> None:
    console.print(f"Level reconstruction: {len(bad)} published figures disagree with the fitted levels "
                  f"by more than {tolerance} points")
    if bad.empty:
        return
    t = Table("node", "period", "measure", "published", "fitted", "residual")
    for r in bad.head(top).itertuples():
        t.add_row(r.node, r.period, r.measure, f"{r.published:.2f}", f"{r.fitted:.2f}", f"{r.residual:+.2f}")
    console.print(t)


@check_app.command("levels")
def levels_cmd(tolerance: float = typer.Option(1.0, "--tolerance", help="Report |published - fitted| above this (points)."),
               reference_year: int = typer.Option(2020, "--reference-year"),
               top: int = typer.Option(20, "--top", help="Rows to print (largest residuals first)."),
               out: Path = typer.Option(None, "--out", help="Write every disagreement to CSV.")):
    """Level reconstruction disagreements: GSO mom/yoy that the least-squares levels cannot reproduce."""
    from iip.errors import IIPError
    from iip.published.run import gso_figures, level_disagreements
    con = _con()
    bad = level_disagreements(con, reference_year=reference_year, tolerance=tolerance)
    if out:
        bad.to_csv(out, index=False)
    if bad.empty and not gso_figures(con):
        raise IIPError("nothing to check: import GSO workbooks first (iip import gso)")
    _print_levels(bad, tolerance, top)


@check_app.command("consistency")
def consistency_cmd(tolerance: float = typer.Option(5.0, "--tolerance", help="Flag |implied - published| above this (points)."),
                    min_run: int = typer.Option(3, "--min-run", help="Consecutive flagged months that make a discontinuity."),
                    out: Path = typer.Option(None, "--out", help="Write the month-by-month comparison to CSV."),
                    level_tolerance: float = typer.Option(1.0, "--level-tolerance",
                                                          help="Also list level-reconstruction residuals above this.")):
    """Compare sources: yoy implied by IMF SDMX levels vs GSO's published yoy; then the GSO figures the
    level reconstruction cannot reproduce (see also `iip check levels`)."""
    from iip.errors import IIPError
    from iip.published.consistency import mom_steps
    from iip.published.run import check_consistency, level_disagreements
    cmp, runs = check_consistency(_con(), tolerance=tolerance, min_run=min_run)
    if cmp.empty:
        raise IIPError("nothing to compare: import both GSO workbooks (iip import gso) and an SDMX file (iip import sdmx)")
    if out:
        cmp.to_csv(out, index=False)
    console.print(f"{len(cmp)} months compared, {int(cmp['flagged'].sum())} with implied yoy beyond ±{tolerance} "
                  f"points, {int(cmp['flagged_mom'].sum())} with implied mom beyond ±{tolerance} points")
    t = Table("node", "start of the step", "first flagged", "end", "months", "mean diff (implied - GSO)")
    for r in runs.itertuples():
        t.add_row(r.node, r.start, r.first_flagged, r.end, str(r.months), f"{r.mean_diff:+.2f}")
    console.print(t)
    for r in runs[runs["node"] == "TOTAL"].itertuples():
        console.print(f"Discontinuity in the SDMX TOTAL series from {r.start} through {r.end} ({r.months} months; "
                      f"implied yoy {r.mean_diff:+.2f} points vs GSO, beyond tolerance from {r.first_flagged}).")
    steps = mom_steps(cmp)
    if not steps.empty:
        t = Table("node", "month", "implied mom", "GSO mom", "diff")
        for r in steps.itertuples():
            t.add_row(r.node, r.period, f"{r.implied_mom:.2f}", f"{r.published_mom:.2f}", f"{r.diff_mom:+.2f}")
        console.print("Month-on-month steps (implied mom vs GSO's beyond the tolerance):")
        console.print(t)
    _print_levels(level_disagreements(_con(), tolerance=level_tolerance), level_tolerance, 10)
