"""Benchmark: a full compile at gso scale against the floor (one plain DuckDB scan + group-by of the reports).

    python benchmarks/compile.py [--scale gso|small] [--workdir DIR] [--repeat 5]

Prints the synthetic data size, the ingest time (register, products, weights, reports: validation + versioned
upsert), the imputation of every month that `iip compile` runs first when the reports changed (timed apart; the
compiles below find nothing new and skip it), the floor time, the compile time (read + compute + write, with each
cell's coverage), their ratio and the compile's peak memory (measured in a child process). Goal (issue 2):
ratio <= 3, peak memory < 4 GB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_SQL = """SELECT r.product_code, g.province, r.period, sum(r.produced), sum(r.sold), sum(r.closing_stock)
               FROM reports r JOIN register g USING (enterprise_id) GROUP BY ALL"""

# What readers pay for measures derived on read (levels-only storage): typical queries after the compile.
READS = {
    "one series, every month": "SELECT * FROM indices_where(indicator_is := 'production', area_is := 'VN', "
                               "node_is := 'C')",
    "a month's national table": "SELECT * FROM indices_where(indicator_is := 'production', area_is := 'VN', "
                                "period_from := '2022-06', period_to := '2022-06')",
    "a month's provinces (TOTAL)": "SELECT * FROM indices_where(indicator_is := 'production', node_is := 'TOTAL', "
                                   "period_from := '2022-06', period_to := '2022-06')",
    "whole indices view": "SELECT * FROM indices",
}


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux: VmHWM, which starts afresh at exec; ru_maxrss would carry
    over the parent's peak at the fork (here the parent has just synthesised and ingested 3.4 M rows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db: str, repeat: int) -> None:
    """Run in a fresh process: time the floor and the compile, report peak RSS."""
    from iip.compile import compile_store
    from iip.store import connect

    con = connect(db)
    floors, compiles, parts = {"execute": [], "relation": []}, [], []
    ways = {"execute": lambda: con.execute(FLOOR_SQL).to_arrow_table(),   # every row handed to Python as Arrow
            "relation": lambda: con.sql(FLOOR_SQL).to_arrow_table()}
    for _ in range(repeat):
        for way, run in ways.items():
            t0 = time.perf_counter()
            run()
            floors[way].append(time.perf_counter() - t0)
    for _ in range(repeat):
        t0 = time.perf_counter()
        _, t = compile_store(con)
        compiles.append(time.perf_counter() - t0)
        parts.append({k: v for k, v in t.items() if k != "imputation"})
    peak_mb = peak_rss_mb()
    reads = {}
    for label, sql in READS.items():
        best = []
        for _ in range(1 if label == "whole indices view" else repeat):
            t0 = time.perf_counter()
            con.execute(sql).to_arrow_table()
            best.append(time.perf_counter() - t0)
        reads[label] = min(best)
    print(json.dumps({"floor": min(min(v) for v in floors.values()), "floor_execute": min(floors["execute"]),
                      "floor_relation": min(floors["relation"]), "compile": min(compiles), "parts": parts[compiles.index(min(compiles))],
                      "peak_mb": peak_mb, "reads": reads}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="gso")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.repeat)
        return
    from iip.ingest.microdata import ingest_file
    from iip.store import connect
    from iip.synth import write_synthetic

    work = a.workdir or Path(tempfile.mkdtemp(prefix="iip-bench-"))
    t0 = time.perf_counter()
    paths = write_synthetic(work / "in", scale=a.scale)
    t_synth = time.perf_counter() - t0
    db = work / "bench.duckdb"
    con = connect(db)
    t0 = time.perf_counter()
    for kind in ("register", "products", "weights", "reports"):
        ingest_file(con, kind, paths[kind])
    t_ingest = time.perf_counter() - t0
    ingest_file(con, "employment", paths["employment"])      # the auxiliary of construction (not in the figure)
    from iip.quality.drivers.impute import impute_all
    t0 = time.perf_counter()
    imputed, _ = impute_all(con)
    t_impute = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM reports WHERE status = 'R'").fetchone()[0]
    ne = con.execute("SELECT count(*) FROM register").fetchone()[0]
    npr = con.execute("SELECT count(DISTINCT product_code) FROM reports").fetchone()[0]
    con.close()
    out = subprocess.run([sys.executable, __file__, "--child", str(db), "--repeat", str(a.repeat)],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"scale {a.scale}: {n:,} report rows, {ne:,} enterprises, {npr} products")
    print(f"synth {t_synth:.1f} s, ingest (validate + store) {t_ingest:.1f} s")
    if imputed is not None:
        print(f"imputation of every month {t_impute:.1f} s ({imputed.expected:,} expected lines, {imputed.imputed:,} "
              f"imputed, {imputed.unimputable:,} without donors, {imputed.written:,} written)")
    print(f"floor (scan + group-by of reports)  {r['floor']:.3f} s  (the faster of con.execute(...) "
          f"{r['floor_execute']:.3f} s and con.sql(...) {r['floor_relation']:.3f} s, every row fetched as Arrow)")
    p = r["parts"]
    print(f"full compile                         {r['compile']:.3f} s  (imputation check {p['impute']:.3f}, read "
          f"{p['read']:.3f}, compute "
          f"{p['compute']:.3f}, write {p['write']:.3f}; {p['rows']:,} index rows, {p['cells']:,} cells stored)")
    print(f"ratio compile / floor                {r['compile'] / r['floor']:.2f}  (goal <= 3; against the "
          f"con.execute floor {r['compile'] / r['floor_execute']:.2f})")
    print(f"peak memory of the compile process   {r['peak_mb']:.0f} MB  (goal < 4096)")
    print("reads of derived measures: " + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in r["reads"].items()))


if __name__ == "__main__":
    main()
