"""CLI commands of the core: demo, synth, ingest, compile, show, export indices."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iip.cli import app, db, export_app
from iip.errors import IIPError, NotFoundError

console = Console()


class Kind(str, Enum):
    """The input files ``iip ingest`` takes (one layout each, :data:`iip.validation.LAYOUTS`)."""
    register = "register"
    products = "products"
    weights = "weights"
    reports = "reports"
    employment = "employment"


class Scale(str, Enum):
    """Sizes of synthetic microdata ``iip synth`` writes."""
    small = "small"
    gso = "gso"
    country = "country"


class Engine(str, Enum):
    """What runs the microdata stage of a compile (:mod:`iip.compile.sources`)."""
    duckdb = "duckdb"
    spark = "spark"


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), console=console, transient=False)


def _fmt(v, nd: int = 2) -> str:
    """A table figure rounded half up (``iip.reference.rounding.fmt``); empty when missing."""
    from iip.reference.rounding import fmt
    return "" if v is None or v != v else fmt(v, nd)


def _pct(v) -> str:
    return "" if v is None or v != v else f"{100 * v:.0f}%"


@app.command()
def synth(scale: Scale = typer.Option(Scale.small, help="small (~1,500 enterprises), gso (~16,000, 10 years) or "
                                      "country (~400,000 enterprises, ~60 million report rows a year, written "
                                      "month by month as a Parquet dataset partitioned by period)"),
          out: Path = typer.Option(..., "--out", help="Folder for register.csv, products.csv, weights.csv and the "
                                   "reports (reports.parquet; country: reports/period=YYYY-MM/)"),
          seed: int = typer.Option(2020, help="Random seed (same seed, same files)"),
          years: int = typer.Option(1, "--years", help="Country scale: whole years to write (1-10), ending with "
                                    "the last calibrated year; the first is the base year"),
          enterprises: int = typer.Option(400_000, "--enterprises", min=100, help="Country scale: number of "
                                          "enterprises")) -> None:
    """Write realistic synthetic microdata in the four input formats."""
    from iip.synth import write_synthetic
    from iip.synth.country import write_country

    with _progress() as bar:
        task = bar.add_task(f"synth {scale.value}", total=1.0)

        def step(name: str, frac: float) -> None:
            bar.update(task, completed=frac, description=name)

        if scale == Scale.country:
            paths = write_country(out, years=years, seed=seed, enterprises=enterprises, progress=step)
        else:
            paths = write_synthetic(out, scale=scale.value, seed=seed, progress=step)
        bar.update(task, completed=1.0)
    for k, p in paths.items():
        console.print(f"  {k:<11} {p}")
    if scale == Scale.country:
        console.print(f"then: iip ingest register|products|weights {out}/<kind>.csv; "
                      f"iip compile --reports {paths['reports']}")


def _ingest(con, kind: str, file: Path) -> None:
    from iip.ingest.microdata import ingest_file

    with console.status(f"ingesting {kind} from {file}"):
        r = ingest_file(con, kind, file)
    console.print(f"[green]{kind}[/]: {r.rows:,} rows from {file} -> {r.inserted:,} new or changed, "
                  f"{r.unchanged:,} unchanged (load {r.load_id})", highlight=False)
    for n in r.notes:
        console.print(f"  [cyan]note[/] {n}", highlight=False)
    for w in r.warnings[:10]:
        console.print(f"  [yellow]warning[/] {w}", highlight=False)
    if r.warnings_total > 10:
        console.print(f"  [yellow]... {r.warnings_total - 10:,} more warnings[/]")


@app.command()
def ingest(kind: Kind = typer.Argument(..., help="register|products|weights|reports|employment"),
           file: Path = typer.Argument(..., help="CSV, XLSX or Parquet file (chosen by extension)")) -> None:
    """Validate an input file and store it (all or nothing; versions kept)."""
    from iip.store import connect

    with connect(db()) as con:
        _ingest(con, kind.value, file)


def _imputation_line(r) -> str:
    """One line saying what the compile's imputation did."""
    if r is None:
        return "imputation: no reports"
    if r.skipped:
        return "imputation: nothing new since the last run (imputed lines kept)"
    marks = ", ".join(f"{k} {v:,}" for k, v in sorted(r.markers.items()) if k != "None") or "none"
    load = f" (load {r.load_id})" if r.load_id is not None else ""
    return (f"imputation {r.period_from}..{r.period_to}: {r.expected:,} expected lines, {r.responded:,} reported, "
            f"{r.imputed:,} imputed ({marks}), {r.unimputable:,} without donors (missing); {r.written:,} written, "
            f"{r.retired:,} retired{load}")


