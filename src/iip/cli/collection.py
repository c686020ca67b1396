"""CLI commands of collection and data quality: users add|list|disable|enable|reset-password, impute, outliers,
labour."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from iip.cli import app, db, users_app
from iip.errors import OptionError

console = Console()


def _period(p: str, name: str = "--period") -> str:
    from iip.reference.periods import month
    return month(p, option=name)


@users_app.command("add")
def users_add(username: str = typer.Argument(...),
              role: str = typer.Option(..., help="enterprise|provincial|national|admin"),
              enterprise: str = typer.Option(None, "--enterprise", help="Enterprise id (role enterprise)"),
              province: str = typer.Option(None, "--province", help="2-digit province code (role provincial)"),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin")
              ) -> None:
    """Create an account (password asked twice, or read from stdin)."""
    from iip.collection.accounts import add_user
    from iip.store import connect

    password = _password(password_stdin)
    with connect(db()) as con:
        p = add_user(con, username, password, role, enterprise_id=enterprise, province=province, by="cli")
    console.print(f"[green]added[/] {p.username} ({p.role}{', ' + p.enterprise_id if p.enterprise_id else ''}"
                  f"{', province ' + p.province if p.province else ''})")


@users_app.command("list")
def users_list() -> None:
    """List accounts (never passwords)."""
    from iip.collection.accounts import list_users
    from iip.store import connect

    with connect(db(), create=False) as con:
        df = list_users(con)
    t = Table(title=f"{len(df)} user(s)")
    for c in ("username", "role", "enterprise_id", "province", "active", "created_at"):
        t.add_column(c)
    for r in df.itertuples():
        t.add_row(r.username, r.role, r.enterprise_id or "", r.province or "", "yes" if r.active else "no",
                  str(r.created_at)[:19])
    console.print(t)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...)) -> None:
    """Disable an account (kept for the audit trail; its tokens stop working)."""
    from iip.collection.accounts import disable_user
    from iip.store import connect

    with connect(db(), create=False) as con:
        disable_user(con, username, by="cli")
    console.print(f"[green]disabled[/] {username}")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...)) -> None:
    """Re-enable an account and clear its failed logins (on the server: no approval needed)."""
    from iip.collection.accounts import enable_user
    from iip.store import connect

    with connect(db()) as con:
        enable_user(con, username, by="cli")
    console.print(f"[green]enabled[/] {username}")


@users_app.command("reset-password")
def users_reset_password(username: str = typer.Argument(...),
                         password_stdin: bool = typer.Option(False, "--password-stdin",
                                                             help="Read the new password from stdin")) -> None:
    """Set a new password (asked twice, or read from stdin); the account's tokens are revoked."""
    from iip.collection.accounts import reset_password
    from iip.store import connect

    password = _password(password_stdin)
    with connect(db()) as con:
        reset_password(con, username, password, by="cli")
    console.print(f"[green]password reset[/] for {username}; its sessions are closed")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command()
def impute(period: str = typer.Option(..., "--period", help="Last month to impute, YYYY-MM"),
           period_from: str = typer.Option(None, "--from", help="First month (default: --period)"),
           lookback: int = typer.Option(12, help="Months before --from in which a response makes a line expected")
           ) -> None:
    """Ratio-of-means imputation of non-response (markers FIR, BI, C, FIC) into the reports of a window of months
    (`iip compile` imputes every month by itself)."""
    from iip.quality.drivers.impute import impute_store
    from iip.store import connect

    p_to = _period(period)
    p_from = _period(period_from, "--from") if period_from else p_to
    if p_from > p_to:
        raise OptionError(f"--from {p_from} is after --period {p_to}: give --from <= --period", option="--from")
    if lookback < 0:
        raise OptionError(f"--lookback must be a number of months >= 0, not {lookback}", option="--lookback")
    with connect(db(), create=False) as con, console.status(f"imputing {p_from}..{p_to}"):
        r = impute_store(con, p_from, p_to, lookback=lookback, user="cli")
    marks = ", ".join(f"{k} {v:,}" for k, v in sorted(r.markers.items()) if k != "None") or "none"
    load = f" (load {r.load_id})" if r.load_id is not None else ""
    console.print(f"[green]imputed[/] {p_from}..{p_to}: {r.expected:,} expected lines, {r.responded:,} reported, "
                  f"{r.imputed:,} imputed ({marks}); {r.written:,} written, {r.retired:,} retired{load}; "
                  f"{r.unimputable:,} without donors (not imputed)", highlight=False)


