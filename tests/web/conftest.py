"""A small compiled store for the web tests: 6 enterprises in provinces 01, 22 and 79, four classes, 2019-2021,
built with the real ingest + compile; one stored seasonal adjustment run (VN TOTAL) written by hand; and a fixed
disclosure table (79/C and 79/10 suppressed) so the tests know which cells must be hidden.

``store_2025``: the same enterprises plus one in Binh Duong (74, merged into Ho Chi Minh City on 1 July 2025),
2019-01..2025-08, so the compile also writes the 34 merged provinces (areas ``N<code>``)."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import numpy as np
import pandas as pd
import pytest

from iip.compile import compile_store
from iip.ingest.microdata import ingest_file
from iip.store import connect

REGISTER = [
    ("E1", "01", "1010"),
    ("E2", "01", "2410"),
    ("E3", "79", "1010"),
    ("E4", "79", "2410"),
    ("E5", "22", "0510"),
    ("E6", "22", "3511"),
]
PRODUCTS = [
    ("MEAT", "Thịt", "Meat", "tấn", "1010"),
    ("STEEL", "Thép", "Steel", "tấn", "2410"),
    ("COAL", "Than", "Coal", "tấn", "0510"),
    ("POWER", "Điện", "Power", "kWh", "3511"),
]
MAKES = {"E1": "MEAT", "E2": "STEEL", "E3": "MEAT", "E4": "STEEL", "E5": "COAL", "E6": "POWER"}
MONTHS = [f"{y}-{m:02d}" for y in (2019, 2020, 2021) for m in range(1, 13)]
MONTHS_2025 = [f"{y}-{m:02d}" for y in range(2019, 2026) for m in range(1, 13)][: 6 * 12 + 8]  # to 2025-08
REGISTER_2025 = REGISTER + [("E7", "74", "1010")]
SUPPRESSED = pd.DataFrame(
    {"indicator": "production", "area": ["79", "79"], "node": ["C", "10"], "status": ["c", "c"],
     "reason": ["test", "test"]}
)


def suppressed(con, indicator: str | None = None) -> pd.DataFrame:
    """Stands in for ``disclosure.suppression_table``: 79/C and 79/10 confidential in every indicator."""
    chosen = ["production", "consumption", "inventory"] if indicator is None else [indicator]
    return pd.concat([SUPPRESSED.assign(indicator=i) for i in chosen], ignore_index=True)


def _write_inputs(d, months=MONTHS, register=REGISTER) -> dict:
    rng = np.random.default_rng(7)
    makes = MAKES | {"E7": "MEAT"}
    reg = pd.DataFrame(
        [(e, f"Công ty {e}", p, v, "state") for e, p, v in register],
        columns=["enterprise_id", "name", "province", "vsic", "ownership"],
    )
    prod = pd.DataFrame(PRODUCTS, columns=["product_code", "name_vi", "name_en", "unit", "vsic"])
    rows = []
    for e, *_ in register:
        p = makes[e]
        base = rng.uniform(50, 150)
        for i, t in enumerate(months):
            q = base * (1.004**i) * (1 + 0.1 * np.sin(i / 12 * 2 * np.pi)) * rng.uniform(0.97, 1.03)
            rows.append((e, t, p, round(q, 3), round(q * 0.95, 3), round(q * 0.1, 3)))
    rep = pd.DataFrame(
        rows, columns=["enterprise_id", "period", "product_code", "produced", "sold", "closing_stock"]
    )
    w = []
    for e, prov, cls in register:
        w.append(("product", makes[e], prov, 2020, float(rng.uniform(10, 100))))
        w.append(("industry", cls, prov, 2020, float(rng.uniform(10, 100))))
    wt = pd.DataFrame(w, columns=["kind", "code", "province", "base_year", "value"])
    paths = {}
    for name, df in (("register", reg), ("products", prod), ("weights", wt), ("reports", rep)):
        paths[name] = d / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    return paths


def _add_sa_run(con) -> None:
    """One successful adjustment run for production/VN/TOTAL: sa = index / factor, trend = centred mean;
    forecasts for 2022 = the 2021 index x 1.05 with a +-5% interval."""
    s = con.execute(
        "SELECT period, \"index\" AS value FROM indices WHERE indicator = 'production' AND area = 'VN' "
        "AND node = 'TOTAL' ORDER BY period"
    ).df()
    s["sa"] = s["value"] / (1 + 0.1 * np.sin(np.arange(len(s)) / 12 * 2 * np.pi))
    s["trend"] = s["sa"].rolling(3, center=True, min_periods=1).mean()
    con.execute(
        "INSERT INTO sa_runs (run_id, batch_id, source, indicator, area, node, status, first_period, "
        "last_period, model, transform, report) VALUES (1, 'b1', 'compiled', 'production', 'VN', 'TOTAL', "
        "'ok', '2019-01', '2021-12', '(0 1 1)(0 1 1)', 'log', ?)",
        [
            (
                '{"model": {"aicc": 123.4}, "diagnostics": {"m_q": {"Q": 0.5, "M7": 0.4}}, "outliers": '
                '[{"label": "AO2020.Apr"}]}'
            )
        ],
    )
    for r in s.itertuples():
        con.execute(
            "INSERT INTO sa_series (run_id, source, indicator, area, node, period, value, sa, trend) "
            "VALUES (1, 'compiled', 'production', 'VN', 'TOTAL', ?, ?, ?, ?)",
            [r.period, r.value, r.sa, r.trend],
        )
    last = s[s["period"].str.startswith("2021")]
    for r in last.itertuples():
        f = r.value * 1.05
        con.execute(
            "INSERT INTO sa_forecasts (run_id, period, forecast, lower, upper, se_log) VALUES "
            "(1, ?, ?, ?, ?, 0.025)",
            ["2022" + r.period[4:], f, f * 0.95, f * 1.05],
        )


def build_store(path, months=MONTHS, register=REGISTER):
    con = connect(path)
    for kind, p in _write_inputs(path.parent, months, register).items():
        ingest_file(con, kind, p)
    compile_store(con)
    _add_sa_run(con)
    con.execute("CHECKPOINT")
    con.close()


@pytest.fixture(scope="session")
def template_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("webstore") / "w.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="session")
def store_2025(tmp_path_factory):
    """Data to 2025-08: the compile writes the 34 merged provinces (N01, N22, N79 here; N79 = 79 + 74)."""
    path = tmp_path_factory.mktemp("webstore2025") / "w2025.duckdb"
    build_store(path, MONTHS_2025, REGISTER_2025)
    return path


@pytest.fixture
def client_2025(store_2025, tmp_path):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    p = tmp_path / "w2025.duckdb"
    shutil.copy(store_2025, p)
    with TestClient(create_app(p, warm=False), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def store(template_store, tmp_path):
    p = tmp_path / "w.duckdb"
    shutil.copy(template_store, p)
    return p


@pytest.fixture(autouse=True)
def fixed_disclosure(monkeypatch):
    """Tests know exactly which cells are confidential."""
    from iip import disclosure

    monkeypatch.setattr(disclosure, "suppression_table", suppressed)
    return SUPPRESSED


@pytest.fixture
def client(store):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    app = create_app(store, warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """uvicorn in a background thread on a free loopback port (stopped by ``stop``)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
