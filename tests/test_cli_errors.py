"""No traceback ever reaches a user, and every wrong option is named: each command is run with bad inputs and its
exit code and message checked; read commands never create a store; a locked store names the process holding it;
Ctrl-C stops cleanly and says what was kept; unwritable outputs are named; the CLI holds no SQL."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.store import connect

sys.path.insert(0, str(Path(__file__).parent / "compile"))
from test_nonresponse import build  # noqa: E402

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"


def run(*args, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def clean(res) -> str:
    """The output, checked for what must never reach a user: a traceback, a Python repr, a bare None."""
    text = res.output
    assert "Traceback" not in text and "Error: unexpected" not in text, text
    assert not re.search(r"\bNone\b|<[a-zA-Z_.]+ object at 0x", text), text
    return " ".join(text.split())


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "s.duckdb"
    build(path)
    res = run("--db", path, "compile")
    assert res.exit_code == 0, res.output
    return path


def _read_commands(tmp: Path) -> list[list[str]]:
    return [["show"], ["show", "--period", "2021-Q1"], ["export", "indices", "--out", tmp / "x.csv"], ["compile"],
            ["impute", "--period", "2021-01"], ["outliers", "--period", "2021-01"], ["labour", "--period", "2021-01"],
            ["release", "--period", "2021-06", "--out", tmp / "rel"], ["releases"], ["revisions"],
            ["export", "published", "--out", tmp / "p.csv"], ["export", "revisions", "--out", tmp / "r.csv"],
            ["check", "levels"], ["check", "consistency"], ["users", "list"], ["users", "disable", "x"],
            ["sa", "--all"], ["target", "--year", "2022", "--target", "5"], ["serve", "--read-only"], ["serve"]]


def test_read_commands_never_create_a_store(tmp_path):
    missing = tmp_path / "typo.duckdb"
    for args in _read_commands(tmp_path):
        res = run("--db", missing, *args)
        assert res.exit_code == 1 and f"no store at {missing}" in clean(res), (args, res.output)
        assert not missing.exists(), args


BAD_OPTIONS = [
    (["show", "--node", "99"], "--node must be TOTAL, a section B..E"),
    (["show", "--lang", "fr"], "--lang must be one of vi | en, not 'fr'"),
    (["show", "--area", "7"], "--area must be VN, a region code"),
    (["show", "--indicator", "output"], "--indicator must be one of production | consumption | inventory"),
    (["show", "--period", "2021/06"], "--period must be YYYY-MM, YYYY-Qn"),
    (["show", "--period", "2031-01"], "--period 2031-01 is in the future"),
    (["show", "--period", "2019-05"], "no production indices for area VN in 2019-05"),
    (["target", "--year", "2021", "--target", "5", "--as-of", "2022/06"], "--as-of must be a month written YYYY-MM"),
    (["target", "--year", "2021", "--target", "5", "--node", "99"], "--node must be TOTAL"),
    (["target", "--year", "3021", "--target", "5"], "--year must be a year between 1990 and 2100"),
    (["outliers", "--period", "2021-02", "--u", "2"], "--u (the size exponent U) must be between 0 and 1, not 2.0"),
    (["outliers", "--period", "2021-02", "--c", "0"], "--c (the width C) must be > 0"),
    (["outliers", "--period", "2021-02", "--variable", "value"], "--variable must be one of produced | sold"),
    (["outliers", "--period", "21-02"], "--period must be a month written YYYY-MM"),
    (["compile", "--from", "2021-06", "--to", "2021-01"], "--from 2021-06 is after --to 2021-01"),
    (["compile", "--reference-year", "2015"], "--reference-year 2015 is not a year with all 12 months reported"),
    (["compile", "--from", "2021-1"], "--from must be a month written YYYY-MM"),
    (["compile", "--to", "2030-01"], "--to 2030-01 is in the future"),
    (["impute", "--period", "2021-13"], "--period must be a month written YYYY-MM"),
    (["impute", "--period", "2021-01", "--from", "2021-05"], "--from 2021-05 is after --period 2021-01"),
    (["impute", "--period", "2021-01", "--lookback", "-1"], "--lookback must be a number of months >= 0"),
    (["labour", "--period", "bad"], "--period must be a month written YYYY-MM"),
    (["labour", "--period", "2021-01", "--out", "x.txt"], "--out must end in .csv or .parquet"),
    (["release", "--period", "2021-13", "--out", "rel"], "--period must be a month written YYYY-MM"),
    (["release", "--period", "2021-06", "--lang", "fr", "--out", "rel"], "--lang must be a comma-separated subset"),
    (["release", "--period", "2021-06", "--source", "gso", "--out", "rel"], "--source must be one of"),
    (["export", "indices", "--out", "x.txt"], "--out must end in .csv or .parquet"),
    (["sa", "--all", "--transform", "sqrt"], "--transform must be one of auto | log | none"),
    (["sa"], "give either --input FILE (with --out) or --all"),
    (["sa", "--all", "--workers", "0"], "--workers must be a number of processes >= 1"),
    (["users", "add", "bob", "--role", "king", "--password-stdin"], "role"),
]


@pytest.mark.parametrize("args,text", BAD_OPTIONS, ids=[" ".join(a[:3]) for a, _ in BAD_OPTIONS])
def test_every_wrong_option_is_named(store, args, text):
    res = run("--db", store, *args, input="a long enough password\n")
    assert res.exit_code == 1 and text in clean(res), res.output


@pytest.mark.parametrize("args", [["ingest", "nope", "x.csv"], ["synth", "--scale", "huge", "--out", "d"],
                                  ["serve", "--port", "0"], ["show", "--bogus"]])
def test_usage_errors_name_the_option(store, args):
    res = run("--db", store, *args)
    assert res.exit_code == 2 and "Invalid value" in res.output or "No such option" in res.output, res.output


def test_a_locked_store_names_the_process_and_what_to_do(store, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time, duckdb
        con = duckdb.connect({str(store)!r})
        print("ready", flush=True)
        time.sleep(120)""")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for args in (["show"], ["compile"], ["ingest", "reports", tmp_path / "r.csv"]):
            (tmp_path / "r.csv").write_text("x\n")
            res = run("--db", store, *args)
            text = clean(res)
            assert res.exit_code == 1 and f"PID {holder.pid}" in text and "wait until it finishes" in text, text
    finally:
        holder.kill()
        holder.wait()


