"""Web benchmark: /api/series under a fixed request rate while enterprises submit reports, and the overview
page's render time in Chromium; or (--uploads N) the server's memory under N anonymous uploads of --upload-mb MB.

    python benchmarks/web.py [--db STORE | --store duckdb|postgres] [--workers 1] [--submitters 50] [--think 2]
                             [--rate 200] [--seconds 60] [--page-runs 5]
    python benchmarks/web.py --uploads 10 [--upload-mb 200] [--db STORE.duckdb]

Upload mode: the server's resident memory (VmRSS of the `iip serve` process) is printed before and after N
uploads sent at once, half declaring their length (Content-Length: the server must answer 413 without reading),
half streamed without one (chunked: the server must answer 401 before reading the body). Each client streams
zeros until the server answers or closes; the bytes it managed to send are printed. Exits 1 if memory (after, or
at its peak) grew by more than 50 MB or any upload was accepted. Without --db an empty store is used (nothing to read).

Without --db a demo store is built first (`iip demo`, ~20 s): a DuckDB file, or with --store postgres a database
on a throwaway PostgreSQL cluster (iip.store.cluster). The server is `iip serve [--workers N]` in a subprocess on
a free loopback port. Submitters: N enterprises (one account and token each), each in a loop submitting its
month's report (every product line, a changed value each time: a new version is written) then waiting --think
seconds; their latency is from send to response. Both figures are printed: /api/series p99 and submission p99,
and the server's own account of the submissions (/api/health: each stage's time inside its writer).
The load generator is asyncio + httpx, the submitters in a process of their own (as separate clients are: neither
load's client delays the other's timing; "load generator" CPU counts both). Request i of /api/series is *scheduled*
at t0 + i/rate whatever happened before (open model, no coordinated omission); its latency is measured from that
scheduled time to the full response, so a server that falls behind shows it. Queries are drawn at random (fixed
seed) over the store's areas, TOTAL, sections and divisions, all measures, with a time window. Prints the figures;
exits 1 if any request failed or p99 >= 50 ms or the overview page takes >= 1.5 s (cold first visit or warm, worst
run).

Page timing: navigation start until the load event AND every chart the user sees on the overview is drawn
(history, division ranking, contributions, province map, provinces ranked: each container must exist, be marked
drawn and hold its drawing, Plotly's or the server's), checked in an animation frame, so the time includes
painting them. The series explorer (a Plotly page) is timed the same way for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import numpy as np

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MEASURES = ["index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_total_yoy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, workers: int = 1) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from iip.cli import app; app()", "--db", str(db), "serve", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]
    # the server's errors go to a file: a pipe nobody reads would fill and stall the server
    err = tempfile.NamedTemporaryFile("w+", prefix="iip-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True)
    print(f"server errors are logged to {err.name}")
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/meta", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {Path(err.name).read_text()}")
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start")


def series_keys(db: str) -> list[tuple]:
    """Every (indicator, area, node) of TOTAL / sections / divisions in the store with its months."""
    from iip.store import connect

    with connect(db, read_only=True) as con:
        return [(i, a, n, periods.tolist() if hasattr(periods, "tolist") else list(periods))
                for i, a, n, periods in con.execute(
                    "SELECT indicator, area, node, list(period ORDER BY period) FROM index_levels "
                    "WHERE indicator <> 'inventory' AND (length(node) <= 2 OR node = 'TOTAL') "
                    "GROUP BY ALL ORDER BY ALL").fetchall()]


def queries(keys: list[tuple], n: int, seed: int = 1) -> list[dict]:
    """n random series requests (fixed seed): any stored series, any measure, from any of its months but its
    last year (so every request has data: a 404 counts as an error)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        indicator, area, node, periods = rng.choice(keys)
        out.append(
            {
                "indicator": indicator,
                "area": area,
                "node": node,
                "measure": rng.choice(MEASURES),
                "from": rng.choice(periods[: max(1, len(periods) - 12)]),
            }
        )
    return out


