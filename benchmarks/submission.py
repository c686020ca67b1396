"""Benchmark: the cost of one report submission on the service's path, in this process (no HTTP, no load
generator): resolve the token, check the report against the submission layout's rules and the edit rules on
the connection the service's checker keeps (its rule query prepared once), write the new version on a connection
of its own, close the request's connection.

    python benchmarks/submission.py [--db STORE.duckdb] [--n 40] [--batch 1] [--copies 1]

Without --db a demo store is built first (`iip demo`, ~1 min). Works on a copy; prints the wall and CPU time per
submission (mean of --n, after 5 warm-up submissions). --batch K: K submissions of K enterprises that arrived
together, checked and written as one batch (what the service's writer does under load). --copies N: the
store's register and reports repeated N times under new enterprise ids first (a store N times larger: what a
submission costs must not grow with it). What 50 submitters waiting 2 s each need: about 25 submissions a
second, so below ~40 ms of CPU each on one core, ~80 ms on two.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="a DuckDB store to copy (default: build the demo)")
    ap.add_argument("--n", type=int, default=40, help="submissions timed")
    ap.add_argument("--batch", type=int, default=1, help="submissions written together")
    ap.add_argument("--copies", type=int, default=1, help="the register and reports repeated this many times")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iip-sub-"))
    db = work / "iip.duckdb"
    if a.db:
        shutil.copy(a.db, db)
    else:
        subprocess.run([sys.executable, "-c", "from iip.cli import app; app()", "--db", str(db), "demo", "--out",
                        str(work / "demo")], check=True, capture_output=True)
    from iip.collection import accounts
    from iip.store import Store, connect
    from iip.web.deps import LazyConnection
    from iip.collection import submissions
    from iip.web.services import collection as svc

    con = connect(db)
    for table in ("register", "reports") if a.copies > 1 else ():
        con.execute(f"CREATE TEMP TABLE first_{table} AS SELECT * FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT f.* REPLACE (f.enterprise_id || '-' || k AS enterprise_id) "
                    f"FROM first_{table} f, range(2, ?) t(k)", [a.copies + 1])
    period = con.execute("SELECT max(period) FROM reports WHERE status = 'R'").fetchone()[0]
    rows = con.execute("SELECT enterprise_id, list(product_code ORDER BY product_code) FROM reports WHERE period = ? "
                       "GROUP BY 1 ORDER BY 1 LIMIT ?", [period, max(5, a.batch)]).fetchall()
    subs = []
    for e, prods in rows:
        user, token = f"bench_{e}", f"tok-{e}"
        con.execute("INSERT INTO users (username, password_hash, role, enterprise_id) VALUES (?, 'x', 'enterprise', ?)",
                    [user, e])
        con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, now()::TIMESTAMP + "
                    "INTERVAL 1 DAY)", [accounts._token_hash(token), user])
        subs.append((token, list(prods)))
    stored = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    con.close()
    store = Store(str(db))
    checker = store.begin_unit()         # kept between batches, as the service's checker keeps it

    def one(i: int) -> None:
        c = LazyConnection(store)
        try:
            batch = []
            for k in range(a.batch):
                token, prods = subs[(i * a.batch + k) % len(subs)]
                body = {"period": period, "comment": "benchmark", "products": [
                    {"product_code": p, "produced": 100 + i + j, "sold": 90 + i, "closing_stock": 10 + j}
                    for j, p in enumerate(prods)]}
                batch.append(svc.json_submission(accounts.resolve(c, token), body))
            checked = submissions.check_many(checker, batch, kept=True)
            with store.unit() as w:
                for got in submissions.write_checked(w, batch, checked):
                    assert not isinstance(got, Exception), got
        finally:
            c.close()

    for i in range(5):
        one(i)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(5, 5 + a.n):
        one(i)
    n = a.n * a.batch
    wall, cpu = (time.perf_counter() - t0) / n, (time.process_time() - c0) / n
    lines = sum(len(p) for _, p in subs) / len(subs)
    print(f"{n} submissions ({a.batch} per batch) of ~{lines:.0f} product lines on {period}, {stored:,} reports "
          f"in the store: wall {wall * 1000:.1f} ms, "
          f"CPU {cpu * 1000:.1f} ms per submission")
    store.end_unit(checker)
    store.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
