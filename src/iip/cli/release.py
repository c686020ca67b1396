"""CLI commands: ``iip release`` (a monthly release package as a new vintage) and ``iip releases``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from iip.cli import app, db

console = Console()


@app.command("release")
def release(period: str = typer.Option(..., "--period", help="Month to release, YYYY-MM."),
            source: str = typer.Option("compiled", "--source", help="compiled | published"),
            lang: str = typer.Option("vi,en", "--lang", help="Narrative languages: vi, en or vi,en."),
            out: Path = typer.Option(..., "--out", help="Output folder; the release goes to OUT/<period>/v<N>/."),
            provisional: bool = typer.Option(False, "--provisional", help="Release a provisional month (less than "
                                             "80% of the weight reported); the text says so.")):
    """Write the monthly release (workbook, narrative, charts, SDMX) as a new immutable vintage."""
    from iip.reference.periods import month
    from iip.release.package import write_release
    from iip.store import connect

    period = month(period, option="--period")
    with connect(db(), create=False) as con, console.status(f"Building the {source} release of {period}..."):
        r = write_release(con, period, out, source=source, langs=tuple(x.strip() for x in lang.split(",") if x),
                          provisional=provisional)
    note = " -- PROVISIONAL (said in the text)" if r.provisional else ""
    console.print(f"release {r.period} ({r.source}) vintage v{r.vintage}: {len(r.files)} files in {r.directory}"
                  f"{note}", highlight=False)
    if r.changed is not None:
        console.print(f"  {r.changed} figure(s) changed from the previous vintage (diff.md)")
    console.print(f"  content hash {r.content_hash[:16]}")


@app.command("releases")
def releases(period: str = typer.Option(None, "--period", help="Only this month.")):
    """List the release vintages recorded in the store."""
    from iip.release.package import list_releases
    from iip.store import connect

    with connect(db(), create=False) as con:
        df = list_releases(con, period)
    t = Table("id", "period", "source", "vintage", "created", "directory")
    for r in df.itertuples():
        t.add_row(str(r.release_id), r.period, r.source, f"v{r.vintage}", str(r.created_at)[:19], r.directory)
    console.print(t)