def _compile(con, period_from=None, period_to=None, reference_year=None, *, impute: bool = True,
             engine: str = "duckdb", reports: str | None = None, spark_master: str | None = None) -> None:
    from iip.compile import compile_store

    what = ("imputing non-response and compiling indices" if impute and reports is None else "compiling indices") \
        + f" ({engine}" + (f", reports from {reports}" if reports else "") + ")"
    with console.status(what):
        result, t = compile_store(con, period_from=period_from, period_to=period_to, reference_year=reference_year,
                                  impute=impute, user="cli", engine=engine, reports=reports,
                                  spark_master=spark_master)
    if reports is not None:
        console.print("imputation: not used (--reports): the dataset's reports as reported")
    elif impute:
        console.print(_imputation_line(t["imputation"]), highlight=False)
    else:
        console.print("imputation: not used (--no-impute): reported values only; coverage says how much reported")
    console.print(f"[green]compiled[/] {t['rows']:,} index rows, {t['cells']:,} level cells stored (impute "
                  f"{t['impute']:.2f}s, read {t['read']:.2f}s, compute {t['compute']:.2f}s, write "
                  f"{t['write']:.2f}s)")
    for n in result.notes:
        console.print(f"  [yellow]note[/] {n}", highlight=False)
    _protect_compiled(con)


def _protect_compiled(con) -> None:
    """Disclosure control of the new run, computed and stored per indicator so readers (the service, releases)
    only read it. A compile is never undone by it: when control cannot be computed (e.g. no full base year),
    say so; readers then refuse with the same message."""
    from iip import disclosure

    with console.status("disclosure control of the compiled cells"):
        try:
            done = {i: disclosure.result(con, i) for i in disclosure.indicators(con)}
        except IIPError as exc:
            console.print(f"  [yellow]disclosure control not computed[/]: {exc}")
            return
    cells = sum(len(r.table) for r in done.values())
    unsettled = sum(len(r.unsettled) for r in done.values())
    console.print(f"disclosure control: {cells:,} confidential cells"
                  + (f", {unsettled} audit block(s) protected conservatively (iip disclosure)" if unsettled else ""))


@app.command("compile")
def compile_cmd(period_from: str = typer.Option(None, "--from", help="First month to (re)write, YYYY-MM"),
                period_to: str = typer.Option(None, "--to", help="Last month to (re)write, YYYY-MM"),
                reference_year: int = typer.Option(None, help="Reference year (=100); default the latest base "
                                                   "year"),
                engine: Engine = typer.Option(Engine.duckdb, "--engine", help="What scans and aggregates the "
                                              "reports: duckdb (in process) or spark (Apache Spark through Ibis)"),
                reports: Path = typer.Option(None, "--reports", help="Read the reports from a Parquet dataset "
                                             "partitioned by period (DIR/period=YYYY-MM/*.parquet) instead of the "
                                             "store; register, products and weights come from the store"),
                spark_master: str = typer.Option(None, "--spark-master", help="Spark master URL (default local[*]; "
                                                 "spark://host:7077, yarn...); Spark Connect: set SPARK_REMOTE"),
                no_impute: bool = typer.Option(False, "--no-impute", help="Do not impute non-response: compile the "
                                               "reported values only (coverage still says how much reported)")
                ) -> None:
    """Impute non-response, then compile production, consumption and inventory indices for every area x node x
    month, with each cell's coverage."""
    from iip.reference.periods import month
    from iip.store import connect

    for name, p in (("--from", period_from), ("--to", period_to)):
        if p:
            month(p, option=name)
    with connect(db(), create=False) as con:
        _compile(con, period_from, period_to, reference_year, impute=not no_impute, engine=engine.value,
                 reports=str(reports) if reports else None, spark_master=spark_master)


