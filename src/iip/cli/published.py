"""CLI commands: published figures (GSO workbooks, IMF SDMX), levels, consistency, revisions."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer
from rich.console import Console
from rich.table import Table

from iip.cli import app, check_app, db, export_app, import_app

console = Console()


def _con():
    from iip.store import connect
    return connect(db())


@import_app.command("gso")
def import_gso_cmd(paths: List[Path] = typer.Argument(..., help="GSO workbooks (.xls/.xlsx) or folders."),
                   report: bool = typer.Option(False, "--report", help="Print coverage (cells mapped / seen) per file."),
                   workers: int = typer.Option(0, "--workers", help="Parallel parsers (default: 2)."),
                   levels: bool = typer.Option(True, "--levels/--no-levels", help="Rebuild published_levels after.")):
    """Import GSO monthly workbooks: every table found by content, every vintage kept."""
    from iip.ingest.published import expand_paths, import_gso
    from iip.published.run import build_levels
    con = _con()
    files = expand_paths(paths)
    from rich.progress import Progress
    with Progress(console=console, transient=True) as prog:
        task = prog.add_task("importing", total=len(files))
        results = import_gso(con, files, workers=workers or None, progress=lambda r: prog.advance(task))
    failed = [r for r in results if r.status == "failed"]
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning[/] {w}", highlight=False)
    for r in failed:
        console.print(f"[red]failed[/] {r.message}", highlight=False)
    if report:
        t = Table("file", "status", "figures", "cells mapped", "cells seen", "coverage", "warnings")
        for r in results:
            cov = f"{100 * r.coverage:.1f}%" if r.coverage is not None else "-"
            t.add_row(r.file, r.status, str(r.figures), str(r.cells_mapped), str(r.cells_seen), cov, str(len(r.warnings)))
        console.print(t)
    n = {s: sum(r.status == s for r in results) for s in ("imported", "unchanged", "failed")}
    console.print(f"{n['imported']} imported, {n['unchanged']} unchanged, {n['failed']} failed; "
                  f"{sum(r.figures for r in results)} figures")
    if levels and n["imported"]:
        build_levels(con)
    if failed:
        raise typer.Exit(1)


@import_app.command("sdmx")
def import_sdmx_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="IMF NSDP SDMX-ML 2.1 file.")):
    """Import IMF NSDP SDMX levels (source IMF-NSDP)."""
    from iip.ingest.sdmx import import_sdmx
    from iip.published.run import build_levels
    con = _con()
    res = import_sdmx(con, file)
    if res["status"] == "imported":
        build_levels(con)
    console.print(f"{file.name}: {res['status']}, {res['figures']} figures")


@export_app.command("published")
def export_published_cmd(out: Path = typer.Option(..., "--out", help="CSV file to write."),
                         latest: bool = typer.Option(False, "--latest", help="Only the newest vintage of each figure.")):
    """Export published figures (every vintage) with provenance."""
    from iip.ingest.published import export_published
    n = export_published(_con(), out, latest=latest)
    console.print(f"{n} rows -> {out}")


@export_app.command("revisions")
def export_revisions_cmd(out: Path = typer.Option(..., "--out", help="CSV file to write."),
                         figures: bool = typer.Option(False, "--figures", help="One row per figure instead of per series.")):
    """Export revision statistics (first estimate -> latest actual)."""
    from iip.published.run import revisions
    revs, summary = revisions(_con())
    (revs if figures else summary).to_csv(out, index=False)
    console.print(f"{len(revs if figures else summary)} rows -> {out}")


@app.command("revisions")
def revisions_cmd(node: str = typer.Option(None, "--node", help="Only this node (TOTAL, B, 10 ...)."),
                  indicator: str = typer.Option("production", "--indicator")):
    """Mean and mean absolute revision from first estimate to latest actual, per series."""
    from iip.published.run import revisions
    _, s = revisions(_con())
    s = s[s["indicator"] == indicator]
    if node:
        s = s[s["node"] == node]
    t = Table("indicator", "area", "node", "measure", "n", "mean revision", "mean |revision|", "max |revision|")
    for r in s.itertuples():
        t.add_row(r.indicator, r.area, r.node, r.measure, str(r.n), f"{r.mean_revision:+.3f}",
                  f"{r.mean_abs_revision:.3f}", f"{r.max_abs_revision:.3f}")
    console.print(t)


@check_app.command("consistency")
def consistency_cmd(tolerance: float = typer.Option(5.0, "--tolerance", help="Flag |implied - published| above this (points)."),
                    min_run: int = typer.Option(3, "--min-run", help="Consecutive flagged months that make a discontinuity."),
                    out: Path = typer.Option(None, "--out", help="Write the month-by-month comparison to CSV.")):
    """Compare sources: yoy implied by IMF SDMX levels vs GSO's published yoy."""
    from iip.errors import IIPError
    from iip.published.run import check_consistency
    cmp, runs = check_consistency(_con(), tolerance=tolerance, min_run=min_run)
    if cmp.empty:
        raise IIPError("nothing to compare: import both GSO workbooks (iip import gso) and an SDMX file (iip import sdmx)")
    if out:
        cmp.to_csv(out, index=False)
    flagged = cmp[cmp["flagged"]]
    console.print(f"{len(cmp)} months compared, {len(flagged)} beyond ±{tolerance} points")
    t = Table("node", "start", "end", "months", "mean diff (implied - GSO)")
    for r in runs.itertuples():
        t.add_row(r.node, r.start, r.end, str(r.months), f"{r.mean_diff:+.2f}")
    console.print(t)
    tot = runs[runs["node"] == "TOTAL"].sort_values("months")
    if not tot.empty:
        r = tot.iloc[-1]
        console.print(f"Discontinuity in the SDMX TOTAL series starts {r.start} (through {r.end}, {r.months} months, "
                      f"implied yoy {r.mean_diff:+.2f} points vs GSO).")