def test_ctrl_c_stops_cleanly_and_says_what_was_kept(store, tmp_path):
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        import iip.compile
        def interrupted(*a, **k):
            os.kill(os.getpid(), signal.SIGINT)   # the user presses Ctrl-C while the compile runs
            time.sleep(5)
        iip.compile.compile_store = interrupted
        from iip.cli import app
        sys.argv = ["iip", "--db", {str(store)!r}, "compile"]
        app()""")
    before = connect(store).execute("SELECT count(*) FROM compile_runs").fetchone()[0]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(SRC)})
    assert r.returncode == 130 and "Interrupted (Ctrl-C)" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "the store keeps what was committed before" in r.stderr
    assert connect(store).execute("SELECT count(*) FROM compile_runs").fetchone()[0] == before


def test_unwritable_outputs_are_named(store, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for args in (["export", "indices", "--out", blocker / "x.csv"], ["labour", "--period", "2021-01", "--out",
                                                                     blocker / "l.csv"],
                 ["release", "--period", "2021-06", "--out", blocker / "rel"], ["synth", "--out", blocker / "d"]):
        res = run("--db", store, *args)
        text = clean(res)
        assert res.exit_code == 1 and str(blocker) in text and "cannot" in text, (args, text)


def test_provisional_release_says_so(store, tmp_path):
    res = run("--db", store, "release", "--period", "2021-07", "--provisional", "--lang", "vi,en", "--out",
              tmp_path / "rel")
    text = clean(res)
    assert res.exit_code == 0 and "PROVISIONAL" in text, text
    en = next((tmp_path / "rel" / "2021-07").glob("v*/narrative_en.md")).read_text(encoding="utf-8")
    vi = next((tmp_path / "rel" / "2021-07").glob("v*/narrative_vi.md")).read_text(encoding="utf-8")
    assert "Provisional figures:** only 55% of the base-year weight has reported" in en
    assert "Số liệu sơ bộ" in vi and "55%" in vi
    final = run("--db", store, "release", "--period", "2021-06", "--out", tmp_path / "rel")
    assert final.exit_code == 0 and "PROVISIONAL" not in clean(final)
    assert "Provisional" not in next((tmp_path / "rel" / "2021-06").glob("v*/narrative_en.md")).read_text()


def test_the_cli_holds_no_sql():
    """Commands only parse, call a stage or service function and print (issue 12)."""
    for f in (SRC / "iip" / "cli").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", text), f.name
        assert ".execute(" not in text and ".sql(" not in text, f.name


def test_signal_module_is_posix():
    assert hasattr(signal, "SIGINT")
