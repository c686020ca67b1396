"""The demo store (``iip demo``'s synthetic data: ~1,500 enterprises, 2019-2022) and a post-merger store (the same
generator run to 2025-09, so the compile writes the 34 merged provinces), each built once per session and
compiled with the real ingest and engine."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from iip.compile import compile_store
from iip.ingest.microdata import ingest_file
from iip.store import connect
from iip.synth import generate


def build(path: Path, *, last: str | None = None) -> Path:
    """Synthetic microdata (scale small, seed 2020, to ``last``), ingested and compiled into ``path``."""
    syn = generate(scale="small", seed=2020, **({"last": last} if last else {}))
    d = path.parent
    syn.register.to_csv(d / "register.csv", index=False)
    syn.products.to_csv(d / "products.csv", index=False)
    syn.weights.to_csv(d / "weights.csv", index=False)
    pq.write_table(syn.reports, d / "reports.parquet")
    con = connect(path)
    for kind, name in (("register", "register.csv"), ("products", "products.csv"), ("weights", "weights.csv"),
                       ("reports", "reports.parquet")):
        ingest_file(con, kind, d / name)
    compile_store(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture(scope="session")
def merged_store(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("merged") / "merged.duckdb", last="2025-09")
