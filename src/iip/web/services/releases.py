"""Releases (store table ``releases``: one row per vintage, files listed in JSON) and their revisions.

* list / one release / its files;
* vintages: every release of the same period and source;
* diff: what changed between two vintages -- files added, removed or changed (by hash), and for a CSV file
  present in both with a ``value`` column, the figures whose value changed (keyed on the other columns).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from iip.errors import NotFoundError
from iip.store import sha256
from iip.web.services.common import check_period, records, relation_exists

MAX_DIFF_ROWS = 500
KEY_HINT = ("release", "vintage", "created_at", "file")


def _frame(con: duckdb.DuckDBPyConnection, where: str = "", par: list | None = None) -> pd.DataFrame:
    if not relation_exists(con, "releases"):
        return pd.DataFrame()
    return con.execute(
        f"SELECT * FROM releases {where} ORDER BY period DESC, source, vintage DESC", par or []
    ).df()


def _files(raw) -> list[dict]:
    """The JSON ``files`` column as a list of {name, ...} dicts."""
    data = json.loads(raw) if isinstance(raw, str) else (raw or [])
    if isinstance(data, dict):
        data = [{"name": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in data.items()]
    return [d if isinstance(d, dict) else {"name": str(d)} for d in data]


def _record(row: dict) -> dict:
    row = dict(row)
    row["files"] = _files(row.get("files"))
    return row


def list_releases(
    con: duckdb.DuckDBPyConnection, *, period: str | None = None, source: str | None = None
) -> list[dict]:
    check_period("period", period)
    where, par = [], []
    if period:
        where.append("period = ?")
        par.append(period)
    if source:
        where.append("source = ?")
        par.append(source)
    df = _frame(con, ("WHERE " + " AND ".join(where)) if where else "", par)
    return [_record(r) for r in records(df)]


def get_release(con: duckdb.DuckDBPyConnection, release_id: int) -> dict:
    df = _frame(con, "WHERE release_id = ?", [release_id])
    if df.empty:
        raise NotFoundError(f"no release {release_id}")
    return _record(records(df)[0])


def vintages(con: duckdb.DuckDBPyConnection, release_id: int) -> list[dict]:
    r = get_release(con, release_id)
    return [
        _record(x)
        for x in records(_frame(con, "WHERE period = ? AND source = ?", [r["period"], r["source"]]))
    ]


def _path(rel: dict, f: dict) -> Path | None:
    name = f.get("path") or f.get("name") or f.get("file")
    if not name:
        return None
    p = Path(str(name))
    return p if p.is_absolute() else Path(str(rel.get("directory") or ".")) / p


def _hash(rel: dict, f: dict) -> str | None:
    h = f.get("sha256") or f.get("hash")
    if h:
        return str(h)
    p = _path(rel, f)
    return sha256(p) if p and p.is_file() else None


def _csv_changes(a: Path, b: Path) -> list[dict]:
    try:
        x, y = pd.read_csv(a, dtype=str), pd.read_csv(b, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        return []
    if "value" not in x.columns or list(x.columns) != list(y.columns):
        return []
    keys = [c for c in x.columns if c != "value" and c not in KEY_HINT]
    m = x.merge(y, on=keys, how="outer", suffixes=("_old", "_new"))
    old = pd.to_numeric(m["value_old"], errors="coerce")
    new = pd.to_numeric(m["value_new"], errors="coerce")
    changed = m[~((old - new).abs() < 1e-9) & ~(old.isna() & new.isna())]
    out = changed[keys].assign(old=old[changed.index], new=new[changed.index])
    return records(out.head(MAX_DIFF_ROWS))


def diff(con: duckdb.DuckDBPyConnection, release_id: int, against: int | None = None) -> dict:
    """Changes from vintage ``against`` (default: the previous vintage of the same period and source)."""
    new = get_release(con, release_id)
    if against is None:
        prev = [v for v in vintages(con, release_id) if v["vintage"] < new["vintage"]]
        if not prev:
            return {
                "release_id": release_id,
                "against": None,
                "files": [],
                "figures": {},
                "note": "first vintage: nothing to compare with",
            }
        old = max(prev, key=lambda v: v["vintage"])
    else:
        old = get_release(con, against)
    fo = {str(f.get("name") or f.get("path")): f for f in old["files"]}
    fn = {str(f.get("name") or f.get("path")): f for f in new["files"]}
    files, figures = [], {}
    for name in sorted(set(fo) | set(fn)):
        if name not in fo or name not in fn:
            files.append({"name": name, "change": "added" if name in fn else "removed"})
            continue
        same = _hash(old, fo[name]) == _hash(new, fn[name])
        files.append({"name": name, "change": "unchanged" if same else "changed"})
        if not same and name.lower().endswith(".csv"):
            pa, pb = _path(old, fo[name]), _path(new, fn[name])
            if pa and pb and pa.is_file() and pb.is_file():
                figures[name] = _csv_changes(pa, pb)
    return {"release_id": release_id, "against": old["release_id"], "files": files, "figures": figures}


def compile_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    return records(con.execute("SELECT * FROM compile_runs ORDER BY run_id DESC LIMIT ?", [limit]).df())
