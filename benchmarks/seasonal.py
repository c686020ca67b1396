"""Benchmark: `iip sa --all` against x13as run bare on the same spec files.

    python benchmarks/seasonal.py [--db STORE] [--synthetic N] [--workers W]

Without --db, a temporary store is filled with the IMF series of ../shared (when present) and N synthetic
series with a Tet effect. Timed A: load every stored series, adjust them over a process pool (Tet window
selection + final run, parsing, report) and save the runs. Timed B: the very same spec files (every
selection and final spec that A ran) given to x13as bare (subprocess in a temporary folder, nothing read
back), over a process pool of the same size. Target: A / B <= 1.30.
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
    con.executemany('INSERT INTO indices (indicator, area, node, period, "index", run_id) VALUES (?,?,?,?,?,0)', rows)


def run_bare(spec: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-x13-") as tmp:
        Path(tmp, "s.spc").write_text(spec)
        subprocess.run([str(find_x13()), str(Path(tmp, "s")), "-s", "-q"], cwd=tmp, capture_output=True,
                       check=True, timeout=120)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None)
    ap.add_argument("--synthetic", type=int, default=7)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args(argv)
    tmpdir = tempfile.TemporaryDirectory()
    path = args.db or os.path.join(tmpdir.name, "bench.duckdb")
    con = connect(path)
    if not args.db:
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
    sys.exit(0 if t_full / t_bare <= 1.30 else 1)


if __name__ == "__main__":
    main()
