"""Benchmark: `iip sa --all` on the release set of the demo store, and its overhead over bare x13as.

    python benchmarks/seasonal.py [--db STORE] [--workers W]                   # the release set
    python benchmarks/seasonal.py --overhead [--synthetic N] [--workers W]    # against bare x13as

Release set (default): `iip sa --all` as a user runs it (a subprocess) on STORE, or on a demo store built first
(`iip demo`); prints the number of series, the time and the series per second. Goal: under 5 minutes on 2 cores.

Overhead: a temporary store is filled with the IMF series of ../shared (when present) and N synthetic series with
a Tet effect. Timed A: load every stored series, adjust them over a process pool (Tet window selection + final
run, parsing, report) and save the runs. Timed B: the very same spec files (every selection and final spec that A
ran) given to x13as bare (subprocess in a temporary folder, nothing read back), over a process pool of the same
size. Target: A / B <= 1.30.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from iip.compile import write_tidy
from iip.seasonal.batch import adjust_many, load_series, save_outcomes
from iip.seasonal.regressors import tet_window_shares
from iip.seasonal.x13 import find_x13
from iip.store import connect

SHARED_XML = Path(__file__).resolve().parents[2] / "shared/data/imf-nsdp/IIPVNM-2024q3.xml"


def fill_store(con, n_synthetic: int) -> None:
    rows = []
    if SHARED_XML.exists():
        from iip.ingest.sdmx import monthly_levels
        for ind, df in monthly_levels(SHARED_XML).items():
            node = ind.replace("AIP_ISIC4_", "").replace("_IX", "").replace("IX", "TOTAL").strip("_") or "TOTAL"
            rows += [("production", "VN", node, p, v) for p, v in zip(df["period"], df["value"])]
    periods = pd.period_range("2014-01", "2024-06", freq="M")
    shares = tet_window_shares(periods[0], periods[-1], before=10, after=7)
    rng = np.random.default_rng(1)
    season = np.tile(rng.normal(0, 0.04, 12), len(periods) // 12 + 1)[: len(periods)]
    for i in range(n_synthetic):
        log = (4.6 + 0.005 * np.arange(len(periods)) + season - 0.2 * shares["tet_after"].to_numpy()
               - 0.05 * shares["tet_before"].to_numpy() + rng.normal(0, 0.01, len(periods)))
        rows += [("production", f"{i + 1:02d}", "TOTAL", str(p), float(v)) for p, v in zip(periods, np.exp(log))]
    write_tidy(con, pd.DataFrame(rows, columns=["indicator", "area", "node", "period", "index"]), run_id=0)


def run_bare(spec: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-x13-") as tmp:
        Path(tmp, "s.spc").write_text(spec)
        subprocess.run([str(find_x13()), str(Path(tmp, "s")), "-s", "-q"], cwd=tmp, capture_output=True,
                       check=True, timeout=120)


def release_set(db: str | None, workers: int) -> int:
    """Time `iip sa --all` (the release set) on ``db`` or on a demo store built first."""
    cli = [sys.executable, "-c", "from iip.cli import app; app()"]
    tmp = tempfile.mkdtemp(prefix="iip-sa-bench-")
    if db is None:
        db = os.path.join(tmp, "demo.duckdb")
        subprocess.run([*cli, "--db", db, "demo", "--out", os.path.join(tmp, "in")], check=True,
                       stdout=subprocess.DEVNULL)
    with connect(db, read_only=True) as con:
        before = con.execute("SELECT count(*) FROM sa_runs").fetchone()[0]
    t0 = time.perf_counter()
    res = subprocess.run([*cli, "--db", db, "sa", "--all", "--workers", str(workers)], capture_output=True,
                         text=True, env={**os.environ, "COLUMNS": "160"})
    took = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(res.stdout[-2000:] + res.stderr[-2000:])
    with connect(db, read_only=True) as con:
        runs = con.execute("SELECT status, count(*) FROM sa_runs GROUP BY 1 ORDER BY 1").fetchall()
        n = con.execute("SELECT count(*) FROM sa_runs").fetchone()[0] - before
    print(next(line for line in res.stdout.splitlines() if "stored series" in line))
    print(f"iip sa --all: {n} series in {took:.1f} s ({n / took:.2f} series/s, {workers} workers); runs by status "
          f"{dict(runs)}")
    print(f"{'PASS' if took < 300 else 'FAIL'} (goal: the release set of the demo store in under 5 minutes)")
    return 0 if took < 300 else 1


def overhead(args) -> int:
    """iip's adjustment of every stored series against x13as run bare on the same specs."""
    tmpdir = tempfile.TemporaryDirectory()
    path = os.path.join(tmpdir.name, "bench.duckdb")
    con = connect(path)
    fill_store(con, args.synthetic)

    t0 = time.perf_counter()
    items = load_series(con)
    outcomes = adjust_many(items, workers=args.workers)
    save_outcomes(con, outcomes)
    t_full = time.perf_counter() - t0
    specs = [s for o in outcomes if o.result for s in o.result.specs]

    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(run_bare, specs, chunksize=4))
    t_bare = time.perf_counter() - t0

    ok = sum(o.status == "ok" for o in outcomes)
    print(f"series: {len(items)} ({ok} adjusted), x13as runs: {len(specs)}, workers: {args.workers}")
    print(f"iip sa --all (load, select Tet window, adjust, parse, report, store): {t_full:8.2f} s")
    print(f"x13as bare on the same {len(specs)} specs:                              {t_bare:8.2f} s")
    print(f"ratio: {t_full / t_bare:.3f}  (target <= 1.30)")
    con.close()
    tmpdir.cleanup()
    return 0 if t_full / t_bare <= 1.30 else 1


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="store for the release-set run (default: a demo store)")
    ap.add_argument("--overhead", action="store_true", help="compare with bare x13as instead")
    ap.add_argument("--synthetic", type=int, default=7)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args(argv)
    sys.exit(overhead(args) if args.overhead else release_set(args.db, args.workers))


if __name__ == "__main__":
    main()
