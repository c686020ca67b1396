import math

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from iip.cli import app
from iip.ingest.gso.parse import parse_file
from iip.ingest.published import import_gso
from iip.published.levels import reconstruct_levels
from iip.store import connect


def test_parse_generated_release(gso_files):
    p = parse_file(gso_files[0])
    f = pd.DataFrame(p.figures)
    row = f[(f.node == "26") & (f.measure == "yoy")].iloc[0]   # label continued over two lines
    assert (row.period, row.value, row.status, row.cell) == ("2023-06", 111.6, "estimate", "C14")
    assert set(f.node) == {"TOTAL", "B", "05", "C", "11", "26", "D", "E"}
    assert f[(f.node == "TOTAL") & (f.measure == "ytd_yoy")].value.item() == 106.1
    assert p.cells_seen == p.cells_mapped == 24


def test_import_vintages_and_noop(gso_files, db):
    con = connect(db)
    res = import_gso(con, gso_files, workers=1)
    assert [r.status for r in res] == ["imported", "imported", "failed"]
    assert "not an Excel workbook" in res[2].message
    assert con.execute("SELECT count(*) FROM published_files").fetchone()[0] == 2
    again = import_gso(con, gso_files[:2], workers=1)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    q1 = con.execute("""SELECT value, status, release FROM published_latest
                        WHERE node='TOTAL' AND period='2023-Q1'""").fetchall()
    assert q1 == [(104.8, "actual", "2023-07")]


def test_cli_export_columns(gso_files, db, tmp_path):
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", *map(str, gso_files[:2]), "--report"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "pub.csv"
    r = CliRunner().invoke(app, ["--db", str(db), "export", "published", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype=str)
    assert list(df.columns) == ["release", "source", "indicator", "area", "node", "label", "period",
                                "measure", "status", "value", "unit"]
    x = df[(df.node == "TOTAL") & (df.period == "2023-07") & (df.measure == "yoy")]
    assert x[["release", "source", "status", "value"]].values.tolist() == \
        [["2023-07", "2023-07-29-Bieu-7-2023.xlsx", "estimate", "106.0"]]


def test_cli_bad_file_message(gso_files, db):
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", str(gso_files[2])])
    assert r.exit_code == 1 and "not an Excel workbook" in r.output


def test_levels_least_squares_worked_example():
    # L = 100, 110, 121 for Jan..Mar 2020 -> mom 110, 110; an inconsistent extra figure is reconciled.
    obs = pd.DataFrame({"period": ["2020-02", "2020-03"], "measure": ["mom", "mom"], "value": [110.0, 110.0]})
    lv, res = reconstruct_levels(obs, reference_year=2020)
    assert np.allclose(lv.value, np.array([100, 110, 121]) * 100 / (331 / 3))
    assert np.allclose(res.residual, 0, atol=1e-6)
    obs2 = pd.concat([obs, pd.DataFrame({"period": ["2020-03"], "measure": ["mom"], "value": [120.0]})])
    lv2, res2 = reconstruct_levels(obs2, reference_year=2020)
    fitted = res2[res2.period == "2020-03"].fitted.iloc[0]
    assert math.isclose(fitted, 100 * math.exp((math.log(1.1) + math.log(1.2)) / 2), rel_tol=1e-6)
