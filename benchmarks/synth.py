"""Time, rows and peak memory of `iip synth` at both scales: python benchmarks/synth.py [OUT_DIR]."""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from iip import synth


def main(root: Path) -> None:
    print(f"LAST_CALIBRATED_PERIOD = {synth.LAST_CALIBRATED_PERIOD}")
    for scale in ("small", "gso"):
        t0 = time.perf_counter()
        paths = synth.write_synthetic(root / scale, scale=scale, seed=2020)
        secs = time.perf_counter() - t0
        reports = pq.read_metadata(paths["reports"]).num_rows
        emp = pq.read_metadata(paths["employment"]).num_rows
        ents = len(paths["register"].read_text(encoding="utf-8").splitlines()) - 1
        prods = len(paths["products"].read_text(encoding="utf-8").splitlines()) - 1
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = sum(p.stat().st_size for p in paths.values()) / 1e6
        print(f"{scale:5s}: {secs:6.1f} s  enterprises {ents:6d}  products {prods:4d}  report rows {reports:9d}  "
              f"employment rows {emp:8d}  files {size:6.1f} MB  peak RSS so far {rss:6.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as d:
            main(Path(d))
