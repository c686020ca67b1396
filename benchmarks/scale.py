"""Benchmark: the compile at the scale of a large country, DuckDB and Spark, beside the floor.

    python benchmarks/scale.py [--dir DIR] [--years 1,5] [--engines duckdb,spark] [--enterprises 400000]

Writes (once, kept in DIR) a country-scale lake with `iip synth --scale country --years 5` (~400,000 enterprises,
~60 million report rows a year, a Parquet dataset partitioned by period); the one-year case reads the last 12
partitions of it (linked, with that year as base year). For each number of years, a store gets the register,
products and weights, then, each in a fresh process: the floor -- one plain DuckDB scan + join + group-by of the
same Parquet files (report x register -> product x province x month sums) -- and `iip compile --reports LAKE`
with each engine. Prints time, report rows per second and peak memory (the resident memory of the process and
its children -- Spark's JVM -- sampled every 0.1 s, and the process's own VmHWM). Goal: the DuckDB compile within
3x the floor and below 2 GB, on one year and on five; Spark local finishes both with identical indices.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

CLI = [sys.executable, "-c", "from iip.cli import app; app()"]
FLOOR = """SELECT r.product_code, g.province, r.period, sum(r.produced), sum(r.sold), sum(r.closing_stock)
           FROM read_parquet('{files}', hive_partitioning = true) r JOIN register g USING (enterprise_id)
           GROUP BY ALL"""
CHILD = {
    "floor": """import duckdb, json, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter(); n = con.sql(sys.argv[3]).to_arrow_table().num_rows; dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "groups": n}))""",
    "compile": """import json, sys, time
from iip.compile import compile_store
from iip.store import connect
con = connect(sys.argv[1])
t = time.perf_counter()
_, parts = compile_store(con, engine=sys.argv[2], reports=sys.argv[3])
print(json.dumps({"seconds": time.perf_counter() - t, "parts": parts}))""",
}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            status = (d / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
        rss[int(d.name)] = next((int(x.split()[1]) / 1024 for x in status.splitlines() if x.startswith("VmRSS:")), 0)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0.0)
        todo += children.get(p, [])
    return total


def measured(args: list[str]) -> tuple[dict, float]:
    """Run a child, sampling its process tree's memory; (its JSON output, peak MB)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))

    threading.Thread(target=sample, daemon=True).start()
    out, err = proc.communicate()
    done.set()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1]), peak[0]


def ensure_lake(root: Path, enterprises: int) -> Path:
    """The five-year country lake (written once)."""
    lake = root / "country-5y"
    if not (lake / "weights.csv").exists():
        t = time.perf_counter()
        subprocess.run([*CLI, "synth", "--scale", "country", "--years", "5", "--enterprises", str(enterprises),
                        "--out", str(lake)], check=True, stdout=subprocess.DEVNULL)
        print(f"synth country, 5 years: {time.perf_counter() - t:.0f} s")
    return lake


def one_year(lake: Path, root: Path) -> Path:
    """The last 12 partitions of the five-year lake, linked, with that year as base year."""
    import pandas as pd

    out = root / "country-1y"
    parts = sorted((lake / "reports").glob("period=*"))[-12:]
    (out / "reports").mkdir(parents=True, exist_ok=True)
    for p in parts:
        link = out / "reports" / p.name
        if not link.exists():
            link.symlink_to(p.resolve(), target_is_directory=True)
    for name in ("register.csv", "products.csv"):
        if not (out / name).exists():
            (out / name).symlink_to((lake / name).resolve())
    w = pd.read_csv(lake / "weights.csv", dtype={"code": str, "province": str})
    w.assign(base_year=int(parts[0].name.split("=")[1][:4])).to_csv(out / "weights.csv", index=False)
    return out


def store_for(lake: Path) -> Path:
    """A store with the register, products and weights of ``lake`` (made once)."""
    db = lake / "store.duckdb"
    if not db.exists():
        for kind in ("register", "products", "weights"):
            subprocess.run([*CLI, "--db", str(db), "ingest", kind, str(lake / f"{kind}.csv")], check=True,
                           stdout=subprocess.DEVNULL)
    return db


def report_rows(lake: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in (lake / "reports").glob("period=*/*.parquet"))


def indices_of(db: Path):
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute('SELECT "index" FROM index_levels ORDER BY indicator, area, node, period').fetchnumpy()[
            "index"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/iip-scale"))
    ap.add_argument("--years", default="1,5")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--enterprises", type=int, default=400_000)
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    five = ensure_lake(a.dir, a.enterprises)
    rows_out, bad = [], False
    for years in [int(y) for y in a.years.split(",")]:
        lake = five if years == 5 else one_year(five, a.dir)
        rows = report_rows(lake)
        db = store_for(lake)
        files = str(lake / "reports" / "period=*" / "*.parquet")
        floor, floor_mb = measured([sys.executable, "-c", CHILD["floor"], str(db), "", FLOOR.format(files=files)])
        rows_out.append((years, rows, "floor (DuckDB scan+join+group-by)", floor["seconds"], floor_mb, 1.0))
        print(f"  {years} y floor: {floor['seconds']:.1f} s, {floor_mb / 1024:.2f} GB, {rows:,} report rows",
              flush=True)
        levels = {}
        for engine in a.engines.split(","):
            work = lake / f"{engine}.duckdb"
            work.write_bytes(db.read_bytes())
            res, mb = measured([sys.executable, "-c", CHILD["compile"], str(work), engine, str(lake / "reports")])
            ratio = res["seconds"] / floor["seconds"]
            rows_out.append((years, rows, f"compile --engine {engine}", res["seconds"], mb, ratio))
            levels[engine] = indices_of(work)
            print(f"  {years} y {engine}: {res['seconds']:.1f} s, {mb / 1024:.2f} GB, {ratio:.2f} x floor; parts "
                  f"{json.dumps({k: round(v, 2) for k, v in res['parts'].items()})}", flush=True)
            if engine == "duckdb":
                bad |= ratio > 3 or mb > 2048
        if len(levels) == 2:
            a_, b_ = levels.values()
            diff = float(np.nanmax(np.abs(a_ - b_))) if len(a_) == len(b_) else float("inf")
            print(f"  {years} y: Spark vs DuckDB indices, max difference {diff:.2e} over {len(a_):,} levels")
            bad |= not diff <= 1e-9
    print(f"\n{'years':>5} {'report rows':>13} {'run':<36} {'time s':>8} {'rows/s':>12} {'peak GB':>8} "
          f"{'x floor':>8}")
    for years, rows, what, sec, mb, ratio in rows_out:
        print(f"{years:>5} {rows:>13,} {what:<36} {sec:>8.1f} {rows / sec:>12,.0f} {mb / 1024:>8.2f} {ratio:>8.2f}")
    print("FAIL" if bad else "PASS", "(goal: DuckDB compile <= 3x the floor and < 2 GB; Spark = DuckDB to 1e-9)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
