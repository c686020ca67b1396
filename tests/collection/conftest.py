"""A small store with three enterprises in two provinces, one user per role, and a client for the collection API
(the real app from iip.web.app)."""
from __future__ import annotations

import shutil

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from iip.collection import accounts
from iip.ingest.microdata import ingest_file
from iip.store import connect

REGISTER = ("enterprise_id,name,province,vsic,ownership\nE1,Thép A,01,2410,nonstate\nE2,Sữa B,79,1050,state\n"
            "E3,Thép C,01,2410,fdi\n")
PRODUCTS = ("product_code,name_vi,name_en,unit,vsic\nSTEEL,Thép cán,Rolled steel,nghìn tấn,2410\n"
            "MILK,Sữa tươi,Fresh milk,triệu lít,1050\n")
PASSWORD = "correct horse battery"
USERS = {"admin": ("admin", {}), "ent_a": ("enterprise", {"enterprise_id": "E1"}),
         "ent_b": ("enterprise", {"enterprise_id": "E2"}), "prov_01": ("provincial", {"province": "01"}),
         "prov_79": ("provincial", {"province": "79"}), "national": ("national", {})}


def history_rows(enterprise: str, product: str, months: list[str], base: float = 100.0) -> str:
    """Steady reports (+1% a month, stock balanced) for ``months``."""
    rows, stock = [], 10.0
    for i, m in enumerate(months):
        q = base * 1.01 ** i
        rows.append(f"{enterprise},{m},{product},{q:.4f},{q:.4f},{stock:.4f}")
    return "\n".join(rows) + "\n"


MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


def build_store(path, files=None):
    """The store at ``path`` (a DuckDB file, or a PostgreSQL URL with ``files``: where its input files go)."""
    con = connect(path)
    d = files or path.parent
    for kind, text in (("register", REGISTER), ("products", PRODUCTS)):
        (d / f"{kind}.csv").write_text(text, encoding="utf-8")
        ingest_file(con, kind, d / f"{kind}.csv")
    rep = "enterprise_id,period,product_code,produced,sold,closing_stock\n" + history_rows(
        "E1", "STEEL", MONTHS) + history_rows("E2", "MILK", MONTHS, 50.0) + history_rows("E3", "STEEL", MONTHS, 80.0)
    (d / "reports.csv").write_text(rep, encoding="utf-8")
    ingest_file(con, "reports", d / "reports.csv")
    for name, (role, kw) in USERS.items():
        accounts.add_user(con, name, PASSWORD, role, by="test", **kw)
    return con


def make_app(path) -> FastAPI:
    """The real web application on the store at ``path`` (no warm-up thread)."""
    from iip.web.app import create_app

    return create_app(path, warm=False)


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "c.duckdb"
    build_store(path).close()
    return path


@pytest.fixture
def store(tmp_path, _template):
    """A fresh copy of the session's template store (built once: ingest + argon2 hashing are slow)."""
    path = tmp_path / "c.duckdb"
    shutil.copy(_template, path)
    return path


@pytest.fixture
def client(store):
    with TestClient(make_app(store), raise_server_exceptions=False) as c:
        yield c


class _Tokens(dict):
    """Log a user in on first use (argon2 verification is deliberately slow)."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def __missing__(self, name):
        r = self.client.post("/api/collect/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self[name] = r.json()["token"]
        return self[name]


@pytest.fixture
def tokens(client) -> dict:
    return _Tokens(client)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def csrf(client, url: str = "/collect/login") -> str:
    """The CSRF token of a page's forms (the page also sets this browser's nonce cookie)."""
    import re

    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', client.get(url).text)
    assert m, f"no CSRF token on {url}"
    return m.group(1)


def page_login(client, username: str, password: str = PASSWORD):
    """Log in through the login page (with its CSRF token); returns the response (303 on success)."""
    return client.post("/collect/login", data={"username": username, "password": password, "csrf": csrf(client)},
                       follow_redirects=False)
