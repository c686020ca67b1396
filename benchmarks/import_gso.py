"""Time `import gso` on every shared workbook (target: < 60 s on 2 cores) and refresh the package data
src/iip/data/gso_published_national.csv. Usage: python benchmarks/import_gso.py [SHARED_DIR] [--write-national]"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from iip.ingest.published import import_gso, national_csv
from iip.store import connect

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shared = Path(args[0]) if args else REPO.parent / "shared"
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        res = import_gso(con, [shared / "data" / "gso-monthly"])
        dt = time.perf_counter() - t0
        seen, mapped = sum(r.cells_seen for r in res), sum(r.cells_mapped for r in res)
        print(f"files: {len(res)}  failed: {sum(r.status == 'failed' for r in res)}  "
              f"figures: {sum(r.figures for r in res)}  coverage: {mapped}/{seen} cells")
        print(f"import seconds: {dt:.1f}  ({'OK' if dt < 60 else 'SLOW'}: target < 60 s)")
        if "--write-national" in sys.argv:
            out = REPO / "src" / "iip" / "data" / "gso_published_national.csv"
            df = national_csv(con)
            df.to_csv(out, index=False)
            print(f"wrote {len(df)} rows -> {out}")


if __name__ == "__main__":
    main()
