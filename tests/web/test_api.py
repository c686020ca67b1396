"""The JSON API against a small compiled store: values equal the store's (read independently here),
disclosure control hides the confidential cells, and every error has one shape."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from pathlib import Path

import anyio.to_thread
import duckdb
import pytest


def _db(store) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(store))  # same configuration as the app: shares its database instance


def _indices(store, area, node, measure, start="2019-01", end="2099-12"):
    with _db(store) as c:
        return c.execute(
            f"SELECT period, \"{measure}\" FROM indices WHERE indicator = 'production' AND area = ? "
            "AND node = ? AND period BETWEEN ? AND ? ORDER BY period",
            [area, node, start, end],
        ).fetchall()


def test_series_json_equals_the_store(client, store):
    r = client.get(
        "/api/series",
        params={"area": "VN", "node": "TOTAL", "measure": "yoy", "from": "2020-01", "to": "2021-06"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["from"] == "2020-01" and body["to"] == "2021-06"
    (s,) = body["series"]
    expected = _indices(store, "VN", "TOTAL", "yoy", "2020-01", "2021-06")
    assert s["periods"] == [p for p, _ in expected]
    assert s["values"] == pytest.approx([v for _, v in expected], abs=1e-6)
    assert s["area_name"] == "Viet Nam" and s["node_name"] == "Total industry"
    assert set(s["obs_status"]) == {None}


def test_series_compare_and_csv(client, store):
    params = {"area": "01,22", "node": ["TOTAL", "B"], "measure": "index", "from": "2021-01", "format": "csv"}
    r = client.get("/api/series", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0].keys() == {"indicator", "area", "node", "kind", "measure", "period", "value", "obs_status"}
    got = {(x["area"], x["node"], x["period"]): float(x["value"]) for x in rows if x["value"]}
    for area, node in (("01", "TOTAL"), ("22", "TOTAL"), ("22", "B")):
        exp = _indices(store, area, node, "index", "2021-01")
        assert len(exp) == 12
        for p, v in exp:
            assert got[(area, node, p)] == pytest.approx(v, abs=1e-5)
    assert not any(k[:2] == ("01", "B") for k in got)  # province 01 has no mining
    # the same through the Accept header
    r2 = client.get(
        "/api/series",
        params={k: v for k, v in params.items() if k != "format"},
        headers={"Accept": "text/csv"},
    )
    assert r2.status_code == 200 and r2.text == r.text


def test_confidential_cells_are_hidden(client, store):
    r = client.get("/api/series", params={"area": "79", "node": "C,10,TOTAL", "measure": "yoy"})
    assert r.status_code == 200
    by = {s["node"]: s for s in r.json()["series"]}
    for node in ("C", "10"):
        assert set(by[node]["values"]) == {None} and set(by[node]["obs_status"]) == {"c"}
    assert any(v is not None for v in by["TOTAL"]["values"]) and set(by["TOTAL"]["obs_status"]) == {None}
    # contributions of 79/C's children would reveal C: blanked too, even for a published child
    r = client.get("/api/series", params={"area": "79", "node": "24", "measure": "contrib_yoy"})
    assert set(r.json()["series"][0]["values"]) == {None}
    r = client.get(
        "/api/series", params={"area": "01", "node": "24", "measure": "contrib_yoy", "from": "2021-01"}
    )
    assert all(v is not None for v in r.json()["series"][0]["values"])


def test_sa_and_trend_measures(client, store):
    r = client.get("/api/series", params={"kind": ["sa", "trend"], "measure": "mom", "from": "2021-01"})
    assert r.status_code == 200
    by = {s["kind"]: s for s in r.json()["series"]}
    with _db(store) as c:
        sa = c.execute("SELECT period, sa, trend FROM sa_series WHERE run_id = 1 ORDER BY period").fetchall()
    exp = {p: 100 * sa[i][1] / sa[i - 1][1] for i, (p, _, _) in enumerate(sa) if i > 0}
    assert by["sa"]["periods"][0] == "2021-01"
    assert by["sa"]["values"] == pytest.approx([exp[p] for p in by["sa"]["periods"]], abs=1e-6)
    exp_t = {p: 100 * sa[i][2] / sa[i - 1][2] for i, (p, _, _) in enumerate(sa) if i > 0}
    assert by["trend"]["values"] == pytest.approx([exp_t[p] for p in by["trend"]["periods"]], abs=1e-6)


def test_meta(client):
    body = client.get("/api/meta").json()
    assert body["latest_period"] == "2021-12"
    areas = {a["code"]: a for a in body["areas"]}
    assert areas["01"]["name_vi"] == "Hà Nội" and areas["01"]["tile_row"] is not None
    assert areas["N79"]["level"] == "province_2025"           # merged provinces (from July 2025) are valid areas
    nodes = {n["code"]: n for n in body["nodes"]}
    assert nodes["C"]["level"] == "section" and nodes["10"]["parent"] == "C"
    assert body["areas_present"] == ["01", "22", "79", "RRD", "SE", "VN"]
    r = client.get("/api/meta/products")
    assert r.status_code == 200 and r.json()["count"] > 0
    assert client.get("/api/meta/bogus").status_code == 422


def test_targets(client):
    r = client.get("/api/targets", params={"target": 5, "year": 2022})
    assert r.status_code == 200, r.text
    t = r.json()
    # no month of 2022 observed: the average growth needed is the target itself; the stored forecasts are
    # exactly 1.05 x 2021, so the point forecast of annual growth is +5%
    assert t["months_observed"] == 0 and t["required_avg_yoy_pct"] == pytest.approx(5.0)
    assert t["forecast_growth_pct"] == pytest.approx(5.0, abs=1e-9)
    assert 0.35 < t["probability"] < 0.65
    assert client.get("/api/targets", params={"target": -5, "year": 2022}).json()["probability"] > 0.99
    r = client.get("/api/targets", params={"target": 5, "area": "01"})
    assert r.status_code == 404 and "iip sa" in r.json()["error"]


def test_sa_diagnostics(client):
    body = client.get("/api/sa").json()
    (run,) = body["runs"]
    assert run["run_id"] == 1 and run["model"] == "(0 1 1)(0 1 1)"
    assert run["diagnostics"]["Q"] == 0.5 and run["diagnostics"]["outliers"] == ["AO2020.Apr"]
    one = client.get("/api/sa/runs/1").json()["run"]
    assert len(one["series"]) == 36 and len(one["forecasts"]) == 12
    assert client.get("/api/sa/runs/99").status_code == 404


def _add_releases(store, tmp_path) -> None:
    for v, val in ((1, "101.5"), (2, "101.7")):
        d = tmp_path / f"rel{v}"
        d.mkdir()
        (d / "figures.csv").write_text(
            f"area,node,period,value\nVN,TOTAL,2021-12,{val}\nVN,C,2021-12,102.0\n"
        )
        (d / "note.md").write_text("same text\n")
        files = json.dumps([{"name": "figures.csv"}, {"name": "note.md"}])
        with duckdb.connect(str(store)) as c:
            c.execute(
                "INSERT INTO releases (release_id, period, source, vintage, directory, files, content_hash, "
                "compile_run_id, langs) VALUES (?, '2021-12', 'iip', ?, ?, ?, ?, 1, 'vi,en')",
                [v, v, str(d), files, f"h{v}"],
            )


def test_releases(store, tmp_path):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    _add_releases(store, tmp_path)
    with TestClient(create_app(store, warm=False), raise_server_exceptions=False) as client:
        lst = client.get("/api/releases").json()
        assert [r["release_id"] for r in lst["releases"]] == [2, 1]
        assert "directory" not in lst["releases"][0]  # no server paths leak to clients
        assert client.get("/api/releases/2/files").json()["files"] == [
            {"name": "figures.csv"},
            {"name": "note.md"},
        ]
        assert client.get("/api/releases/2/vintages").json()["count"] == 2
        d = client.get("/api/releases/2/diff").json()
        assert d["against"] == 1
        assert {f["name"]: f["change"] for f in d["files"]} == {
            "figures.csv": "changed",
            "note.md": "unchanged",
        }
        assert d["figures"]["figures.csv"] == [
            {"area": "VN", "node": "TOTAL", "period": "2021-12", "old": 101.5, "new": 101.7}
        ]
        assert client.get("/api/releases/1/diff").json()["against"] is None
        assert client.get("/api/releases/9").status_code == 404
        page = client.get("/releases/2")
        assert page.status_code == 200 and "figures.csv" in page.text


def test_published_with_vintages(store):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    with duckdb.connect(str(store)) as c:
        for fid, rel, val, status in ((1, "2022-01", 104.1, "estimate"), (2, "2022-02", 104.6, "actual")):
            c.execute(
                "INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen, "
                "cells_mapped, warnings) VALUES (?, 'gso', ?, ?, ?, 1, 1, 1, 0)",
                [fid, f"f{fid}.xlsx", f"s{fid}", rel],
            )
            c.execute(
                "INSERT INTO published_figures (file_id, source, release, indicator, area, node, period, "
                "measure, status, value, unit, sheet, cell) VALUES (?, 'gso', ?, 'production', 'VN', 'TOTAL',"
                " '2022-01', 'yoy', ?, ?, '%', 'IIP', 'C5')",
                [fid, rel, status, val],
            )
    with TestClient(create_app(store, warm=False)) as client:
        latest = client.get("/api/published", params={"area": "VN"}).json()
        assert latest["count"] == 1 and latest["figures"][0]["value"] == 104.6
        allv = client.get("/api/published", params={"vintages": "true"}).json()
        assert [f["value"] for f in allv["figures"]] == [104.1, 104.6]
        rev = client.get("/api/published/revisions").json()["items"]
        assert rev[0]["revision"] == pytest.approx(0.5)
        assert client.get("/api/published", params={"from": "2022-13"}).status_code == 422


# ---------------------------------------------------------------------------------------- errors
ERROR_CASES = [
    ("GET", "/no/such/route", 404),
    ("GET", "/api/nope", 404),
    ("POST", "/api/series", 405),
    ("GET", "/api/series?kind=bogus", 422),
    ("GET", "/api/series?from=2021-13", 422),
    ("GET", "/api/series?area=XX", 422),
    ("GET", "/api/series?node=999", 422),
    ("GET", "/api/series?from=2021-06&to=2021-01", 422),
    ("GET", "/api/series?measure=ytd&kind=sa", 422),
    ("GET", "/api/series?indicator=exports", 422),
    ("GET", "/api/series?format=xml", 422),
    ("GET", "/api/series?from=2030-01", 404),
    ("GET", "/api/targets", 422),
    ("GET", "/api/targets?target=abc", 422),
    ("GET", "/api/targets?target=nan", 422),
    ("GET", "/api/releases/abc", 422),
    ("GET", "/api/releases/0", 422),
    ("GET", "/api/sa/runs/-1", 422),
    ("GET", "/?period=2021-1", 422),
    ("GET", "/?lang=fr", 422),
    ("GET", "/provinces/99", 404),
    ("GET", "/api/series?area=" + "0" * 500, 422),
    ("GET", "/api/collect/me", 401),
    ("GET", "/api/collect/labour?period=2021-01", 401),
    ("POST", "/api/collect/reports/upload", 401),
    ("POST", "/api/collect/login", 422),
    ("GET", "/api/collect/nope", 404),
]


def check_error_shape(r, status):
    """The one error shape: ok, error, status; a 422 of rejected input also lists its problems."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) - {"problems", "needs_confirmation"} == {"ok", "error", "status"}
    if "problems" in body:
        assert status == 422 and body["problems"] and all(p["message"] for p in body["problems"])
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in r.text and 'File "' not in r.text


