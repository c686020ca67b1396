"""`iip serve` starts uvicorn on the store and answers; a missing store in read-only mode is a clear error."""
from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.web.conftest import free_port

CLI = [sys.executable, "-c", "from iip.cli import app; app()"]


def test_serve_answers_on_the_given_port(store):
    port = free_port()
    proc = subprocess.Popen([*CLI, "--db", str(store), "serve", "--port", str(port), "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(300):
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
                if body["ready"]:
                    break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        assert body and body["ready"] and body["blocks"] == 18    # 3 indicators x 6 areas warmed at start-up
        r = httpx.get(f"http://127.0.0.1:{port}/api/series", params={"area": "01", "from": "2021-12"})
        assert r.status_code == 200 and r.json()["series"][0]["periods"] == ["2021-12"]
        assert httpx.get(f"http://127.0.0.1:{port}/nope").json() == {
            "ok": False, "error": "not found: no such page or API route", "status": 404}
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_needs_an_existing_store(tmp_path):
    for mode in (["--read-only"], []):
        r = subprocess.run([*CLI, "--db", str(tmp_path / "none.duckdb"), "serve", *mode],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "no store at" in r.stderr and "Traceback" not in r.stderr
        assert not (tmp_path / "none.duckdb").exists()
