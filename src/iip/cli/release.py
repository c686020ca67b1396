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
            as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (with --source published): the figures as "
                                      "known on that date, each its newest vintage (default: the month's own GSO "
                                      "workbook). A release month counts as known from the first day of the next "
                                      "month."),
            out: Path = typer.Option(..., "--out", help="Output folder; the release goes to OUT/<period>/v<N>/."),
            provisional: bool = typer.Option(False, "--provisional", help="Release a provisional month (less than "
                                             "80% of the weight reported); the text says so.")):
    """Write the monthly release (workbook, narrative, charts, SDMX) as a new immutable vintage."""
    from iip.reference.periods import date, month
    from iip.release.package import write_release
    from iip.store import connect

    period = month(period, option="--period")
    when = date(as_of, option="--as-of") if as_of else None
    with connect(db(), create=False) as con, console.status(f"Building the {source} release of {period}..."):
        r = write_release(con, period, out, source=source, langs=tuple(x.strip() for x in lang.split(",") if x),
                          as_of=when, provisional=provisional)
    note = " -- PROVISIONAL (said in the text)" if r.provisional else ""
    console.print(f"release {r.period} ({r.source}{', as of ' + when.isoformat() if when else ''}) vintage "
                  f"v{r.vintage}: {len(r.files)} files in {r.directory}{note}", highlight=False)
    if r.changed is not None:
        console.print(f"  {r.changed} figure(s) changed from the previous vintage (diff.md)")
    console.print(f"  content hash {r.content_hash[:16]}")
    notes = Path(r.directory) / "notes.txt"
    if notes.is_file():
        console.print("  notes (notes.txt):")
        for note in notes.read_text(encoding="utf-8").splitlines():
            console.print(f"  - {note}")


@app.command("releases")
def releases(period: str = typer.Option(None, "--period", help="Only this month.")):
    """List the release vintages recorded in the store."""
    from iip.release.package import list_releases
    from iip.store import connect

    with connect(db(), create=False) as con:
        df = list_releases(con, period)
    t = Table("id", "period", "source", "as of", "vintage", "created", "directory")
    for r in df.itertuples():
        as_of = "" if r.as_of is None or r.as_of != r.as_of else str(r.as_of)[:10]
        t.add_row(str(r.release_id), r.period, r.source, as_of, f"v{r.vintage}", str(r.created_at)[:19],
                  r.directory)
    console.print(t)


@app.command()
def disclosure() -> None:
    """Disclosure control of the latest compile run, per indicator: confidential cells by kind of area and rule,
    provinces whose TOTAL is confidential, and the audit blocks the check could not settle (protected
    conservatively; also in each release's notes.txt)."""
    from iip import disclosure as sdc
    from iip.store import connect

    with connect(db()) as con:
        t, notes, run = sdc.suppression_table(con), sdc.unsettled(con), sdc.current_run(con)
    console.print(f"{len(t)} confidential cells (compile run {run}), each indicator with its own pattern:")
    kind = t["area"].map(sdc.area_kind)
    rule = t["reason"].str.split(":").str[0]
    for (ind, k, r), n in t.groupby(["indicator", kind, rule]).size().items():
        console.print(f"  {ind:<12} {k:<16} {r:<10} {n:>6}")
    totals = t[(t["node"] == "TOTAL") & (kind == "province")].groupby("indicator").size()
    for ind, n in totals.items():
        console.print(f"  {ind}: TOTAL confidential in {n} province(s)")
    if notes:
        console.print(f"[yellow]{len(notes)} audit block(s) could not be settled:[/]")
        for note in notes:
            console.print(f"  - {note}")
    else:
        console.print("The audit settled every block: no confidential cell can be derived from published ones.")
