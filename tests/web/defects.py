"""Stores for the dashboard-defect tests: the demo store with GSO-like published product figures (more than the
5,000 the Products page once asked for at once) and a release package (files on disk, a row in ``releases``)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from iip.store import connect

PUBLISHED_PER_PRODUCT = 40   # 40 months x 2 measures x every product: > 5,000 figures


def add_published_products(con) -> int:
    """Published monthly product figures for every product of the store, two releases (vintages) each month:
    the second revises the first by +1. Returns the number of rows."""
    con.execute("INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen, "
                "cells_mapped, warnings) VALUES (901, 'gso', 'a.xlsx', 'h901', '2022-11', 0, 0, 0, 0), "
                "(902, 'gso', 'b.xlsx', 'h902', '2022-12', 0, 0, 0, 0)")
    con.execute(f"""
        INSERT INTO published_figures (file_id, source, release, indicator, area, node, label, period, measure,
                                       status, value, unit)
        SELECT f.file_id, 'gso', f.release, 'product', 'VN', p.product_code, p.name_vi,
               strftime(DATE '2019-09-01' + INTERVAL (m) MONTH, '%Y-%m'), ms.measure, 'official',
               100 + (hash(p.product_code || m::VARCHAR || ms.measure) % 20) + (f.file_id - 901), p.unit
        FROM products p, range({PUBLISHED_PER_PRODUCT}) r(m), (VALUES ('level'), ('yoy')) ms(measure),
             (VALUES (901, '2022-11'), (902, '2022-12')) f(file_id, release)""")
    return int(con.execute("SELECT count(*) FROM published_figures").fetchone()[0])


def add_release(con, root: Path) -> Path:
    """A release package of 2022-12 (three files) recorded in ``releases``."""
    d = root / "2022-12" / "v1"
    d.mkdir(parents=True)
    (d / "figures.csv").write_text("table,code,measure,value,status\nnational,TOTAL,yoy,105.1,\n", encoding="utf-8")
    (d / "narrative_en.md").write_text("# IIP December 2022\n", encoding="utf-8")
    (d / "release.html").write_text("<!doctype html><title>IIP</title><p>IIP</p>", encoding="utf-8")
    files = ["figures.csv", "narrative_en.md", "release.html"]
    con.execute("INSERT INTO releases (release_id, period, source, vintage, directory, files, content_hash, "
                "compile_run_id, langs) VALUES (1, '2022-12', 'compiled', 1, ?, ?, 'abc', 1, 'en')",
                [str(d), json.dumps(files)])
    return d


def defect_store(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with published product figures and one release package."""
    shutil.copy(src, dst)
    con = connect(dst)
    add_published_products(con)
    add_release(con, dst.parent / "releases")
    con.execute("CHECKPOINT")
    con.close()
    return dst
