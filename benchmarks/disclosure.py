"""Benchmark: disclosure control of a compiled store, per indicator (docs/methods/disclosure.md, Scale).

    python benchmarks/disclosure.py [--store PATH] [--seed 2020]

Without ``--store`` it builds the demo store (``iip demo``: synthetic scale small, ingest, compile) in a temporary
folder. For each compiled indicator it prints the compiled cells, the confidential ones (primary / secondary),
the provinces whose TOTAL is confidential, the confidential VN sections and TOTAL, audit blocks left unsettled,
and the time of the computation (primary rules + secondary suppression + audit, nothing cached).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_demo(folder: Path, seed: int) -> Path:
    """``iip demo`` into ``folder`` (a fresh store); returns the store's path."""
    db = folder / "iip.duckdb"
    subprocess.run([sys.executable, "-c", "from iip.cli import app; app()", "--db", str(db), "demo",
                    "--out", str(folder / "demo"), "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL,
                   env=os.environ.copy())
    return db


def report(db: Path) -> None:
    from iip import disclosure
    from iip.store import connect

    con = connect(db, read_only=True)
    try:
        for indicator in disclosure.indicators(con):
            cells = con.execute("SELECT count(DISTINCT (area, node)) FROM index_series WHERE indicator = ?",
                                [indicator]).fetchone()[0]
            t0 = time.perf_counter()
            res = disclosure.compute(con, indicator)
            seconds = time.perf_counter() - t0
            t = res.table
            primary = int(t["reason"].str.startswith("primary").sum())
            kind = t["area"].map(disclosure.area_kind)
            totals = t[(t["node"] == "TOTAL") & (kind == "province")]
            provinces = con.execute("SELECT count(DISTINCT area) FROM index_series WHERE indicator = ? "
                                    "AND regexp_full_match(area, '[0-9]{2}')", [indicator]).fetchone()[0]
            vn = t[t["area"] == "VN"]
            sections = sorted(n for n in vn["node"] if len(n) == 1)
            vn_total = "confidential" if "TOTAL" in set(vn["node"]) else "published"
            print(f"{indicator}: {len(t)} of {cells} cells confidential ({primary} primary, {len(t) - primary} "
                  f"secondary); TOTAL confidential in {len(totals)} of {provinces} provinces "
                  f"({int(totals['reason'].str.startswith('primary').sum())} primary); VN: {len(vn)} cells, "
                  f"sections {', '.join(sections) or 'none'}, TOTAL {vn_total}; "
                  f"{len(res.unsettled)} unsettled; {seconds:.1f} s")
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, help="a compiled store (default: build the demo in a temp folder)")
    ap.add_argument("--seed", type=int, default=2020)
    args = ap.parse_args()
    if args.store:
        report(args.store)
        return
    with tempfile.TemporaryDirectory() as tmp:
        report(build_demo(Path(tmp), args.seed))


if __name__ == "__main__":
    main()