@pytest.mark.parametrize("method,url,status", ERROR_CASES)
def test_every_error_has_one_shape(client, method, url, status):
    check_error_shape(client.request(method, url), status)


def test_validation_messages_are_clear(client):
    msg = client.get("/api/series?kind=bogus").json()["error"]
    assert "'kind" in msg and "raw" in msg and "bogus" in msg
    msg = client.get("/api/series?node=999").json()["error"]
    assert "unknown node '999'" in msg


def test_unexpected_errors_are_500_without_details(client, monkeypatch):
    from iip.web.services import series

    def boom(con, q, cache):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(series, "pieces", boom)
    monkeypatch.setattr("iip.web.routers.series.pieces", boom)
    r = client.get("/api/series")
    check_error_shape(r, 500)
    assert "secret" not in r.text


def test_browsers_get_the_error_as_a_page(client):
    r = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "404" in r.text and 'id="error"' in r.text


def test_docs_and_assets_are_local(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "/static/swagger/swagger-ui-bundle.js" in docs.text
    js = client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    plotly = client.get("/static/vendor/plotly.min.js")
    assert plotly.status_code == 200 and b"plotly" in plotly.content[:2000].lower()
    spec = client.get("/openapi.json").json()
    assert {"/api/series", "/api/meta", "/api/releases", "/api/published", "/api/sa", "/api/targets"} <= set(
        spec["paths"]
    )


def test_no_sql_in_route_handlers():
    """Queries live in iip.web.services; routers only parse and call."""
    routers = Path(__file__).resolve().parents[2] / "src" / "iip" / "web" / "routers"
    for f in routers.glob("*.py"):
        text = f.read_text()
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", text), f.name
        assert ".execute(" not in text, f.name


def test_sa_runs_of_confidential_cells_say_nothing(store):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    with duckdb.connect(str(store)) as c:
        c.execute(
            "INSERT INTO sa_runs (run_id, batch_id, source, indicator, area, node, status, message) VALUES "
            "(2, 'b1', 'compiled', 'production', '79', 'C', 'skipped', 'non-positive value 0 in 2019-03'), "
            "(3, 'b1', 'compiled', 'production', '01', 'C', 'skipped', 'non-positive value 0 in 2019-04')"
        )
    with TestClient(create_app(store, warm=False)) as client:
        runs = {r["area"]: r for r in client.get("/api/sa", params={"node": "C"}).json()["runs"]}
        assert runs["79"]["message"].startswith("confidential") and "2019-03" not in str(runs["79"])
        assert runs["01"]["message"] == "non-positive value 0 in 2019-04"
        one = client.get("/api/sa/runs/2").json()["run"]
        assert one["message"].startswith("confidential") and one["report"] is None


def test_a_new_compile_run_is_served_at_once(client, store, tmp_path):
    """The cache is keyed on the latest compile run: a recompile with corrected reports shows immediately."""
    from iip.compile import compile_store
    from iip.ingest.microdata import ingest_file

    client.app.state.cache.check_every = 0.0
    params = {"area": "VN", "node": "TOTAL", "measure": "index", "from": "2021-12", "to": "2021-12"}
    before = client.get("/api/series", params=params).json()["series"][0]["values"][0]
    with duckdb.connect(str(store)) as c:
        rows = c.execute("SELECT enterprise_id, period, product_code, produced * 2, sold, closing_stock FROM reports "
                         "WHERE period = '2021-12'").fetchall()
        f = tmp_path / "fix.csv"
        f.write_text("enterprise_id,period,product_code,produced,sold,closing_stock\n"
                     + "".join(",".join(map(str, r)) + "\n" for r in rows))
        ingest_file(c, "reports", f)
        compile_store(c)
        expected = c.execute("SELECT \"index\" FROM indices WHERE indicator='production' AND area='VN' AND "
                             "node='TOTAL' AND period='2021-12'").fetchone()[0]
    after = client.get("/api/series", params=params).json()["series"][0]["values"][0]
    assert expected == pytest.approx(2 * before, rel=1e-6)       # every product doubled in December
    assert after == pytest.approx(expected, abs=1e-6)


def test_plotly_is_served_compressed_when_asked(client):
    import plotly

    raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    r = client.get("/static/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.content == raw      # httpx decodes it
    assert int(r.headers["content-length"]) < len(raw) / 2
    plain = client.get("/static/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw


def test_a_series_held_in_the_cache_is_answered_without_the_store(client, monkeypatch):
    """The first request for an area needs the store: it is answered on a worker thread with a connection. The
    same request again, its figures now in the cache, is answered from memory alone (no connection, no hand-off
    to a worker thread, not even for a dependency) and gives the same; another area needs the store again."""
    from iip.web.routers import series as route
    from iip.web.services.cache import IN_MEMORY

    client.app.state.cache.check_every = 3600        # no re-read of the token during the test
    calls: list[str] = []
    real = route.pieces

    def pieces(con, q, cache):
        calls.append("memory" if con is IN_MEMORY else "store")
        got = real(con, q, cache)
        calls.append("answered")
        return got

    monkeypatch.setattr(route, "pieces", pieces)
    hand_offs: list[str] = []                        # every call a worker thread runs (dependencies included)
    to_thread = anyio.to_thread.run_sync

    async def run_sync(fn, *args, **kw):
        hand_offs.append(getattr(fn, "__name__", repr(fn)))
        return await to_thread(fn, *args, **kw)

    monkeypatch.setattr(anyio.to_thread, "run_sync", run_sync)
    ask = {"area": "VN", "node": "TOTAL", "measure": "index"}
    first = client.get("/api/series", params=ask)
    assert first.status_code == 200 and calls == ["memory", "store", "answered"] and hand_offs
    calls.clear()
    hand_offs.clear()
    again = client.get("/api/series", params=ask)
    assert again.json() == first.json() and calls == ["memory", "answered"] and hand_offs == []
    calls.clear()
    assert client.get("/api/series", params={**ask, "area": "01"}).status_code == 200
    assert calls == ["memory", "store", "answered"]


def test_stopping_the_service_leaves_no_thread_behind(store):
    """The warm-up, the plotly compressor, the watcher and the store's idle closer are all done when the app has
    stopped (a thread still inside DuckDB when the interpreter exits aborts the process)."""
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    def ours() -> set[str]:
        return {t.name for t in threading.enumerate() if t.name.startswith("iip-") and t.is_alive()}

    before = ours()
    with TestClient(create_app(store)) as client:
        assert client.get("/api/series", params={"area": "VN", "node": "TOTAL"}).status_code == 200
        assert {"iip-web-watch", "iip-store-linger"} <= ours() - before    # running while the service runs
    assert ours() - before == set()