def print_gso_table(df, title: str, columns: dict[str, str], *, lang: str = "vi") -> None:
    """Rows of ``summary.tree_rows`` shape (code, level, names, values) as a Rich table in GSO's layout;
    ``columns`` maps printed headers to value columns."""
    t = Table(title=title, show_lines=False)
    t.add_column("code", no_wrap=True, min_width=5)
    t.add_column("name", no_wrap=True, max_width=max(12, min(46, console.width - 26 - 8 * len(columns))),
                 overflow="ellipsis")
    for c in columns:
        t.add_column(c, justify="right", no_wrap=True, min_width=6)
    for _, r in df.iterrows():
        t.add_row(r["code"], str(r["name_vi" if lang == "vi" else "name_en"]), *(_fmt(r[c]) for c in columns.values()),
                  style="bold" if r["level"] in ("total", "section") else None)
    console.print(t)


def print_diffusion(divisions: dict, provinces: dict | None) -> None:
    """Divisions and provinces up / down (``summary.division_diffusion`` / ``province_diffusion``)."""
    if divisions["divisions"]:
        console.print(f"Divisions: yoy above 100 in [green]{divisions['rose']}[/], below in "
                      f"[red]{divisions['fell']}[/] of {divisions['divisions']}.")
    if provinces and provinces["provinces"]:
        from iip.summary import diffusion_sentence

        console.print(f"Provinces: IIP {diffusion_sentence(provinces)} (yoy vs 100).")


def coverage_note(con, period: str) -> str:
    """'provisional: 54% of the weight reported, 45% imputed' or 'final: 98% reported, 2% imputed'."""
    from iip import summary

    rep, imp = summary.national_coverage(con, period)
    if rep is None:
        return "coverage not recorded (recompile to get it)"
    state = "PROVISIONAL" if rep < summary.PROVISIONAL_BELOW else "final"
    return f"{state}: {_pct(rep)} of the base-year weight reported, {_pct(imp)} imputed"


def print_headline(con, period: str, *, area: str = "VN", indicator: str = "production", node: str | None = None,
                   lang: str = "vi") -> None:
    """The month's table in GSO's shape with each row's coverage, then divisions and provinces up vs down and
    the biggest contributors."""
    from iip import summary

    df = summary.headline_table(con, period, area=area, indicator=indicator)
    if node and node != "TOTAL":
        df = df[(df["code"] == node) | (df["parent"] == node)]
    if df.empty:
        raise NotFoundError(f"no {indicator} indices for node {node} in area {area}, {period}")
    df = df.assign(reported=100 * df["coverage_reported"], imputed=100 * df["coverage_imputed"])
    console.print(f"{period} {coverage_note(con, period)} (national)", highlight=False)
    print_gso_table(df, f"IIP {indicator}, {area}, {period} (GSO form: 100 = same level; ytd = Jan..{period[5:]})",
                    {"index": "index", "mom": "mom", "yoy": "yoy", "ytd": "ytd", "contrib pp": "contrib_total_yoy",
                     "rep %": "reported", "imp %": "imputed"}, lang=lang)
    print_diffusion(summary.division_diffusion(df),
                    summary.province_diffusion(con, period, indicator=indicator) if area == "VN" else None)
    if area == "VN":
        top = summary.top_contributors(con, period, indicator=indicator, lang=lang)
        from iip.reference.rounding import fmt
        parts = [f"{r.node} {r.name} {fmt(r.contrib_total_yoy, 1, sign=True)} pp" for r in top.itertuples()]
        console.print("Biggest contributors to the yoy change: " + "; ".join(parts))