@app.command()
def outliers(period: str = typer.Option(..., "--period", help="Month to test, YYYY-MM"),
             variable: str = typer.Option("produced", help="produced|sold|closing_stock"),
             c: float = typer.Option(7.0, "--c", help="HB width parameter C"),
             u: float = typer.Option(0.5, "--u", help="HB size exponent U (0..1)"),
             a: float = typer.Option(0.05, "--a", help="HB minimum spread A")) -> None:
    """Hidiroglou-Berthelot outlier flags vs the previous month; new flags go to the review queue."""
    from iip.quality.drivers.outliers import check_parameters, detect_store
    from iip.store import connect

    month = _period(period)
    check_parameters(variable=variable, U=u, A=a, C=c)
    with connect(db(), create=False) as con:
        new = detect_store(con, month, variable=variable, C=c, U=u, A=a, user="cli")
    t = Table(title=f"{len(new)} new outlier flag(s), {variable}, {month}")
    for col in ("flag", "enterprise", "product", "value", "previous", "ratio", "effect", "bounds"):
        t.add_column(col, justify="right" if col not in ("enterprise", "product") else "left")
    for r in new.head(30).itertuples():
        t.add_row(str(r.flag_id), r.enterprise_id, r.product_code, f"{r.current:.4g}", f"{r.previous:.4g}",
                  f"{r.ratio:.3f}", f"{r.effect:.3f}", f"{r.lower:.3f}..{r.upper:.3f}")
    console.print(t)


@app.command()
def labour(period: str = typer.Option(..., "--period", help="Month, YYYY-MM (employees on its 1st day)"),
           load: Path = typer.Option(None, "--load", help="First ingest an employment file (enterprise_id, period, "
                                     "employees; CSV, XLSX or Parquet)"),
           out: Path = typer.Option(None, "--out", help="Also export to FILE.csv or FILE.parquet")) -> None:
    """Labour-usage index (100 = same level) vs the previous month and the same month last year."""
    from iip.ingest.microdata import ingest_file
    from iip.quality.drivers.labour import labour_store
    from iip.store import connect

    month = _period(period)
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise OptionError(f"--out must end in .csv or .parquet, not {out.name!r}", option="--out")
    with connect(db(), create=False) as con:
        if load is not None:
            r = ingest_file(con, "employment", load, user="cli")
            console.print(f"[green]employment[/]: {r.inserted:,} new or changed, {r.unchanged:,} unchanged from "
                          f"{load}", highlight=False)
        df = labour_store(con, month)
    t = Table(title=f"Labour-usage index, {month}: employees on the 1st day of the month (GSO form: 100 = same "
                    "level)")
    for col in ("dimension", "code", "employees", "mom", "yoy", "n mom", "n yoy"):
        t.add_column(col, justify="left" if col in ("dimension", "code") else "right")
    def f(v) -> str:
        return "" if pd.isna(v) else f"{v:.2f}"

    for r in df.itertuples():
        t.add_row(r.dimension, r.code, f"{r.employees:,.0f}", f(r.mom), f(r.yoy), str(r.enterprises_mom),
                  str(r.enterprises_yoy))
    console.print(t)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        df.to_csv(tmp, index=False) if out.suffix.lower() == ".csv" else df.to_parquet(tmp, index=False)
        tmp.replace(out)
        console.print(f"[green]exported[/] {len(df)} rows to {out}")
