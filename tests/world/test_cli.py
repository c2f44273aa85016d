"""`hollow run`, `scenarios`, `compare` and `query` end to end on the 60-day mini scenario."""

import json
from pathlib import Path

import pytest

from tests.cli_support import hollow, tree

TABLES = ("daily.parquet", "sessions.parquet", "flows.parquet", "ledger.parquet", "accounts.parquet", "summary.json")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def session_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cli-sessions"))


def run(capsys, out: Path, cache: str, *extra: str):
    return hollow(capsys, "run", "ftx_mini", "--out", str(out), "--cache", cache, "--quiet", *extra)


def test_a_mini_run_writes_every_table_and_a_rerun_the_same_bytes(capsys, runs, session_cache):
    code, out, err = run(capsys, runs / "a", session_cache)
    assert code == 0, err
    assert out.strip() == f"wrote {runs / 'a'}"
    files = tree(runs / "a")
    assert set(TABLES) | {"manifest.json"} <= set(files)
    summary = json.loads((runs / "a" / "summary.json").read_text())
    assert summary["collapse_date"] is not None and summary["hole_at_collapse_minor"] > 0
    assert summary["journal_check_passed"] and summary["depositor_accounts"] >= 2000
    manifest = json.loads((runs / "a" / "manifest.json").read_text())
    assert manifest["scenario"] == "ftx_mini" and manifest["overrides"] == [] and len(manifest["scenario_sha256"]) == 64
    code, _, err = run(capsys, runs / "b", session_cache)
    assert code == 0, err
    for name in TABLES:
        assert (runs / "a" / name).read_bytes() == (runs / "b" / name).read_bytes(), name


def test_headline_and_compare_of_a_counterfactual(capsys, runs, session_cache):
    code, out, err = hollow(capsys, "run", "ftx_mini", "--out", str(runs / "c"), "--cache", session_cache,
                            "--set", "house.privileges.allow_negative_balance=false", "--set", "house.fiat_routing=false")
    assert code == 0, err
    assert "collapse none" in out and "where the house lost it" in out
    if not (runs / "a").exists():
        assert run(capsys, runs / "a", session_cache)[0] == 0
    code, out, err = hollow(capsys, "compare", str(runs / "a"), str(runs / "c"))
    assert code == 0, err
    assert "collapse date" in out and "one never" in out and "house loss: total" in out


def test_query_runs_duckdb_over_the_tables(capsys, runs, session_cache):
    if not (runs / "a").exists():
        assert run(capsys, runs / "a", session_cache)[0] == 0
    code, out, err = hollow(capsys, "query", str(runs / "a"), "select count(*) as days, bool_or(halted) as halted from daily")
    assert code == 0, err
    assert out.splitlines() == ["days,halted", "60,True"]
    code, out, err = hollow(capsys, "query", str(runs / "a"), "select sum(amount_minor) from ledger where cause = 'nope'")
    assert code == 0 and out.splitlines()[1] == '""'  # a null sum: one empty field
    code, _, err = hollow(capsys, "query", str(runs / "a"), "select * from nowhere")
    assert code == 2 and err.startswith("error: query:") and err.count("\n") == 1


def test_scenarios_lists_the_builtins(capsys):
    code, out, _ = hollow(capsys, "scenarios")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["ftx", "ftx_mini"]


@pytest.mark.parametrize("args,says", [
    (["--set", "house.nope=1"], "--set: house.nope: no field 'nope' in house"),
    (["--set", "house.signal_staleness_ms=fast"], "expected a number, got 'fast'"),
    (["--set", "schedule.1.start=2022-10-20"], "gap: no regime"),
    (["--set", "end=2023-02-01"], "after the price data"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(capsys, tmp_path, session_cache, args, says):
    code, out, err = hollow(capsys, "run", "ftx_mini", "--out", str(tmp_path / "never"), "--cache", session_cache, *args)
    assert code == 2 and out == ""
    assert says in err and err.count("\n") == 1
    assert not (tmp_path / "never").exists()


def test_an_unknown_scenario_is_a_path_error(capsys, tmp_path):
    code, _, err = hollow(capsys, "run", "no_such_scenario", "--out", str(tmp_path / "x"))
    assert code == 2 and "no such file" in err


def test_a_scenario_file_runs_like_a_builtin_and_the_manifest_names_it(capsys, tmp_path, session_cache):
    from hollow.world.load import builtin_scenarios

    path = tmp_path / "mine.toml"
    path.write_text(builtin_scenarios()["ftx_mini"].replace('name = "ftx_mini"', 'name = "mine"'))
    code, _, err = hollow(capsys, "run", str(path), "--seed", "3", "--cache", session_cache, "--quiet", "--out", str(tmp_path / "r"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["scenario_source"] == str(path) and manifest["seed"] == 3 and manifest["scenario"] == "mine"
