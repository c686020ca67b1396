"""CLI commands of the seasonal stage: ``iip sa`` (one file or every stored series) and ``iip target``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iip.cli import app, db
from iip.errors import IIPError, OptionError

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
    assert not isinstance(res, str)   # a spec alone only with spec_only=True
    write_sa_csv(res.series, out)
    if report:
        write_report({**res.report, "spec": res.spec, "forecast": res.forecast.to_dict("records")}, report)
    _print_report(res.report)
    _print_tet_neutral(res.series)
    console.print(f"wrote {out}" + (f" and {report}" if report else ""))


def _sa_all(workers: int | None, transform: str) -> None:
    from iip.seasonal.batch import adjust_many, iter_summary, load_series, save_outcomes
    from iip.store import connect

    con = connect(db(), create=False)
    items = load_series(con)
    if not items:
        raise IIPError(f"no stored series to adjust in {db()} (tables indices / published_levels are empty)")
    done: list = []

    def finished(o) -> None:
        done.append(o)
        bar.update(task, advance=1, description="/".join(o.key))

    with Progress(TextColumn("[bold]adjusting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task("", total=len(items))
        try:
            outcomes = adjust_many(items, options={"transform": transform}, workers=workers, on_done=finished)
        except KeyboardInterrupt:
            bar.stop()
            kept = (f"the {len(done)} of {len(items)} series adjusted before it were kept (batch "
                    f"{save_outcomes(con, list(done))}); run `iip sa --all` again to adjust them all"
                    if done else "no series had been adjusted yet: nothing was written")
            typer.secho(f"Interrupted (Ctrl-C): {kept}.", fg="yellow", err=True)
            raise typer.Exit(130) from None
    batch = save_outcomes(con, outcomes)
    table = Table(title=f"seasonal adjustment, batch {batch}")
    for c in ("series", "status", "model", "Tet window", "t (after)", "message"):
        table.add_column(c)
    for r in iter_summary(outcomes):
        table.add_row(r["series"], r["status"], r["model"], r["tet"], _f(r["t_after"]), r["message"][:90])
    console.print(table)
    counts = pd.Series([o.status for o in outcomes]).value_counts().to_dict()
    console.print(f"{len(outcomes)} series: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@app.command("sa")
def sa(input: Path = typer.Option(None, "--input", help="CSV with columns period (YYYY-MM), value"),
       out: Path = typer.Option(None, "--out", help="Output sa.csv (period,value,sa,trend,seasonal,calendar,tet)"),
       report: Path = typer.Option(None, "--report", help="Write the JSON report (model, Tet, diagnostics)"),
       all_: bool = typer.Option(False, "--all", help="Adjust every stored series (indices, published_levels)"),
       workers: int = typer.Option(None, "--workers", help="Parallel processes for --all (default: CPU count)"),
       transform: str = typer.Option("auto", help="auto (AICc chooses log or none), log or none")) -> None:
    """Seasonally adjust with X-13ARIMA-SEATS, removing the Tet (Lunar New Year) effect."""
    if transform not in ("auto", "log", "none"):
        raise OptionError.choice("--transform", transform, ("auto", "log", "none"))
    if workers is not None and workers < 1:
        raise OptionError(f"--workers must be a number of processes >= 1, not {workers}", option="--workers")
    if all_ == (input is not None):
        raise IIPError("give either --input FILE (with --out) or --all")
    if all_:
        _sa_all(workers, transform)
        return
    if out is None:
        raise IIPError("--out is required with --input")
    _sa_file(input, out, report, transform)


def _target_series(input: Path | None, area: str, node: str, indicator: str) -> pd.DataFrame:
    if input is not None:
        from iip.seasonal.io import read_series_csv
        return read_series_csv(input)
    from iip.measures import levels
    from iip.store import connect

    with connect(db(), create=False) as con:
        df = levels(con, indicator=indicator, area=area, node=node)
    if df.empty:
        raise IIPError(f"no compiled series {indicator}/{area}/{node} in {db()}")
    return df.rename(columns={"index": "value"})[["period", "value"]]


@app.command("target")
def target(area: str = typer.Option("VN", "--area", help="Area code (VN, region or 2-digit province)"),
           year: int = typer.Option(..., "--year", help="Target year"),
           target_pct: float = typer.Option(..., "--target", help="Annual growth target, percent (7.5 = +7.5%)"),
           node: str = typer.Option("TOTAL", "--node"), indicator: str = typer.Option("production", "--indicator"),
           input: Path = typer.Option(None, "--input", help="CSV period,value instead of the store"),
           as_of: str = typer.Option(None, "--as-of", help="Use data up to this month (YYYY-MM) only"),
           sims: int = typer.Option(20000, "--sims", help="Simulated forecast paths")) -> None:
    """Growth needed in the rest of the year to reach an annual target, and the chance of reaching it."""
    from iip import summary
    from iip.reference.periods import FIRST_YEAR, LAST_YEAR, month
    from iip.seasonal import adjust, target_path

    summary.check_view(area=area, node=node, indicator=indicator, levels=("total", "section", "division", "group",
                                                                          "class"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise OptionError(f"--year must be a year between {FIRST_YEAR} and {LAST_YEAR}, not {year}", option="--year")
    if sims < 100:
        raise OptionError(f"--sims must be at least 100 simulated paths, not {sims}", option="--sims")
    until = month(as_of, option="--as-of") if as_of else None
    df = _target_series(input, area, node, indicator)
    if until:
        df = df[df["period"].astype(str) <= until]
        if df.empty:
            raise OptionError(f"--as-of {until} is before the first month of the series", option="--as-of")
    last = pd.Period(str(df["period"].max()), "M")
    lead = max((pd.Period(f"{year}-12", "M") - last).n, 1)
    if lead > 36:
        raise IIPError(f"data end {last}: too far from {year} to forecast it")
    with console.status("fitting the regARIMA model and forecasting"):
        res = adjust(df, name=f"{indicator}/{area}/{node}", maxlead=max(lead, 12))
    assert not isinstance(res, str)
    log = res.report["model"]["transform"] == "log"
    t = target_path(res.series, res.forecast, year=year, target_pct=target_pct, log=log, n_sims=sims)
    seen = (f"data to {t['last_observed']} ({t['months_observed']} months of {year}, year to date "
            f"{_f(t['ytd_growth_pct'])}%)" if t["last_observed"] else f"no month of {year} observed yet (data to {last})")
    console.print(f"{indicator}/{area}/{node} {year}: target {target_pct:+}%; {seen}", highlight=False)
    if t["required_avg_yoy_pct"] is not None:
        console.print(f"  needed in the remaining months: average yoy {_f(t['required_avg_yoy_pct'])}%")
        console.print(f"  forecast annual growth {_f(t['forecast_growth_pct'])}% "
                      f"(90% range {_f(t['growth_interval_90'][0])} .. {_f(t['growth_interval_90'][1])})")
    console.print(f"  probability of reaching +{target_pct}%: {100 * t['probability']:.1f}%")