async def load(base: str, qs: list[dict], rate: float, seconds: float) -> dict:
    n = int(rate * seconds)
    lat, status, errors = np.full(n, np.nan), np.zeros(n, int), []
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with contextlib.AsyncExitStack() as stack:
        # 8 clients of 32 connections, not one of 256: httpx's pool assigns its queued requests to its connections
        # in time that grows with both, so one client that fell behind spent its CPU there and fell further behind
        clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=10, limits=limits))
                   for _ in range(8)]
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.2

        async def one(i: int):
            due = t0 + i / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                r = await clients[i % len(clients)].get("/api/series", params=qs[i % len(qs)])
                await r.aread()
                status[i] = r.status_code
            except httpx.HTTPError as exc:
                errors.append(repr(exc))
                status[i] = -1
            lat[i] = loop.time() - due

        tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
        gc.collect()
        gc.freeze()  # the generator's own GC pauses must not show up as server latency
        await asyncio.gather(*tasks)
        gc.unfreeze()
        wall = loop.time() - t0
    ok = status == 200
    return {
        "requests": n,
        "wall_s": wall,
        "achieved_rps": n / wall,
        "status": dict(zip(*np.unique(status, return_counts=True))),
        "errors": int((~ok).sum()),
        "examples": errors[:3],
        "p50_ms": 1000 * np.nanpercentile(lat, 50),
        "p90_ms": 1000 * np.nanpercentile(lat, 90),
        "p99_ms": 1000 * np.nanpercentile(lat, 99),
        "max_ms": 1000 * np.nanmax(lat),
    }


def submitter_accounts(db: str, n: int) -> list[dict]:
    """n enterprises with an account and a bearer token each (written straight into the store: n argon2 logins
    would only time argon2), and the products of their latest month."""
    from iip.collection import accounts
    from iip.store import connect, transaction

    with connect(db) as con:
        period = con.execute("SELECT max(period) FROM reports").fetchone()[0]
        rows = con.execute("""SELECT enterprise_id, list(product_code ORDER BY product_code) FROM reports
                              WHERE period = ? GROUP BY 1 ORDER BY 1 LIMIT ?""", [period, n]).fetchall()
        out = []
        with transaction(con):
            for e, products in rows:
                user, token = f"bench_{e}", f"bench-token-{e}"
                con.execute("DELETE FROM tokens WHERE username = ?", [user])
                con.execute("DELETE FROM users WHERE username = ?", [user])
                con.execute("INSERT INTO users (username, password_hash, role, enterprise_id) VALUES "
                            "(?, 'x', 'enterprise', ?)", [user, e])
                con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, "
                            "now()::TIMESTAMP + INTERVAL 1 DAY)", [accounts._token_hash(token), user])
                out.append({"enterprise": e, "token": token, "products": list(products), "period": period})
    return out


async def submit_load(base: str, subs: list[dict], seconds: float, think: float) -> dict:
    """Each submitter: submit its report (values changed each time), wait ``think`` s, again, for ``seconds``."""
    lat: list[float] = []
    status: list[int] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds

        async def one(k: int, sub: dict) -> None:
            i = 0
            await asyncio.sleep(think * k / max(1, len(subs)))     # spread the first submissions
            while loop.time() < end:
                body = {"period": sub["period"], "comment": "benchmark",
                        "products": [{"product_code": p, "produced": 100 + i + j, "sold": 90 + i,
                                      "closing_stock": 10 + j} for j, p in enumerate(sub["products"])]}
                t = loop.time()
                try:
                    r = await client.post("/api/collect/reports", json=body,
                                          headers={"Authorization": f"Bearer {sub['token']}"})
                    status.append(r.status_code)
                except httpx.HTTPError:
                    status.append(-1)
                lat.append(loop.time() - t)
                i += 1
                await asyncio.sleep(think)

        await asyncio.gather(*(one(k, s) for k, s in enumerate(subs)))
    a = np.array(lat) if lat else np.array([np.nan])
    st = np.array(status)
    return {"submissions": len(lat), "per_s": len(lat) / seconds, "errors": int((st != 200).sum()),
            "status": dict(zip(*np.unique(st, return_counts=True))), "p50_ms": 1000 * np.nanpercentile(a, 50),
            "p99_ms": 1000 * np.nanpercentile(a, 99), "max_ms": 1000 * np.nanmax(a)}


