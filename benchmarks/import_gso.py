"""Time `import gso` on every shared workbook (target: < 60 s on 2 cores) and refresh the package data
src/iip/data/gso_published_national.csv. Usage: python benchmarks/import_gso.py [SHARED_DIR (default $IIP_SHARED or ../shared)] [--write-national]"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from iip.ingest.published import import_gso, national_csv
from iip.store import connect

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shared = Path(args[0]) if args else Path(os.environ.get("IIP_SHARED", REPO.parent / "shared"))
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        res = import_gso(con, [shared / "data" / "gso-monthly"])
        dt = time.perf_counter() - t0
        seen, mapped = sum(r.cells_seen for r in res), sum(r.cells_mapped for r in res)
        cpu = os.times()
        print(f"files: {len(res)}  imported: {sum(r.status == 'imported' for r in res)}  "
              f"no IIP tables: {sum(r.status == 'no IIP tables' for r in res)}  "
              f"failed: {sum(r.status == 'failed' for r in res)}  figures: {sum(r.figures for r in res)}  "
              f"refused: {sum(len(r.refused) for r in res)}  coverage: {mapped}/{seen} cells")
        print(f"import seconds: {dt:.1f}  ({'OK' if dt < 60 else 'SLOW'}: target < 60 s); CPU seconds (this process "
              f"and its parsers): {cpu.user + cpu.system + cpu.children_user + cpu.children_system:.1f}")
        if "--write-national" in sys.argv:
            out = REPO / "src" / "iip" / "data" / "gso_published_national.csv"
            df = national_csv(con)
            df.to_csv(out, index=False)
            print(f"wrote {len(df)} rows -> {out}")


if __name__ == "__main__":
    main()
