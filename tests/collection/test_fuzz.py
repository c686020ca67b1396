"""Property-based fuzzing: the core file reader/validator on random bytes and CSV-like text, and the submission
API on random JSON and uploads: only clean errors (ValidationError / 4xx JSON), never a 500 or a traceback,
nothing half-written."""
from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iip.errors import ValidationError
from iip.ingest.microdata import read_frame, validate
from tests.collection.conftest import _Tokens, auth, make_app

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
HEADER = "enterprise_id,period,product_code,produced,sold,closing_stock"
cell = st.one_of(st.sampled_from(["E1", "E2", "STEEL", "MILK", "2024-01", "2023-13", "", "-1", "1e308", "nan",
                                  "inf", "1,5", '"', "\x00", "Thép"]),
                 st.text(max_size=8), st.floats(allow_nan=True).map(str))
csv_text = st.lists(st.lists(cell, min_size=0, max_size=8).map(",".join), max_size=12).map(
    lambda rows: "\n".join([HEADER, *rows]))


@pytest.fixture(scope="module")
def shared(tmp_path_factory, _template):
    path = tmp_path_factory.mktemp("fuzz") / "f.duckdb"
    shutil.copy(_template, path)
    with TestClient(make_app(path), raise_server_exceptions=False) as c:
        yield c, _Tokens(c)


def _counts(con):
    return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("reports", "reports_history", "employment", "submissions", "loads"))


def test_read_frame_corrupt_xlsx_is_a_validation_error(tmp_path):
    p = tmp_path / "f.xlsx"
    p.write_bytes(b"this is not a zip file")
    with pytest.raises(ValidationError):
        read_frame(p)


@FUZZ
@given(data=st.binary(max_size=2000), ext=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_read_frame_random_bytes(tmp_path_factory, data, ext):
    p = tmp_path_factory.mktemp("rb") / f"f{ext}"
    p.write_bytes(data)
    try:
        df = read_frame(p)
    except ValidationError as exc:
        assert exc.problems and str(p) in str(exc)
        return
    assert "_row" in df.columns


@FUZZ
@given(text=csv_text)
def test_read_frame_and_validate_csv_like_text(shared, tmp_path_factory, text):
    client, _ = shared
    p = tmp_path_factory.mktemp("ct") / "r.csv"
    p.write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else p.write_bytes(b"")
    try:
        df = read_frame(p)
    except ValidationError:
        return
    con = client.app.state.db.cursor()
    try:
        found = validate(con, df, "reports", file=str(p))
    finally:
        con.close()
    problems = found.problems
    assert found.errors + found.warnings >= len(problems)
    assert all(x.file == str(p) and x.row is not None and x.field and x.rule and x.message for x in problems)


json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() |
                           st.text(max_size=10),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                           max_leaves=20)
line = st.fixed_dictionaries({}, optional={k: json_values | st.sampled_from(["STEEL", "MILK", "5", "-1", 3.5])
                                           for k in ("product_code", "produced", "sold", "closing_stock", "value")})
payload = st.one_of(json_values, st.fixed_dictionaries(
    {"products": st.one_of(json_values, st.lists(line, max_size=4))},
    optional={"period": st.sampled_from(["2024-01", "2024-1", "", "2999-01"]) | json_values,
              "enterprise_id": st.sampled_from(["E1", "E2", ""]) | json_values,
              "employees": json_values, "comment": json_values}))


@FUZZ
@given(body=payload)
def test_submission_api_random_json(shared, body):
    client, tokens = shared
    con = client.app.state.db
    before = _counts(con)
    r = client.post("/api/collect/reports", content=json.dumps(body), headers=auth(tokens["ent_a"]))
    assert r.status_code in (200, 403, 422), r.text
    assert "Traceback" not in r.text
    out = r.json()
    assert out.get("ok") is (r.status_code == 200)
    if r.status_code != 200:
        assert _counts(con) == before and out["status"] == r.status_code


@FUZZ
@given(raw=st.binary(max_size=300), text=csv_text, name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", ""]))
def test_upload_api_random_files(shared, raw, text, name):
    client, tokens = shared
    con = client.app.state.db
    before = _counts(con)
    for content in (raw, text.encode("utf-8", "surrogatepass")):
        r = client.post("/api/collect/reports/upload", files={"file": (name or "x", content)},
                        headers=auth(tokens["prov_01"]))
        assert r.status_code in (200, 403, 422), r.text
        assert "Traceback" not in r.text
        if r.status_code != 200:
            assert _counts(con) == before


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_garbage_bodies(shared, raw):
    client, tokens = shared
    for url in ("/api/collect/reports", "/api/collect/login", "/api/collect/users"):
        r = client.post(url, content=raw, headers=auth(tokens["ent_a"]))
        assert r.status_code in (200, 401, 403, 422), (url, r.text)
        assert r.json()["ok"] is False or r.status_code == 200