def print_period(con, period: str, *, area: str = "VN", indicator: str = "production", node: str | None = None,
                 lang: str = "vi") -> None:
    """A quarter, half-year or year: mean index and yoy (sum of its months on the same months a year earlier)."""
    from iip import summary

    df = summary.period_table(con, period, area=area, indicator=indicator)
    if node and node != "TOTAL":
        df = df[(df["code"] == node) | (df["parent"] == node)]
    if df.empty:
        raise NotFoundError(f"no {indicator} indices for node {node} in area {area}, {period}")
    print_gso_table(df, f"IIP {indicator}, {area}, {period} (GSO form; index = mean of the months, yoy = sum of "
                        "the months on the same months a year earlier)", {"index": "index", "yoy": "yoy"}, lang=lang)
    print_diffusion(summary.division_diffusion(df),
                    summary.period_province_diffusion(con, period, indicator=indicator) if area == "VN" else None)


@app.command()
def show(area: str = typer.Option("VN", help="VN, a region code or a 2-digit province code"),
         node: str = typer.Option("TOTAL", help="TOTAL, B..E or a division: shown with its children"),
         period: str = typer.Option(None, help="YYYY-MM, or a quarter YYYY-Qn, half-year YYYY-H1|H2 or year "
                                    "YYYY (default: the latest month that is not provisional)"),
         indicator: str = typer.Option("production", help="production|consumption|inventory"),
         lang: str = typer.Option("vi", help="vi|en names")) -> None:
    """Print a readable table of compiled indices with their coverage (share of the weight reported / imputed)."""
    from iip import summary
    from iip.reference.periods import month, period_freq
    from iip.store import connect

    summary.check_view(area=area, node=node, indicator=indicator, lang=lang)
    freq = period_freq(period, option="--period") if period else "M"
    if freq == "M" and period:
        month(period, option="--period")
    with connect(db(), create=False) as con:
        period = period or summary.latest_period(con, indicator)
        show_fn = print_headline if freq == "M" else print_period
        show_fn(con, period, area=area, indicator=indicator, node=node, lang=lang)


@export_app.command("indices")
def export_indices(out: Path = typer.Option(..., "--out", help="FILE.csv or FILE.parquet"),
                   extra: bool = typer.Option(False, help="Add contrib_ytd and contrib_total_yoy after the "
                                              "standard columns")) -> None:
    """Export compiled indices: indicator,area,node,period,index,mom,yoy,ytd,contrib_yoy (then, with --extra,
    contrib_ytd,contrib_total_yoy), then coverage_reported,coverage_imputed (shares of the base-year weight)."""
    from iip.store import connect
    from iip.summary import export_indices as write
    from iip.summary import export_path

    export_path(out)
    with connect(db(), create=False) as con:
        n = write(con, out, extra=extra)
    console.print(f"[green]exported[/] {n:,} rows to {out}", highlight=False)


@app.command()
def demo(out: Path = typer.Option(Path("demo"), "--out", help="Folder for the synthetic input files"),
         seed: int = typer.Option(2020, help="Random seed")) -> None:
    """The main job on a fresh machine: synth small -> ingest -> impute -> compile -> the headline of the latest
    month that is not provisional."""
    from iip import summary
    from iip.store import connect, describe
    from iip.synth import write_synthetic

    with _progress() as bar:
        task = bar.add_task("synthetic microdata (small)", total=1.0)
        paths = write_synthetic(out, scale="small", seed=seed,
                                progress=lambda step, frac: bar.update(task, completed=frac))
        bar.update(task, completed=1.0)
    with connect(db()) as con:
        for kind in ("register", "products", "weights", "reports", "employment"):
            _ingest(con, kind, paths[kind])
        _compile(con)
        status = summary.month_status(con)
        latest = summary.latest_period(con)
        print_headline(con, latest)
        late = status[status["provisional"]]
        for r in late.itertuples():
            console.print(f"{r.period} is provisional: {_pct(r.reported)} of the weight reported so far "
                          f"(below {summary.PROVISIONAL_BELOW:.0%}); see it with iip show --period {r.period}")
    console.print(f"Store: {describe(db())}  |  try: iip show --area 79 --node C   |   iip export indices --out indices.csv")