def host_loop_ms() -> float:
    """Milliseconds a fixed pure-Python loop takes now, the server idle: how fast this host runs at the moment
    (a shared or throttled machine varies twofold within an hour, whatever the code), printed beside the figures."""
    t, s = time.perf_counter(), 0
    for i in range(2_000_000):
        s += i * i
    return (time.perf_counter() - t) * 1000


def submitters_process(base: str, subs: list[dict], seconds: float, think: float) -> dict:
    """:func:`submit_load` in a process of its own, with the CPU seconds it used (``cpu_s``)."""
    c = time.process_time()
    out = asyncio.run(submit_load(base, subs, seconds, think))
    return out | {"cpu_s": time.process_time() - c}


async def series_and_submissions(base: str, qs: list[dict], rate: float, seconds: float, subs: list[dict],
                                 think: float, pool: ProcessPoolExecutor) -> tuple[dict, dict | None]:
    """The /api/series load and the submitters at the same time, the submitters in ``pool``'s process (as
    separate clients are: neither load's client delays the other's timing)."""
    if not subs:
        return await load(base, qs, rate, seconds), None
    w = asyncio.get_running_loop().run_in_executor(pool, submitters_process, base, subs, seconds, think)
    return await load(base, qs, rate, seconds), await w


def build_store(kind: str) -> tuple[str, object]:
    """A demo store (DuckDB file or PostgreSQL database on a throwaway cluster); (target, cluster or None)."""
    tmp = Path(tempfile.mkdtemp(prefix="iip-web-bench-"))
    cluster = None
    if kind == "postgres":
        from iip.store.cluster import TempCluster

        cluster = TempCluster().start()
        db = cluster.create("bench")
    else:
        db = str(tmp / "s.duckdb")
    subprocess.run([sys.executable, "-c", "from iip.cli import app; app()", "--db", db, "demo", "--out",
                    str(tmp / "in")], check=True, stdout=subprocess.DEVNULL)
    return db, cluster


OVERVIEW_CHARTS = ["chart-history", "chart-ranking", "chart-contrib", "chart-map", "chart-provinces"]
DRAWN = "svg.main-svg, svg.chart-svg, table.bars, div.tiles, p.empty"  # Plotly's drawing or the server-drawn chart
WAIT_CHARTS = """(ids) => { const c = [...document.querySelectorAll('.chart')];
    if (c.length === 0 || !ids.every(id => document.getElementById(id))) return false;
    return c.every(e => { const d = e.querySelector('%s'); const r = d && d.getBoundingClientRect();
        return e.getAttribute('data-rendered') === '1' && r && r.width > 0 && r.height > 0; }); }""" % DRAWN


def _visit(page, url: str, ids: list[str]) -> tuple[float, float]:
    """(seconds from navigation start to the load event and every chart drawn, first contentful paint in
    seconds) for one navigation. ``ids``: charts that must be on the page (a missing one never passes)."""
    t = time.perf_counter()
    page.goto(url, wait_until="load")
    page.wait_for_function(WAIT_CHARTS, arg=ids, polling="raf", timeout=30000)
    total = time.perf_counter() - t
    fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
    return total, (fcp or float("nan")) / 1000


