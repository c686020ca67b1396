"""CLI commands of the seasonal stage: ``iip sa`` (one file or every stored series) and ``iip target``."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from iip.cli import app, db
from iip.errors import IIPError

console = Console()


def _f(v, nd: int = 2) -> str:
    return "" if v is None or v != v else f"{v:.{nd}f}"


def _print_tet_neutral(series: pd.DataFrame, *, years: int = 3) -> None:
    from iip.seasonal import tet_neutral

    tn = tet_neutral(series)
    tn = tn[tn["period"] >= tn["period"].iloc[-1][:4] + "-01"] if len(tn) < 12 else tn.tail(12 * years)
    table = Table(title="Tet-neutral comparison (percent)")
    for c in ("period", "value", "sa", "yoy raw", "yoy sa", "Jan+Feb yoy raw", "Jan+Feb yoy sa"):
        table.add_column(c, justify="right")
    for r in tn.itertuples():
        table.add_row(r.period + (" Tet" if r.tet_month else ""), _f(r.value), _f(r.sa), _f(r.yoy_raw),
                      _f(r.yoy_sa), _f(r.janfeb_yoy_raw), _f(r.janfeb_yoy_sa))
    console.print(table)


def _print_report(rep: dict) -> None:
    t, m = rep["tet"], rep["model"]
    left = rep["diagnostics"]["tet_left"]
    console.print(f"model {m['arima']} transform={m['transform']} AICc={m['aicc']}; Tet window {t['before_days']} "
                  f"days before / {t['after_days']} from Tet: t={_f(t['t_before'])} / {_f(t['t_after'])}")
    console.print(f"Tet effect F-test: raw p={left['raw']['p']:.3g}, adjusted p={left['sa']['p']:.3g}; "
                  f"Q={rep['diagnostics']['m_q']['Q']}; outliers: "
                  + (", ".join(o["label"] for o in rep["outliers"]) or "none"))


def _sa_file(input: Path, out: Path, report: Path | None, transform: str) -> None:
    from iip.seasonal import adjust
    from iip.seasonal.io import read_series_csv, write_report, write_sa_csv

    df = read_series_csv(input)
    with console.status(f"adjusting {input.name} with X-13ARIMA-SEATS"):
        res = adjust(df, name=input.stem, transform=transform)
    assert not isinstance(res, str)             # a spec only with spec_only=True
    write_sa_csv(res.series, out)
    if report:
        write_report({**res.report, "spec": res.spec, "forecast": res.forecast.to_dict("records")}, report)
    _print_report(res.report)
    _print_tet_neutral(res.series)
    console.print(f"wrote {out}" + (f" and {report}" if report else ""))


def _interruptible(stop: threading.Event):
    """First Ctrl-C: set ``stop`` (the series running finish and are saved); a second one stops at once."""
    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console.print("[yellow]stopping: the series being adjusted finish and are saved (Ctrl-C again to stop "
                      "now)[/]")
    return on_sigint


def _sa_all(workers: int | None, transform: str, *, everything: bool, force: bool, batch_size: int) -> None:
    from iip.seasonal.batch import iter_summary, plan, run_all
    from iip.store import Store, describe

    store = Store(db(), wait=60.0, pool=4)
    options = {"transform": transform}
    con = store.connect()
    try:
        p = plan(con, selection="everything" if everything else "release", options=options, force=force)
    finally:
        con.close()
    if not p.stored:
        raise IIPError(f"no stored series to adjust in {describe(db())} (compile first: `iip compile`)")
    what = "every stored series" if everything else (
        "the release set: national, regional and provincial TOTAL, sections and divisions nationally, for each "
        "indicator (--everything: all)")
    console.print(f"{what}: {p.chosen:,} of {p.stored:,} stored series; {p.unchanged:,} unchanged since their "
                  f"last run (skipped), {len(p.todo):,} to adjust")
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, _interruptible(stop))
    try:
        with Progress(TextColumn("[bold]adjusting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.description}"),
                      console=console) as bar:
            task = bar.add_task("", total=len(p.todo))
            summary = run_all(store.connect, p.todo, options=options, workers=workers, batch_size=batch_size,
                              stop=stop, on_done=lambda o: bar.update(task, advance=1,
                                                                      description="/".join(o.key)))
    finally:
        signal.signal(signal.SIGINT, previous)
        store.close()
    outcomes = summary.outcomes
    if outcomes and len(outcomes) <= 40:
        table = Table(title=f"seasonal adjustment, batch {summary.batch}")
        for c in ("series", "status", "model", "Tet window", "t (after)", "message"):
            table.add_column(c)
        for r in iter_summary(outcomes):
            table.add_row(r["series"], r["status"], r["model"], r["tet"], _f(r["t_after"]), r["message"][:90])
        console.print(table)
    counts = pd.Series([o.status for o in outcomes], dtype=object).value_counts().to_dict()
    console.print(f"{len(outcomes):,} series adjusted and saved in {summary.commits} commits (batch "
                  f"{summary.batch})" + (": " + ", ".join(f"{v} {k}" for k, v in counts.items()) if counts else ""))
    if summary.stopped:
        console.print(f"[yellow]stopped[/]: {len(p.todo) - len(outcomes):,} series not adjusted; run "
                      "`iip sa --all` again to go on (what is saved is skipped)")
        raise typer.Exit(130)


@app.command("sa")
def sa(input: Path = typer.Option(None, "--input", help="CSV with columns period (YYYY-MM), value"),
       out: Path = typer.Option(None, "--out", help="Output sa.csv (period,value,sa,trend,seasonal,calendar,tet)"),
       report: Path = typer.Option(None, "--report", help="Write the JSON report (model, Tet, diagnostics)"),
       all_: bool = typer.Option(False, "--all", help="Adjust the stored series of the release set: national, "
                                 "regional and provincial TOTAL, sections and divisions nationally, for each "
                                 "indicator (compiled and published levels)"),
       everything: bool = typer.Option(False, "--everything", help="With --all: every stored series"),
       force: bool = typer.Option(False, "--force", help="With --all: adjust again series whose input has not "
                                  "changed since their last run (skipped otherwise)"),
       workers: int = typer.Option(None, "--workers", min=1, help="Parallel processes for --all (default: CPU "
                                   "count)"),
       batch_size: int = typer.Option(25, "--batch-size", min=1, help="With --all: series saved per commit (a "
                                      "commit also every 10 s); Ctrl-C keeps every committed batch"),
       transform: str = typer.Option("auto", help="auto (AICc chooses log or none), log or none")) -> None:
    """Seasonally adjust with X-13ARIMA-SEATS, removing the Tet (Lunar New Year) effect."""
    if transform not in ("auto", "log", "none"):
        raise IIPError(f"--transform must be auto, log or none, not {transform}")
    if all_ == (input is not None):
        raise IIPError("give either --input FILE (with --out) or --all")
    if (everything or force) and not all_:
        raise IIPError("--everything and --force go with --all")
    if all_:
        _sa_all(workers, transform, everything=everything, force=force, batch_size=batch_size)
        return
    if out is None:
        raise IIPError("--out is required with --input")
    _sa_file(input, out, report, transform)


def _target_adjustment(input: Path | None, area: str, node: str, indicator: str, as_of: str | None):
    """The adjustment whose forecasts the target uses: the stored run of the series (``iip sa --all``) when it saw
    the series as it is now; else the same model fitted now (``--input``, ``--as-of``, never adjusted, changed)."""
    from iip.seasonal import tracking
    from iip.seasonal.batch import input_sha256
    from iip.seasonal.io import read_series_csv
    from iip.store import connect, describe

    if input is not None:
        df, key = read_series_csv(input), ("input", "", "", input.stem)
    else:
        with connect(db(), read_only=True) as con:
            df = con.execute('SELECT period, "index" AS value FROM index_levels WHERE indicator = ? AND area = ? '
                             "AND node = ? ORDER BY period", [indicator, area, node]).df()
            adj = tracking.stored(con, indicator=indicator, area=area, node=node)
        if df.empty:
            raise IIPError(f"no compiled series {indicator}/{area}/{node} in {describe(db())}")
        key = ("compiled", indicator, area, node)
        if adj is not None and not as_of and adj.input_sha256 == input_sha256(df, {"transform": "auto"}):
            console.print(f"forecasts of the stored adjustment run {adj.run_id}")
            return adj, df
    if as_of:
        df = df[df["period"].astype(str) <= as_of].reset_index(drop=True)
    why = "--input" if input is not None else "--as-of" if as_of else "no stored run of the series as it is now"
    with console.status(f"fitting the regARIMA model and forecasting ({why})"):
        return tracking.fit(df, key=key), df


@app.command("target")
def target(area: str = typer.Option("VN", "--area", help="Area code (VN, region or 2-digit province)"),
           year: int = typer.Option(None, "--year", help="Target year (default: the year being forecast)"),
           target_pct: float = typer.Option(..., "--target", help="Annual growth target, percent (7.5 = +7.5%)"),
           node: str = typer.Option("TOTAL", "--node"), indicator: str = typer.Option("production", "--indicator"),
           input: Path = typer.Option(None, "--input", help="CSV period,value instead of the store"),
           as_of: str = typer.Option(None, "--as-of", help="Use data up to this month (YYYY-MM) only")) -> None:
    """Growth needed in the rest of the year to reach an annual target, and the chance of reaching it.

    Uses the forecasts of the series' stored adjustment run (the dashboard's tracker uses the same), fitting the
    model now only when none matches the data."""
    from iip.reference.periods import month
    from iip.seasonal import tracking

    if as_of:
        month(as_of, option="--as-of")
    adj, df = _target_adjustment(input, area, node, indicator, as_of)
    t = tracking.track(adj, year=year, target=target_pct)
    year = t["year"]
    console.print(f"{indicator}/{area}/{node} {year}: target +{target_pct}% ; data to {t['last_observed']} "
                  f"({t['months_observed']} months, year to date {_f(t['ytd_growth_pct'])}%)")
    if t["required_avg_yoy_pct"] is not None:
        console.print(f"  needed in the remaining months: average yoy {_f(t['required_avg_yoy_pct'])}%")
        console.print(f"  forecast annual growth {_f(t['forecast_growth_pct'])}% "
                      f"(90% range {_f(t['growth_interval_90'][0])} .. {_f(t['growth_interval_90'][1])})")
    console.print(f"  probability of reaching +{target_pct}%: {100 * t['probability']:.1f}%")