def page_times(base: str, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Overview page (and, for comparison, the series explorer, which draws with Plotly): navigation start to
    every chart drawn, and first contentful paint.

    cold: a fresh browser context each run (nothing cached: a Plotly page must fetch and evaluate the 4.8 MB
    plotly.min.js); warm: later visits in one context (assets cached, as for a user moving around the dashboard).
    """
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} missing: page timing skipped")
        return {}
    from playwright.sync_api import sync_playwright

    pages = {"overview": (base + "/?lang=vi", OVERVIEW_CHARTS), "series explorer": (base + "/series?lang=vi",
                                                                                     ["chart-series"])}
    out: dict[str, list] = {}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, (url, ids) in pages.items():
            cold, warm = out.setdefault(f"{name}, cold", []), out.setdefault(f"{name}, warm", [])
            for _ in range(runs):
                ctx = b.new_context(viewport={"width": 1300, "height": 900})
                cold.append(_visit(ctx.new_page(), url, ids))
                ctx.close()
            ctx = b.new_context(viewport={"width": 1300, "height": 900})
            page = ctx.new_page()
            _visit(page, url, ids)  # first visit fills the cache
            for _ in range(runs):
                warm.append(_visit(page, url, ids))
            ctx.close()
        b.close()
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its live child processes (uvicorn's workers) have used so far,
    their threads included."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process, MB (``VmRSS``; ``VmHWM``: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def anonymous_upload(port: int, size: int, *, chunked: bool, step: int = 1 << 16) -> tuple[str, int]:
    """POST ``size`` bytes to the upload endpoint without a token; stop when the server answers or closes.
    Returns (the status line or how the connection ended, bytes of body sent)."""
    import select

    head = (f"POST /api/collect/reports/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\n"
            + ("Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"))
    part = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    block = b"0" * step
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        while sent < size:
            readable, writable, _ = select.select([s], [s], [], 30)
            if readable:
                break
            if not writable:
                return "timeout", sent
            data = part if sent == 0 else block if sent + step < size else b"\r\n--B--\r\n"
            frame = f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data
            try:
                s.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(data)
        try:
            first = s.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
        except (ConnectionResetError, OSError):
            first = ""
    return first or "closed", sent


def uploads_mode(db: Path, n: int, mb: int) -> int:
    """Server memory before and after ``n`` simultaneous anonymous uploads of ``mb`` MB."""
    from concurrent.futures import ThreadPoolExecutor

    port = free_port()
    proc = start_server(db, port)
    try:
        time.sleep(1.0)
        before = rss_mb(proc.pid)
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            res = list(pool.map(lambda i: anonymous_upload(port, mb << 20, chunked=bool(i % 2)), range(n)))
        took = time.perf_counter() - t
        time.sleep(0.5)
        after, peak = rss_mb(proc.pid), rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(10)
    for i, (status, sent) in enumerate(res):
        kind = "chunked, no length" if i % 2 else "Content-Length"
        print(f"upload {i + 1:2d} ({mb} MB, {kind:18s}): {status!r} after {sent / 2**20:,.2f} MB sent")
    print(f"{n} anonymous {mb} MB uploads in {took:.2f} s; server RSS before {before:,.1f} MB, after {after:,.1f} MB "
          f"({after - before:+,.1f} MB), peak {peak:,.1f} MB")
    accepted = [r for r in res if " 200 " in r[0]]
    bad = max(after, peak) - before > 50 or bool(accepted)
    print("FAIL" if bad else "PASS", "(targets: memory grows < 50 MB, no upload accepted)")
    return 1 if bad else 0


def writer_stages(stats: dict) -> str:
    """The server's own account of its submissions (/api/health: one worker's writer): how many, the mean group,
    and each stage's median / 99th percentile, so a slow submission shows where it waited."""
    stages = ", ".join(f"{k[:-3]} {v['p50']:.0f}/{v['p99']:.0f}" for k, v in stats.items()
                       if k.endswith("_ms") and v)
    return (f"inside the server: {stats.get('submissions', 0)} submissions, groups of {stats.get('group')} on "
            f"average; stage p50/p99 ms: {stages or 'none'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a DuckDB file or a PostgreSQL URL (default: build a demo store)")
    ap.add_argument("--store", choices=["duckdb", "postgres"], default="duckdb", help="kind of demo store to build")
    ap.add_argument("--workers", type=int, default=1, help="iip serve --workers (above 1: PostgreSQL)")
    ap.add_argument("--submitters", type=int, default=50)
    ap.add_argument("--think", type=float, default=2.0, help="seconds each submitter waits between submissions")
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--page-runs", type=int, default=5, help="page timings of each kind (0: none)")
    ap.add_argument("--uploads", type=int, default=0, help="upload mode: this many anonymous uploads")
    ap.add_argument("--upload-mb", type=int, default=200)
    a = ap.parse_args()
    if a.uploads:
        db = a.db
        if db is None:
            from iip.store import connect

            db = str(Path(tempfile.mkdtemp(prefix="iip-upload-bench-")) / "empty.duckdb")
            connect(db).close()
        return uploads_mode(db, a.uploads, a.upload_mb)
    db, cluster = (a.db, None) if a.db else build_store(a.store)
    keys = series_keys(db)
    subs = submitter_accounts(db, a.submitters) if a.submitters else []
    port = free_port()
    t = time.perf_counter()
    proc = start_server(db, port, a.workers)
    base = f"http://127.0.0.1:{port}"
    print(f"server up in {time.perf_counter() - t:.1f} s on {base} (store {db}, {a.workers} worker(s))")
    pt: dict = {}
    try:
        t = time.perf_counter()
        while not httpx.get(base + "/api/health", timeout=30).json()["ready"]:  # start-up cache warming
            time.sleep(0.2)
        print(f"cache warm after {time.perf_counter() - t:.1f} s more: {httpx.get(base + '/api/health').json()}")
        qs = queries(keys, 4000)
        asyncio.run(load(base, qs[:200], 50, 4))
        before = host_loop_ms()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(time.sleep, 0).result()                     # the submitters' process started
            c0, g0, t0 = cpu_s(proc.pid), time.process_time(), time.perf_counter()
            r, w = asyncio.run(series_and_submissions(base, qs, a.rate, a.seconds, subs, a.think, pool))
            span, server, generator = time.perf_counter() - t0, cpu_s(proc.pid) - c0, time.process_time() - g0
        generator += (w or {}).get("cpu_s", 0.0)
        print(f"host: a fixed Python loop took {before:.0f} ms before the load and {host_loop_ms():.0f} ms after")
        print(f"CPU over the {span:.0f} s of load ({os.cpu_count()} cores): server {server:.1f} s "
              f"({server / span:.2f} cores), load generator {generator:.1f} s ({generator / span:.2f} cores)")
        print(f"/api/series at {a.rate:.0f} req/s for {a.seconds:.0f} s: {r['requests']} requests, achieved "
              f"{r['achieved_rps']:.1f} req/s, errors {r['errors']}, status {r['status']}")
        print(f"  latency from scheduled send: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms")
        if r["examples"]:
            print("  e.g.", r["examples"])
        if w:
            print(f"submissions by {len(subs)} submitters (think {a.think:g} s): {w['submissions']} in "
                  f"{a.seconds:.0f} s ({w['per_s']:.1f}/s), errors {w['errors']}, status {w['status']}")
            print(f"  latency: p50 {w['p50_ms']:.0f} ms, p99 {w['p99_ms']:.0f} ms, max {w['max_ms']:.0f} ms")
            print("  " + writer_stages(httpx.get(base + "/api/health", timeout=30).json().get("writer") or {}))
        pt = page_times(base, a.page_runs) if a.page_runs > 0 else {}     # --page-runs 0: no page timing
        for k, v in pt.items():
            tot, fcp = [x[0] for x in v], [x[1] for x in v]
            print(f"{k}, {len(v)} runs: all charts drawn median {np.median(tot):.2f} s, max "
                  f"{max(tot):.2f} s; first contentful paint median {np.nanmedian(fcp):.2f} s")
    finally:
        proc.terminate()
        proc.wait(30)
        if cluster is not None:
            cluster.stop()
    worst = max((x[0] for k in ("overview, cold", "overview, warm") for x in pt.get(k, [])), default=0.0)
    bad = r["errors"] > 0 or r["p99_ms"] >= 50 or worst >= 1.5 or bool(w and (w["errors"] or w["p99_ms"] >= 500))
    print("FAIL" if bad else "PASS", "(targets: no errors, /api/series p99 < 50 ms, submission p99 < 500 ms, "
          "overview < 1.5 s cold and warm, every run)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
